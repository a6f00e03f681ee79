import Foundation

/// One row of ESC-50's `meta/esc50.csv`.
public struct ESC50Clip: Equatable, Sendable {
    public let filename: String
    public let fold: Int
    public let target: Int
    public let category: String
}

/// ESC-50's metadata: the clips with their folds and labels, and the class list (target → category)
/// derived from those rows rather than typed anywhere.
public struct ESC50Metadata: Sendable {
    public let path: String
    public let clips: [ESC50Clip]
    /// Class names indexed by target.
    public let classes: [String]
    /// SHA-256-free identity of the CSV for run configs: FNV-1a 64 of its bytes, hex.
    public let contentHash: String

    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AudioSpecNetError.file(path: path, reason: FileManager.default.fileExists(atPath: path) ? "cannot read" : "no such file")
        }
        try self.init(csv: String(decoding: data, as: UTF8.self), path: path, hash: fnv1a64Hex(data))
    }

    public init(csv: String, path: String = "<csv>", hash: String = "") throws {
        func bad(_ line: Int, _ reason: String) -> AudioSpecNetError { .format(path: path, reason: "line \(line): \(reason)") }
        var lines = csv.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }).map(String.init)
        guard let header = lines.first else { throw AudioSpecNetError.format(path: path, reason: "empty metadata file") }
        let columns = header.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let fi = columns.firstIndex(of: "filename"), let fo = columns.firstIndex(of: "fold"),
              let ti = columns.firstIndex(of: "target"), let ci = columns.firstIndex(of: "category") else {
            throw bad(1, "header must name filename, fold, target and category columns")
        }
        lines.removeFirst()
        var clips: [ESC50Clip] = []
        var names: [Int: String] = [:]
        for (n, line) in lines.enumerated() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= columns.count else { throw bad(n + 2, "expected \(columns.count) columns, found \(cells.count)") }
            guard let fold = Int(cells[fo]), let target = Int(cells[ti]), target >= 0 else { throw bad(n + 2, "fold and target must be integers") }
            let clip = ESC50Clip(filename: cells[fi], fold: fold, target: target, category: cells[ci])
            if let known = names[target], known != clip.category {
                throw bad(n + 2, "target \(target) is \"\(clip.category)\" here but \"\(known)\" earlier")
            }
            names[target] = clip.category
            clips.append(clip)
        }
        let count = (names.keys.max() ?? -1) + 1
        guard names.count == count else { throw AudioSpecNetError.format(path: path, reason: "targets are not 0…\(count - 1) without gaps") }
        self.path = path
        self.clips = clips
        self.classes = (0..<count).map { names[$0]! }
        self.contentHash = hash
    }

    /// The metadata shipped with the tool (`esc50-meta/esc50.csv`), found beside the executable's
    /// checkout or the current directory.
    public static func bundledPath() -> String? { RepositoryFiles.locate("esc50-meta/esc50.csv") }
}

/// FNV-1a 64-bit of the bytes, as 16 hex digits: a cheap content identity for caches and configs.
public func fnv1a64Hex(_ data: Data) -> String {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    data.withUnsafeBytes { raw in
        for b in raw { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
    }
    return String(format: "%016llx", h)
}
