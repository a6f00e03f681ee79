import Foundation

/// White Gaussian noise at a signal-to-noise ratio: σ² = (the audio's mean power over its `valid` real
/// samples) / 10^(SNR/10), added to those samples only (padding stays silent; silence gets none). `eval
/// --perturb noise:SNR` and training's `--noise-snr` add it the same way.
public enum WhiteNoise {
    public static func add(to samples: UnsafeMutablePointer<Float>, valid: Int, snrDB: Double, rng: inout RandomGenerator) {
        guard valid > 0 else { return }
        var power = 0.0
        for i in 0..<valid { power += Double(samples[i]) * Double(samples[i]) }
        power /= Double(valid)
        guard power > 0 else { return }
        let sigma = (power / pow(10, snrDB / 10)).squareRoot()
        for i in 0..<valid { samples[i] += Float(sigma * rng.nextNormal()) }
    }
}
