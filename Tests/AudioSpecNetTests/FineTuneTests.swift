import Foundation
import XCTest
import AudioSpecNet
import _TestSupport

/// `--init-from` and `--freeze-backbone` on the eight committed clips with small networks: what is kept of
/// the starting model, what is refused, what a resume compares, and that a frozen backbone stays frozen.
final class FineTuneTests: XCTestCase {

    /// A small model trained for two epochs on the default layout (four classes), as its run writes it:
    /// (model.safetensors, last.safetensors, best.safetensors).
    private func startingModel(seed: UInt64 = 7, label: String = "start") throws -> (model: String, checkpoint: String, best: String) {
        let (layout, data) = try TrainClips.defaultData()
        var o = TrainClips.smallOptions(data: layout, epochs: 2)
        o.architecture = AudioCNNConfig(width: 8, blocks: [1, 1], numClasses: 4)
        o.seed = seed
        let out = Fixtures.scratchDirectory(label)
        let t = try TrainingSession.start(options: o, data: data, outputDirectory: out, resume: false)
        t.drawCurves = false
        try t.run()
        return (t.modelPath, t.lastPath, t.bestPath)
    }

    private func fineTuneOptions(_ start: String, width: Int = 8, epochs: Int = 2) throws -> TrainingOptions {
        var o = TrainClips.smallOptions(data: try TrainClips.defaultData().layout, epochs: epochs)
        o.architecture = AudioCNNConfig(width: width, blocks: [1, 1], numClasses: 4)
        o.seed = 21
        o.initFrom = start
        return o
    }

    /// Eval-mode logits of every clip of the store, one row per clip.
    private func logits(_ model: AudioCNN, _ data: TrainingData) -> [[Float]] {
        let per = data.store.valuesPerClip
        let x = Tensor(shape: [data.store.count, 1, data.store.mels, data.store.frames])
        x.data.update(from: data.store.data, count: data.store.count * per)
        let y = model.forward(x, training: false)
        let c = y.shape[1]
        return (0..<data.store.count).map { i in Array(UnsafeBufferPointer(start: y.data + i * c, count: c)) }
    }

    /// Every state_dict tensor of the model as raw values (counters as Float).
    private func tensors(_ model: AudioCNN) -> [String: [Float]] {
        Dictionary(uniqueKeysWithValues: model.arena.entries.map { ($0.name, model.arena.values($0.name)) })
    }

    func testSameClassesKeepEveryTensorAndThePredictions() throws {
        let (_, data) = try TrainClips.defaultData()
        let start = try startingModel(label: "same-start")
        for path in [start.model, start.checkpoint] {
            let reference = try ModelFile.load(path: path).model
            let t = try Trainer(options: try fineTuneOptions(path), data: data, outputDirectory: Fixtures.scratchDirectory("same"))
            XCTAssertEqual(tensors(t.model), tensors(reference), "every tensor, BatchNorm statistics and counters included")
            XCTAssertEqual(logits(t.model, data), logits(reference, data), "the predictions before the first step")
            XCTAssertTrue(t.startingNote?.contains("every tensor kept") ?? false, t.startingNote ?? "no note")
        }
        // the model file and the checkpoint it came from are the same start (same weights, same identity)
        XCTAssertEqual(try StartingModel(path: start.model).weightsHash, try StartingModel(path: start.best).weightsHash)
    }

    func testOtherClassesKeepEveryTensorButFC() throws {
        let (_, base) = try TrainClips.defaultData()
        let start = try startingModel(label: "other-start")
        let reference = try ModelFile.load(path: start.model).model
        // three classes: the four relabelled (the data are the same clips, the classes are not the model's)
        let relabel = { (s: TrainingData.Split) in TrainingData.Split(indices: s.indices, labels: s.labels.map { min($0, 2) }, names: s.names) }
        let data = TrainingData(store: base.store, classes: ["a", "b", "c"], train: relabel(base.train), validation: relabel(base.validation),
                                test: relabel(base.test), trainFolds: base.trainFolds, metadataHash: base.metadataHash)
        let options = try fineTuneOptions(start.model)
        let t = try Trainer(options: options, data: data, outputDirectory: Fixtures.scratchDirectory("other"))
        let fresh = try AudioCNN(config: AudioCNNConfig(width: 8, blocks: [1, 1], numClasses: 3), seed: options.seed)
        let kept = tensors(t.model), before = tensors(reference), seeded = tensors(fresh)
        for (name, values) in kept {
            if StartingModel.classifierTensors.contains(name) {
                XCTAssertEqual(values, seeded[name], "\(name) is the run's seeded initialisation")
            } else {
                XCTAssertEqual(values.map(\.bitPattern), before[name]?.map(\.bitPattern), "\(name) is the starting model's, byte for byte")
            }
        }
        XCTAssertTrue(t.startingNote?.contains("fc initialised from the seed") ?? false, t.startingNote ?? "no note")

        // the same classes in another order: fc's rows follow their class
        let order = [2, 0, 3, 1]
        let permute = { (s: TrainingData.Split) in TrainingData.Split(indices: s.indices, labels: s.labels.map { order.firstIndex(of: $0)! }, names: s.names) }
        let permuted = TrainingData(store: base.store, classes: order.map { base.classes[$0] }, train: permute(base.train),
                                    validation: permute(base.validation), test: permute(base.test), trainFolds: base.trainFolds,
                                    metadataHash: base.metadataHash)
        let p = try Trainer(options: options, data: permuted, outputDirectory: Fixtures.scratchDirectory("permuted"))
        let a = logits(reference, base), b = logits(p.model, permuted)
        for i in a.indices { XCTAssertEqual(order.map { a[i][$0] }, b[i], "clip \(i)") }
    }

