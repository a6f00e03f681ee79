import Foundation

/// FNV-1a 64-bit, fed incrementally: a cheap content identity for caches, configs and weights, and a seed
/// derived from a name. Not a cryptographic hash.
public struct FNV1a64 {
    public private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    public init() {}

    public mutating func mix<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        for b in bytes { value = (value ^ UInt64(b)) &* 0x100_0000_01B3 }
    }

    /// The hash as 16 hex digits.
    public var hex: String { String(format: "%016llx", value) }
}

/// FNV-1a 64-bit of the bytes.
public func fnv1a64(_ data: Data) -> UInt64 {
    var h = FNV1a64()
    data.withUnsafeBytes { h.mix($0) }
    return h.value
}

/// FNV-1a 64-bit of the bytes, as 16 hex digits.
public func fnv1a64Hex(_ data: Data) -> String { String(format: "%016llx", fnv1a64(data)) }
