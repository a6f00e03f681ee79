import Foundation

// The project's JSON, in one place: Codable values as compact or pretty text (keys sorted, so files diff
// cleanly), and `JSONText` for results written field by field as they are produced.
//
// One policy for non-finite numbers, whichever writer: NaN, +∞ and −∞ are written as the strings "nan",
// "inf" and "-inf" (JSON has no such numbers; a string is never mistaken for a measured value, and Python's
// float() reads it back). Values that must stay numbers — the network's outputs and the feature maps the
// reference service returns — are made finite where they are produced (`finite`, numpy's nan_to_num), so
// they never reach a writer non-finite. docs/inference.md#json-and-non-finite-numbers.

/// One line, keys sorted: identity strings (whose text a resume compares: keep these settings), metadata
/// values, JSON lines.
public func jsonString<T: Encodable>(_ value: T) -> String {
    (try? JSONCoding.compact.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
}

/// Indented, keys sorted: config.json, summary.json.
public func prettyJSON<T: Encodable>(_ value: T) -> String {
    (try? JSONCoding.pretty.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
}

enum JSONCoding {
    /// The text of a non-finite number (the policy above).
    static let nan = "nan", infinity = "inf", negativeInfinity = "-inf"
    static let nonFinite = JSONEncoder.NonConformingFloatEncodingStrategy.convertToString(
        positiveInfinity: infinity, negativeInfinity: negativeInfinity, nan: nan)

    static var compact: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = nonFinite
        return encoder
    }
    static var pretty: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = nonFinite
        return encoder
    }
}

/// Small JSON text builders: results are written as they are produced, with fields in a fixed order;
/// non-finite numbers as `JSONCoding` writes them.
public enum JSONText {
    public static func string(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }

    public static func number(_ x: Float) -> String {
        guard x.isFinite else { return nonFinite(Double(x)) }
        if x == x.rounded(), abs(x) < 1e7 { return String(Int(x)) }
        return "\(x)"
    }

    public static func number(_ x: Double) -> String {
        guard x.isFinite else { return nonFinite(x) }
        if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
        return "\(x)"
    }

    private static func nonFinite(_ x: Double) -> String {
        string(x.isNaN ? JSONCoding.nan : x > 0 ? JSONCoding.infinity : JSONCoding.negativeInfinity)
    }

    /// A flat list of numbers.
    public static func array(_ values: [Float]) -> String {
        "[" + values.map(number).joined(separator: ",") + "]"
    }

    /// Row-major [rows, cols] as a list of rows.
    public static func matrix(_ values: [Float], rows: Int, cols: Int) -> String {
        "[" + (0..<rows).map { r in array(Array(values[(r * cols)..<((r + 1) * cols)])) }.joined(separator: ",") + "]"
    }

    /// An object from already-encoded values, keys in the given order.
    public static func object(_ fields: [(String, String)]) -> String {
        "{" + fields.map { string($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }
}
