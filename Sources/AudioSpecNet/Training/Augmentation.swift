import Foundation

/// torchaudio's `FrequencyMasking(freqMask)` then `TimeMasking(timeMask)` with `iid_masks=False` on one
/// example (what the reference applies per clip): for each axis `value = U[0,1)·param`,
/// `min_value = U[0,1)·(size − value)` (both float32, as `torch.rand`), the mask covers
/// `[⌊min_value⌋, ⌊min_value⌋ + ⌊value⌋)` and is filled with `maskValue` (0 dB, as torchaudio).
public struct SpecAugment: Codable, Equatable, Sendable {
    public var freqMask: Int = 30
    public var timeMask: Int = 80
    public var maskValue: Float = 0

    public init(freqMask: Int = 30, timeMask: Int = 80, maskValue: Float = 0) {
        self.freqMask = freqMask
        self.timeMask = timeMask
        self.maskValue = maskValue
    }

    enum CodingKeys: String, CodingKey {
        case freqMask = "freq_mask", timeMask = "time_mask", maskValue = "mask_value"
    }

    /// torchaudio's `mask_along_axis` for one axis of `size`: the masked index range (possibly empty).
    public static func maskRange(size: Int, parameter: Int, rng: inout RandomGenerator) -> Range<Int> {
        let value = rng.nextFloat() * Float(parameter)
        let minValue = rng.nextFloat() * (Float(size) - value)
        let start = max(0, Int(minValue))
        let end = min(size, start + Int(value))
        return start..<max(start, end)
    }

    /// Masks `spectrogram` ([mels, frames] row-major) in place; returns the two ranges drawn.
    @discardableResult
    public func apply(_ spectrogram: UnsafeMutablePointer<Float>, mels: Int, frames: Int,
                      rng: inout RandomGenerator) -> (mels: Range<Int>, frames: Range<Int>) {
        let masks = draw(mels: mels, frames: frames, rng: &rng)
        fill(spectrogram, mels: mels, frames: frames, masks: masks)
        return masks
    }

    /// The two ranges `apply` would mask, drawn without touching a spectrogram (a rank draws every clip of
    /// the global batch, in order, and masks only its own: the draws stay those of one process).
    public func draw(mels: Int, frames: Int, rng: inout RandomGenerator) -> (mels: Range<Int>, frames: Range<Int>) {
        let f = SpecAugment.maskRange(size: mels, parameter: freqMask, rng: &rng)
        let t = SpecAugment.maskRange(size: frames, parameter: timeMask, rng: &rng)
        return (f, t)
    }

    /// Fills the ranges drawn by `draw`.
    public func fill(_ spectrogram: UnsafeMutablePointer<Float>, mels: Int, frames: Int, masks: (mels: Range<Int>, frames: Range<Int>)) {
        for row in masks.mels { (spectrogram + row * frames).update(repeating: maskValue, count: frames) }
        let t = masks.frames
        if !t.isEmpty {
            for row in 0..<mels { (spectrogram + row * frames + t.lowerBound).update(repeating: maskValue, count: t.count) }
        }
    }
}

/// Mixup as the reference trainer does it: on a batch where `U[0,1) > 1 − probability` (the reference's
/// `np.random.random() > 0.7`), draw λ ~ Beta(α, α) and a random permutation of the batch, and replace
/// every example by λ·x + (1−λ)·x[perm]; the targets become λ·smooth(y) + (1−λ)·smooth(y[perm]).
public struct Mixup: Codable, Equatable, Sendable {
    public var probability: Double = 0.3
    public var alpha: Double = 0.2

    public init(probability: Double = 0.3, alpha: Double = 0.2) {
        self.probability = probability
        self.alpha = alpha
    }

    /// Decides whether this batch is mixed and, when it is, draws λ and the partner of each example.
    public func draw(batch: Int, rng: inout RandomGenerator) -> (lambda: Float, partners: [Int])? {
        guard probability > 0, rng.nextDouble() > 1 - probability else { return nil }
        let lambda = Float(rng.nextBeta(alpha, alpha))
        return (lambda, rng.permutation(batch))
    }

