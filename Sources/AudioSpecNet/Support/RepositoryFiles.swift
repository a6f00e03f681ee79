import Foundation

/// Files that ship in the repository beside the binary (the ESC-50 metadata, the PyTorch benchmark
/// scripts): looked up from the working directory, then from the executable's folder and up to four
/// folders above it (`.build/release/audiospecnet` sits three below the checkout).
public enum RepositoryFiles {
    public static func locate(_ relative: String) -> String? {
        let fm = FileManager.default
        var candidates = [fm.currentDirectoryPath + "/" + relative]
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(dir.appendingPathComponent(relative).path)
            dir = dir.deletingLastPathComponent()
        }
        return candidates.first { fm.fileExists(atPath: $0) }
    }
}
