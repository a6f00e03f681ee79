import Foundation
import XCTest
import _FuzzTargets
import _TestSupport

/// Replays every committed fuzz input — the seed corpora and every input that ever crashed a target
/// (`Tests/Fixtures/fuzz/<target>/`, the crashes named `crash-*` or `issue13-*`) — through the same
/// functions the libFuzzer driver calls (`Scripts/fuzz.sh`). A regression traps, failing the run.
final class FuzzRegressionTests: XCTestCase {
    private func replay(_ target: String) throws {
        let dir = Fixtures.path("fuzz/\(target)")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        XCTAssertGreaterThanOrEqual(files.count, 3, "the \(target) corpus is missing")
        for file in files {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/" + file)))
            FuzzTargets.run(target, bytes)
        }
    }

    func testAudioCorpus() throws { try replay("audio") }
    func testSafetensorsCorpus() throws { try replay("safetensors") }
    func testCSVCorpus() throws { try replay("csv") }
}
