import XCTest
import _TestSupport

/// The exit-status contract every subcommand keeps (README: "Exit status").
enum CLIContract {
    /// Nothing could run: exit 2, never a hang or a signal; stderr starts with one "Error: " line naming
    /// `text`. A bad command line (`usage: true`) then shows the usage; any other refusal is that one line.
    static func assertCouldNotRun(_ r: CLI.Result, contains text: String, usage: Bool = false,
                                  file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(r.timedOut, "\(r)", file: file, line: line)
        XCTAssertEqual(r.status, 2, "\(r)", file: file, line: line)
        let first = r.stderrLines.first ?? ""
        XCTAssertTrue(first.hasPrefix("Error: ") && first.contains(text), "\(r)", file: file, line: line)
        if usage {
            XCTAssertTrue(r.stderr.contains("Usage: "), "\(r)", file: file, line: line)
        } else {
            XCTAssertEqual(r.stderrLines.count, 1, "\(r)", file: file, line: line)
        }
        XCTAssertEqual(r.stdout, "", "nothing on stdout when nothing ran: \(r)", file: file, line: line)
    }
}
