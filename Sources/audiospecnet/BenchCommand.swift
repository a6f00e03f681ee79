import ArgumentParser
import AudioSpecNet

/// Benchmarks, each a subcommand: `bench frontend DIR` now; the network's joins it later.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the speed of the toolkit's parts on this machine.",
        subcommands: [BenchFrontendCommand.self]
    )
}
