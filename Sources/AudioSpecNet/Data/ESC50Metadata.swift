import Foundation

/// One row of ESC-50's `meta/esc50.csv`.
public struct ESC50Clip: Equatable, Sendable {
    public let filename: String
    public let fold: Int
    public let target: Int
    public let category: String
    /// The `esc10` column ("True"); false when the column is absent.
    public var esc10 = false
}

/// ESC-50's metadata: the clips with their folds and labels, and the class list (target → category)
/// derived from those rows rather than typed anywhere.
public struct ESC50Metadata: Sendable {
    public let path: String
    public let clips: [ESC50Clip]
    /// Class names of the targets present, ordered by target (indexed by target when targets are 0…n-1).
    public let classes: [String]
    /// Target → index into `classes` (the identity for contiguous targets).
    public let classIndex: [Int: Int]
    /// SHA-256-free identity of the CSV for run configs: FNV-1a 64 of its bytes, hex.
    public let contentHash: String

    /// Bounds on what a row may say: ESC-50 has folds 1–5 and targets 0–49.
    public static let maxFold = 1_000, maxTarget = 9_999
    public init(path: String) throws {
        let data = try CSVReader.contents(ofFile: path, kind: "a metadata file")
        try self.init(bytes: [UInt8](data), path: path, hash: fnv1a64Hex(data))
    }

    public init(csv: String, path: String = "<csv>", hash: String = "") throws {
        try self.init(bytes: Array(csv.utf8), path: path, hash: hash)
    }

    /// Parses RFC 4180 CSV (quotes, BOM, CRLF) and refuses, naming the line: missing columns, folds and
    /// targets that are not integers within bounds, a file listed twice, and a target with two names.
    /// Targets need not be contiguous (a filtered CSV, ESC-10): the classes are those present.
    public init(bytes: [UInt8], path: String = "<csv>", hash: String = "") throws {
        func bad(_ line: Int, _ reason: String) -> AudioSpecNetError { .format(path: path, reason: "line \(line): \(reason)") }
        let records = try CSVReader.records(bytes, path: path)
        guard let header = records.first else { throw AudioSpecNetError.format(path: path, reason: "empty metadata file") }
        let columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        guard let fi = columns.firstIndex(of: "filename"), let fo = columns.firstIndex(of: "fold"),
              let ti = columns.firstIndex(of: "target"), let ci = columns.firstIndex(of: "category") else {
            throw bad(header.line, "header must name filename, fold, target and category columns")
        }
        let ei = columns.firstIndex(of: "esc10")
        var clips: [ESC50Clip] = []
        var names: [Int: String] = [:]
        var seen: [String: (line: Int, clip: ESC50Clip)] = [:]
        for record in records.dropFirst() {
            let n = record.line
            let cells = record.fields.map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= columns.count else { throw bad(n, "expected \(columns.count) columns, found \(cells.count)") }
            guard let fold = Int(cells[fo]), let target = Int(cells[ti]) else { throw bad(n, "fold and target must be integers") }
            guard (0...Self.maxFold).contains(fold) else { throw bad(n, "fold \(fold) is not 0…\(Self.maxFold)") }
            guard (0...Self.maxTarget).contains(target) else { throw bad(n, "target \(target) is not 0…\(Self.maxTarget)") }
            let filename = cells[fi]
            // The name is joined to the audio directory: it must stay inside it.
            guard !filename.isEmpty, !filename.contains("/"), !filename.contains("\0"), filename != ".", filename != ".." else {
                throw bad(n, "filename \"\(filename)\" is not a plain file name")
            }
            var clip = ESC50Clip(filename: filename, fold: fold, target: target, category: cells[ci])
            if let ei { clip.esc10 = cells[ei].lowercased() == "true" }
            if let earlier = seen[filename] {
                throw bad(n, earlier.clip == clip ? "\(filename) is listed twice (also line \(earlier.line))"
                    : "\(filename) conflicts with line \(earlier.line) (fold \(earlier.clip.fold), target \(earlier.clip.target) there; fold \(fold), target \(target) here)")
            }
            seen[filename] = (n, clip)
            if let known = names[target], known != clip.category {
                throw bad(n, "target \(target) is \"\(clip.category)\" here but \"\(known)\" earlier")
            }
            names[target] = clip.category
            clips.append(clip)
        }
        try self.init(path: path, clips: clips, hash: hash)
    }

    init(path: String, clips: [ESC50Clip], hash: String) throws {
        let targets = Set(clips.map(\.target)).sorted()
        guard !targets.isEmpty else { throw AudioSpecNetError.format(path: path, reason: "lists no clips") }
        var names: [Int: String] = [:]
        for c in clips { names[c.target] = c.category }
        self.path = path
        self.clips = clips
        self.classes = targets.map { names[$0]! }
        self.classIndex = Dictionary(uniqueKeysWithValues: targets.enumerated().map { ($1, $0) })
        self.contentHash = hash
    }

    /// The ESC-10 rows (`esc10` column True) with their classes; the hash stays the file's.
    public func esc10Subset() throws -> ESC50Metadata {
        let rows = clips.filter(\.esc10)
        guard !rows.isEmpty else { throw AudioSpecNetError.format(path: path, reason: "marks no clip as ESC-10 (column esc10)") }
        return try ESC50Metadata(path: path, clips: rows, hash: contentHash)
    }

    /// The metadata shipped with the tool (`esc50-meta/esc50.csv`), found beside the executable's
    /// checkout or the current directory.
    public static func bundledPath() -> String? { RepositoryFiles.locate("esc50-meta/esc50.csv") }
}
