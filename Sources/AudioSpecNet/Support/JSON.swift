import Foundation

// The project's JSON, in one place: Codable values as compact or pretty text (keys sorted, so files diff
// cleanly), and `JSONText` for results written field by field as they are produced.

/// One line, keys sorted, non-finite numbers as "inf"/"-inf"/"nan" strings: identity strings (whose text
/// a resume compares: keep these settings), metadata values, JSON lines.
public func jsonString<T: Encodable>(_ value: T) -> String {
    (try? JSONCoding.compact.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
}

/// Indented, keys sorted, non-finite numbers as "inf"/"-inf"/"nan" strings: config.json, summary.json.
public func prettyJSON<T: Encodable>(_ value: T) -> String {
    (try? JSONCoding.pretty.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
}

enum JSONCoding {
    static var compact: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }
    static var pretty: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }
}

/// Small JSON text builders: results are written as they are produced, with fields in a fixed order, and
/// nothing non-finite can slip through (NaN → 0, ±∞ → ±greatest finite, as numpy's nan_to_num).
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
        let v = finite(x)
        if v == v.rounded(), abs(v) < 1e7 { return String(Int(v)) }
        return "\(v)"
    }

    public static func number(_ x: Double) -> String {
        let v = x.isFinite ? x : (x.isNaN ? 0 : (x > 0 ? Double.greatestFiniteMagnitude : -Double.greatestFiniteMagnitude))
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
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
