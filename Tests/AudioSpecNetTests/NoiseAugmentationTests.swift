import AudioSpecNet
import Foundation
import XCTest
import _TestSupport

/// `--noise-snr`: white noise at the stated SNR on the real samples, the batches built with it, and the flags.
final class NoiseAugmentationTests: XCTestCase {
    /// The added noise has the stated power relative to the audio's, the padding and silence get none.
    func testWhiteNoiseHasTheStatedSNR() {
        let valid = 16_000
        let clean = (0..<20_000).map { i in i < valid ? Float(0.3 * sin(Double(i) * 0.05)) : 0 }
        var x = clean
        var rng = RandomGenerator(seed: 3)
        x.withUnsafeMutableBufferPointer { WhiteNoise.add(to: $0.baseAddress!, valid: valid, snrDB: 10, rng: &rng) }
        let signal = clean[0..<valid].reduce(0.0) { $0 + Double($1) * Double($1) } / Double(valid)
        let noise = (0..<valid).reduce(0.0) { $0 + Double(x[$1] - clean[$1]) * Double(x[$1] - clean[$1]) } / Double(valid)
        XCTAssertEqual(10 * log10(signal / noise), 10, accuracy: 0.1)
        XCTAssertEqual(Array(x[valid...]), Array(clean[valid...]), "the padding stays silent")
        var silence = [Float](repeating: 0, count: 100)
        silence.withUnsafeMutableBufferPointer { WhiteNoise.add(to: $0.baseAddress!, valid: 100, snrDB: 10, rng: &rng) }
        XCTAssertEqual(silence, [Float](repeating: 0, count: 100))
    }

    /// Each noisy clip is the log-mel of its waveform plus the noise its draw names; with noise on, every other
    /// draw (masks, mixup's λ and partners, hence the targets) is what it is with noise off.
    func testNoisyClipsAreTheLogMelOfTheNoisyWaveform() throws {
        let layout = try TrainClips.makeLayout(label: "noise-augmentation")
        var options = TrainClips.smallOptions(data: layout)
        options.specAugment = SpecAugment(freqMask: 0, timeMask: 0)
        options.mixup.probability = 0
        options.noise = NoiseAugmentation(lowDB: 5, highDB: 15, probability: 1)
        let data = try TrainingData.load(options: options, cacheDirectory: nil)
        let waves = try XCTUnwrap(data.waveforms)
        let frontEnd = try FrontEnd(config: options.frontEnd)
        let order = SeedDerivation.shuffle(count: data.train.count, seed: options.seed, epoch: 1)
        let batch = BatchAssembler(data: data, options: options).batch(order: order, epoch: 1, step: 0, prefetchNext: nil)
        var rng = SeedDerivation.noiseGenerator(seed: options.seed, epoch: 1, step: 0)
        let n = min(options.batchSize, data.train.count), per = data.store.valuesPerClip
        for i in 0..<n {
            let draw = try XCTUnwrap(options.noise!.draw(rng: &rng))
            XCTAssert((5...15).contains(draw.snrDB))
            let clip = data.train.indices[order[i]]
            let samples = try frontEnd.waveform(path: data.clipPaths[clip])
            var x = frontEnd.clip.fit(samples)
            XCTAssertEqual(waves.validCounts[data.waveformRows[clip]], min(samples.count, x.count))
            var generator = RandomGenerator(seed: draw.seed)
            x.withUnsafeMutableBufferPointer {
                WhiteNoise.add(to: $0.baseAddress!, valid: min(samples.count, $0.count), snrDB: draw.snrDB, rng: &generator)
            }
            let expected = frontEnd.logMel(samples: x)
            let got = Array(UnsafeBufferPointer(start: batch.input.data + i * per, count: per))
            let worst = zip(got, expected).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThan(worst, 1e-3, "position \(i): the batch's input against the log-mel of the noisy clip (dB)")
            let clean = Array(UnsafeBufferPointer(start: data.store.pointer(clip), count: per))
            XCTAssertGreaterThan(zip(got, clean).map { abs($0 - $1) }.max() ?? 0, 1, "noise changes the clip")
        }
        // the recipe's draws are untouched: the same masks, λ and partners (targets) with the noise on or off
        var recipe = TrainClips.smallOptions(data: layout)
        recipe.mixup.probability = 1
        var noisy = recipe
        noisy.noise = NoiseAugmentation(lowDB: 5, highDB: 15, probability: 0.5)
        let noisyData = try TrainingData.load(options: noisy, cacheDirectory: nil)
        let a = BatchAssembler(data: noisyData, options: recipe).batch(order: order, epoch: 1, step: 0, prefetchNext: nil)
        let b = BatchAssembler(data: noisyData, options: noisy).batch(order: order, epoch: 1, step: 0, prefetchNext: nil)
        XCTAssertEqual(a.targets.array, b.targets.array)
        XCTAssertNotEqual(a.input.array, b.input.array)
        // p = 0: every clip from the store, as without the lever
        noisy.noise = NoiseAugmentation(lowDB: 5, highDB: 15, probability: 0)
        let none = BatchAssembler(data: noisyData, options: noisy).batch(order: order, epoch: 1, step: 0, prefetchNext: nil)
        XCTAssertEqual(none.input.array, a.input.array)
    }

    /// The lever joins the run's identity; bad flags are refused in one line.
    func testTheFlagsAreCheckedAndJoinTheIdentity() throws {
        var b = TrainingOptions()
        b.noise = NoiseAugmentation(lowDB: 10, highDB: 30)
        XCTAssertEqual(b.firstDifference(from: TrainingOptions())?.key, "noise")
        for (arguments, message) in [(["--noise-p", "0.3"], "--noise-p needs --noise-snr"),
                                     (["--noise-snr", "30:10"], "the noise SNR range must be LOW:HIGH"),
                                     (["--noise-snr", "ten"], "--noise-snr must be LOW:HIGH or SNR"),
                                     (["--noise-snr", "10:30", "--noise-p", "2"], "the noise probability must be in [0, 1]")] {
            let r = try CLI.run(["train", "--data", "/nonexistent"] + arguments)
            XCTAssertEqual(r.status, 2, "\(arguments)")
            XCTAssertTrue(r.stderr.contains(message), "\(arguments): \(r.stderr)")
        }
    }
}
