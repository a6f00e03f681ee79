import Foundation

/// torchaudio's `melscale_fbanks(n_freqs, f_min, f_max, n_mels, sample_rate, norm=None, mel_scale="htk")`:
/// triangles on the HTK mel scale, peak 1, unnormalised. Computed in Double, rounded to Float once.
public enum MelFilterbank {
    /// HTK mel of a frequency in Hz: 2595 · log10(1 + f / 700).
    public static func hzToMel(_ f: Double) -> Double { 2595.0 * log10(1.0 + f / 700.0) }
    /// Inverse of `hzToMel`.
    public static func melToHz(_ m: Double) -> Double { 700.0 * (pow(10.0, m / 2595.0) - 1.0) }

    /// Row-major [nMels, nFreqs] weights (the transpose of torchaudio's [n_freqs, n_mels]), ready to be
    /// the left operand of the mel projection.
    public static func weights(config: FrontEndConfig) -> [Float] {
        let nFreqs = config.nFreqs, nMels = config.nMels
        // torch.linspace(0, sample_rate // 2, n_freqs): note the integer division of the rate.
        let top = Double(config.sampleRate / 2)
        let freqs = (0..<nFreqs).map { nFreqs == 1 ? 0 : top * Double($0) / Double(nFreqs - 1) }
        let mMin = hzToMel(config.fMin), mMax = hzToMel(config.fMax)
        let fPts = (0..<(nMels + 2)).map { melToHz(mMin + (mMax - mMin) * Double($0) / Double(nMels + 1)) }
        var w = [Float](repeating: 0, count: nMels * nFreqs)
        for m in 0..<nMels {
            let lowerWidth = fPts[m + 1] - fPts[m], upperWidth = fPts[m + 2] - fPts[m + 1]
            for k in 0..<nFreqs {
                let down = (freqs[k] - fPts[m]) / lowerWidth      // -slopes[:, :-2] / f_diff[:-1]
                let up = (fPts[m + 2] - freqs[k]) / upperWidth    // slopes[:, 2:] / f_diff[1:]
                w[m * nFreqs + k] = Float(max(0, min(down, up)))
            }
        }
        return w
    }
}
