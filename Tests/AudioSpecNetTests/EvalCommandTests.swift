import AudioSpecNet
import Foundation
import XCTest
import _TestSupport

/// `audiospecnet eval` end to end with a small model trained in the test on four real clips.
final class EvalCommandTests: XCTestCase {
    typealias S = InferTestSupport
    static let classes = S.clips.map(\.label)  // dog, rooster, clock_tick, siren
    nonisolated(unsafe) static var trainedModel: String?
    nonisolated(unsafe) static var modelDirectory = Fixtures.scratchDirectory("eval-model")
    var scratch = ""

    override func setUp() { scratch = Fixtures.scratchDirectory("eval") }
    override func tearDown() { try? FileManager.default.removeItem(atPath: scratch) }
    override class func tearDown() { try? FileManager.default.removeItem(atPath: modelDirectory) }

    /// A width-4 network trained with AdamW until it gets its four training clips right (in eval mode),
    /// saved with test fold 1 recorded. Trained once for all tests of this class.
    func trainedModel() throws -> String {
        if let path = Self.trainedModel { return path }
        let frontEnd = try FrontEnd()
        let spectrograms = try S.clips.indices.map { try frontEnd.logMel(path: S.clip($0)) }
        let config = AudioCNNConfig(width: 4, blocks: [1, 1, 1, 1], numClasses: Self.classes.count)
        let model = try AudioCNN(config: config, seed: 7, context: ComputeContext(threads: 2))
        let arena = model.arena
        let optimizer = AdamW(parameterCount: arena.parameterCount, weightDecay: 0)
        let mels = frontEnd.config.nMels, frames = frontEnd.config.clipFrames
        let x = Tensor(shape: [4, 1, mels, frames], values: spectrograms.flatMap { $0 })
        let targets = SoftmaxCrossEntropy.targets(labels: [0, 1, 2, 3], classes: 4, smoothing: 0)
        let gradient = Tensor(shape: [4, 4])
        func evalCorrect() -> Int {
            let logits = model.forward(x, training: false)
            return (0..<4).filter { i in
                let row = (0..<4).map { logits.data[i * 4 + $0] }
                return row.firstIndex(of: row.max()!) == i
            }.count
        }
        var step = 0
        while step < 200 {
            arena.zeroGradients()
            let logits = model.forward(x, training: true)
            SoftmaxCrossEntropy.forwardBackward(logits: logits, targets: targets, gradient: gradient)
            model.backward(logitsGradient: gradient)
            optimizer.update(parameters: arena.parameters, gradients: arena.gradients, lr: 3e-3, parallel: model.context.parallel)
            step += 1
            if step >= 30 && step % 10 == 0 && evalCorrect() == 4 { break }
        }
        XCTAssertEqual(evalCorrect(), 4, "the test model did not learn its four clips in \(step) steps")
        let path = Self.modelDirectory + "/tiny.safetensors"
        try ModelFile.save(model: model, metadata: S.metadata(config: config, classes: Self.classes, extra: ["test_fold": "1"]), to: path)
        Self.trainedModel = path
        return path
    }

    /// DIR/<class>/ folders: every training clip under its own class, plus the dog clip filed as rooster
    /// (wrong on purpose), so accuracy is exactly 4/5.
    func labelledFolder() throws -> String {
        let root = scratch + "/data"
        for (i, clip) in S.clips.enumerated() {
            try FileManager.default.createDirectory(atPath: root + "/" + clip.label, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: S.clip(i), toPath: root + "/\(clip.label)/\(clip.file)")
        }
        try FileManager.default.copyItem(atPath: S.clip(0), toPath: root + "/rooster/mislabelled-dog.flac")
        return root
    }

