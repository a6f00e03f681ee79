/// numpy's nan_to_num: NaN → 0, ±∞ → ±greatest finite value. Applied where values are made that must stay
/// numbers (logits before a softmax, feature maps and waveforms the reference service shows as arrays).
@inline(__always)
public func finite(_ x: Float) -> Float {
    if x.isFinite { return x }
    if x.isNaN { return 0 }
    return x > 0 ? .greatestFiniteMagnitude : -.greatestFiniteMagnitude
}

