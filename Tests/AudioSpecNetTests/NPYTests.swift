import AudioSpecNet
import Foundation
import XCTest
import _TestSupport

final class NPYTests: XCTestCase {
    func testRoundTripAndHeaderAlignment() throws {
        let values: [Float] = (0..<24).map { Float($0) * 0.5 - 3 }
        let bytes = NPY.encode(values, shape: [2, 3, 4])
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        XCTAssertEqual((10 + headerLength) % 64, 0, "data must start 64-byte aligned")
        XCTAssertEqual(bytes[10 + headerLength - 1], 0x0A, "header ends with a newline")
        let (shape, back) = try NPY.decode(bytes)
        XCTAssertEqual(shape, [2, 3, 4])
        XCTAssertEqual(back, values)
        XCTAssertEqual(try NPY.decode(NPY.encode([7], shape: [1])).shape, [1])
        XCTAssertThrowsError(try NPY.decode(Array(bytes.prefix(bytes.count - 1))))
        XCTAssertThrowsError(try NPY.decode([1, 2, 3]))
    }

    /// numpy itself loads what we write (skipped where python3 with numpy is absent, as in CI).
    func testNumpyLoadsIt() throws {
        let dir = Fixtures.scratchDirectory("npy")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try NPY.write([1, -2.5, 3, 4, 5, 6], shape: [2, 3], to: dir + "/a.npy")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import numpy as n; a = n.load('\(dir)/a.npy'); assert a.shape == (2, 3) and a.dtype == n.float32 and a[0, 1] == -2.5 and a.flags['C_CONTIGUOUS']"]
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { throw XCTSkip("python3 not available") }
        process.waitUntilExit()
        try XCTSkipIf(process.terminationStatus != 0 && !hasNumpy(), "numpy not available")
        XCTAssertEqual(process.terminationStatus, 0)
    }

    private func hasNumpy() -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import numpy"]
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }
}
