import XCTest
import _TestSupport

/// The root command's contract: help and version exit 0, a command line that cannot be parsed exits 2
/// with the reason and the usage, for every subcommand.
final class CommandLineTests: XCTestCase {
    func testHelpListsEverySubcommand() throws {
        let r = try CLI.run(["--help"])
        XCTAssertEqual(r.status, 0, "\(r)")
        for name in ["train", "eval", "infer", "spectrogram", "bench"] { XCTAssertTrue(r.stdout.contains(name), name) }
        XCTAssertEqual(try CLI.run(["--version"]).status, 0)
    }

    func testUnparsableCommandLinesExit2() throws {
        for args in [["eval", "--bogus"], ["infer", "--top", "many", "x.wav"], ["spectrogram"], ["frobnicate"]] {
            let r = try CLI.run(args)
            XCTAssertEqual(r.status, 2, "\(args): \(r)")
            XCTAssertTrue(r.stderr.hasPrefix("Error: "), "\(args): \(r)")
        }
    }
}
