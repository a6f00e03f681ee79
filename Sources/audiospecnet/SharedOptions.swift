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

/// `--model FILE`, required by the subcommands that run a trained model.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The model file (.safetensors written by train or Scripts/convert_checkpoint.py).", valueName: "FILE"),
            completion: .file(extensions: ["safetensors"]))
    var model: String
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
