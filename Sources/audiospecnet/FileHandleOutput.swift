import ArgumentParser
import Foundation

/// Lines for people go to stderr; stdout stays clean for results (tables, JSON lines) that scripts read.
enum FileHandleOutput {
    static func standardError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}

extension FileHandleOutput {
    static let stderrIsTerminal = isatty(STDERR_FILENO) != 0

    /// A transient status line on a terminal (rewritten in place); nothing when stderr is not a terminal,
    /// so logs and CI output carry no control characters. nil clears it.
    static func progress(_ line: String?) {
        guard stderrIsTerminal else { return }
        FileHandle.standardError.write(Data(("\r\u{1B}[2K" + (line ?? "")).utf8))
    }
}

extension FileHandleOutput {
    /// Runs a command body whose contract is exit status 2 for every error (eval's and infer's): the error's
    /// one line on stderr, then exit 2. Exit codes the body throws itself pass through.
    static func exitingWithStatus2OnError(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let exit as ExitCode {
            throw exit
        } catch {
            standardError("Error: \(error)")
            throw ExitCode(2)
        }
    }
}
