import XCTest
import AudioSpecNet
import _TestSupport

/// The training loop on the eight committed clips with a width-4 network: learning, determinism,
/// resume bit for bit, refusals, and the NaN stop.
final class TrainLoopTests: XCTestCase {

    /// A small model learns the eight clips (four classes) to 100 % training accuracy (eval mode) in 40 steps.
    func testOverfitsEightRealClips() throws {
        let (_, base) = try TrainClips.defaultData()
        let frontEnd = try FrontEnd(config: .recipe)
        let specs = try TrainClips.clips.map { try frontEnd.logMel(path: Fixtures.path("clips/" + $0.file)) }
        let store = SpectrogramStore(mels: 128, frames: 216, spectrograms: specs)
        let all = TrainingData.Split(indices: Array(0..<8), labels: TrainClips.clips.map(\.target), names: TrainClips.clips.map(\.file))
        let data = TrainingData(store: store, classes: base.classes, train: all, validation: all, test: all, trainFolds: [1], metadataHash: "")
        var options = TrainClips.smallOptions(data: "", epochs: 40, batch: 8)
        options.architecture = AudioCNNConfig(width: 8, blocks: [1, 1], numClasses: 4)
        options.specAugment = SpecAugment(freqMask: 0, timeMask: 0)
        options.mixup.probability = 0
        options.dropout = 0
        options.maxLR = 0.01
        options.valFold = nil
        let out = Fixtures.scratchDirectory("overfit")
        let trainer = try TrainingSession.start(options: options, data: data, outputDirectory: out, resume: false)
        trainer.drawCurves = false
        let start = Date()
        let summary = try trainer.run()
        let accuracy = trainer.evaluate(data.train).accuracy
        let firstFull = trainer.state.history.first { $0.valAccuracy == 1 }?.epoch
        print("overfit: 8 clips, \(options.epochs) steps in \(String(format: "%.1f", Date().timeIntervalSince(start))) s; eval-mode train accuracy \(accuracy) (first 100 % at step \(firstFull.map(String.init) ?? "never")); final train loss \(trainer.state.history.last!.trainLoss)")
        XCTAssertEqual(accuracy, 1.0)
        XCTAssertEqual(summary.testAccuracy, 1.0)
        XCTAssertLessThan(trainer.state.history.last!.trainLoss, trainer.state.history.first!.trainLoss / 2)
    }

