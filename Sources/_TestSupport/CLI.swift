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
        /// True when a signal ended it (then `status` is the signal's number).
        public var signalled = false
        public var description: String { "exit \(status)\(timedOut ? " (timed out)" : "")\nstdout: \(stdout)\nstderr: \(stderr)" }
        /// Non-empty lines of stderr.
        public var stderrLines: [String] { stderr.split(separator: "\n").map(String.init) }
    }

    /// The binary: next to the test bundle (.build/<config>/), else .build/release or .build/debug under the
    /// package root.
    public static let binaryPath: String = {
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

    /// A started `audiospecnet` process; its stdout and stderr go to files (never a pipe a chatty child
    /// could block on while we wait for it).
    public final class Running {
        public let process = Process()
        private let scratch: String
        private let outHandle: FileHandle, errHandle: FileHandle
        private let done = DispatchSemaphore(value: 0)

        init(_ arguments: [String], stdin: Data?, currentDirectory: String?, executable: String) throws {
            scratch = NSTemporaryDirectory() + "audiospecnet-cli-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: scratch + "/stdout", contents: nil),
                  FileManager.default.createFile(atPath: scratch + "/stderr", contents: nil),
                  FileManager.default.createFile(atPath: scratch + "/stdin", contents: stdin ?? Data())
            else { throw CocoaError(.fileWriteUnknown) }
            outHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: scratch + "/stdout"))
            errHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: scratch + "/stderr"))
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            process.standardOutput = outHandle
            process.standardError = errHandle
            process.standardInput = stdin == nil ? FileHandle.nullDevice : try FileHandle(forReadingFrom: URL(fileURLWithPath: scratch + "/stdin"))
            if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
            let done = self.done
            process.terminationHandler = { _ in done.signal() }
            try process.run()
        }

        deinit { try? FileManager.default.removeItem(atPath: scratch) }

        public var isRunning: Bool { process.isRunning }
        public func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

        /// Waits for the exit (killing the process after `timeout` seconds) and collects what it wrote.
        public func wait(timeout: TimeInterval = 120) -> Result {
            var timedOut = false
            if done.wait(timeout: .now() + timeout) == .timedOut {
                timedOut = true
                process.terminate()
                if done.wait(timeout: .now() + 5) == .timedOut { kill(process.processIdentifier, SIGKILL); done.wait() }
            } else {
                done.signal()  // later waits return at once
            }
            try? outHandle.synchronize()
            try? errHandle.synchronize()
            let stdout = (try? String(contentsOfFile: scratch + "/stdout", encoding: .utf8)) ?? ""
            let stderr = (try? String(contentsOfFile: scratch + "/stderr", encoding: .utf8)) ?? ""
            return Result(status: process.terminationStatus, stdout: stdout, stderr: stderr, timedOut: timedOut,
                          signalled: process.terminationReason == .uncaughtSignal)
        }
    }

    /// Starts `audiospecnet arguments…` (standard input: `stdin`, or nothing); `executable` names another
    /// copy of the binary (an install without its resource bundle, say).
    public static func start(_ arguments: [String], stdin: Data? = nil, currentDirectory: String? = nil,
                             executable: String = CLI.binaryPath) throws -> Running {
        try Running(arguments, stdin: stdin, currentDirectory: currentDirectory, executable: executable)
    }

    /// Runs `audiospecnet arguments…` to its end, killing it after `timeout` seconds.
    public static func run(_ arguments: [String], stdin: Data? = nil, timeout: TimeInterval = 120, currentDirectory: String? = nil,
                           executable: String = CLI.binaryPath) throws -> Result {
        try start(arguments, stdin: stdin, currentDirectory: currentDirectory, executable: executable).wait(timeout: timeout)
    }
}
