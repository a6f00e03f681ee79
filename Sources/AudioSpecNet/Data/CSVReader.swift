import Foundation

/// RFC 4180 CSV: fields separated by commas, records by CRLF, LF or CR; a field in double quotes may hold
/// commas, line breaks and `""` (one quote). A UTF-8 byte-order mark at the start is skipped; bytes that
/// are not UTF-8 become U+FFFD. Blank lines are skipped. Errors name the line they are on.
/// (Our own rather than a package: forty lines, no dependency, and the fuzz target covers it.)
public enum CSVReader {
    public struct Record: Equatable, Sendable {
        /// 1-based line on which the record starts.
        public var line: Int
        public var fields: [String]
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case unterminatedQuote(line: Int)
        case textAfterQuote(line: Int)
        public var description: String {
            switch self {
            case .unterminatedQuote(let line): return "line \(line): a quoted field is never closed"
            case .textAfterQuote(let line): return "line \(line): text after a closing quote (write \"\" for a quote inside a quoted field)"
            }
        }
    }

    public static func parse<Bytes: Collection>(_ bytes: Bytes) throws -> [Record] where Bytes.Element == UInt8 {
        let quote: UInt8 = 0x22, comma: UInt8 = 0x2C, lf: UInt8 = 0x0A, cr: UInt8 = 0x0D
        var records: [Record] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var line = 1, recordLine = 1
        var inQuotes = false, wasQuoted = false, afterQuote = false
        var i = bytes.startIndex
        // A BOM (EF BB BF) is not part of the first column's name.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { i = bytes.index(i, offsetBy: 3) }
        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            wasQuoted = false
            afterQuote = false
        }
        func endRecord() {
            let quoted = wasQuoted
            endField()
            // A blank line is one empty unquoted field: skipped.
            if !(fields.count == 1 && fields[0].isEmpty && !quoted) { records.append(Record(line: recordLine, fields: fields)) }
            fields.removeAll(keepingCapacity: true)
        }
        while i != bytes.endIndex {
            let b = bytes[i]
            i = bytes.index(after: i)
            if inQuotes {
                if b == quote {
                    if i != bytes.endIndex && bytes[i] == quote { field.append(quote); i = bytes.index(after: i) } else { inQuotes = false; afterQuote = true }
                } else {
                    if b == lf || (b == cr && (i == bytes.endIndex || bytes[i] != lf)) { line += 1 }
                    field.append(b)
                }
                continue
            }
            switch b {
            case comma:
                endField()
            case lf, cr:
                if b == cr, i != bytes.endIndex, bytes[i] == lf { i = bytes.index(after: i) }
                endRecord()
                line += 1
                recordLine = line
            case quote where field.isEmpty && !wasQuoted:
                inQuotes = true
                wasQuoted = true
            default:
                if afterQuote { throw Failure.textAfterQuote(line: line) }
                field.append(b)
            }
        }
        if inQuotes { throw Failure.unterminatedQuote(line: recordLine) }
        if !field.isEmpty || !fields.isEmpty || wasQuoted { endRecord() }
        return records
    }
}

extension CSVReader {
    /// A field as this format writes it: in double quotes (inner quotes doubled) when it holds a comma, a
    /// quote or a line break (a file name may), as is otherwise.
    public static func quoted(_ s: String) -> String {
        s.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}

extension CSVReader {
    /// The largest CSV file read (ESC-50's metadata is 150 kB).
    public static let maxFileBytes = 64 << 20

    /// A CSV file's bytes, at most `maxFileBytes`; `kind` names what the file is for the error
    /// ("is N bytes, larger than a label file may be").
    public static func contents(ofFile path: String, kind: String) throws -> Data {
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber, size.int64Value > Int64(maxFileBytes) {
            throw AudioSpecNetError.format(path: path, reason: "is \(size.int64Value) bytes, larger than \(kind) may be (\(maxFileBytes))")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AudioSpecNetError.file(path: path, reason: FileManager.default.fileExists(atPath: path) ? "cannot read" : "no such file")
        }
        return data
    }

    /// `parse` of bytes read from `path`, its failures named by the file.
    public static func records<Bytes: Collection>(_ bytes: Bytes, path: String) throws -> [Record] where Bytes.Element == UInt8 {
        do { return try parse(bytes) } catch { throw AudioSpecNetError.format(path: path, reason: "\(error)") }
    }

    /// A CSV file's records: `contents(ofFile:kind:)`, then `parse`; every error names the file.
    public static func records(ofFile path: String, kind: String) throws -> [Record] {
        try records([UInt8](try contents(ofFile: path, kind: kind)), path: path)
    }
}
