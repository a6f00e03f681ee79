import Foundation

/// Runs the built `audiospecnet` binary, as a user would, for tests of the command line.
public enum CLI {
    /// What a run produced.
    public struct Result: CustomStringConvertible {
        public let status: Int32
        public let stdout: String
        public let stderr: String
        /// True when the run was killed for exceeding its time limit (a hang).
        public let timedOut: Bool
        public var description: String { "exit \(status)\(timedOut ? " (timed out)" : "")\nstdout: \(stdout)\nstderr: \(stderr)" }
        /// Non-empty lines of stderr.
        public var stderrLines: [String] { stderr.split(separator: "\n").map(String.init) }
    }

    /// The binary: $AUDIOSPECNET_BINARY, else next to the test bundle (.build/<config>/), else
    /// .build/release or .build/debug under the package root.
    public static let binaryPath: String = {
        if let path = ProcessInfo.processInfo.environment["AUDIOSPECNET_BINARY"], !path.isEmpty { return path }
        var candidates: [String] = []
        for bundle in [Bundle.main] + Bundle.allBundles {
            for p in [bundle.executablePath, bundle.bundlePath].compactMap({ $0 }) {
                var url = URL(fileURLWithPath: p)
                // Climb out of an .xctest bundle (a directory on macOS, an executable on Linux).
                while url.path.count > 1, url.path.contains(".xctest") { url.deleteLastPathComponent() }
                candidates.append(url.appendingPathComponent("audiospecnet").path)
            }
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates += [".build/release/audiospecnet", ".build/debug/audiospecnet"].map { root.appendingPathComponent($0).path }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates.last!
    }()

    /// Runs `audiospecnet arguments…`, killing it after `timeout` seconds.
    public static func run(_ arguments: [String], timeout: TimeInterval = 120, currentDirectory: String? = nil) throws -> Result {
        let scratch = NSTemporaryDirectory() + "audiospecnet-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        // Files, not pipes: a chatty child can never block on a full pipe while we wait for it.
        let outPath = scratch + "/stdout", errPath = scratch + "/stderr"
        guard FileManager.default.createFile(atPath: outPath, contents: nil),
              FileManager.default.createFile(atPath: errPath, contents: nil)
        else { throw CocoaError(.fileWriteUnknown) }
        let outHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let errHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binaryPath)
        process.arguments = arguments
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.standardInput = FileHandle.nullDevice
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        let done = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in done.signal() }
        try process.run()
        var timedOut = false
        if done.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            process.terminate()
            if done.wait(timeout: .now() + 5) == .timedOut { kill(process.processIdentifier, SIGKILL); done.wait() }
        }
        try? outHandle.close()
        try? errHandle.close()
        let stdout = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        return Result(status: process.terminationStatus, stdout: stdout, stderr: stderr, timedOut: timedOut)
    }
}
