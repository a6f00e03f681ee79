import ArgumentParser
import Foundation
import AudioSpecNet

@main
struct AudioSpecNetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audiospecnet",
        abstract: "Train, evaluate and run a ResNet sound classifier on log-mel spectrograms (ESC-50).",
        version: audioSpecNetVersion,
        subcommands: [TrainCommand.self, EvalCommand.self, InferCommand.self, ServeCommand.self, SpectrogramCommand.self, BenchCommand.self]
    )

    /// ArgumentParser exits 64 for a command line it cannot parse; this tool's contract is 2 for every error
    /// that stops a command before it does anything (so `eval --min-accuracy` gates read 0/1/2 only).
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandleOutput.standardError(fullMessage(for: error))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
