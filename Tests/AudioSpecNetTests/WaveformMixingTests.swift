import AudioSpecNet
import Foundation
import XCTest
import _TestSupport

/// `--mixup-domain waveform`: BC learning's coefficient and mix, the sound level, and the batches built with it.
final class WaveformMixingTests: XCTestCase {
    /// The coefficient against the paper's formula worked by hand, and its limits.
    func testTheCoefficientFollowsBCLearning() {
        XCTAssertEqual(WaveformMixing.coefficient(ratio: 0.3, level1: -12, level2: -12), 0.3, accuracy: 1e-12, "equal levels: p = r")
        // r = 0.5, x₁ 20 dB louder: p = 1 / (1 + 10 · 1) = 1/11, so the louder clip gets the smaller weight
        XCTAssertEqual(WaveformMixing.coefficient(ratio: 0.5, level1: -10, level2: -30), 1.0 / 11, accuracy: 1e-12)
        XCTAssertEqual(WaveformMixing.coefficient(ratio: 0.5, level1: -30, level2: -10), 10.0 / 11, accuracy: 1e-12)
        // r = 0.8, 6 dB: 1 / (1 + 10^0.3 · 0.25)
        XCTAssertEqual(WaveformMixing.coefficient(ratio: 0.8, level1: 0, level2: -6), 1 / (1 + pow(10, 0.3) * 0.25), accuracy: 1e-12)
        XCTAssertEqual(WaveformMixing.coefficient(ratio: 0, level1: 0, level2: -6), 0)
        XCTAssertEqual(WaveformMixing.coefficient(ratio: 1, level1: 0, level2: -6), 1)
        // the mix: (p·a + (1−p)·b)/√(p² + (1−p)²)
        let a: [Float] = [1, 0, -2], b: [Float] = [0, 3, 1]
        var out = [Float](repeating: 0, count: 3)
        WaveformMixing.mix(a, b, count: 3, coefficient: 0.25, into: &out)
        let norm = Float((0.25 * 0.25 + 0.75 * 0.75).squareRoot())
        for i in 0..<3 { XCTAssertEqual(out[i], (0.25 * a[i] + 0.75 * b[i]) / norm, accuracy: 1e-6) }
    }

    /// The level is the loudest frame's mean square in dB; silence is −80 dB.
    func testTheSoundLevel() {
        var config = FrontEndConfig.recipe
        config.sampleRate = 8_000
        let quiet = [Float](repeating: 0, count: 8_000), half = [Float](repeating: 0.5, count: 8_000)
        XCTAssertEqual(quiet.withUnsafeBufferPointer { WaveformStore.level($0, frontEnd: config) }, -80, accuracy: 1e-9)
        XCTAssertEqual(half.withUnsafeBufferPointer { WaveformStore.level($0, frontEnd: config) }, 10 * log10(0.25), accuracy: 1e-9)
        // a burst filling one frame (frames start every hop) sets the level of the whole clip; shifted off the
        // frame grid by 76 samples, the best frame holds 948 of its 1 024 samples
        var burst = quiet
        for i in 3_072..<(3_072 + config.nFFT) { burst[i] = 0.1 }
        XCTAssertEqual(burst.withUnsafeBufferPointer { WaveformStore.level($0, frontEnd: config) }, -20, accuracy: 1e-6)  // 0.1 in float32
        var off = quiet
        for i in 3_148..<(3_148 + config.nFFT) { off[i] = 0.1 }
        XCTAssertEqual(off.withUnsafeBufferPointer { WaveformStore.level($0, frontEnd: config) }, 10 * log10(0.01 * 948 / 1_024), accuracy: 1e-6)
    }

