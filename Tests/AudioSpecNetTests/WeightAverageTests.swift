import XCTest
import AudioSpecNet
import _TestSupport

/// `train --average-last K`: the schedule (OneCycle over E − K epochs, then constant), the average as the mean of
/// the last K epochs' weights and the run's model, the BatchNorm pass against PyTorch's `update_bn` and against
/// the batch statistics taken directly, and the refusals.
final class WeightAverageTests: XCTestCase {

    /// OneCycle over the first E − K epochs' steps (ending at its minimum there), then the constant rate with
    /// OneCycle's final β₁; `none`: OneCycle over the whole run, as without averaging.
    func testScheduleIsOneCycleThenConstant() {
        var o = TrainingOptions()
        o.epochs = 5
        o.maxLR = 0.002
        o.average = AverageSettings(lastEpochs: 2, lr: 1e-4)
        let s = LearningRateSchedule(options: o, stepsPerEpoch: 3), head = OneCycleLR(maxLR: 0.002, totalSteps: 9, pctStart: 0.1)
        for i in 0..<9 {
            XCTAssertEqual(s.at(i).lr, head.at(i).lr, "step \(i)")
            XCTAssertEqual(s.at(i).beta1, head.at(i).beta1, "step \(i)")
        }
        XCTAssertEqual(s.at(8).lr, head.minLR, accuracy: 1e-15)
        for i in 9..<15 {
            XCTAssertEqual(s.at(i).lr, 1e-4, "step \(i)")
            XCTAssertEqual(s.at(i).beta1, 0.95, "step \(i)")
        }
        let whole = OneCycleLR(maxLR: 0.002, totalSteps: 15, pctStart: 0.1)
        o.average?.lr = nil
        let none = LearningRateSchedule(options: o, stepsPerEpoch: 3)
        o.average = nil
        let recipe = LearningRateSchedule(options: o, stepsPerEpoch: 3)
        for i in 0..<15 {
            XCTAssertEqual(none.at(i).lr, whole.at(i).lr)
            XCTAssertEqual(recipe.at(i).lr, whole.at(i).lr)
            XCTAssertEqual(recipe.at(i).beta1, whole.at(i).beta1)
        }
        XCTAssertEqual(AverageSettings.defaultLR(maxLR: 0.002), 0.0002)
    }

    /// A 3-epoch run averaging the last 2: model.safetensors' parameters are the mean of the weights at the end
    /// of epochs 2 and 3; the checkpoint keeps the training weights and the running average with its count; the
    /// summary's validation and test figures are the averaged model's; every BatchNorm counted the pass's batches.
    func testRunSavesTheMeanOfTheLastEpochsWeights() throws {
        let (layout, data) = try TrainClips.defaultData()
        var options = TrainClips.smallOptions(data: layout, epochs: 3)
        options.average = AverageSettings(lastEpochs: 2, lr: 2e-4)
        let out = Fixtures.scratchDirectory("swa-run")
        let t = try TrainingSession.start(options: options, data: data, outputDirectory: out, resume: false)
        t.drawCurves = false
        var weights: [Int: [Float]] = [:]
        t.addEventHandler { [unowned t] in if case .epoch(let m, _) = $0 { weights[m.epoch] = t.parameterArray } }
        let summary = try t.run()
        let (w2, w3) = (try XCTUnwrap(weights[2]), try XCTUnwrap(weights[3]))
        XCTAssertNotEqual(w2, w3, "the constant tail moves the weights between the averaged epochs")
        let model = try SafetensorsFile(path: out + "/model.safetensors")
        var worst = 0.0
        for e in t.model.arena.entries where e.kind == .parameter {
            let saved = try model.floats(e.name)
            for i in 0..<e.count {
                let mean = (Double(w2[e.offset + i]) + Double(w3[e.offset + i])) / 2
                worst = max(worst, abs(Double(saved[i]) - mean) / max(1, abs(mean)))
            }
        }
        print("average vs the explicit mean of epochs 2 and 3: maxdiff \(worst)")
        XCTAssertLessThan(worst, 1e-6)
        let last = try Checkpoint.read(path: out + "/last.safetensors")
        XCTAssertEqual(last.state.averagedEpochs, 2)
        XCTAssertEqual(try last.file.floats(Checkpoint.averageName), t.parameterArray, "the run's model is the checkpoint's average")
        let fc = try XCTUnwrap(t.model.arena.entries.first { $0.name == "fc.weight" })
        XCTAssertEqual(try last.file.floats("fc.weight"), Array(w3[fc.offset..<(fc.offset + fc.count)]), "the checkpoint's model is the last epoch's training weights")
        XCTAssertEqual(t.state.history.map(\.lr).suffix(2), [2e-4, 2e-4])
        XCTAssertLessThan(t.state.history[0].lr, 1e-6, "OneCycle ends within the first E − K epochs")
        let averaged = try XCTUnwrap(summary.averaged)
        XCTAssertEqual([averaged.firstEpoch, averaged.lastEpoch, averaged.averagedEpochs, averaged.batchNormBatches], [2, 3, 2, 2])
        XCTAssertEqual(averaged.valAccuracy, t.evaluate(data.validation).accuracy)
        XCTAssertEqual(summary.testAccuracy, t.evaluate(data.test).accuracy)
        XCTAssertTrue(summary.selection.contains("average of epochs 2–3"), summary.selection)
        XCTAssertEqual(Set(t.model.arena.counters), [2], "num_batches_tracked: the pass's 2 batches of 3 clips")
        let json = try String(contentsOfFile: out + "/summary.json", encoding: .utf8)
        XCTAssertTrue(json.contains("\"averaged\""), json)
        let config = try String(contentsOfFile: out + "/config.json", encoding: .utf8)
        XCTAssertTrue(config.contains("\"last_epochs\" : 2"), config)
    }

