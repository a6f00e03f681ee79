import XCTest
import AudioSpecNet
import _TestSupport

/// The training levers beyond the recipe (`--gain-db`, `--time-shift`, the mixup and SpecAugment settings):
/// each against what it stands for (a gain on the waveform, a roll of the waveform), off by default, and
/// drawing from a stream of its own.
final class TrainLeverTests: XCTestCase {
    let frontEnd16k = TrainingOptions.frontEnd(sampleRate: 16_000)

    /// A clip's log-mel with the gain applied in the dB domain equals the log-mel of the waveform scaled by
    /// the same gain, for quieter and louder, including the zero padding (the clip is 5 s, so a shorter
    /// recording pads; the committed clip is cut to 3 s to make sure it does). A louder copy can lift bins that
    /// were below the −100 dB floor, which the log-mel no longer holds: those stay at the floor.
    func testGainOnTheLogMelIsTheGainOnTheWaveform() throws {
        let frontEnd = try FrontEnd(config: frontEnd16k)
        let samples = Array(try frontEnd.waveform(path: Fixtures.path("clips-infer/1-110389-A-0.flac")).prefix(3 * 16_000))
        let clean = frontEnd.logMel(samples: samples)
        XCTAssertTrue(clean.contains(-100), "the padding reads as the floor")
        for gainDB: Float in [-20, -6, 3, 12] {
            let scale = Float(pow(10, Double(gainDB) / 20))
            let expected = frontEnd.logMel(samples: samples.map { $0 * scale })
            var shifted = clean
            shifted.withUnsafeMutableBufferPointer { RandomGain.apply(gainDB, to: $0.baseAddress!, count: $0.count) }
            var worst: Float = 0
            for i in expected.indices {
                if clean[i] > RandomGain.floorDB || gainDB <= 0 {
                    worst = max(worst, abs(expected[i] - shifted[i]))
                } else {
                    // a bin below the floor is lost: a louder copy may lift it by at most the gain, never more
                    XCTAssertEqual(shifted[i], RandomGain.floorDB)
                    XCTAssertLessThanOrEqual(expected[i], RandomGain.floorDB + gainDB + 1e-3)
                }
            }
            XCTAssertLessThan(worst, 2e-3, "gain \(gainDB) dB: largest difference \(worst) dB")
        }
    }

    /// Rolling the log-mel's frames by k equals the log-mel of the waveform rolled by k hops, on the frames
    /// that did not cross the wrap point (80 000 samples are 156.25 hops, so the frames that cross it land a
    /// quarter hop off) and away from the clip's ends (reflect padding).
    func testTimeShiftRollsFramesAsTheWaveformRolls() throws {
        let frontEnd = try FrontEnd(config: frontEnd16k)
        let samples = Array(try frontEnd.waveform(path: Fixtures.path("clips-infer/1-34119-A-1.flac")).prefix(frontEnd16k.clipSamples))
        XCTAssertEqual(samples.count, frontEnd16k.clipSamples)
        let mels = frontEnd16k.nMels, frames = frontEnd16k.clipFrames, hop = frontEnd16k.hopLength
        let clean = frontEnd.logMel(samples: samples)
        for k in [7, -11] {
            let n = samples.count, s = ((k * hop) % n + n) % n
            let rolledWave = Array(samples[(n - s)...] + samples[..<(n - s)])
            let expected = frontEnd.logMel(samples: rolledWave)
            var rolled = clean
            var scratch = [Float](repeating: 0, count: frames)
            rolled.withUnsafeMutableBufferPointer { x in
                scratch.withUnsafeMutableBufferPointer { FrameRoll.roll(x.baseAddress!, rows: mels, frames: frames, by: k, scratch: $0.baseAddress!) }
            }
            let edge = 2 + frontEnd16k.nFFT / hop  // frames whose window reaches an end or the wrap point
            let kept = k > 0 ? (k + edge)..<(frames - edge) : edge..<(frames + k - edge)  // frames that did not wrap
            var worst: Float = 0
            for r in 0..<mels {
                for c in kept {
                    worst = max(worst, abs(expected[r * frames + c] - rolled[r * frames + c]))
                }
            }
            XCTAssertLessThan(worst, 1e-2, "shift \(k) frames: largest interior difference \(worst) dB")
        }
        // the roll itself, exactly
        var x: [Float] = [0, 1, 2, 3, 4, 10, 11, 12, 13, 14]
        var scratch = [Float](repeating: 0, count: 5)
        x.withUnsafeMutableBufferPointer { p in scratch.withUnsafeMutableBufferPointer { FrameRoll.roll(p.baseAddress!, rows: 2, frames: 5, by: -2, scratch: $0.baseAddress!) } }
        XCTAssertEqual(x, [2, 3, 4, 0, 1, 12, 13, 14, 10, 11])
        XCTAssertEqual(TimeShift(maxSeconds: 1).maxFrames(frontEnd16k), 31)
        XCTAssertEqual(TimeShift(maxSeconds: 60).maxFrames(frontEnd16k), frames - 1)
    }

