import ArgumentParser

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure speed beside PyTorch on this machine.",
        subcommands: [BenchNetworkCommand.self, BenchFrontendCommand.self, BenchConvolutionsCommand.self, BenchMPICommand.self],
        defaultSubcommand: BenchNetworkCommand.self)
}
