/// Power to decibels, 10 · log10(max(x, floor)), over a whole buffer. Written out (exponent from the bits,
/// the mantissa's logarithm from the atanh series) rather than calling log10f per element so that the loop
/// vectorises; it agrees with log10f to ≈ 1e-5 dB over the 1e-10 … 1e10 range that log-mels use
/// (`FeaturesBehaviourTests.testFastDecibelsAgreeWithLog10`). Non-finite inputs pass through.
public enum Decibels {
    public static func fromPower(_ p: UnsafeMutablePointer<Float>, count: Int, floor: Float) {
        let ln2: Float = 0.693_147_18, scale: Float = 4.342_944_8  // 10 / ln 10
        for i in 0..<count {
            let x = max(p[i], floor)
            let bits = x.bitPattern
            var e = Int32(bitPattern: (bits >> 23) & 0xff) - 127
            var m = Float(bitPattern: (bits & 0x007f_ffff) | 0x3f80_0000)  // [1, 2)
            // Centre the mantissa on 1 (m in [√½, √2)) so that the series converges fast: |s| ≤ 0.172.
            let big = m > 1.414_213_6
            m = big ? m * 0.5 : m
            e = big ? e + 1 : e
            let s = (m - 1) / (m + 1), s2 = s * s
            // ln m = 2 (s + s³/3 + s⁵/5 + s⁷/7 + s⁹/9); the next term is below 4e-10.
            let lnm = 2 * s * (1 + s2 * (1 / 3 + s2 * (1 / 5 + s2 * (1 / 7 + s2 * (1 / 9)))))
            let db = scale * (Float(e) * ln2 + lnm)
            p[i] = x.isFinite ? db : x
        }
    }
}