    /// PyTorch 2.13's `torch.optim.swa_utils.update_bn` on the width-4 network with the formula weights, over
    /// batches of 3, 3 and 2 (Scripts/fixtures/swa.py): every running mean and variance, and the batch count.
    func testBatchNormPassMatchesPyTorchUpdateBN() throws {
        let f = try Fixtures.safetensors("training/swa_update_bn.safetensors")
        let model = try AudioCNN(config: AudioCNNConfig(width: 4, blocks: [1, 1, 1, 1], numClasses: 3), seed: 0, context: ComputeContext(threads: 2))
        FixtureWeights.fill(model)
        let per = 40 * 64
        var clips: [[Float]] = []
        for b in 0..<3 {
            let x = try f.floats("x.b\(b)")
            clips += stride(from: 0, to: x.count, by: per).map { Array(x[$0..<($0 + per)]) }
        }
        XCTAssertEqual(clips.count, 8)
        let store = SpectrogramStore(mels: 40, frames: 64, spectrograms: clips)
        let before = Array(UnsafeBufferPointer(start: model.arena.parameterValues, count: model.arena.parameterCount))
        XCTAssertEqual(BatchNormRecompute.run(model: model, store: store, clips: Array(0..<8), batchSize: 3), 3)
        var worst = 0.0, compared = 0
        for e in model.arena.entries where e.kind == .buffer {
            let expected = try f.doubles(e.name)
            for i in 0..<e.count {
                let d = abs(Double(model.arena.buffers[e.offset + i]) - expected[i]) / max(1, abs(expected[i]))
                worst = max(worst, d)
                XCTAssertLessThan(d, 2e-5, "\(e.name)[\(i)]")
            }
            compared += 1
        }
        print("BatchNorm pass vs torch update_bn: \(compared) buffers, maxdiff \(worst)")
        XCTAssertEqual(compared, 2 * model.batchNorms.count)
        XCTAssertEqual(Set(model.arena.counters), [3])
        XCTAssertEqual(Array(UnsafeBufferPointer(start: model.arena.parameterValues, count: model.arena.parameterCount)), before, "γ, β and the weights are kept")
    }