    func testMismatchedNetworksAndFrontEndsAreRefusedNamingFileAndKey() throws {
        let (_, data) = try TrainClips.defaultData()
        let start = try startingModel(label: "mismatch-start")
        func refusal(_ o: TrainingOptions) -> String {
            do { _ = try Trainer(options: o, data: data, outputDirectory: Fixtures.scratchDirectory("mismatch")) } catch {
                return "\(error)"
            }
            XCTFail("expected a refusal")
            return ""
        }
        let width = refusal(try fineTuneOptions(start.model, width: 4))
        XCTAssertTrue(width.hasPrefix(start.model) && width.contains("width 8") && !width.contains("\n"), width)
        var mels = try fineTuneOptions(start.model)
        mels.frontEnd.nMels = 64
        let nMels = refusal(mels)
        XCTAssertTrue(nMels.hasPrefix(start.model) && nMels.contains("n_mels 128"), nMels)
        var rate = try fineTuneOptions(start.model)
        rate.frontEnd = TrainingOptions.frontEnd(sampleRate: 16_000)
        XCTAssertTrue(refusal(rate).contains("sample_rate 22050"))
        var missing = try fineTuneOptions(start.model)
        missing.initFrom = start.model + ".absent"
        XCTAssertTrue(refusal(missing).contains("no such model file"))
        var frozenFromScratch = try fineTuneOptions(start.model)
        (frozenFromScratch.initFrom, frozenFromScratch.freezeBackbone) = (nil, true)
        frozenFromScratch.disableAugmentation()
        XCTAssertTrue(refusal(frozenFromScratch).contains("needs a model to start from"))
    }

    /// The starting model is part of the run: a resume refuses another (or none), and continues with the same.
    func testResumeRefusesAnotherStartingModel() throws {
        let (_, data) = try TrainClips.defaultData()
        let a = try startingModel(label: "resume-a"), b = try startingModel(seed: 8, label: "resume-b")
        let out = Fixtures.scratchDirectory("resume-init")
        var options = try fineTuneOptions(a.model)
        options.freezeBackbone = true
        options.disableAugmentation()
        let t = try TrainingSession.start(options: options, data: data, outputDirectory: out, resume: false)
        t.drawCurves = false
        t.stopAfterGlobalStep = 1
        XCTAssertThrowsError(try t.run())
        XCTAssertNotEqual(try StartingModel(path: b.model).weightsHash, try StartingModel(path: a.model).weightsHash)
        var other = options
        other.initFrom = b.model
        XCTAssertThrowsError(try TrainingSession.start(options: other, data: data, outputDirectory: out, resume: true)) { error in
            XCTAssertTrue("\(error)".contains("init-from"), "\(error)")
        }
        var none = options
        none.initFrom = nil
        none.freezeBackbone = nil
        XCTAssertThrowsError(try TrainingSession.start(options: none, data: data, outputDirectory: out, resume: true)) { error in
            XCTAssertTrue("\(error)".contains("init-from") || "\(error)".contains("freeze-backbone"), "\(error)")
        }
        let resumed = try TrainingSession.start(options: options, data: data, outputDirectory: out, resume: true)
        resumed.drawCurves = false
        XCTAssertNoThrow(try resumed.run())
    }

