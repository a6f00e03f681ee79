import Foundation
import AudioSpecNet

/// Locates committed fixtures relative to this source file, so tests need no bundle resources and run
/// the same from any working directory.
public enum Fixtures {
    public static let directory: String = {
        let here = URL(fileURLWithPath: #filePath)
        return here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Tests/Fixtures").path
    }()

    public static func path(_ name: String) -> String { directory + "/" + name }

    public static func safetensors(_ name: String) throws -> SafetensorsFile {
        try SafetensorsFile(path: path(name))
    }

    /// A fresh empty scratch directory under the system temp directory.
    public static func scratchDirectory(_ label: String = "test") -> String {
        let path = NSTemporaryDirectory() + "audiospecnet-\(label)-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
