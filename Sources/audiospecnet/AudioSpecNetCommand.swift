import ArgumentParser
import AudioSpecNet

@main
struct AudioSpecNetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audiospecnet",
        abstract: "Train, evaluate and run a ResNet sound classifier on log-mel spectrograms (ESC-50).",
        version: audioSpecNetVersion,
        subcommands: [TrainCommand.self, EvalCommand.self, InferCommand.self, SpectrogramCommand.self, BenchCommand.self]
    )
}

/// A subcommand whose issue has not landed yet says so and exits 2, rather than pretending to work.
struct NotYetAvailable: Error, CustomStringConvertible {
    let command: String
    var description: String { "`audiospecnet \(command)` is not yet available in this version" }
}