    /// Only fc trains: every other tensor (BatchNorm statistics and counters included) is bit-identical
    /// after training, fc has moved, and the accuracy on the training clips rises from chance.
    func testFrozenBackboneTrainsOnlyFC() throws {
        let (_, base) = try TrainClips.defaultData()
        let start = try startingModel(label: "frozen-start")
        let before = tensors(try ModelFile.load(path: start.model).model)
        // the eight clips under four new class names: fc starts from the seed, at chance
        let data = TrainingData(store: base.store, classes: ["w", "x", "y", "z"], train: base.train, validation: base.train,
                                test: base.train, trainFolds: base.trainFolds, metadataHash: base.metadataHash)
        var options = try fineTuneOptions(start.model, epochs: 60)
        options.freezeBackbone = true
        options.disableAugmentation()
        options.maxLR = 0.05
        options.dropout = 0
        let t = try TrainingSession.start(options: options, data: data, outputDirectory: Fixtures.scratchDirectory("frozen"), resume: false)
        t.drawCurves = false
        let initial = t.evaluate(data.train).accuracy
        let clock = Date()
        let summary = try t.run()
        let seconds = Date().timeIntervalSince(clock)
        let after = tensors(t.model)
        for (name, values) in before where !StartingModel.classifierTensors.contains(name) {
            XCTAssertEqual(after[name]?.map(\.bitPattern), values.map(\.bitPattern), "\(name) is frozen")
        }
        XCTAssertNotEqual(after["fc.weight"], tensors(try AudioCNN(config: t.model.config, seed: options.seed))["fc.weight"], "fc trained")
        let final = t.evaluate(data.train).accuracy
        print("frozen backbone: training accuracy \(initial) → \(final) in \(options.epochs) epochs, \(String(format: "%.2f", seconds)) s")
        XCTAssertGreaterThan(final, initial)
        XCTAssertGreaterThanOrEqual(final, 0.75)
        XCTAssertEqual(summary.testAccuracy, final)
        // the frozen evaluation (fc on the features computed once) is the full network's, within float rounding
        let full = logits(t.model, data)
        let written = try ModelFile.load(path: t.modelPath).model
        let again = logits(written, data)
        for i in full.indices { assertClose(again[i], full[i], abs: 1e-5, rel: 1e-5, "clip \(i)") }
        XCTAssertEqual(tensors(written)["layer1.0.bn1.running_var"], before["layer1.0.bn1.running_var"])
    }

    /// The command line: the model's network and front end are adopted, a mismatch and a frozen backbone
    /// without a model are refused in one line, and the help says what a frozen backbone leaves out.
    func testTrainCommandFineTunes() throws {
        guard FileManager.default.isExecutableFile(atPath: CLI.binaryPath) else { throw XCTSkip("audiospecnet executable not built") }
        let start = try startingModel(label: "cli-start")
        let folders = Fixtures.scratchDirectory("cli-folders")
        for c in TrainClips.clips {
            try FileManager.default.createDirectory(atPath: folders + "/" + c.category, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: Fixtures.path("clips/" + c.file), toPath: folders + "/" + c.category + "/" + c.file)
        }
        let out = Fixtures.scratchDirectory("cli-frozen")
        let common = ["train", "--data", folders, "--val-split", "0.5", "--epochs", "2", "--batch-size", "4", "--cache", "none", "--threads", "1"]
        let r = try CLI.run(common + ["--init-from", start.model, "--freeze-backbone", "--out", out])
        XCTAssertEqual(r.status, 0, "\(r)")
        // the folders' classes are sorted, the model's (an ESC-50 layout's) are in target order: the same set
        XCTAssertTrue(r.stdout.contains("starting from \(start.model): every tensor kept, fc's rows reordered"), r.stdout)
        XCTAssertTrue(r.stdout.contains("frozen backbone"), r.stdout)
        let model = try ModelFile.load(path: out + "/model.safetensors")
        XCTAssertEqual(model.model.config.width, 8, "the starting model's width, without --width")
        let reference = try ModelFile.load(path: start.model).model
        XCTAssertEqual(model.model.arena.values("layer2.0.conv1.weight"), reference.arena.values("layer2.0.conv1.weight"))

        let resumeOther = try CLI.run(common + ["--out", out, "--resume"])
        XCTAssertEqual(resumeOther.status, 2, "\(resumeOther)")
        XCTAssertTrue(resumeOther.stderr.contains("cannot resume"), resumeOther.stderr)
        let resumeSame = try CLI.run(common + ["--init-from", start.model, "--freeze-backbone", "--out", out, "--resume"])
        XCTAssertEqual(resumeSame.status, 0, "a finished run resumes to its end: \(resumeSame)")

        let rate = try CLI.run(common + ["--init-from", start.model, "--sample-rate", "16000", "--out", out + "-rate"])
        XCTAssertEqual(rate.status, 2, "\(rate)")
        XCTAssertEqual(rate.stderrLines.count, 1, rate.stderr)
        XCTAssertTrue(rate.stderr.contains(start.model) && rate.stderr.contains("sample_rate 22050"), rate.stderr)

        let alone = try CLI.run(common + ["--freeze-backbone", "--out", out + "-alone"])
        XCTAssertEqual(alone.status, 2, "\(alone)")
        XCTAssertTrue(alone.stderr.contains("--freeze-backbone needs --init-from"), alone.stderr)

        let help = try CLI.run(["train", "--help"])
        XCTAssertTrue(help.stdout.contains("--init-from") && help.stdout.contains("no SpecAugment or mixup"), help.stdout)
    }
}
