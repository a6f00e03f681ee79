import ArgumentParser
import Foundation
import AudioSpecNet

@main
struct AudioSpecNetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audiospecnet",
        abstract: "Train, evaluate and run a ResNet sound classifier on log-mel spectrograms (ESC-50).",
        discussion: """
        Exit status, for every subcommand: 0 done; 1 the work ran but some of it failed (a file that did not \
        decode, a training run that diverged) or a gate failed (eval --min-accuracy); 2 nothing could run (bad \
        usage, missing or bad model or data); 130 stopped by Ctrl-C (train resumes with --resume).
        """,
        version: "\(audioSpecNetVersion)\ndefault model: \(DefaultModel.summary())",
        subcommands: [TrainCommand.self, EvalCommand.self, CompareCommand.self, InferCommand.self, ServeCommand.self, ExportCommand.self, SpectrogramCommand.self,
                      BenchCommand.self]
    )

    /// One exit-status scheme (see the discussion above). A subcommand that has done some of its work
    /// prints what failed and throws its ExitCode (1 or 130); any other error means it could not run: the
    /// error's message ("Error: …", with the usage for a bad command line) and exit 2. ArgumentParser's
    /// own default would be 64 for a command line it cannot parse and 1 for the rest.
    /// `serve` runs in async code (the server is async); every other subcommand is synchronous.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asynchronous = command as? AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch let code as ExitCode {
            exit(withError: code)
        } catch {
            if exitCode(for: error) == .success { exit(withError: error) }  // --help, --version
            FileHandleOutput.standardError(fullMessage(for: error))
            Foundation.exit(2)
        }
    }
}