    /// Shifts and gains come from their own stream: with them on, SpecAugment's masks and mixup's partners and
    /// λ (hence the targets) are the same as with them off, and the inputs differ.
    func testLeversLeaveTheRecipesDrawsAlone() throws {
        let (_, data) = try TrainClips.defaultData()
        var off = TrainClips.smallOptions(data: "")
        off.mixup.probability = 1
        var on = off
        on.gain = RandomGain(lowDB: -20, highDB: 6)
        on.timeShift = TimeShift(maxSeconds: 1)
        let order = SeedDerivation.shuffle(count: data.train.count, seed: off.seed, epoch: 1)
        let a = BatchAssembler(data: data, options: off).batch(order: order, epoch: 1, step: 0, prefetchNext: nil)
        let b = BatchAssembler(data: data, options: on).batch(order: order, epoch: 1, step: 0, prefetchNext: nil)
        XCTAssertEqual(a.targets.array, b.targets.array)
        XCTAssertEqual(a.labels, b.labels)
        XCTAssertNotEqual(a.input.array, b.input.array)
        // the same lever settings give the same batch
        let c = BatchAssembler(data: data, options: on).batch(order: order, epoch: 1, step: 0, prefetchNext: nil)
        XCTAssertEqual(b.input.array, c.input.array)
    }

    /// Gains are uniform in the range and shifts cover −max…max.
    func testDrawsCoverTheirRanges() {
        var rng = RandomGenerator(seed: 3)
        let gain = RandomGain(lowDB: -20, highDB: 6)
        let gains = (0..<4_000).map { _ in gain.draw(rng: &rng) }
        XCTAssertGreaterThanOrEqual(gains.min()!, -20); XCTAssertLessThan(gains.max()!, 6)
        XCTAssertEqual(gains.reduce(0, +) / Float(gains.count), -7, accuracy: 0.5)
        let shifts = Set((0..<4_000).map { _ in TimeShift.draw(maxFrames: 5, rng: &rng) })
        XCTAssertEqual(shifts, Set(-5...5))
        XCTAssertEqual(TimeShift.draw(maxFrames: 0, rng: &rng), 0)
    }

    /// Off by default (the recipe's identity unchanged, so older runs resume); set, they join the identity;
    /// out-of-range values are refused with a line naming them.
    func testOptionsIdentityAndValidation() throws {
        var o = TrainingOptions()
        XCTAssertNil(o.gain); XCTAssertNil(o.timeShift)
        XCTAssertFalse(o.identity.contains { $0.key == "gain-db" || $0.key == "time-shift" })
        let before = o
        o.gain = RandomGain(lowDB: -20, highDB: 6)
        o.timeShift = TimeShift(maxSeconds: 1)
        XCTAssertEqual(o.firstDifference(from: before)?.key, "gain-db")
        XCTAssertTrue(o.identity.contains { $0.key == "time-shift" && $0.value == "1.0" })
        let decoded = try JSONDecoder().decode(TrainingOptions.self, from: JSONEncoder().encode(o))
        XCTAssertEqual(decoded, o)
        for bad in [RandomGain(lowDB: 6, highDB: -6), RandomGain(lowDB: -100, highDB: 0), RandomGain(lowDB: .nan, highDB: 0)] {
            var b = before; b.gain = bad
            XCTAssertThrowsError(try b.validate())
        }
        for bad in [-1, Double.infinity, 61] {
            var b = before; b.timeShift = TimeShift(maxSeconds: bad)
            XCTAssertThrowsError(try b.validate())
        }
        var m = before; m.mixup.probability = 1.5
        XCTAssertThrowsError(try m.validate())
        m = before; m.mixup.alpha = 0
        XCTAssertThrowsError(try m.validate())
        m = before; m.specAugment.freqMask = -1
        XCTAssertThrowsError(try m.validate())
    }

