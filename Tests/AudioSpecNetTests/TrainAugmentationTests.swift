import XCTest
import AudioSpecNet
import _TestSupport

final class TrainAugmentationTests: XCTestCase {
    /// torchaudio's mask_along_axis: width ⌊U·param⌋ < param, start ⌊U'·(size − value)⌋, the mask inside
    /// the axis, exactly the drawn rows/columns set to 0 and everything else untouched.
    func testSpecAugmentMasksExactlyTheDrawnBands() {
        let mels = 128, frames = 216
        var widthsF = Set<Int>(), widthsT = Set<Int>()
        for seed in 0..<300 {
            let original = randomValues(mels * frames, seed: UInt64(seed), scale: 20).map { $0 - 50 }
            var x = original
            var rng = RandomGenerator(seed: UInt64(seed))
            var replay = rng
            let (f, t) = x.withUnsafeMutableBufferPointer { SpecAugment().apply($0.baseAddress!, mels: mels, frames: frames, rng: &rng) }
            // the draws are torchaudio's formula on the same uniforms
            let vf = replay.nextFloat() * 30, sf = replay.nextFloat() * (Float(mels) - vf)
            let vt = replay.nextFloat() * 80, st = replay.nextFloat() * (Float(frames) - vt)
            XCTAssertEqual(f, Int(sf)..<(Int(sf) + Int(vf)))
            XCTAssertEqual(t, Int(st)..<(Int(st) + Int(vt)))
            XCTAssertEqual(rng, replay, "four uniforms per example")
            XCTAssertLessThan(f.count, 30); XCTAssertLessThan(t.count, 80)
            XCTAssertLessThanOrEqual(f.upperBound, mels); XCTAssertLessThanOrEqual(t.upperBound, frames)
            widthsF.insert(f.count); widthsT.insert(t.count)
            for r in 0..<mels {
                for c in 0..<frames {
                    let i = r * frames + c
                    if f.contains(r) || t.contains(c) { XCTAssertEqual(x[i], 0) } else { XCTAssertEqual(x[i], original[i]) }
                }
            }
        }
        XCTAssertTrue(widthsF.contains(0) && widthsF.contains(29), "widths span 0…29: \(widthsF.sorted())")
        XCTAssertGreaterThan(widthsT.count, 60)
    }

    /// Mixup: about 30 % of batches, λ in [0, 1] with Beta(0.2, 0.2)'s U shape, a permutation of the batch;
    /// mixing is the convex combination and targets stay distributions.
    func testMixupDrawsAndMixes() {
        let mixup = Mixup()
        var rng = RandomGenerator(seed: 3)
        var mixed = 0, extreme = 0, lambdaSum = 0.0
        let trials = 20_000
        for _ in 0..<trials {
            guard let d = mixup.draw(batch: 8, rng: &rng) else { continue }
            mixed += 1
            XCTAssertTrue((0...1).contains(d.lambda))
            XCTAssertEqual(d.partners.sorted(), Array(0..<8))
            if d.lambda < 0.1 || d.lambda > 0.9 { extreme += 1 }
            lambdaSum += Double(d.lambda)
        }
        let rate = Double(mixed) / Double(trials)
        print("mixup rate \(rate), mean λ \(lambdaSum / Double(mixed)), share of λ outside [0.1, 0.9] \(Double(extreme) / Double(mixed))")
        XCTAssertEqual(rate, 0.3, accuracy: 0.015)
        XCTAssertEqual(lambdaSum / Double(mixed), 0.5, accuracy: 0.02)
        // Beta(0.2, 0.2): P(λ < 0.1 or λ > 0.9) = 2·I₀.₁(0.2, 0.2) = 0.6734 (scipy)
        XCTAssertEqual(Double(extreme) / Double(mixed), 0.6734, accuracy: 0.02)

        let size = 5
        var x: [Float] = (0..<(3 * size)).map { Float($0) }
        let original = x
        var scratch = [Float](repeating: 0, count: x.count)
        x.withUnsafeMutableBufferPointer { xp in
            scratch.withUnsafeMutableBufferPointer { Mixup.mix(xp.baseAddress!, size: size, lambda: 0.25, partners: [2, 0, 1], scratch: $0.baseAddress!) }
        }
        for i in 0..<3 {
            for k in 0..<size {
                XCTAssertEqual(x[i * size + k], 0.25 * original[i * size + k] + 0.75 * original[[2, 0, 1][i] * size + k])
            }
        }
    }

    /// Batches depend on (seed, epoch, step) only: assembling in any order, on any thread, gives the same.
    func testBatchesAreAFunctionOfSeedEpochAndStep() throws {
        let (_, data) = try TrainClips.defaultData()
        var options = TrainClips.smallOptions(data: "")
        options.mixup.probability = 1  // every batch mixed: the hardest case
        let a = BatchAssembler(data: data, options: options), b = BatchAssembler(data: data, options: options)
        let order = SeedDerivation.shuffle(count: data.train.count, seed: options.seed, epoch: 2)
        XCTAssertEqual(order.sorted(), Array(0..<data.train.count))
        XCTAssertNotEqual(order, SeedDerivation.shuffle(count: data.train.count, seed: options.seed, epoch: 3))
        let x1 = a.batch(order: order, epoch: 2, step: 0, prefetchNext: 1).input.array
        let y1 = a.batch(order: order, epoch: 2, step: 1, prefetchNext: nil)
        let y1Input = y1.input.array, y1Targets = y1.targets.array
        let y2 = b.batch(order: order, epoch: 2, step: 1, prefetchNext: nil)
        XCTAssertEqual(y1Input, y2.input.array)
        XCTAssertEqual(y1Targets, y2.targets.array)
        XCTAssertEqual(b.batch(order: order, epoch: 2, step: 0, prefetchNext: nil).input.array, x1)
        // targets are distributions
        for i in 0..<y2.count {
            let s = (0..<4).reduce(Float(0)) { $0 + y2.targets.data[i * 4 + $1] }
            XCTAssertEqual(s, 1, accuracy: 1e-6)
        }
    }
}