    /// `--test-fold none --val-fold none`: every fold trains, nothing is evaluated, every epoch is the
    /// "best" one, so best.safetensors is the last epoch and the summary holds no test or validation figure.
    func testNothingHeldOutTrainsEveryFoldAndKeepsTheLastEpoch() throws {
        let layout = try TrainClips.makeLayout(label: "no-holdout")
        var o = TrainClips.smallOptions(data: layout, epochs: 2)
        o.testFold = nil
        o.valFold = nil
        let out = Fixtures.scratchDirectory("no-holdout-run")
        let t = try TrainingSession.start(options: o, outputDirectory: out, resume: false, cacheDirectory: nil)
        t.drawCurves = false
        XCTAssertEqual(t.data.train.count, 8)
        XCTAssertEqual(t.data.validation.count, 0)
        XCTAssertEqual(t.data.test.count, 0)
        let summary = try t.run()
        XCTAssertNil(summary.testAccuracy)
        XCTAssertNil(summary.bestValAccuracy)
        XCTAssertEqual(summary.bestEpoch, 2)
        XCTAssertEqual(t.state.history.map(\.best), [true, true])
        XCTAssertNil(t.state.history[0].valAccuracy)
        let best = try SafetensorsFile(path: t.bestPath), last = try SafetensorsFile(path: t.lastPath)
        XCTAssertEqual(try best.floats("fc.weight"), try last.floats("fc.weight"))
        let csv = try String(contentsOfFile: out + "/metrics.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.count, 3)
        XCTAssertTrue(csv[1].contains(",,"), "no validation figures: empty CSV cells, got \(csv[1])")
    }

    /// Two runs with the same seed (2 threads; the kernels split work deterministically) give identical
    /// curves and weights; another seed does not.
    func testSameSeedSameRun() throws {
        let (layout, data) = try TrainClips.defaultData()
        func run(seed: UInt64, prefetch: Bool) throws -> Trainer {
            var o = TrainClips.smallOptions(data: layout, epochs: 2)
            o.seed = seed
            o.prefetch = prefetch
            let t = try TrainingSession.start(options: o, data: data, outputDirectory: Fixtures.scratchDirectory("det"), resume: false)
            t.drawCurves = false
            try t.run()
            return t
        }
        let a = try run(seed: 11, prefetch: true), b = try run(seed: 11, prefetch: false), c = try run(seed: 12, prefetch: true)
        XCTAssertEqual(curveNumbers(a.state.history), curveNumbers(b.state.history))
        XCTAssertEqual(a.parameterArray, b.parameterArray)
        XCTAssertEqual(a.bufferArray, b.bufferArray)
        XCTAssertNotEqual(a.parameterArray, c.parameterArray)
        print("determinism: \(curveNumbers(a.state.history))")
    }

    /// Interrupt mid-epoch (as Ctrl-C does), resume from last.safetensors in a new trainer, finish:
    /// weights, BatchNorm statistics, AdamW moments and curves equal the uninterrupted run's bit for bit.
    func testResumeContinuesBitForBit() throws {
        let (layout, data) = try TrainClips.defaultData()
        try assertResumeContinuesBitForBit(TrainClips.smallOptions(data: layout, epochs: 3), data: data)  // 2 steps per epoch
    }

    /// The same with the levers beyond the recipe on (time shift, gain, every batch mixed).
    func testResumeWithLeversContinuesBitForBit() throws {
        let (layout, data) = try TrainClips.defaultData()
        var options = TrainClips.smallOptions(data: layout, epochs: 3)
        options.timeShift = TimeShift(maxSeconds: 1)
        options.gain = RandomGain(lowDB: -20, highDB: 6)
        options.mixup = Mixup(probability: 1, alpha: 0.4)
        options.ema = EMASettings(decay: 0.99)
        try assertResumeContinuesBitForBit(options, data: data)
    }

    /// The same with `--average-last 2` of 3 epochs: killed mid-epoch 2 (no average yet), then between the two
    /// averaged epochs (the average holding one); the final model — the average, its BatchNorm statistics
    /// recomputed — equals the uninterrupted run's bit for bit.
    func testResumeWithWeightAveragingContinuesBitForBit() throws {
        let (layout, data) = try TrainClips.defaultData()
        var options = TrainClips.smallOptions(data: layout, epochs: 3)
        options.average = AverageSettings(lastEpochs: 2, lr: 2e-4)
        try assertResumeContinuesBitForBit(options, data: data)
        let out = Fixtures.scratchDirectory("swa-resume-check")
        let t = try TrainingSession.start(options: options, data: data, outputDirectory: out, resume: false)
        t.stopAfterGlobalStep = 4
        XCTAssertThrowsError(try t.run())
        let saved = try Checkpoint.read(path: out + "/last.safetensors")
        XCTAssertEqual(saved.state.averagedEpochs, 1, "the kill fell between the averaged epochs")
        XCTAssertNotNil(saved.file.entries[Checkpoint.averageName])
    }

    private func assertResumeContinuesBitForBit(_ options: TrainingOptions, data: TrainingData) throws {
        let straight = try TrainingSession.start(options: options, data: data, outputDirectory: Fixtures.scratchDirectory("straight"), resume: false)
        straight.drawCurves = false
        try straight.run()

        let out = Fixtures.scratchDirectory("resumed")
        for stopAt in [3, 4] {  // mid-epoch 2, then at the boundary after epoch 2
            let t = try TrainingSession.start(options: options, data: data, outputDirectory: out, resume: stopAt != 3)
            t.drawCurves = false
            if stopAt == 3 {
                // as Ctrl-C does: the run's cancellation, set while step 3 runs, stops it at the boundary after it
                let (cancellation, steps) = (t.cancellation, t.stepsPerEpoch)
                t.addEventHandler { if case .step(let p) = $0, (p.epoch - 1) * steps + p.step == 3 { cancellation.cancel() } }
            } else {
                t.stopAfterGlobalStep = stopAt
            }
            XCTAssertThrowsError(try t.run()) { error in
                guard case TrainingStop.interrupted = error else { return XCTFail("\(error)") }
            }
        }
        let resumed = try TrainingSession.start(options: options, data: data, outputDirectory: out, resume: true)
        XCTAssertEqual(resumed.state.globalStep, 4)
        resumed.drawCurves = false
        let summary = try resumed.run()
        XCTAssertEqual(resumed.parameterArray, straight.parameterArray)
        XCTAssertEqual(resumed.bufferArray, straight.bufferArray)
        XCTAssertEqual(resumed.momentArrays.0, straight.momentArrays.0)
        XCTAssertEqual(resumed.momentArrays.1, straight.momentArrays.1)
        XCTAssertEqual(resumed.optimizer.step, straight.optimizer.step)
        XCTAssertEqual(curveNumbers(resumed.state.history), curveNumbers(straight.state.history))
        XCTAssertEqual(summary.bestEpoch, straight.state.bestEpoch)
        // the files a user keeps
        let csv = try String(contentsOfFile: out + "/metrics.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.count, 1 + 3)
        let lines = try String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        let best = try ModelFile.load(path: out + "/best.safetensors")
        XCTAssertEqual(best.metadata.classes, data.classes)
        XCTAssertNotNil(FileManager.default.contents(atPath: out + "/summary.json"))
    }

    /// Resuming with a setting that changes the run is refused, naming the key; so is a fresh start over a run.
    func testResumeRefusesChangedConfiguration() throws {
        let (layout, data) = try TrainClips.defaultData()
        let options = TrainClips.smallOptions(data: layout, epochs: 1)
        let out = Fixtures.scratchDirectory("refuse")
        let t = try TrainingSession.start(options: options, data: data, outputDirectory: out, resume: false)
        t.drawCurves = false
        try t.run()
        for (key, change) in [("epochs", { (o: inout TrainingOptions) in o.epochs = 5 }), ("seed", { $0.seed = 8 }),
                              ("width", { $0.architecture.width = 8 }), ("sample-rate", { $0.frontEnd = TrainingOptions.frontEnd(sampleRate: 16000) }),
                              ("val-fold", { $0.valFold = nil })] as [(String, (inout TrainingOptions) -> Void)] {
            var o = options
            change(&o)
            XCTAssertThrowsError(try TrainingSession.start(options: o, data: data, outputDirectory: out, resume: true)) {
                XCTAssertTrue("\($0)".contains("`\(key)`"), "\($0)")
                XCTAssertFalse("\($0)".contains("\n"))
            }
        }
        var threads = options
        threads.threads = 1
        threads.prefetch = false
        XCTAssertNoThrow(try TrainingSession.start(options: threads, data: data, outputDirectory: out, resume: true), "speed settings may change")
        XCTAssertThrowsError(try TrainingSession.start(options: options, data: data, outputDirectory: out, resume: false)) {
            XCTAssertTrue("\($0)".contains("already holds a run"), "\($0)")
        }
        XCTAssertThrowsError(try TrainingSession.start(options: options, data: data, outputDirectory: Fixtures.scratchDirectory("empty"), resume: true))
    }

    /// A NaN loss stops the run naming epoch and step; the last good checkpoint is left untouched.
    func testNonFiniteLossStopsWithoutOverwritingCheckpoints() throws {
        let (layout, good) = try TrainClips.defaultData()
        let options = TrainClips.smallOptions(data: layout, epochs: 3)
        let out = Fixtures.scratchDirectory("nan")
        let t = try TrainingSession.start(options: options, data: good, outputDirectory: out, resume: false)
        t.drawCurves = false
        t.stopAfterGlobalStep = 2
        XCTAssertThrowsError(try t.run())
        let before = FileManager.default.contents(atPath: out + "/last.safetensors")
        // same clips, one spectrogram poisoned
        let specs = (0..<good.store.count).map { Array(UnsafeBufferPointer(start: good.store.pointer($0), count: good.store.valuesPerClip)) }
        var poisoned = specs
        for i in good.train.indices { poisoned[i][100] = .nan }
        let bad = TrainingData(store: SpectrogramStore(mels: 128, frames: 216, spectrograms: poisoned), classes: good.classes,
                               train: good.train, validation: good.validation, test: good.test, trainFolds: good.trainFolds,
                               metadataHash: good.metadataHash)
        let r = try TrainingSession.start(options: options, data: bad, outputDirectory: out, resume: true)
        r.drawCurves = false
        XCTAssertThrowsError(try r.run()) { error in
            guard case TrainingStop.nonFinite(let epoch, let step, _, let lastGood) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(epoch, 2)
            XCTAssertEqual(step, 1)
            XCTAssertEqual(lastGood, out + "/last.safetensors")
            XCTAssertTrue("\(error)".contains("epoch 2, step 1"), "\(error)")
        }
        XCTAssertEqual(FileManager.default.contents(atPath: out + "/last.safetensors"), before)
    }

    /// The data checks: missing clips are one line naming count and first names (an error unless
    /// allowed); unlisted files are a warning; folds not in use may be absent.
    func testDatasetMissingAndUnlistedClips() throws {
        let layout = try TrainClips.makeLayout(extraRows: ["gone-1.wav,1,0,dog,False,0,A", "gone-2.wav,1,1,rooster,False,0,A",
                                                           "absent-5.wav,5,0,dog,False,0,A"], label: "missing")
        FileManager.default.createFile(atPath: layout + "/audio/stray.wav", contents: Data([1, 2, 3]))
        let dataset = try ESC50Dataset(root: layout)
        XCTAssertTrue(dataset.warnings.contains { $0.contains("stray.wav") && $0.contains("not listed") }, "\(dataset.warnings)")
        XCTAssertThrowsError(try dataset.select(folds: [1], allowMissing: false)) {
            XCTAssertTrue($0 is MissingClips && "\($0)".contains("2 clips") && "\($0)".contains("gone-1.wav"), "\($0)")
        }
        XCTAssertEqual(try dataset.select(folds: [1], allowMissing: true).missing, ["gone-1.wav", "gone-2.wav"])
        // fold 5 lists a clip that is absent: fine when fold 5 is not in use (derived train folds drop it)
        var o = TrainClips.smallOptions(data: layout)
        o.allowMissing = true
        let data = try TrainingData.load(options: o, cacheDirectory: nil)
        XCTAssertEqual(data.trainFolds, [1])
        XCTAssertEqual(data.train.count, 6)
        XCTAssertTrue(data.notes.contains { $0.contains("fold 5") }, "\(data.notes)")
    }

    /// The spectrogram cache: a second build reads every clip from disk and gives the same values.
    func testSpectrogramCacheRoundTrip() throws {
        let layout = try TrainClips.makeLayout(label: "cache")
        let cache = Fixtures.scratchDirectory("cache-dir")
        let o = TrainClips.smallOptions(data: layout)
        let first = try TrainingData.load(options: o, cacheDirectory: cache)
        let second = try TrainingData.load(options: o, cacheDirectory: cache)
        XCTAssertEqual(first.store.statistics.computed, 8)
        XCTAssertEqual(second.store.statistics.fromCache, 8)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: first.store.data, count: 8 * first.store.valuesPerClip)),
                       Array(UnsafeBufferPointer(start: second.store.data, count: 8 * second.store.valuesPerClip)))
        // another front end is another key
        var o16 = o
        o16.frontEnd = TrainingOptions.frontEnd(sampleRate: 16000)
        XCTAssertEqual(try TrainingData.load(options: o16, cacheDirectory: cache).store.statistics.computed, 8)
    }

    /// --cv: each fold with audio is the test fold once, validation the fold before it; cv.csv holds the
    /// folds and mean ± std; a resumed cross-validation reuses finished folds.
    func testCrossValidationRunsEveryFoldAndWritesCVCSV() throws {
        let layout = try TrainClips.makeLayout(folds: [1, 2, 3, 1, 2, 3, 1, 2], label: "cv")
        var options = TrainClips.smallOptions(data: layout, epochs: 1)
        options.trainFolds = []
        let out = Fixtures.scratchDirectory("cv-run")
        var trained: [Int] = []
        func train(_ o: TrainingOptions, _ dir: String, _ resume: Bool) throws -> TrainingSummary {
            trained.append(o.testFold!)
            XCTAssertEqual(Set(o.trainFolds + [o.testFold!, o.valFold!]), [1, 2, 3])
            let t = try TrainingSession.start(options: o, outputDirectory: dir, resume: resume, cacheDirectory: nil)
            t.drawCurves = false
            return try t.run()
        }
        let result = try CrossValidation.run(options: options, outputDirectory: out, resume: false, train: train)
        XCTAssertEqual(result.folds.map(\.fold), [1, 2, 3])
        XCTAssertEqual(CrossValidation.plan(options: options, folds: [1, 2, 3]).map(\.valFold), [3, 1, 2])
        let csv = try String(contentsOfFile: out + "/cv.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.count, 1 + 3 + 2)
        XCTAssertTrue(csv[4].hasPrefix("mean,"))
        let mean = result.folds.map { $0.summary.testAccuracy ?? .nan }.reduce(0, +) / 3
        XCTAssertEqual(result.mean, mean, accuracy: 1e-12)
        trained = []
        let again = try CrossValidation.run(options: options, outputDirectory: out, resume: true, train: train)
        XCTAssertEqual(trained, [], "finished folds are reused")
        XCTAssertEqual(again.mean, result.mean)
    }
}
