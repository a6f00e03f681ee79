import AudioSpecNet
import Foundation
import XCTest
import _TestSupport

/// Every kind of bad input, through the CLI: one line on stderr naming the file and the reason, a
/// non-zero exit, never a crash (signal) or a hang (the runner kills after 60 s and says so).
final class BadInputTests: XCTestCase {
    private var dir = ""

    override func setUp() { dir = Fixtures.scratchDirectory("bad-input") }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// Runs `spectrogram path` and checks the failure; returns stderr for reason checks.
    @discardableResult
    private func expectFailure(_ path: String, reason: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let result = try CLI.run(["spectrogram", path, "--out", dir + "/out.npy"], timeout: 60)
        XCTAssertFalse(result.timedOut, "hang on \(path)", file: file, line: line)
        XCTAssertNotEqual(result.status, 0, result.description, file: file, line: line)
        XCTAssertLessThan(result.status, 128, "killed by a signal: \(result)", file: file, line: line)
        XCTAssertEqual(result.stderrLines.count, 1, "want exactly one line: \(result)", file: file, line: line)
        XCTAssertTrue(result.stderr.contains(path), "the message must name the file: \(result)", file: file, line: line)
        XCTAssertTrue(result.stderr.lowercased().contains(reason.lowercased()), "want reason '\(reason)': \(result)", file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/out.npy"), "no output on failure", file: file, line: line)
        print("bad input: \(result.stderr.trimmingCharacters(in: .newlines))")
        return result.stderr
    }

    func testMissingFile() throws { try expectFailure(dir + "/missing.wav", reason: "no such file") }

    func testDirectory() throws { try expectFailure(dir, reason: "is a directory") }

    func testEmptyFile() throws {
        XCTAssertTrue(FileManager.default.createFile(atPath: dir + "/empty.wav", contents: Data()))
        try expectFailure(dir + "/empty.wav", reason: "empty")
    }

    func testTextFileNamedWav() throws {
        try "this is not audio\n".write(toFile: dir + "/text.wav", atomically: true, encoding: .utf8)
        try expectFailure(dir + "/text.wav", reason: "not a readable audio file")
    }

    func testTruncatedWavHeader() throws {
        let full = WAV.pcm16(samples: [Int16](repeating: 1000, count: 100), sampleRate: 16_000)
        XCTAssertTrue(FileManager.default.createFile(atPath: dir + "/truncated.wav", contents: Data(full.prefix(30))))
        try expectFailure(dir + "/truncated.wav", reason: "not a readable audio file")
    }

    func testWavWithZeroFrames() throws {
        XCTAssertTrue(FileManager.default.createFile(atPath: dir + "/zero.wav", contents: Data(WAV.pcm16(samples: [], sampleRate: 16_000))))
        try expectFailure(dir + "/zero.wav", reason: "no audio")
    }

    func testWavWithNaNAndInfSamples() throws {
        for (label, bad) in [("nan", Float.nan), ("inf", Float.infinity), ("-inf", -Float.infinity)] {
            var samples = [Float](repeating: 0.1, count: 1000)
            samples[700] = bad
            let path = dir + "/\(label).wav"
            XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(WAV.float32(samples: samples, sampleRate: 22_050))))
            let message = try expectFailure(path, reason: "NaN or infinite")
            XCTAssertTrue(message.contains("frame 700"), message)
        }
    }

    /// A FIFO with no writer: opening it for reading would block forever without O_NONBLOCK.
    func testUnreadableFifo() throws {
        let path = dir + "/fifo.wav"
        XCTAssertEqual(mkfifo(path, 0o644), 0)
        try expectFailure(path, reason: "not a regular file")
    }

    func testCharacterDevice() throws { try expectFailure("/dev/null", reason: "not a regular file") }

    /// chmod 000: root reads it anyway (CAP_DAC_OVERRIDE), so the test only means something as a normal user.
    func testPermissionDenied() throws {
        try XCTSkipIf(geteuid() == 0, "running as root, which can read a mode-000 file; the FIFO and device cases cover unreadable input here")
        let path = dir + "/locked.wav"
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(WAV.pcm16(samples: [1, 2, 3], sampleRate: 16_000))))
        chmod(path, 0)
        try expectFailure(path, reason: "permission denied")
    }

    func testLibraryThrowsTheSameErrors() {
        XCTAssertThrowsError(try AudioDecoder.decode(path: dir + "/missing.wav")) { error in
            XCTAssertEqual(error as? AudioSpecNetError, .file(path: dir + "/missing.wav", reason: "no such file"))
        }
        XCTAssertThrowsError(try AudioStream(path: dir))
    }
}

/// Minimal WAV writers for hand-made bad inputs.
enum WAV {
    static func pcm16(samples: [Int16], sampleRate: Int) -> [UInt8] {
        var data: [UInt8] = []
        for s in samples { data += le(UInt16(bitPattern: s)) }
        return file(format: 1, bitsPerSample: 16, sampleRate: sampleRate, data: data)
    }

    static func float32(samples: [Float], sampleRate: Int) -> [UInt8] {
        var data: [UInt8] = []
        for s in samples { data += le(s.bitPattern) }
        return file(format: 3, bitsPerSample: 32, sampleRate: sampleRate, data: data)
    }

    private static func file(format: UInt16, bitsPerSample: UInt16, sampleRate: Int, data: [UInt8]) -> [UInt8] {
        let blockAlign = bitsPerSample / 8
        var out = Array("RIFF".utf8) + le(UInt32(36 + data.count)) + Array("WAVE".utf8)
        out += Array("fmt ".utf8) + le(UInt32(16)) + le(format) + le(UInt16(1)) + le(UInt32(sampleRate))
        out += le(UInt32(sampleRate) * UInt32(blockAlign)) + le(blockAlign) + le(bitsPerSample)
        out += Array("data".utf8) + le(UInt32(data.count)) + data
        return out
    }

    private static func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
}