    /// The pass equals the mean over batches of each batch's own statistics, taken directly (momentum 1 after
    /// each batch: running = that batch's mean and unbiased variance), with dropout on there; the pass draws
    /// nothing from the model's generator and restores momentum and dropout.
    func testBatchNormPassIsTheMeanOfTheBatchStatistics() throws {
        let model = try AudioCNN(config: AudioCNNConfig(width: 4, blocks: [1, 1], numClasses: 3), seed: 3, context: ComputeContext(threads: 2))
        var rng = RandomGenerator(seed: 9)
        let clips = (0..<7).map { _ in (0..<(32 * 40)).map { _ in Float(rng.nextNormal()) * 4 - 2 } }
        let store = SpectrogramStore(mels: 32, frames: 40, spectrograms: clips)
        let sizes = [3, 3, 1], buffers = model.arena.bufferCount
        var sums = [Double](repeating: 0, count: buffers), lo = 0
        for bn in model.batchNorms { bn.momentum = 1 }
        for n in sizes {
            let x = Tensor(shape: [n, 1, 32, 40])
            for i in 0..<n { (x.data + i * 32 * 40).update(from: clips[lo + i], count: 32 * 40) }
            _ = model.forward(x, training: true)
            for i in 0..<buffers { sums[i] += Double(model.arena.buffers[i]) }
            lo += n
        }
        for bn in model.batchNorms { bn.momentum = 0.1 }
        let words = model.rng.stateWords
        XCTAssertEqual(BatchNormRecompute.run(model: model, store: store, clips: Array(0..<7), batchSize: 3), 3)
        for i in 0..<buffers {
            let mean = sums[i] / 3
            XCTAssertEqual(Double(model.arena.buffers[i]), mean, accuracy: 1e-6 * max(1, abs(mean)), "buffer \(i)")
        }
        XCTAssertEqual(model.rng.stateWords, words)
        XCTAssertEqual(model.dropout.probability, 0.5)
        XCTAssertTrue(model.batchNorms.allSatisfy { $0.momentum == 0.1 })
    }

    /// Bad values stop `train` before any work, with one line naming the flag and exit status 2.
    func testBadFlagValuesAreRefusedInOneLine() throws {
        let dir = Fixtures.scratchDirectory("swa-flags")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for args in [["--average-last", "0"], ["--average-last", "3"], ["--average-last=-1"], ["--average-lr", "0.001"],
                     ["--average-last", "1", "--average-lr", "0"], ["--average-last", "1", "--average-lr", "fast"],
                     ["--average-last", "1", "--ema", "0.99"]] {
            let result = try CLI.run(["train", "--data", "/nonexistent", "--epochs", "3", "--out", dir + "/run"] + args, timeout: 60)
            XCTAssertEqual(result.status, 2, "\(args): \(result.description)")
            XCTAssertTrue(result.stderrLines.first?.contains("--average-l") == true, "\(args): \(result.description)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/run"), "\(args)")
        }
        XCTAssertThrowsError(try AverageSettings(lastEpochs: 3, lr: nil).validate(epochs: 3))
        var o = TrainingOptions()
        o.average = AverageSettings(lastEpochs: 2, lr: 1e-4)
        o.ema = EMASettings(decay: 0.99)
        XCTAssertThrowsError(try o.validate()) { XCTAssertTrue("\($0)".contains("--average-last"), "\($0)") }
    }

    /// `train --help` names both flags, the default tail rate and what `none` does.
    func testHelpDescribesTheLever() throws {
        let help = try CLI.run(["train", "--help"], timeout: 60)
        XCTAssertEqual(help.status, 0, "\(help)")
        let text = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for phrase in ["--average-last <K>", "--average-lr <LR|none>", "default --max-lr/10", "keeps OneCycle over the whole run"] {
            XCTAssertTrue(text.contains(phrase), "\(phrase): \(help.stdout)")
        }
    }

    /// K and the tail's rate join the run's identity: a resume with either changed is refused, naming the key.
    func testAveragingJoinsTheRunIdentity() {
        var a = TrainingOptions()
        a.average = AverageSettings(lastEpochs: 5, lr: 2e-4)
        var b = a
        b.average?.lastEpochs = 4
        XCTAssertEqual(b.firstDifference(from: a)?.key, "average-last")
        b = a
        b.average?.lr = nil
        XCTAssertEqual(b.firstDifference(from: a)?.key, "average-last")
        b.average = nil
        XCTAssertEqual(b.firstDifference(from: a)?.key, "average-last")
        XCTAssertNil(a.firstDifference(from: a))
    }
}
