import AudioSpecNet
import Foundation

/// Runs one of the repository's PyTorch benchmark scripts so that both sides are measured on the same
/// machine in the same run. Returns its JSON output, or nil (with a note on stderr) when python3, torch
/// or the script is not available.
enum PythonBenchmark {
    /// `script`: a path, or one relative to the repository this binary was built from.
    static func run(script relative: String, arguments: [String]) -> [String: Any]? {
        guard let script = FileManager.default.fileExists(atPath: relative) ? relative : RepositoryFiles.locate(relative) else {
            FileHandleOutput.standardError("PyTorch side skipped: \(relative) not found (run from the repository)")
            return nil
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.standardError
        do { try process.run() } catch {
            FileHandleOutput.standardError("PyTorch side skipped: cannot run python3 (\(error))")
            return nil
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last,
              let json = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        else {
            FileHandleOutput.standardError("PyTorch side skipped: \(relative) failed (exit \(process.terminationStatus); is torch installed?)")
            return nil
        }
        return json
    }
}
