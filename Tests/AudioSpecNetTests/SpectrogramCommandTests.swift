import AudioSpecNet
import Foundation
import XCTest
import _TestSupport

/// `audiospecnet spectrogram` end to end, through the built binary.
final class SpectrogramCommandTests: XCTestCase {
    func testWritesTheReferenceLogMelAsNpyAndAPicture() throws {
        let name = "esc50_44k_4-182395-A-0"
        let dir = Fixtures.scratchDirectory("spectrogram")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try CLI.run(["spectrogram", FrontendFixture.audioPath(name), "--out", dir + "/x.npy", "--png", dir + "/x.png"])
        XCTAssertEqual(result.status, 0, result.description)
        let (shape, values) = try NPY.read(path: dir + "/x.npy")
        XCTAssertEqual(shape, [128, 216])
        let c = DecibelComparison(values, try FrontendFixture.reference(name).doubles("logmel"))
        XCTAssertLessThanOrEqual(c.worstWithin60, 1e-3)
        let png = try XCTUnwrap(FileManager.default.contents(atPath: dir + "/x.png"))
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        XCTAssertGreaterThan(png.count, 1000)
    }

    func testFullKeepsTheWholeFile() throws {
        let name = "chirp_8000_long_flac"
        let dir = Fixtures.scratchDirectory("spectrogram")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try CLI.run(["spectrogram", FrontendFixture.audioPath(name), "--out", dir + "/x.npy", "--full"])
        XCTAssertEqual(result.status, 0, result.description)
        let (shape, values) = try NPY.read(path: dir + "/x.npy")
        let expected = try FrontendFixture.reference(name)
        XCTAssertEqual(shape, try expected.shape("logmel_full"))
        XCTAssertLessThanOrEqual(DecibelComparison(values, try expected.doubles("logmel_full")).worstWithin60, 1e-3)
    }

    func testUnwritableOutputIsOneLineError() throws {
        let result = try CLI.run(["spectrogram", FrontendFixture.audioPath("silence_22050"), "--out", "/nonexistent-dir/x.npy"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertEqual(result.stderrLines.count, 1, result.description)
        XCTAssertTrue(result.stderr.contains("/nonexistent-dir/x.npy"), result.description)
    }
}
