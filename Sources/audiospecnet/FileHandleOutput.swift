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

/// Flushes what `print` has buffered (stdout is block-buffered when piped), so each result line leaves as
/// it is made. `fflush(nil)` flushes every C output stream (stdout is the only buffered one here) and reads
/// no global: Swift 6 refuses `flushStandardOutput()`, as Glibc declares `stdout` a mutable global.
func flushStandardOutput() { fflush(nil) }
