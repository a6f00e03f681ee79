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