    func testMinAccuracyExitCodesAndOutputs() throws {
        let model = try trainedModel()
        let data = try labelledFolder()
        let out = scratch + "/out"
        let pass = try CLI.run(["eval", "--model", model, "--data", data, "--min-accuracy", "0.75", "--out", out])
        XCTAssertEqual(pass.status, 0, "\(pass)")
        XCTAssertTrue(pass.stdout.contains("accuracy      0.8000  (4/5)"), pass.stdout)
        XCTAssertTrue(pass.stdout.contains("1× rooster → dog"), pass.stdout)
        let fail = try CLI.run(["eval", "--model", model, "--data", data, "--min-accuracy", "0.85"])
        XCTAssertEqual(fail.status, 1, "\(fail)")
        XCTAssertTrue(fail.stderr.contains("below --min-accuracy 0.8500 by 0.0500"), fail.stderr)
        XCTAssertEqual(fail.stderrLines.count, 1, fail.stderr)
        // Exactly on the line passes.
        XCTAssertEqual(try CLI.run(["eval", "--model", model, "--data", data, "--min-accuracy", "0.8"]).status, 0)

        let metrics = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/metrics.json"))) as? [String: Any] ?? [:]
        XCTAssertEqual(metrics["accuracy"] as? Double ?? 0, 0.8, accuracy: 1e-9)
        XCTAssertEqual(metrics["top5_accuracy"] as? Double, 1)
        XCTAssertEqual(metrics["total"] as? Int, 5)
        XCTAssertEqual(metrics["passed"] as? Bool, true)
        XCTAssertEqual(metrics["confusion"] as? [[Int]], [[1, 0, 0, 0], [1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
        // rooster: recall 1/2; dog: precision 1/2 → macro-F1 = (2/3 + 2/3 + 1 + 1) / 4.
        XCTAssertEqual(metrics["macro_f1"] as? Double ?? 0, (2.0 / 3 + 2.0 / 3 + 2) / 4, accuracy: 1e-9)
        let perClass = try String(contentsOfFile: out + "/per_class.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(perClass.first, "class,precision,recall,f1,support,predicted")
        XCTAssertEqual(perClass.count, 5)
        XCTAssertTrue(perClass.contains("rooster,1.000000,0.500000,0.666667,2,1"), "\(perClass)")
        let confusion = try String(contentsOfFile: out + "/confusion.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(confusion.first, "actual\\predicted,dog,rooster,clock_tick,siren")
        XCTAssertEqual(confusion[2], "rooster,1,1,0,0")
        let png = try Data(contentsOf: URL(fileURLWithPath: out + "/confusion.png"))
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // predictions.csv: a row a clip, the mislabelled one wrong; `compare` reads it back (an evaluation
        // against itself: no clip discordant, p = 1).
        let predictions = try PairedComparison.readPredictions(out)
        XCTAssertEqual(predictions.count, 5)
        XCTAssertEqual(predictions.filter(\.correct).count, 4)
        let wrong = try XCTUnwrap(predictions.first { !$0.correct })
        XCTAssertTrue(wrong.path.hasSuffix("rooster/mislabelled-dog.flac") && wrong.predicted == "dog", "\(wrong)")
        let same = try CLI.run(["compare", out, out + "/predictions.csv"])
        XCTAssertEqual(same.status, 0, "\(same)")
        XCTAssertTrue(same.stdout.contains("both right 4 · A alone 0 · B alone 0 · neither 1"), same.stdout)
        XCTAssertTrue(same.stdout.contains("McNemar exact two-sided p = 1 "), same.stdout)

        // --json prints metrics.json's object.
        let json = try CLI.run(["eval", "--model", model, "--data", data, "--json"])
        XCTAssertEqual(json.status, 0, "\(json)")
        XCTAssertEqual(S.jsonLines(json.stdout).first?["correct"] as? Int, 4)
    }

    /// `--perturb`: a 0 dB gain scores as clean, each perturbation gets a row (text, JSON, robustness.csv), and a
    /// malformed one is refused before any work with a line naming it.
    func testPerturbationsAreScoredBesideTheCleanFigures() throws {
        let model = try trainedModel()
        let data = try labelledFolder()
        let out = scratch + "/robust"
        let run = try CLI.run(["eval", "--model", model, "--data", data, "--perturb", "gain:0", "--perturb=gain:-20",
                               "--perturb", "bandpass:300-3400", "--out", out])
        XCTAssertEqual(run.status, 0, "\(run)")
        XCTAssertTrue(run.stdout.contains("robustness (the same clips"), run.stdout)
        let csv = try String(contentsOfFile: out + "/robustness.csv", encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(csv.count, 5)
        XCTAssertEqual(csv[0], "input,accuracy,top5_accuracy,macro_f1,correct,total")
        XCTAssertTrue(csv[1].hasPrefix("clean,0.800000,"), csv[1])
        XCTAssertEqual(csv[2].replacingOccurrences(of: "gain:0", with: "clean"), csv[1], "a 0 dB gain changes nothing")
        XCTAssertTrue(csv[3].hasPrefix("gain:-20,") && csv[4].hasPrefix("bandpass:300-3400,"), "\(csv)")
        let json = try CLI.run(["eval", "--model", model, "--data", data, "--json", "--perturb", "noise:10"])
        XCTAssertEqual(json.status, 0, "\(json)")
        let rows = S.jsonLines(json.stdout).first?["robustness"] as? [[String: Any]]
        XCTAssertEqual(rows?.first?["perturbation"] as? String, "noise:10")
        XCTAssertEqual(rows?.first?["total"] as? Int, 5)
        let bad = try CLI.run(["eval", "--model", model, "--data", data, "--perturb", "echo:3"])
        XCTAssertEqual(bad.status, 2, "\(bad)")
        XCTAssertTrue(bad.stderrLines.first?.contains("--perturb echo:3") == true, bad.stderr)
    }

    /// Undecodable files and unknown labels are listed, counted and stay in the denominator.
    func testFailuresAndUnknownLabelsAreCounted() throws {
        let model = try trainedModel()
        let data = try labelledFolder()
        try FileManager.default.createDirectory(atPath: data + "/zebra", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: S.clip(3), toPath: data + "/zebra/stripes.flac")
        try Data("not audio".utf8).write(to: URL(fileURLWithPath: data + "/dog/broken.wav"))
        let r = try CLI.run(["eval", "--model", model, "--data", data, "--json"])
        XCTAssertEqual(r.status, 1, "failures without a gate exit 1: \(r)")
        let m = S.jsonLines(r.stdout).first ?? [:]
        XCTAssertEqual(m["total"] as? Int, 7)
        XCTAssertEqual(m["scored"] as? Int, 5)
        XCTAssertEqual(m["accuracy"] as? Double ?? 0, 4.0 / 7, accuracy: 1e-9)
        XCTAssertEqual((m["failed"] as? [[String: Any]])?.first?["file"] as? String, data + "/dog/broken.wav")
        XCTAssertEqual((m["unknown_labels"] as? [[String: Any]])?.first?["label"] as? String, "zebra")
        let text = try CLI.run(["eval", "--model", model, "--data", data, "--min-accuracy", "0.5"])
        XCTAssertEqual(text.status, 0, "\(text)")
        XCTAssertTrue(text.stdout.contains("counted as wrong: 1 failed to decode, 1 with a label the model doesn't know"), text.stdout)
        XCTAssertTrue(text.stdout.contains("unknown label \"zebra\""), text.stdout)
    }

    /// An ESC-50 layout (the model's recorded test fold by default, or --folds) and a CSV of path,label.
    func testESC50LayoutAndCSV() throws {
        let model = try trainedModel()
        let root = scratch + "/esc"
        try FileManager.default.createDirectory(atPath: root + "/meta", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/audio", withIntermediateDirectories: true)
        var csv = "filename,fold,target,category,esc10,src_file,take\n"
        for (i, clip) in S.clips.enumerated() {
            let stem = (clip.file as NSString).deletingPathExtension
            // Folds 1 and 2; the CSV names .wav, the folder holds FLAC (as an unpacked 16 kHz copy may).
            csv += "\(stem).wav,\(i < 3 ? 1 : 2),\(i),\(clip.label),False,x,A\n"
            try FileManager.default.copyItem(atPath: S.clip(i), toPath: root + "/audio/\(clip.file)")
        }
        try csv.write(toFile: root + "/meta/esc50.csv", atomically: true, encoding: .utf8)
        let byDefault = try CLI.run(["eval", "--model", model, "--data", root, "--json"])
        XCTAssertEqual(byDefault.status, 0, "\(byDefault)")
        let m = S.jsonLines(byDefault.stdout).first ?? [:]
        XCTAssertEqual(m["total"] as? Int, 3)
        XCTAssertEqual(m["accuracy"] as? Double, 1)
        XCTAssertTrue((m["selection"] as? String ?? "").contains("fold 1 (the model's test fold)"))
        let both = try CLI.run(["eval", "--model", model, "--data", root, "--folds", "1,2", "--json"])
        XCTAssertEqual(S.jsonLines(both.stdout).first?["total"] as? Int, 4)
        // A fold whose clips are not all on disk: an error, unless --allow-missing scores the ones that are.
        try (csv + "gone-1.wav,2,0,dog,False,x,A\n").write(toFile: root + "/meta/esc50.csv", atomically: true, encoding: .utf8)
        CLIContract.assertCouldNotRun(try CLI.run(["eval", "--model", model, "--data", root, "--folds", "2"]), contains: "--allow-missing")
        let allowed = try CLI.run(["eval", "--model", model, "--data", root, "--folds", "2", "--allow-missing", "--json"])
        XCTAssertEqual(allowed.status, 0, "\(allowed)")
        XCTAssertEqual(S.jsonLines(allowed.stdout).first?["total"] as? Int, 1)
        XCTAssertTrue(allowed.stderr.contains("gone-1.wav"), "\(allowed)")
        try csv.write(toFile: root + "/meta/esc50.csv", atomically: true, encoding: .utf8)
        // A model that records no test fold needs --folds.
        let noFold = scratch + "/nofold.safetensors"
        try S.writeModel(config: AudioCNNConfig(width: 4, blocks: [1, 1, 1, 1], numClasses: 4), classes: Self.classes, to: noFold)
        let refused = try CLI.run(["eval", "--model", noFold, "--data", root])
        XCTAssertEqual(refused.status, 2)
        XCTAssertEqual(refused.stderrLines.count, 1)
        XCTAssertTrue(refused.stderr.contains("--folds"), refused.stderr)

        let list = scratch + "/list.csv"
        try "path,label\n\(root)/audio/\(S.clips[0].file),dog\naudio/\(S.clips[1].file),rooster\n".write(toFile: root + "/list.csv", atomically: true, encoding: .utf8)
        try FileManager.default.moveItem(atPath: root + "/list.csv", toPath: list)
        try FileManager.default.createSymbolicLink(atPath: scratch + "/audio", withDestinationPath: root + "/audio")
        let fromCSV = try CLI.run(["eval", "--model", model, "--data", list, "--json", "--min-accuracy", "1"])
        XCTAssertEqual(fromCSV.status, 0, "\(fromCSV)")
        XCTAssertEqual(S.jsonLines(fromCSV.stdout).first?["total"] as? Int, 2)
    }

    /// The test fold is found as `test_fold` metadata or inside the trainer's `training_options` JSON.
    func testRecordedTestFold() {
        func folds(_ extra: [String: String]) -> [Int]? {
            LabelledClips.recordedTestFolds(S.metadata(config: AudioCNNConfig(), classes: [], extra: extra))
        }
        XCTAssertEqual(folds(["test_fold": "5"]), [5])
        XCTAssertEqual(folds(["test_folds": "[5, 4]"]), [4, 5])
        XCTAssertEqual(folds(["training_options": "{\"data\":\"esc\",\"test_fold\":3,\"train_folds\":[1,2]}"]), [3])
        XCTAssertNil(folds(["notes": "none"]))
        XCTAssertEqual(LabelledClips.parseFolds("4,5"), [4, 5])
        XCTAssertNil(LabelledClips.parseFolds("four"))
    }

    func testBadInput() throws {
        func oneLine(_ r: CLI.Result, contains text: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertEqual(r.status, 2, "\(r)", file: file, line: line)
            XCTAssertEqual(r.stderrLines.count, 1, "\(r)", file: file, line: line)
            XCTAssertTrue(r.stderr.contains(text), "\(r)", file: file, line: line)
        }
        let data = try labelledFolder()
        // Without --model, eval uses the shipped model (DefaultModelTests covers installs with and without one).
        oneLine(try CLI.run(["eval", "--model", scratch + "/none.safetensors", "--data", data, "--min-accuracy", "0.5"]), contains: "no such model file")
        let corrupt = scratch + "/corrupt.safetensors"
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: corrupt))
        oneLine(try CLI.run(["eval", "--model", corrupt, "--data", data]), contains: corrupt)
        CLIContract.assertCouldNotRun(try CLI.run(["eval", "--model", S.pytorchModel]), contains: "--data", usage: true)
        oneLine(try CLI.run(["eval", "--model", S.pytorchModel, "--data", scratch + "/missing"]), contains: "no such file")
        let empty = scratch + "/empty"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        oneLine(try CLI.run(["eval", "--model", S.pytorchModel, "--data", empty]), contains: "no labelled audio")
        CLIContract.assertCouldNotRun(try CLI.run(["eval", "--model", S.pytorchModel, "--data", data, "--min-accuracy", "80"]),
                                      contains: "--min-accuracy", usage: true)
        CLIContract.assertCouldNotRun(try CLI.run(["eval", "--model", S.pytorchModel, "--data", data, "--folds", "x"]), contains: "--folds", usage: true)
    }
}
