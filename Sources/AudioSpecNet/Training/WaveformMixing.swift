import Foundation

/// Between-class mixing of waveforms, EnvNet-v2's BC learning (Tokozume, Ushiku & Harada, "Learning from
/// Between-class Examples for Deep Sound Recognition", ICLR 2018): two clips x₁, x₂ at sound levels G₁, G₂ dB
/// and a ratio r are mixed as
///
///     p = 1 / (1 + 10^((G₁ − G₂)/20) · (1 − r)/r),   x = (p·x₁ + (1 − p)·x₂) / √(p² + (1 − p)²)
///
/// so that the louder clip does not drown the quieter one (x₁ is heard in proportion r, whatever the levels),
/// and the target is r·y₁ + (1 − r)·y₂. The mix is made before the log-mel, where spectrogram mixup mixes dB
/// values — mixing sounds rather than pictures of sounds.
public enum WaveformMixing {
    /// The mixing coefficient p of x₁ for ratio `r` ∈ [0, 1] and levels `g1`, `g2` (dB). r = 0 and r = 1
    /// give 0 and 1; equal levels give r.
    public static func coefficient(ratio r: Double, level1 g1: Double, level2 g2: Double) -> Double {
        if r <= 0 { return 0 }
        if r >= 1 { return 1 }
        return 1 / (1 + pow(10, (g1 - g2) / 20) * (1 - r) / r)
    }

    /// `out` ← (p·a + (1 − p)·b) / √(p² + (1 − p)²), `count` samples.
    public static func mix(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int, coefficient p: Double,
                           into out: UnsafeMutablePointer<Float>) {
        let norm = (p * p + (1 - p) * (1 - p)).squareRoot()
        let wa = Float(p / norm), wb = Float((1 - p) / norm)
        for i in 0..<count { out[i] = wa * a[i] + wb * b[i] }
    }
}
