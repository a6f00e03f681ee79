import XCTest
import AudioSpecNet
import _TestSupport

final class SafetensorsTests: XCTestCase {
    func testRoundTripKeepsNamesShapesValuesAndMetadata() throws {
        var writer = SafetensorsWriter(metadata: ["arch": "test"])
        writer.add("a.weight", shape: [2, 3], floats: [1, 2, 3, 4, 5, -6.5])
        writer.add("a.num_batches_tracked", shape: [], int64s: [7])
        let file = try SafetensorsFile(bytes: writer.serialized())
        XCTAssertEqual(file.metadata["arch"], "test")
        XCTAssertEqual(try file.shape("a.weight"), [2, 3])
        XCTAssertEqual(try file.floats("a.weight"), [1, 2, 3, 4, 5, -6.5])
        XCTAssertEqual(try file.doubles("a.num_batches_tracked"), [7])
        XCTAssertEqual(file.names, ["a.weight", "a.num_batches_tracked"])
    }

    func testTruncatedAndCorruptFilesAreErrorsNotCrashes() throws {
        var writer = SafetensorsWriter()
        writer.add("w", shape: [4], floats: [1, 2, 3, 4])
        let good = writer.serialized()
        for cut in [0, 3, 8, 12, good.count - 1] {
            XCTAssertThrowsError(try SafetensorsFile(bytes: Array(good[0..<cut]), path: "cut.safetensors")) { error in
                XCTAssertTrue("\(error)".hasPrefix("cut.safetensors: "), "\(error)")
            }
        }
        var garbage = good
        for i in 8..<16 { garbage[i] = 0x7B }
        XCTAssertThrowsError(try SafetensorsFile(bytes: garbage))
        XCTAssertThrowsError(try SafetensorsFile(path: "/nonexistent/x.safetensors")) { error in
            XCTAssertEqual("\(error)", "/nonexistent/x.safetensors: no such file")
        }
    }

    func testAtomicWriteReplacesWholeFile() throws {
        let dir = Fixtures.scratchDirectory("atomic")
        let path = dir + "/f.safetensors"
        var writer = SafetensorsWriter()
        writer.add("w", shape: [2], floats: [1, 2])
        try writer.write(to: path)
        writer.add("v", shape: [1], floats: [3])
        try writer.write(to: path)
        let file = try SafetensorsFile(path: path)
        XCTAssertEqual(file.names.count, 2)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["f.safetensors"])
    }
}
