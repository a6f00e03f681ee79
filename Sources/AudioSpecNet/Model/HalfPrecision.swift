/// IEEE 754 binary16 ("F16" in safetensors, `torch.float16`, numpy `<f2`) for model storage: half the
/// bytes of float32, widened back to float32 on load. Written out with integer operations so that the
/// rounding is the same on every platform (Swift's `Float16` is missing on some).
public enum HalfPrecision {
    /// The largest finite binary16 value, 65 504. Any float of magnitude ≥ 65 520 rounds to ±∞.
    public static let greatestFiniteMagnitude: Float = 65_504

    /// Float → binary16 bits, rounded to nearest with ties to even (the IEEE default, and what PyTorch's
    /// `.half()` and numpy's `astype(float16)` do). Subnormal results are kept (|x| < 2⁻¹⁴ loses relative
    /// precision gradually; |x| ≤ 2⁻²⁵ becomes ±0); magnitudes ≥ 65 520 become ±∞ and NaN stays NaN:
    /// callers that must not store ∞ check `isFinite(bits:)`.
    /// After F. Giesen's float_to_half_fast3_rtne.
    public static func bits(_ x: Float) -> UInt16 {
        var u = x.bitPattern
        let sign = UInt16(truncatingIfNeeded: (u >> 16) & 0x8000)
        u &= 0x7FFF_FFFF
        if u >= 0x4780_0000 {  // ≥ 65 536, ∞ or NaN: all exponent bits set
            return sign | (u > 0x7F80_0000 ? 0x7E00 : 0x7C00)
        }
        if u < 0x3880_0000 {  // < 2⁻¹⁴: the result is subnormal or zero
            // Adding 0.5 (2⁻¹) puts the 10 result mantissa bits at the bottom of the float's mantissa;
            // the float addition itself rounds to nearest even, exactly as binary16's subnormal grid needs.
            let magic = Float(bitPattern: 0x3F00_0000)
            let sum = Float(bitPattern: u) + magic
            return sign | UInt16(truncatingIfNeeded: sum.bitPattern &- magic.bitPattern)
        }
        // Normal: rebias the exponent (127 → 15), add just under half an ulp of the result, plus one when the
        // kept mantissa is odd (ties to even), then drop the 13 extra mantissa bits. A carry out of the
        // mantissa correctly bumps the exponent, up to ∞ for values in [65 520, 65 536).
        let odd = (u >> 13) & 1
        u = u &+ (UInt32(bitPattern: Int32(15 - 127) << 23) &+ 0xFFF) &+ odd
        return sign | UInt16(truncatingIfNeeded: u >> 13)
    }

    /// binary16 bits → Float, exact (every binary16 value is a float32 value).
    public static func float(_ h: UInt16) -> Float { float16ToFloat(h) }

    /// True unless `h` is ±∞ or NaN.
    public static func isFinite(bits h: UInt16) -> Bool { h & 0x7C00 != 0x7C00 }
}
