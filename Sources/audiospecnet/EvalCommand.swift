import ArgumentParser
import AudioSpecNet
import Foundation

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Measure a model on labelled clips: accuracy, top-5, macro-F1, per-class scores, confusions.",
        discussion: """
        --data is an ESC-50 layout (DIR/meta/esc50.csv + DIR/audio/; the clips of --folds, by default the test \
        fold the model file records), a folder of class-named subfolders (DIR/dog/*.wav), or a CSV of path,label \
        (paths relative to the CSV). Each clip is classified as `infer` would (the model's own front end; clips \
        longer than the model's clip length are the mean of their windows).

        Clips that fail to decode and clips whose label the model doesn't know are listed, counted, and count as \
        wrong: accuracy is over every clip asked for (the accuracy over the scored clips is printed beside it).

        --perturb KIND:VALUE (repeatable) scores the same clips again with each change applied to the audio at the \
        model's rate before the front end — gain:DB (−20: twenty dB quieter), peak:DBFS (peak-normalised), \
        noise:SNR (white noise SNR dB below the clip's mean power, seeded by the file name), lowpass:HZ, \
        bandpass:LO-HI (second-order Butterworth sections; the telephone band is bandpass:300-3400), mp3:KBPS (coded \
        as MP3 at KBPS kbit/s and decoded again) — and prints \
        each one's accuracy beside the clean one (robustness.csv with --out).

        --out DIR writes metrics.json (what --json prints), per_class.csv, confusion.csv and confusion.png (a \
        heat map with the class names).

        Exit status: 0 when accuracy ≥ --min-accuracy (or, without it, when every clip was scored); 1 when \
        accuracy is below --min-accuracy (a line says by how much), or without it when some clips failed or had \
        unknown labels; 2 on any error that stops the evaluation (missing or bad model, no data, clips of the \
        folds missing from disk without --allow-missing, bad options).
        """)

    @OptionGroup var modelOption: ClassifierOptions

    @Option(name: .long, help: ArgumentHelp("ESC-50 folder, folder of class folders, or CSV of path,label.", valueName: "DIR|CSV"),
            completion: .file())
    var data: String

    @Option(name: .long, help: ArgumentHelp("ESC-50 folds to evaluate, e.g. 5 or 4,5 (default: the model's recorded test fold).", valueName: "FOLDS"))
    var folds: String?

    @Flag(name: .customLong("allow-missing"), help: "Score the clips that are on disk when the metadata lists some that are not (default: an error).")
    var allowMissing = false

    @OptionGroup var format: JSONOptions

    @Option(name: .customLong("min-accuracy"), help: ArgumentHelp("Exit 1 when accuracy is below this (0…1).", valueName: "X"))
    var minAccuracy: Double?

    @Option(name: .long, help: ArgumentHelp("Write metrics.json, per_class.csv, confusion.csv, confusion.png here.", valueName: "DIR"),
            completion: .directory)
    var out: String?

    @Option(name: .customLong("perturb"), help: ArgumentHelp("Also score every clip changed this way, beside the clean figures (repeatable): gain:DB, peak:DBFS, noise:SNR_DB, lowpass:HZ, bandpass:LO-HI, mp3:KBPS (e.g. --perturb=gain:-20 --perturb bandpass:300-3400 --perturb mp3:32).", valueName: "KIND:VALUE"))
    var perturb: [String] = []

    @OptionGroup var compute: ThreadOptions

    func validate() throws {
        for p in perturb {
            do { _ = try WaveformPerturbation(parsing: p) } catch { throw ValidationError("\(error)") }
        }
        if let minAccuracy, !(minAccuracy >= 0 && minAccuracy <= 1) {
            throw ValidationError("--min-accuracy must be between 0 and 1, got \(minAccuracy)")
        }
        if let folds, LabelledClips.parseFolds(folds) == nil {
            throw ValidationError("--folds must be fold numbers like 5 or 4,5, got \"\(folds)\"")
        }
    }

    func run() throws {
        let models = try modelOption.paths(), json = format.json
        let model = models.joined(separator: " + ")
        let foldList = folds.flatMap(LabelledClips.parseFolds)
        let classifiers = try modelOption.classifiers(context: compute.context)
        let classifier = classifiers[0]
        let selection: LabelledClips.Selection
        do {
            selection = try LabelledClips.load(data: data, folds: foldList, metadata: classifier.metadata, allowMissing: allowMissing)
        } catch LabelledClips.Problem.noRecordedTestFold {
            throw AudioSpecNetError.invalidArgument("the model records no test fold: pass --folds (e.g. --folds 5) to choose the ESC-50 folds to evaluate")
        } catch let LabelledClips.Problem.missingClips(message) {
            throw AudioSpecNetError.invalidArgument(message + (allowMissing ? "" : "; pass --allow-missing to score the clips that are there"))
        }
        for note in selection.notes { FileHandleOutput.standardError("note: " + note) }
        let perturbations = try perturb.map(WaveformPerturbation.init(parsing:))
        for p in perturbations { try p.check(sampleRate: classifier.config.sampleRate) }
        /// Every clip through the one inference path, with a perturbation or none.
        func score(_ perturbation: WaveformPerturbation?) throws -> EvalMetrics {
            let runner = try InferenceRunner(classifiers: classifiers, options: modelOption.apply(to: InferenceOptions(perturbation: perturbation)))
            var results: [FileResult] = []
            results.reserveCapacity(selection.clips.count)
            let label = perturbation.map { "eval (\($0))" } ?? "eval"
            runner.run(selection.clips.map(\.path)) { result in
                results.append(result)
                FileHandleOutput.progress("\(label): \(results.count)/\(selection.clips.count) clips")
            }
            FileHandleOutput.progress(nil)
            return EvalMetrics(classes: classifier.classes, clips: selection.clips, results: results)
        }
        let start = Date()
        let metrics = try score(nil)
        let seconds = Date().timeIntervalSince(start)
        var report = EvalReport(metrics: metrics, model: model, data: data, summary: selection.summary, minAccuracy: minAccuracy)
        report.robustness = try perturbations.map { ($0.description, try score($0)) }
        if json {
            print(report.json())
        } else {
            report.text().forEach { print($0) }
            print(String(format: "%d clips in %.1f s (%.1f clips/s)", selection.clips.count, seconds, Double(selection.clips.count) / max(seconds, 1e-9)))
        }
        if let out {
            let written = try report.write(to: out)
            if !json { print("wrote " + written.joined(separator: ", ")) }
        }
        if let minAccuracy {
            if metrics.accuracy < minAccuracy {
                FileHandleOutput.standardError(String(format: "FAIL: accuracy %.4f is below --min-accuracy %.4f by %.4f (%d/%d correct)",
                                                      metrics.accuracy, minAccuracy, minAccuracy - metrics.accuracy, metrics.correct, metrics.total))
                throw ExitStatus.someFailed
            }
            FileHandleOutput.standardError(String(format: "PASS: accuracy %.4f ≥ --min-accuracy %.4f", metrics.accuracy, minAccuracy))
            return
        }
        if !metrics.failed.isEmpty || !metrics.unknownLabels.isEmpty {
            printError("\(metrics.failed.count) clips failed to decode and \(metrics.unknownLabels.count) have labels the model doesn't know (counted as wrong)")
            throw ExitStatus.someFailed
        }
    }
}
