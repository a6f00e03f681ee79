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

/// `--model` for `infer`, `eval` and `serve`, where it may repeat: the models' softmax is averaged (an ensemble), and
/// `--tta K`: each window's softmax averaged over K time shifts.
struct ClassifierOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The model file (model.safetensors written by train or export); give it more than once to average the models' softmax (an ensemble; they must share front end and classes). Default: the model shipped with the tool, \(DefaultModel.summary()).", valueName: "FILE"),
            completion: .file(extensions: ["safetensors"]))
    var model: [String] = []

    @Option(name: .long, help: ArgumentHelp("Average each window's softmax over K time-shifted views of its log-mel, evenly spaced over ±--tta-shift (default 1: none).", valueName: "K"))
    var tta = 1

    @Option(name: .customLong("tta-shift"), help: ArgumentHelp("The largest TTA shift either way, in seconds.", valueName: "SECONDS"))
    var ttaShift = 1.0

    @Option(name: .customLong("tta-scheme"), help: ArgumentHelp("How a view moves the log-mel: roll (circular), pad (shifted, the uncovered frames silent) or crop (K overlapping crops, each the window less twice the shift).", valueName: "roll|pad|crop"))
    var ttaSchemeName = TTAScheme.roll.rawValue

    var ttaScheme: TTAScheme { TTAScheme(rawValue: ttaSchemeName) ?? .roll }

    func validate() throws {
        guard (1...64).contains(tta) else { throw ValidationError("--tta must be 1…64 views, got \(tta)") }
        guard ttaShift.isFinite, ttaShift >= 0, ttaShift <= 600 else { throw ValidationError("--tta-shift must be 0…600 seconds, got \(ttaShift)") }
        guard TTAScheme(rawValue: ttaSchemeName) != nil else { throw ValidationError("--tta-scheme must be roll, pad or crop, got \(ttaSchemeName)") }
    }

    /// The files to load: every --model, or the shipped model from the resource bundle beside the executable.
    func paths() throws -> [String] { model.isEmpty ? [try DefaultModel.path()] : model }

    /// The models, loaded under `context`.
    func classifiers(context: ComputeContext) throws -> [Classifier] {
        try paths().map { try Classifier(modelPath: $0, context: context) }
    }

    /// `options` with the TTA settings.
    func apply(to options: InferenceOptions) -> InferenceOptions {
        var o = options
        o.tta = tta
        o.ttaShiftSeconds = ttaShift
        o.ttaScheme = ttaScheme
        return o
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
