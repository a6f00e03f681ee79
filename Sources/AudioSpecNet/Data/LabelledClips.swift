import Foundation

/// An audio file and the class name it should get.
public struct LabelledClip: Equatable, Sendable {
    public let path: String
    public let label: String
    /// The CSV's `fold` column, when it has one.
    public let fold: Int?
    public init(path: String, label: String, fold: Int? = nil) {
        self.path = path
        self.label = label
        self.fold = fold
    }
}

/// Labelled clips from where `eval` and `train` find them: an ESC-50 layout (`DIR/meta/esc50.csv` +
/// `DIR/audio/`) restricted to some folds, a folder of class-named subfolders (`DIR/dog/*.wav`), or a CSV of
/// `path,label`.
public enum LabelledClips {
    public struct Selection {
        public let clips: [LabelledClip]
        /// One line saying what was selected ("ESC-50 fold 5 of DIR: 400 clips").
        public let summary: String
        public let folds: [Int]?
        /// What was left out (clips the metadata lists but the disk lacks, when allowed).
        public var notes: [String] = []
    }

    /// Why an ESC-50 selection cannot be made; the caller says how to fix it in its own terms.
    public enum Problem: Error, CustomStringConvertible {
        /// No folds asked for and the model file records no test fold.
        case noRecordedTestFold
        /// Clips of the folds are not on disk (one line: how many, the first names).
        case missingClips(String)
        public var description: String {
            switch self {
            case .noRecordedTestFold: return "the model records no test fold: choose the ESC-50 folds to evaluate"
            case .missingClips(let message): return message
            }
        }
    }

