import ArgumentParser
import AudioSpecNet
import Foundation

/// `--threads N`, for every subcommand that computes: the workers of its `ComputeContext`.
struct ThreadOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Worker threads (default: all cores). Results are reproducible for a given count.", valueName: "N"))
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    var count: Int { threads ?? ProcessInfo.processInfo.activeProcessorCount }
    var context: ComputeContext { ComputeContext(threads: count) }
}

/// `--model FILE` for the subcommands that run a trained model; without it, the model shipped with the tool.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The model file (model.safetensors written by train or export). Default: the model shipped with the tool, \(DefaultModel.summary()).", valueName: "FILE"),
            completion: .file(extensions: ["safetensors"]))
    var model: String?

    /// The file to load: --model, or the shipped model from the resource bundle beside the executable.
    func path() throws -> String {
        if let model { return model }
        return try DefaultModel.path()
    }
}

/// `--json`: results as JSON on stdout (one object per line), nothing else there.
struct JSONOptions: ParsableArguments {
    @Flag(name: .long, help: "Print results as JSON on stdout (one object per line) instead of text.")
    var json = false
}

/// The exit statuses of every subcommand (the README's table):
/// 0 the work is done; 1 it ran but some of it failed, or a gate failed; 2 nothing could run (bad usage,
/// missing or bad model or data); 130 stopped by Ctrl-C or SIGTERM (train: resumable).
enum ExitStatus {
    static let someFailed = ExitCode(1)
    static let couldNotRun = ExitCode(2)
    static let interrupted = ExitCode(130)
}

/// One line on stderr for an error, with the one prefix every subcommand uses.
func printError(_ message: String) {
    FileHandleOutput.standardError("Error: " + message)
}
