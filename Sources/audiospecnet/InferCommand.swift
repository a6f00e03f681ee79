import ArgumentParser
import AudioSpecNet
import Foundation

struct InferCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infer",
        abstract: "Classify audio files: top-k classes per file, and per window for long audio.",
        discussion: """
        INPUT is an audio file (anything libsndfile reads: WAV, FLAC, OGG, Opus, MP3, AIFF, …), a directory \
        (searched recursively for audio files) or - to read a list of paths from standard input, one per line.

        The model's own front end (sample rate, FFT, mel bands, clip length, recorded in the model file) is \
        applied to every file. Audio shorter than a window is zero-padded (the output says so). Longer audio \
        is cut into windows of --window seconds every --hop seconds (the last one zero-padded), streamed in \
        bounded memory, and reported per window and overall (the mean of the windows' probabilities).

        Output: an aligned table, or with --json one JSON object per file (JSON lines) with "file", \
        "predictions" ([{"class", "confidence"}]), "duration", "sample_rate", "channels", "padded", "window", \
        "windows" ([{"start", "end", "predictions"}], when cut into several), or "error" for a file that failed. \
        --features adds what the reference web service returns for the first window: "visualization" \
        ({name: {"shape": [H, W], "values": [[…]]}}, the channel mean of conv1, every block's .conv and .relu \
        and every stage), "input_spectrogram" ({"shape", "values"}) and "waveform" ({"values" (at most 8000), \
        "sample_rate", "duration"}); it implies --json. --png DIR writes those as pictures instead. \
        --embeddings adds "embedding" to each file (the network's pooled features, 512 values for the recipe: \
        the mean over the file's windows) and to each window; it implies --json. --embeddings-out X.npy writes \
        the files' embeddings as one float32 [files, features] array, with X.txt naming the file of each row \
        (files that failed have no row).

        --model given more than once averages the models' softmax (an ensemble; they must share front end and \
        classes; features and embeddings are the first model's). --tta K averages each window's softmax over K \
        views of its log-mel, offset evenly over ±--tta-shift seconds (default 1 s), made by --tta-scheme: roll \
        (circular, the default), pad (shifted, the uncovered frames silent) or crop (overlapping crops, each the \
        window less twice the shift); --tta 1 is the window as it is. eval takes the same options.

        Exit status: 0 when every file was classified; 1 when some failed (the others are still classified and \
        the failures reported); 2 when nothing could run (no or bad model, no input, bad options).
        """)

    @OptionGroup var modelOption: ClassifierOptions

    @Argument(help: ArgumentHelp("Audio files, directories, or - for paths on stdin.", valueName: "INPUT"), completion: .file())
    var inputs: [String] = []

    @Option(name: .long, help: "Classes to show per file and window.")
    var top = 3

    @OptionGroup var format: JSONOptions

    @Option(name: .long, help: ArgumentHelp("Window length in seconds (default: the model's clip length, 5 s for the recipe).", valueName: "SECONDS"))
    var window: Double?

    @Option(name: .long, help: ArgumentHelp("Seconds between window starts (default: half the window, 2.5 s).", valueName: "SECONDS"))
    var hop: Double?

    @Flag(name: .customLong("no-windows"), help: "Only each file's overall result: no per-window rows (table) or \"windows\" (JSON).")
    var noWindows = false

    @Flag(name: .long, help: "Add feature maps, input spectrogram and waveform to the JSON (as the reference web service).")
    var features = false

    @Option(name: .long, help: ArgumentHelp("Write the spectrogram and feature maps as PNG pictures under DIR/<file>/ (DIR/<file>-2/, … for repeated names).", valueName: "DIR"),
            completion: .directory)
    var png: String?

    @Flag(name: .long, help: "Add each file's and window's embedding (pooled features) to the JSON.")
    var embeddings = false

    @Option(name: .customLong("embeddings-out"), help: ArgumentHelp("Write the files' embeddings as a [files, features] .npy (and FILE's .txt list).", valueName: "FILE"))
    var embeddingsOut: String?

    @OptionGroup var compute: ThreadOptions

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("no INPUT given: pass audio files, directories or - for paths on stdin") }
        guard top >= 1 else { throw ValidationError("--top must be at least 1, got \(top)") }
        do { try WindowPlan.validate(windowSeconds: window, hopSeconds: hop) } catch { throw ValidationError("\(error)") }
    }

    func run() throws {
        let classifiers = try modelOption.classifiers(context: compute.context)
        let classifier = classifiers[0]
        let runner = try InferenceRunner(classifiers: classifiers, options: modelOption.apply(to: InferenceOptions(
            windowSeconds: window, hopSeconds: hop, features: features || png != nil,
            embeddings: embeddings || embeddingsOut != nil)))
        let (files, inputErrors) = InputExpansion.expand(inputs)
        if files.isEmpty {
            throw AudioSpecNetError.invalidArgument(inputErrors.first?.error ?? "no audio files to classify")
        }
        let asJSON = format.json || features || embeddings
        var embeddingRows: [(path: String, values: [Float])] = []
        var report = InferenceReport(classes: classifier.classes, topK: top, paths: files + inputErrors.map(\.path))
        report.featureValues = features
        report.embeddingValues = embeddings
        report.showWindows = !noWindows
        let folders = Dictionary(zip(files, FeaturePictures.folderNames(for: files)), uniquingKeysWith: { a, _ in a })
        let total = files.count + inputErrors.count
        var failed = 0, done = 0
        func emit(_ result: FileResult) {
            var pictures: [String: String] = [:]
            if let png, let capture = result.features, result.error == nil {
                do { pictures = try FeaturePictures.write(capture, folder: folders[result.path] ?? "input", into: png) } catch {
                    FileHandleOutput.progress(nil)
                    printError("\(error)")
                    failed += 1
                }
            }
            if result.error != nil { failed += 1 }
            if let e = result.embedding, embeddingsOut != nil { embeddingRows.append((result.path, e)) }
            FileHandleOutput.progress(nil)
            if asJSON {
                print(report.jsonLine(result, pictures: pictures))
            } else {
                report.tableLines(result).forEach { print($0) }
            }
            flushStandardOutput()
            done += 1
            // Overall progress for long runs, on a terminal only (stderr; stdout stays the results).
            if done < total { FileHandleOutput.progress("infer: \(done)/\(total) inputs") }
        }
        if !asJSON { print(report.header) }
        inputErrors.forEach(emit)
        runner.run(files, report: emit)
        FileHandleOutput.progress(nil)
        if let embeddingsOut { try EmbeddingFile.write(embeddingRows, to: embeddingsOut) }
        if failed > 0 {
            printError("\(failed) of \(total) inputs failed (see the error entries above)")
            throw ExitStatus.someFailed
        }
    }
}

/// `infer --embeddings-out X.npy`: the embeddings as one [files, features] float32 array, and X.txt with the
/// path of each row.
enum EmbeddingFile {
    static func write(_ rows: [(path: String, values: [Float])], to path: String) throws {
        let width = rows.first?.values.count ?? 0
        try NPY.write(rows.flatMap(\.values), shape: [rows.count, width], to: path)
        try AtomicFile.write(rows.map { $0.path + "\n" }.joined(), to: listPath(path))
    }

    static func listPath(_ npy: String) -> String {
        (npy.hasSuffix(".npy") ? String(npy.dropLast(4)) : npy) + ".txt"
    }
}
