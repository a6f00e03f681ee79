import Foundation

/// An ESC-50 directory on disk: `DIR/audio/*.wav` and `DIR/meta/esc50.csv` (or, when `meta/` is missing,
/// the CSV shipped with the tool). `select(folds:)` returns the clips of those folds that are on disk;
/// clips the CSV lists but the disk lacks are an error naming how many and the first few, unless
/// `allowMissing`. Folds not asked for may be absent. Files on disk the CSV does not list are ignored
/// (reported in `warnings`).
public struct ESC50Dataset: Sendable {
    public let root: String
    public let audioDirectory: String
    public let metadata: ESC50Metadata
    /// File names under `audio/` (no directories).
    public let filesOnDisk: Set<String>
    /// Listed file name → the name on disk: itself, or the same clip in another format (`x.wav` as `x.flac`).
    public let onDisk: [String: String]
    /// Human-readable notes about the data (unlisted files, fallback CSV).
    public private(set) var warnings: [String] = []

    public init(root: String, metadataPath: String? = nil, esc10: Bool = false) throws {
        self.root = root
        audioDirectory = (root as NSString).appendingPathComponent("audio")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: audioDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw AudioSpecNetError.file(path: audioDirectory, reason: "no such directory (expected an ESC-50 layout: DIR/audio/*.wav + DIR/meta/esc50.csv)")
        }
        let local = (root as NSString).appendingPathComponent("meta/esc50.csv")
        var notes: [String] = []
        let csvPath: String
        if let metadataPath {
            csvPath = metadataPath
        } else if FileManager.default.fileExists(atPath: local) {
            csvPath = local
        } else if let bundled = ESC50Metadata.bundledPath() {
            csvPath = bundled
            notes.append("\(local) not found: using the metadata shipped with the tool (\(bundled))")
        } else {
            throw AudioSpecNetError.file(path: local, reason: "no such file, and the tool's esc50-meta/esc50.csv was not found either")
        }
        let full = try ESC50Metadata(path: csvPath)
        metadata = esc10 ? try full.esc10Subset() : full
        let names = (try? FileManager.default.contentsOfDirectory(atPath: audioDirectory)) ?? []
        let files = Set(names.filter { !$0.hasPrefix(".") })
        filesOnDisk = files
        var resolved: [String: String] = [:]
        for clip in full.clips {
            if files.contains(clip.filename) { resolved[clip.filename] = clip.filename; continue }
            let stem = (clip.filename as NSString).deletingPathExtension
            if let other = ["flac", "wav", "ogg"].map({ stem + "." + $0 }).first(where: files.contains) { resolved[clip.filename] = other }
        }
        onDisk = resolved
        let unlisted = files.subtracting(resolved.values).sorted()
        if !unlisted.isEmpty {
            notes.append("ignoring \(unlisted.count) file\(unlisted.count == 1 ? "" : "s") in \(audioDirectory) not listed in the metadata (\(ESC50Dataset.firstFew(unlisted)))")
        }
        warnings = notes
    }

    public func path(of clip: ESC50Clip) -> String { (audioDirectory as NSString).appendingPathComponent(onDisk[clip.filename] ?? clip.filename) }

    /// Folds with at least one clip on disk, ascending.
    public var foldsOnDisk: [Int] {
        Set(metadata.clips.filter { onDisk[$0.filename] != nil }.map(\.fold)).sorted()
    }

    /// The clips of `folds` in CSV order. Missing clips: an error (one line: count and first names) unless
    /// `allowMissing`, in which case they are skipped and `missing` lists them.
    public func select(folds: Set<Int>, allowMissing: Bool) throws -> (clips: [ESC50Clip], missing: [String]) {
        let wanted = metadata.clips.filter { folds.contains($0.fold) }
        var present: [ESC50Clip] = [], missing: [String] = []
        for clip in wanted {
            if onDisk[clip.filename] != nil { present.append(clip) } else { missing.append(clip.filename) }
        }
        if !missing.isEmpty && !allowMissing {
            throw MissingClips(directory: audioDirectory, folds: folds.sorted(), names: missing)
        }
        return (present, missing)
    }

    static func firstFew(_ names: [String], _ n: Int = 3) -> String {
        names.count <= n ? names.joined(separator: ", ") : names.prefix(n).joined(separator: ", ") + ", …"
    }
}

/// Clips the metadata lists for folds in use that the audio directory lacks (`select` without
/// `allowMissing`). One line: the directory, how many, the first names; the caller says how to proceed.
public struct MissingClips: Error, CustomStringConvertible, Sendable {
    public let directory: String
    public let folds: [Int]
    public let names: [String]
    public var description: String {
        "\(directory): \(names.count) clip\(names.count == 1 ? "" : "s") of fold\(folds.count == 1 ? "" : "s") \(folds.map(String.init).joined(separator: ",")) listed in the metadata \(names.count == 1 ? "is" : "are") missing (\(ESC50Dataset.firstFew(names)))"
    }
}
