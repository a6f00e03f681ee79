import Foundation

/// Which files are audio: by the extensions of the formats libsndfile reads, one by one or every one below
/// a folder (`infer`'s directories, `eval`'s and `train`'s class folders).
public enum AudioFiles {
    /// Extensions of the formats libsndfile reads (case-insensitive).
    public static let extensions: Set<String> = [
        "wav", "wave", "flac", "ogg", "oga", "opus", "mp3", "aif", "aiff", "aifc", "au", "snd", "w64", "rf64",
        "caf", "voc", "sf", "paf", "iff", "svx", "nist", "sph", "mat4", "mat5", "pvf", "xi", "htk", "sd2", "wve", "avr",
    ]

    public static func isAudioFile(_ path: String) -> Bool {
        extensions.contains((path as NSString).pathExtension.lowercased())
    }

    /// Audio files below `directory`, recursively, sorted by path; hidden files skipped.
    public static func under(_ directory: String) -> [String] {
        let base = URL(fileURLWithPath: directory)
        guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles]) else { return [] }
        var out: [String] = []
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        let basePath = base.standardizedFileURL.path
        for case let url as URL in walker where isAudioFile(url.path) {
            // Regular files, and symbolic links to them (a folder of links into a data set).
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            // Keep the user's spelling of the directory in the paths we print.
            let full = url.standardizedFileURL.path
            let relative = full.hasPrefix(basePath + "/") ? String(full.dropFirst(basePath.count + 1)) : url.lastPathComponent
            out.append(prefix + relative)
        }
        return out.sorted()
    }
}
