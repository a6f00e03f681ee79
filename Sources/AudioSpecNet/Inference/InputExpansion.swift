import Foundation

/// Turns `infer`'s INPUT arguments into audio files: files as given, directories searched recursively for
/// the audio extensions libsndfile reads, and `-` for a list of paths on stdin (one per line).
public enum InputExpansion {
    /// Files to classify, in argument order (directories sorted), each once; and one error line for every
    /// input that names nothing usable (missing path, directory without audio, empty stdin list).
    /// Standard input that is audio data rather than a list of paths (`infer - < clip.wav`) is one error line.
    public static func expand(_ inputs: [String], readStandardInput: () -> Data = { readAllStandardInput() }) -> (files: [String], errors: [FileResult]) {
        var files: [String] = [], errors: [FileResult] = []
        var seen = Set<String>()
        func add(_ path: String) {
            if seen.insert(path).inserted { files.append(path) }
        }
        func visit(_ input: String, fromStdin: Bool) {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory) else {
                errors.append(FileResult(path: input, error: "\(input): no such file or directory"))
                return
            }
            if !isDirectory.boolValue { add(input); return }
            let found = AudioFiles.under(input)
            if found.isEmpty {
                errors.append(FileResult(path: input, error: "\(input): directory holds no audio files (\(AudioFiles.extensions.sorted().prefix(8).joined(separator: ", ")), …)"))
            }
            found.forEach(add)
        }
        var usedStdin = false
        for input in inputs {
            if input == "-" {
                guard !usedStdin else { continue }
                usedStdin = true
                let data = readStandardInput()
                if let kind = binaryKind(data) {
                    errors.append(FileResult(path: "-", error: "-: standard input holds \(kind) (\(data.count) bytes), not a list of paths: pass the file's path instead"))
                    continue
                }
                let lines = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline)
                    .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                if lines.isEmpty { errors.append(FileResult(path: "-", error: "-: no paths on standard input")) }
                for line in lines { visit(line, fromStdin: true) }
            } else {
                visit(input, fromStdin: false)
            }
        }
        return (files, errors)
    }

    public static func readAllStandardInput() -> Data {
        FileHandle.standardInput.readDataToEndOfFile()
    }

    /// What standard input holds when it is not text: an audio format named by its magic bytes, or "binary
    /// data" (a NUL byte or invalid UTF-8 in the first 4 KiB); nil for text.
    static func binaryKind(_ data: Data) -> String? {
        let head = [UInt8](data.prefix(4096))
        let magic: [(String, [UInt8])] = [("WAV audio", Array("RIFF".utf8)), ("FLAC audio", Array("fLaC".utf8)),
                                          ("Ogg audio", Array("OggS".utf8)), ("MP3 audio", Array("ID3".utf8)),
                                          ("AIFF audio", Array("FORM".utf8)), ("Sun/NeXT audio", Array(".snd".utf8)),
                                          ("CAF audio", Array("caff".utf8)), ("Wave64 audio", Array("riff".utf8))]
        for (name, bytes) in magic where head.starts(with: bytes) { return name }
        if head.count >= 2, head[0] == 0xFF, head[1] & 0xE0 == 0xE0 { return "MP3 audio" }
        if head.contains(0) { return "binary data" }
        // A cut in the middle of a multi-byte character at the 4 KiB boundary is still text.
        if !(0...3).contains(where: { String(bytes: head.dropLast($0), encoding: .utf8) != nil }) { return "binary data" }
        return nil
    }
}
