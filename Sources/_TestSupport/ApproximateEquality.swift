/// The comparison every numeric test uses, so tolerances mean the same thing everywhere:
/// `|actual − expected| ≤ abs + rel · max|expected|` elementwise, where the relative part is scaled by the
/// largest magnitude of the expected tensor (errors in float32 sums scale with the tensor, not the element).
public struct Comparison: CustomStringConvertible {
    public let maxAbsoluteError: Double
    public let worstIndex: Int
    public let scale: Double
    public let count: Int
    /// max error divided by max|expected| (0 when the expected tensor is all zeros).
    public var relativeError: Double { scale > 0 ? maxAbsoluteError / scale : maxAbsoluteError }
    public var description: String {
        "maxdiff \(String(format: "%.3e", maxAbsoluteError)) (rel \(String(format: "%.3e", relativeError)) of max \(String(format: "%.3e", scale))) at \(worstIndex) of \(count)"
    }
}

import Foundation
import XCTest

public func compare<A: BinaryFloatingPoint, B: BinaryFloatingPoint>(_ actual: [A], _ expected: [B]) -> Comparison {
    precondition(actual.count == expected.count, "compare: \(actual.count) values vs \(expected.count) expected")
    var worst = 0.0, worstIndex = 0, scale = 0.0
    for i in 0..<actual.count {
        let e = Double(expected[i])
        scale = max(scale, abs(e))
        let d = Double(actual[i]).isFinite ? abs(Double(actual[i]) - e) : .infinity
        if d > worst || (d.isNaN) { worst = d.isNaN ? .infinity : d; worstIndex = i }
    }
    return Comparison(maxAbsoluteError: worst, worstIndex: worstIndex, scale: scale, count: actual.count)
}

/// Asserts `|actual − expected| ≤ abs + rel · max|expected|` for every element (see `Comparison`), naming
/// the worst element on failure; returns the comparison so callers can print or collect it.
@discardableResult
public func assertClose<A: BinaryFloatingPoint, B: BinaryFloatingPoint>(
    _ actual: [A], _ expected: [B], abs: Double = 0, rel: Double, _ message: @autoclosure () -> String = "",
    file: StaticString = #filePath, line: UInt = #line
) -> Comparison {
    let c = compare(actual, expected)
    let bound = abs + rel * c.scale
    XCTAssertLessThanOrEqual(c.maxAbsoluteError, bound, "\(message()) \(c) (bound abs \(abs) + rel \(rel))", file: file, line: line)
    return c
}