    /// The labelled clips of `data`. An ESC-50 fold whose clips are not all on disk is an error
    /// (`Problem.missingClips`) unless `allowMissing`, which scores the ones that are (and notes the rest).
    public static func load(data: String, folds: [Int]?, metadata: ModelMetadata, allowMissing: Bool = false) throws -> Selection {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: data, isDirectory: &isDirectory) else {
            throw AudioSpecNetError.file(path: data, reason: "no such file or directory")
        }
        if !isDirectory.boolValue { return try csv(data) }
        if let meta = esc50Metadata(root: data) {
            return try esc50(root: data, csv: meta, folds: folds ?? recordedTestFolds(metadata), explicit: folds != nil, allowMissing: allowMissing)
        }
        return try classFolders(data)
    }

    /// The metadata of an ESC-50 layout at `root`: `meta/esc50.csv`, or the tool's copy when `root` has an
    /// `audio/` folder but no `meta/`; nil when `root` is not an ESC-50 layout.
    public static func esc50Metadata(root: String) -> String? {
        let fm = FileManager.default
        let meta = (root as NSString).appendingPathComponent("meta/esc50.csv")
        if fm.fileExists(atPath: meta) { return meta }
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: (root as NSString).appendingPathComponent("audio"), isDirectory: &isDirectory), isDirectory.boolValue,
              !fm.fileExists(atPath: (root as NSString).appendingPathComponent("meta")) else { return nil }
        return ESC50Metadata.bundledPath()
    }

    /// The test fold(s) a model file records: metadata `test_fold` / `test_folds` ("5" or "[4, 5]"), or a
    /// `test_fold` field inside a JSON value (a training run's config).
    public static func recordedTestFolds(_ metadata: ModelMetadata) -> [Int]? {
        for key in ["test_fold", "test_folds", "fold"] {
            if let text = metadata.extra[key], let folds = parseFolds(text) { return folds }
        }
        for key in metadata.extra.keys.sorted() {
            guard let text = metadata.extra[key], text.hasPrefix("{"),
                  let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { continue }
            for name in ["test_fold", "test_folds"] {
                if let n = object[name] as? Int { return [n] }
                if let list = object[name] as? [Int], !list.isEmpty { return list }
                if let s = object[name] as? String, let folds = parseFolds(s) { return folds }
            }
        }
        return nil
    }

    /// "5", "4,5", "[4, 5]" → folds; nil when not a list of positive integers.
    public static func parseFolds(_ text: String) -> [Int]? {
        let cleaned = text.trimmingCharacters(in: CharacterSet(charactersIn: "[] \n"))
        let parts = cleaned.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let folds = parts.compactMap { Int($0) }
        guard !folds.isEmpty, folds.count == parts.count, folds.allSatisfy({ $0 >= 1 }) else { return nil }
        return Array(Set(folds)).sorted()
    }

    /// The clips of `folds`, found on disk as `train` finds them (`ESC50Dataset`: a listed `x.wav` stored as
    /// `x.flac` or `x.ogg` is that clip).
    static func esc50(root: String, csv: String, folds: [Int]?, explicit: Bool, allowMissing: Bool) throws -> Selection {
        guard let folds else { throw Problem.noRecordedTestFold }
        let dataset = try ESC50Dataset(root: root, metadataPath: csv)
        let (present, missing) = try dataset.select(folds: Set(folds), allowMissing: true)
        let clips = present.map { LabelledClip(path: dataset.path(of: $0), label: $0.category) }
        let listed = present.count + missing.count
        let foldText = "fold\(folds.count > 1 ? "s" : "") \(folds.map(String.init).joined(separator: ","))"
        guard listed > 0 else {
            throw AudioSpecNetError.invalidArgument("\(csv): no clips in \(foldText)")
        }
        let missingText = "\(missing.count) of the \(listed) clips of \(foldText) are not in \(dataset.audioDirectory) (\(ESC50Dataset.firstFew(missing)))"
        if !missing.isEmpty && (!allowMissing || clips.isEmpty) { throw Problem.missingClips(missingText) }
        var selection = Selection(clips: clips, summary: "ESC-50 \(foldText)\(explicit ? "" : " (the model's test fold)") of \(root): \(clips.count) clips",
                                  folds: folds)
        if !missing.isEmpty { selection.notes.append("scoring the clips on disk: " + missingText) }
        return selection
    }

    /// `DIR/<class>/…/*.wav`: the label is the name of the first-level folder.
    public static func classFolders(_ root: String) throws -> Selection {
        let fm = FileManager.default
        let names = ((try? fm.contentsOfDirectory(atPath: root)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
        var clips: [LabelledClip] = []
        for name in names {
            let folder = (root as NSString).appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
            clips += AudioFiles.under(folder).map { LabelledClip(path: $0, label: name) }
        }
        guard !clips.isEmpty else {
            throw AudioSpecNetError.file(path: root, reason: "holds no labelled audio: expected an ESC-50 layout (meta/esc50.csv + audio/), class-named subfolders of audio files, or a CSV of path,label")
        }
        let classes = Set(clips.map(\.label)).count
        return Selection(clips: clips, summary: "\(root): \(clips.count) clips in \(classes) class folders", folds: nil)
    }

    /// A CSV of `path,label` rows (an optional header naming path and label columns; paths relative to
    /// the CSV's folder).
    public static func csv(_ file: String) throws -> Selection {
        var records = try CSVReader.records(ofFile: file, kind: "a label file")
        let base = (file as NSString).deletingLastPathComponent
        records.removeAll { $0.fields.allSatisfy { $0.trimmingCharacters(in: .whitespaces).isEmpty } }
        var pathColumn = 0, labelColumn = 1
        var foldColumn: Int?
        if let header = records.first {
            let cells = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            if let p = cells.firstIndex(where: { ["path", "file", "filename"].contains($0) }),
               let l = cells.firstIndex(where: { ["label", "class", "category"].contains($0) }) {
                pathColumn = p
                labelColumn = l
                foldColumn = cells.firstIndex(of: "fold")
                records.removeFirst()
            }
        }
        var clips: [LabelledClip] = []
        for record in records {
            let cells = record.fields.map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count > max(pathColumn, labelColumn), !cells[pathColumn].isEmpty, !cells[labelColumn].isEmpty else {
                throw AudioSpecNetError.format(path: file, reason: "line \(record.line): expected path,label, got \"\(record.fields.joined(separator: ","))\"")
            }
            var fold: Int?
            if let foldColumn {
                guard cells.count > foldColumn, let f = Int(cells[foldColumn]), (0...ESC50Metadata.maxFold).contains(f) else {
                    throw AudioSpecNetError.format(path: file, reason: "line \(record.line): the fold must be an integer 0…\(ESC50Metadata.maxFold)")
                }
                fold = f
            }
            let p = cells[pathColumn]
            clips.append(LabelledClip(path: p.hasPrefix("/") || base.isEmpty ? p : (base as NSString).appendingPathComponent(p), label: cells[labelColumn], fold: fold))
        }
        guard !clips.isEmpty else { throw AudioSpecNetError.format(path: file, reason: "no path,label rows") }
        return Selection(clips: clips, summary: "\(file): \(clips.count) clips", folds: nil)
    }
}
