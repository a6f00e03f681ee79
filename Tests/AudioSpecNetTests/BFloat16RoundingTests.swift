import XCTest
import AudioSpecNet

/// fp32 → bf16 rounding (CBF16's cbf16_from_float) against a table of edge cases and against an independent
/// rule: the nearer of the two bf16 neighbours by Float64 distance, ties to the even one.
final class BFloat16RoundingTests: XCTestCase {
    func testEdgeCases() {
        let cases: [(UInt32, UInt16, String)] = [
            (0x3F80_0000, 0x3F80, "1 is exact"),
            (0x3F80_8000, 0x3F80, "1 + half an ulp: tie, down to even"),
            (0x3F81_8000, 0x3F82, "1 + 1.5 ulp: tie, up to even"),
            (0x3F80_8001, 0x3F81, "just above the tie rounds up"),
            (0x3F80_7FFF, 0x3F80, "just below the tie rounds down"),
            (0xBF80_8000, 0xBF80, "negative tie to even"),
            (0xBF81_8000, 0xBF82, "negative tie up to even"),
            (0x0000_0000, 0x0000, "+0"),
            (0x8000_0000, 0x8000, "−0 keeps its sign"),
            (0x7F80_0000, 0x7F80, "+inf"),
            (0xFF80_0000, 0xFF80, "−inf"),
            (0x7F7F_7FFF, 0x7F7F, "below largest finite + half ulp stays finite"),
            (0x7F7F_8000, 0x7F80, "largest finite + half ulp: tie, to even = inf"),
            (0x7F7F_FFFF, 0x7F80, "fp32 max overflows to inf"),
            (0xFF7F_FFFF, 0xFF80, "−fp32 max overflows to −inf"),
            (0x0000_0001, 0x0000, "smallest subnormal rounds to 0"),
            (0x0000_8000, 0x0000, "subnormal tie down to even 0"),
            (0x0001_8000, 0x0002, "subnormal tie up to even"),
            (0x0040_0000, 0x0040, "subnormal exact in bf16"),
            (0x007F_FFFF, 0x0080, "largest subnormal rounds up to the smallest normal"),
            (0x8000_8001, 0x8001, "negative subnormal above the tie"),
        ]
        for (input, expected, why) in cases {
            let got = BFloat16.bits(Float(bitPattern: input))
            XCTAssertEqual(got, expected, "\(String(input, radix: 16)): \(why), got \(String(got, radix: 16))")
        }
    }

    func testNaNStaysNaN() {
        var rng = RandomGenerator(seed: 14)
        for input: UInt32 in [0x7FC0_0000, 0x7F80_0001, 0xFF80_0001, 0x7FFF_FFFF, 0x7F80_FFFF] {
            let got = BFloat16.bits(Float(bitPattern: input))
            XCTAssertTrue(BFloat16.float(bits: got).isNaN, "\(String(input, radix: 16)) → \(String(got, radix: 16)) is not NaN")
            XCTAssertEqual(got & 0x8000, UInt16(input >> 16) & 0x8000, "NaN sign")
        }
        for _ in 0..<10_000 {
            let input = UInt32(truncatingIfNeeded: rng.next()) | 0x7F80_0000
            guard Float(bitPattern: input).isNaN else { continue }
            XCTAssertTrue(BFloat16.float(bits: BFloat16.bits(Float(bitPattern: input))).isNaN)
        }
    }

    func testMatchesNearestNeighbour() {
        var rng = RandomGenerator(seed: 1414)
        var checked = 0
        for _ in 0..<200_000 {
            let input = UInt32(truncatingIfNeeded: rng.next())
            let x = Float(bitPattern: input)
            guard !x.isNaN else { continue }
            XCTAssertEqual(BFloat16.bits(x), Self.nearest(input), "\(String(input, radix: 16))")
            checked += 1
        }
        XCTAssertGreaterThan(checked, 190_000)
    }

    /// The nearer of the bf16 values just below and above |x| in magnitude; the one above the largest finite
    /// counts as 2^128 (where inf sits in bf16's exponent range), so overflow rounds like any other carry.
    static func nearest(_ input: UInt32) -> UInt16 {
        let sign = input & 0x8000_0000, magnitude = input & 0x7FFF_FFFF
        let below = magnitude & 0xFFFF_0000
        if below == magnitude { return UInt16(input >> 16) }
        let above = below + 0x1_0000
        func value(_ m: UInt32) -> Double { m == 0x7F80_0000 ? 0x1p128 : Double(Float(bitPattern: m)) }
        let x = Double(Float(bitPattern: magnitude))
        let dBelow = x - value(below), dAbove = value(above) - x
        let pick = dBelow < dAbove ? below : dAbove < dBelow ? above : ((below >> 16) & 1 == 0 ? below : above)
        return UInt16((sign | pick) >> 16)
    }
}