    /// The flags through the CLI: a malformed or out-of-range lever is refused with a line naming it, before any data is read.
    func testLeverFlagsAreCheckedOnTheCommandLine() throws {
        let dir = Fixtures.scratchDirectory("lever-flags")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for args in [["--gain-db", "loud"], ["--gain-db=6:-6"], ["--gain-db=1:2:3"], ["--gain-db", "90"], ["--time-shift=-1"],
                     ["--mixup-p", "2"], ["--mixup-alpha", "0"], ["--freq-mask=-3"]] {
            let result = try CLI.run(["train", "--data", "/nonexistent", "--out", dir + "/run"] + args, timeout: 60)
            XCTAssertTrue([2, 64].contains(result.status), "\(args): \(result.description)")
            // ArgumentParser's usage lines follow the one line that names the problem
            let flag = String(args[0].prefix { $0 != "=" })
            XCTAssertTrue(result.stderrLines.first?.contains(flag) == true, "\(args): \(result.description)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/run"), "\(args)")
        }
    }

    /// timm ModelEmaV3's warm-up: the first update copies, then 1 − (1 + t)^−power capped at the decay; without a
    /// warm-up the decay from the second update on. The figures the documentation quotes.
    func testEMADecayWarmsUpAsTimm() {
        let ema = EMASettings(decay: 0.999)
        XCTAssertEqual(ema.decay(afterUpdates: 1), 0)
        XCTAssertEqual(ema.decay(afterUpdates: 2), 1 - pow(2, -0.75), accuracy: 1e-12)
        XCTAssertEqual(ema.decay(afterUpdates: 950), 0.9942, accuracy: 5e-5)
        XCTAssertEqual(ema.decay(afterUpdates: 3_800), 0.9979, accuracy: 5e-5)
        XCTAssertEqual(ema.decay(afterUpdates: 10_000_000), 0.999)
        XCTAssertEqual(EMASettings(decay: 0.9, warmupPower: 0).decay(afterUpdates: 2), 0.9)
        XCTAssertThrowsError(try EMASettings(decay: 1).validate())
        XCTAssertThrowsError(try EMASettings(decay: 0.99, warmupPower: -1).validate())
    }

    /// The average follows ema ← d·ema + (1 − d)·θ over parameters and running statistics, and a swap twice
    /// restores both copies.
    func testEMAUpdateAndSwap() throws {
        let model = try AudioCNN(config: AudioCNNConfig(width: 4, blocks: [1, 1], numClasses: 3), seed: 1, context: ComputeContext(threads: 1))
        let arena = model.arena
        let ema = WeightEMA(settings: EMASettings(decay: 0.5, warmupPower: 0), arena: arena)
        let p0 = Array(UnsafeBufferPointer(start: arena.parameterValues, count: arena.parameterCount))
        let b0 = Array(UnsafeBufferPointer(start: arena.buffers, count: arena.bufferCount))
        for i in 0..<arena.parameterCount { arena.parameters[i] += 1 }
        for i in 0..<arena.bufferCount { arena.buffers[i] += 2 }
        ema.update(from: arena, updates: 2, parallel: .serial)
        for i in 0..<arena.parameterCount { XCTAssertEqual(ema.parameters[i], p0[i] + 0.5, accuracy: 1e-6) }
        for i in 0..<arena.bufferCount { XCTAssertEqual(ema.buffers[i], b0[i] + 1, accuracy: 1e-6) }
        let version = arena.parameterVersion
        ema.swap(with: arena)
        XCTAssertGreaterThan(arena.parameterVersion, version, "cached filter transforms must see the swap")
        XCTAssertEqual(arena.parameterValues[0], p0[0] + 0.5, accuracy: 1e-6)
        ema.swap(with: arena)
        XCTAssertEqual(arena.parameterValues[0], p0[0] + 1, accuracy: 1e-6)
    }

    /// A run with --ema: the checkpoint's model tensors are the average (what was validated; `eval` reads them),
    /// the final model equals best.safetensors' tensors, the metrics carry the decay reached, and the training
    /// weights behind the average are in the checkpoint.
    func testEMARunSavesTheAverageAsTheModel() throws {
        let (layout, data) = try TrainClips.defaultData()
        var options = TrainClips.smallOptions(data: layout, epochs: 2)
        options.ema = EMASettings(decay: 0.9)
        let out = Fixtures.scratchDirectory("ema-run")
        let trainer = try TrainingSession.start(options: options, data: data, outputDirectory: out, resume: false)
        trainer.drawCurves = false
        try trainer.run()
        let last = try Checkpoint.read(path: out + "/last.safetensors")
        XCTAssertEqual(last.state.history.count, 2)
        let decay = try XCTUnwrap(last.state.history.last?.emaDecay)
        XCTAssertEqual(decay, options.ema!.decay(afterUpdates: trainer.state.globalStep), accuracy: 1e-6)
        let raw = try last.file.floats(Checkpoint.rawParametersName)
        XCTAssertEqual(raw.count, trainer.model.arena.parameterCount)
        let name = "fc.weight"
        let averaged = try last.file.floats(name)
        XCTAssertNotEqual(Array(raw.prefix(10)), Array(averaged.prefix(10)), "the model tensors are the average, not the training weights")
        let model = try SafetensorsFile(path: out + "/model.safetensors")
        let best = try SafetensorsFile(path: out + "/best.safetensors")
        XCTAssertEqual(try model.floats(name), try best.floats(name))
    }
}
