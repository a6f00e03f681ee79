import AudioSpecNet
import Foundation
import XCTest
import _TestSupport

/// Every subcommand keeps the README's exit-status table (0 done, 1 ran but some of it failed, 2 nothing
/// could run, 130 interrupted: TrainProcessTests) and the stdout/stderr split: results and a run's record
/// on stdout, errors and progress on stderr, never a control character without a terminal.
final class CLIContractTests: XCTestCase {
    typealias S = InferTestSupport
    var scratch = ""
    override func setUp() { scratch = Fixtures.scratchDirectory("cli-contract") }
    override func tearDown() { try? FileManager.default.removeItem(atPath: scratch) }

    private func assertNoControlCharacters(_ r: CLI.Result, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(r.stdout.contains("\u{1B}") || r.stderr.contains("\u{1B}") || r.stderr.contains("\r"), "\(r)", file: file, line: line)
    }

    func testTrain() throws {
        let layout = try TrainClips.makeLayout(label: "cli-train")
        defer { try? FileManager.default.removeItem(atPath: layout) }
        let base = ["train", "--data", layout, "--test-fold", "3", "--val-fold", "2", "--epochs", "2", "--batch-size", "3", "--width", "4",
                    "--threads", "1", "--cache", "none"]
        // Done: the run's record (what it does, each epoch, the summary) on stdout; stderr has progress only.
        let text = try CLI.run(base + ["--out", scratch + "/text"])
        XCTAssertEqual(text.status, 0, "\(text)")
        let lines = text.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.filter { $0.hasPrefix("epoch ") }.count, 2, text.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("test accuracy") }, text.stdout)
        XCTAssertTrue(text.stderrLines.allSatisfy { $0.hasPrefix("spectrograms: ") }, "\(text)")
        assertNoControlCharacters(text)
        // --json: stdout is JSON lines only (two epochs, then the summary); the text goes to stderr.
        let json = try CLI.run(base + ["--out", scratch + "/json", "--json"])
        XCTAssertEqual(json.status, 0, "\(json)")
        let objects = S.jsonLines(json.stdout)
        XCTAssertEqual(objects.count, 3, json.stdout)
        XCTAssertNotNil(objects.last?["test_acc"])
        XCTAssertTrue(json.stderr.contains("epoch   1/2"), "\(json)")
        // Nothing could run: bad usage, no data, an output directory that already holds a run.
        CLIContract.assertCouldNotRun(try CLI.run(base + ["--epochs", "0"]), contains: "--epochs", usage: true)
        CLIContract.assertCouldNotRun(try CLI.run(base + ["--test-fold", "x"]), contains: "--test-fold", usage: true)
        CLIContract.assertCouldNotRun(try CLI.run(base + ["--threads", "0"]), contains: "--threads", usage: true)
        CLIContract.assertCouldNotRun(try CLI.run(["train", "--data", scratch + "/nothing", "--out", scratch + "/x", "--cache", "none"]),
                                      contains: "nothing")
        CLIContract.assertCouldNotRun(try CLI.run(base + ["--out", scratch + "/text"]), contains: "already holds a run")
        CLIContract.assertCouldNotRun(try CLI.run(["train", "--epochs", "2"]), contains: "--data", usage: true)
    }

    func testInfer() throws {
        // Audio bytes on stdin where paths were expected: one line, exit 2, no binary dump.
        let wav = try Data(contentsOf: URL(fileURLWithPath: S.clip(0)))
        let piped = try CLI.run(["infer", "--model", S.pytorchModel, "-"], stdin: wav)
        CLIContract.assertCouldNotRun(piped, contains: "standard input holds FLAC audio")
        XCTAssertLessThan(piped.stderr.utf8.count, 300, "\(piped)")
        // Two inputs with the same file name: two picture folders, neither overwritten.
        for sub in ["a", "b"] {
            try FileManager.default.createDirectory(atPath: scratch + "/" + sub, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: S.clip(sub == "a" ? 0 : 1), toPath: scratch + "/\(sub)/clip.flac")
        }
        let pictures = scratch + "/png"
        let png = try CLI.run(["infer", "--model", S.pytorchModel, "--json", "--png", pictures, scratch + "/a/clip.flac", scratch + "/b/clip.flac"])
        XCTAssertEqual(png.status, 0, "\(png)")
        let folders = try FileManager.default.contentsOfDirectory(atPath: pictures).sorted()
        XCTAssertEqual(folders, ["clip", "clip-2"])
        let spectrogramPictures = S.jsonLines(png.stdout).compactMap { ($0["png"] as? [String: String])?["input_spectrogram"] }
        XCTAssertEqual(spectrogramPictures, [pictures + "/clip/input_spectrogram.png", pictures + "/clip-2/input_spectrogram.png"])
        // --no-windows: one row per file, whatever its length; the table's columns stay aligned.
        let long = scratch + "/long.wav"
        let (samples, rate) = try S.samples(S.clip(1))
        try S.writeWAV(samples + samples, channels: 1, sampleRate: rate, to: long)
        let windows = try CLI.run(["infer", "--model", S.pytorchModel, long, S.clip(0)])
        let noWindows = try CLI.run(["infer", "--model", S.pytorchModel, "--no-windows", long, S.clip(0)])
        XCTAssertEqual(windows.status, 0, "\(windows)")
        XCTAssertEqual(noWindows.status, 0, "\(noWindows)")
        let rows = noWindows.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(rows.count, 3, noWindows.stdout)  // header + two files
        XCTAssertGreaterThan(windows.stdout.split(separator: "\n").count, 3, windows.stdout)
        let column = rows[0].range(of: "TOP-2")!.lowerBound.utf16Offset(in: rows[0])
        for row in rows.dropFirst() {
            XCTAssertEqual(row.utf16.count > column ? Array(row.utf16)[column - 2] : 0, UInt16(UInt8(ascii: " ")), "misaligned: \(row)")
        }
        XCTAssertEqual(noWindows.stderr, "")
        assertNoControlCharacters(noWindows)
        // Some inputs failed: exit 1, the others still classified on stdout, one summary line on stderr.
        let some = try CLI.run(["infer", "--model", S.pytorchModel, S.clip(0), scratch + "/missing.wav"])
        XCTAssertEqual(some.status, 1, "\(some)")
        XCTAssertEqual(some.stderrLines.count, 1, "\(some)")
        XCTAssertTrue(some.stderr.hasPrefix("Error: "), "\(some)")
        XCTAssertEqual(some.stdout.split(separator: "\n").count, 3, some.stdout)
    }

    func testSpectrogram() throws {
        let ok = try CLI.run(["spectrogram", S.clip(0), "--out", scratch + "/x.npy"])
        XCTAssertEqual(ok.status, 0, "\(ok)")
        XCTAssertTrue(ok.stdout.contains("128×216"), "\(ok)")
        XCTAssertEqual(ok.stderr, "")
        let notAudio = scratch + "/notes.wav"
        try "hello".write(toFile: notAudio, atomically: true, encoding: .utf8)
        CLIContract.assertCouldNotRun(try CLI.run(["spectrogram", notAudio, "--out", scratch + "/y.npy"]), contains: notAudio)
        CLIContract.assertCouldNotRun(try CLI.run(["spectrogram", S.clip(0)]), contains: "--out", usage: true)
    }

    func testBench() throws {
        let conv = try CLI.run(["bench", "convolutions", "--layers", "layer4 3x3", "--batch-size", "1", "--repetitions", "1", "--threads", "1"])
        XCTAssertEqual(conv.status, 0, "\(conv)")
        XCTAssertTrue(conv.stdout.contains("layer4 3x3") && conv.stdout.contains("<- auto fwd"), conv.stdout)
        XCTAssertEqual(conv.stderr, "")
        CLIContract.assertCouldNotRun(try CLI.run(["bench", "network", "--clock", "sundial"]), contains: "--clock", usage: true)
        CLIContract.assertCouldNotRun(try CLI.run(["bench", "frontend", scratch + "/none"]), contains: "no such directory")
    }
}