    /// A mixed batch in the waveform domain is the log-mel of the BC mix of each clip and its mixup partner
    /// (SpecAugment off, to compare whole inputs), with mixup's targets; unmixed batches and the spectrogram
    /// domain are untouched by the waveforms being loaded.
    func testAMixedBatchIsTheLogMelOfTheMixedSounds() throws {
        let layout = try TrainClips.makeLayout(label: "waveform-mixing")
        var options = TrainClips.smallOptions(data: layout)
        options.mixup.probability = 1
        options.specAugment = SpecAugment(freqMask: 0, timeMask: 0)
        options.mixupDomain = .waveform
        let data = try TrainingData.load(options: options, cacheDirectory: nil)
        let waves = try XCTUnwrap(data.waveforms)
        XCTAssertEqual(waves.count, Set(data.train.indices).count)
        let frontEnd = try FrontEnd(config: options.frontEnd)
        let order = SeedDerivation.shuffle(count: data.train.count, seed: options.seed, epoch: 1)
        let batch = BatchAssembler(data: data, options: options).batch(order: order, epoch: 1, step: 0, prefetchNext: nil)
        var rng = SeedDerivation.batchGenerator(seed: options.seed, epoch: 1, step: 0)
        let n = min(options.batchSize, data.train.count)
        for _ in 0..<n { _ = options.specAugment.draw(mels: data.store.mels, frames: data.store.frames, rng: &rng) }
        let mix = try XCTUnwrap(options.mixup.draw(batch: n, rng: &rng))
        let per = data.store.valuesPerClip
        var differsFromSpectrogramMixup = false
        for i in 0..<n {
            let a = data.train.indices[order[i]], b = data.train.indices[order[mix.partners[i]]]
            let x1 = try frontEnd.waveform(path: data.clipPaths[a]), x2 = try frontEnd.waveform(path: data.clipPaths[b])
            let c1 = frontEnd.clip.fit(x1), c2 = frontEnd.clip.fit(x2)
            let g1 = c1.withUnsafeBufferPointer { WaveformStore.level($0, frontEnd: options.frontEnd) }
            let g2 = c2.withUnsafeBufferPointer { WaveformStore.level($0, frontEnd: options.frontEnd) }
            let p = WaveformMixing.coefficient(ratio: Double(mix.lambda), level1: g1, level2: g2)
            let norm = (p * p + (1 - p) * (1 - p)).squareRoot()
            let mixed = zip(c1, c2).map { Float(p / norm) * $0 + Float((1 - p) / norm) * $1 }
            let expected = frontEnd.logMel(samples: mixed)
            let got = Array(UnsafeBufferPointer(start: batch.input.data + i * per, count: per))
            let worst = zip(got, expected).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThan(worst, 1e-3, "position \(i): the batch's input against the log-mel of the BC mix (dB)")
            let spectrogramMix = (0..<per).map { mix.lambda * data.store.pointer(a)[$0] + (1 - mix.lambda) * data.store.pointer(b)[$0] }
            if a != b && zip(got, spectrogramMix).contains(where: { abs($0 - $1) > 1e-3 }) { differsFromSpectrogramMixup = true }
        }
        XCTAssertTrue(differsFromSpectrogramMixup, "mixing sounds is not mixing their dB")
        // the targets are mixup's: λ and the same partners as the spectrogram domain
        var spectrogram = options
        spectrogram.mixupDomain = nil
        let other = BatchAssembler(data: data, options: spectrogram).batch(order: order, epoch: 1, step: 0, prefetchNext: nil)
        XCTAssertEqual(batch.targets.array, other.targets.array)
        XCTAssertNotEqual(batch.input.array, other.input.array)
        // an unmixed batch is the spectrogram store's clips whichever the domain
        options.mixup.probability = 0
        spectrogram.mixup.probability = 0
        let plain = BatchAssembler(data: data, options: options).batch(order: order, epoch: 1, step: 0, prefetchNext: nil)
        let plainSpectrogram = BatchAssembler(data: data, options: spectrogram).batch(order: order, epoch: 1, step: 0, prefetchNext: nil)
        XCTAssertEqual(plain.input.array, plainSpectrogram.input.array)
    }

    /// The option joins the run's identity (a resume with the other domain is refused) and `train` refuses a
    /// domain it does not know in one line.
    func testTheDomainIsPartOfTheRunAndCheckedOnTheCommandLine() throws {
        var a = TrainingOptions()
        var b = a
        b.mixupDomain = .waveform
        XCTAssertEqual(b.firstDifference(from: a)?.key, "mixup-domain")
        a.mixupDomain = .spectrogram
        XCTAssertNil(a.firstDifference(from: TrainingOptions()), "spectrogram is the recipe's domain: an old run resumes")
        let r = try CLI.run(["train", "--data", "/nonexistent", "--mixup-domain", "sound"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("--mixup-domain must be spectrogram or waveform, got sound"), r.stderr)
    }
}