    /// x[i] ← λ·x[i] + (1−λ)·x[partners[i]] for `partners.count` examples of `size` values; `scratch` holds
    /// at least partners.count · size values (the unmixed batch).
    public static func mix(_ x: UnsafeMutablePointer<Float>, size: Int, lambda: Float, partners: [Int],
                           scratch: UnsafeMutablePointer<Float>) {
        let n = partners.count
        scratch.update(from: x, count: n * size)
        let a = lambda, b = 1 - lambda
        for i in 0..<n {
            let dst = x + i * size, p = scratch + i * size, q = scratch + partners[i] * size
            for k in 0..<size { dst[k] = a * p[k] + b * q[k] }
        }
    }
}

/// Where mixup mixes: the log-mel in dB (the recipe's spectrogram mixup) or the two waveforms before the
/// front end, with BC learning's level-aware coefficient (`WaveformMixing`).
public enum MixupDomain: String, Codable, Sendable, CaseIterable {
    case spectrogram, waveform
}

/// Seeds for the independent random streams of a run, derived from the run's seed so that any step's
/// draws can be recreated without replaying the steps before it (a resumed run needs no saved
/// augmentation state, and a batch can be prepared on another thread ahead of time).
public enum SeedDerivation {
    public static func seed(_ parts: UInt64...) -> UInt64 {
        var h: UInt64 = 0x6A09_E667_F3BC_C908
        for p in parts {
            h ^= p &+ 0x9E37_79B9_7F4A_7C15 &+ (h << 6) &+ (h >> 2)
            h = (h ^ (h >> 30)) &* 0xBF58_476D_1CE4_E5B9
            h = (h ^ (h >> 27)) &* 0x94D0_49BB_1331_11EB
            h ^= h >> 31
        }
        return h
    }

    static let shuffleStream: UInt64 = 0x5348_5546, batchStream: UInt64 = 0x4241_5443, shiftGainStream: UInt64 = 0x5348_4741
    static let dropoutStream: UInt64 = 0x4452_4F50, noiseStream: UInt64 = 0x4E4F_4953

    /// The seed of the dropout mask of the clip at `position` of batch `step` of `epoch`: a mask per clip,
    /// whichever rank computes it (one process draws what N ranks draw).
    public static func dropoutKey(seed: UInt64, epoch: Int, step: Int, position: Int) -> UInt64 {
        SeedDerivation.seed(seed, dropoutStream, UInt64(epoch), UInt64(step), UInt64(position))
    }

    /// The order of the training clips in `epoch` (1-based).
    public static func shuffle(count: Int, seed: UInt64, epoch: Int) -> [Int] {
        var rng = RandomGenerator(seed: SeedDerivation.seed(seed, shuffleStream, UInt64(epoch)))
        return rng.permutation(count)
    }

    /// The generator for SpecAugment and mixup of batch `step` (0-based) of `epoch`.
    public static func batchGenerator(seed: UInt64, epoch: Int, step: Int) -> RandomGenerator {
        RandomGenerator(seed: SeedDerivation.seed(seed, batchStream, UInt64(epoch), UInt64(step)))
    }

    /// The generator for the noise of batch `step` of `epoch` (`--noise-snr`): a stream of its own, as the
    /// shifts and gains have.
    public static func noiseGenerator(seed: UInt64, epoch: Int, step: Int) -> RandomGenerator {
        RandomGenerator(seed: SeedDerivation.seed(seed, noiseStream, UInt64(epoch), UInt64(step)))
    }

    /// The generator for the time shifts and gains of batch `step` of `epoch`: a stream of its own, so that
    /// switching those levers on leaves SpecAugment's masks and mixup's partners as they were.
    public static func shiftGainGenerator(seed: UInt64, epoch: Int, step: Int) -> RandomGenerator {
        RandomGenerator(seed: SeedDerivation.seed(seed, shiftGainStream, UInt64(epoch), UInt64(step)))
    }
}
