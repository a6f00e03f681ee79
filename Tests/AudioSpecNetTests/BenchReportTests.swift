import AudioSpecNet
import Foundation
import XCTest
import _TestSupport

/// `bench network`'s rounds and inputs: the frames of a clip at each rate, medians with their spread and the
/// ratios of the medians in the table, and a real (tiny) run at 16 kHz over two rounds.
final class BenchReportTests: XCTestCase {
    func testFramesOfAFiveSecondClip() {
        XCTAssertEqual(NetworkBenchmark.frames(sampleRate: 22_050), 216)  // the recipe
        XCTAssertEqual(NetworkBenchmark.frames(sampleRate: 16_000), 157)  // the shipped model
    }

    private func result(train: Double, b1: Double) -> NetworkBenchmark.Result {
        NetworkBenchmark.Result(clock: "wall", threads: 2, batch: 32, frames: 157, mels: 128,
                                cpu: CPUDescription(model: "Test CPU", features: ["avx2", "fma"], openBLASCore: "Zen"),
                                trainSamplesPerSecond: train, trainStepSeconds: 32 / train, inferMsPerClipBatch1: b1,
                                inferMsPerClipBatched: 10, peakRSSMiB: 900, trainPeakRSSMiB: 800, sgemmPeakGFLOPS: 180, layers: [], inferenceLayers: [])
    }

    func testTableShowsMediansSpreadsAndRatiosOfMedians() {
        let swift = [result(train: 15, b1: 30), result(train: 13, b1: 36), result(train: 14, b1: 31)]
        let pytorch: [[String: Any]] = [10.0, 11.0].map { train in
            ["configs": ["default": ["train_samples_per_s": train, "infer_ms_per_clip_b1": 40.0, "infer_ms_per_clip_b32": 20.0, "peak_rss_mib": 1000.0]]]
        }
        let table = NetworkBenchmarkReport(swift: swift, pytorch: pytorch).table(showLayers: false)
        let lines = table.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines[0].contains("Test CPU (avx2 fma, no avx512f); OpenBLAS Zen kernels"), table)
        XCTAssertTrue(lines[1].contains("1×128×157") && lines[1].contains("3 rounds"), table)
        let train = try! XCTUnwrap(lines.first { $0.hasPrefix("train samples/s") })
        // Swift median 14 of 13–15; PyTorch median 10.5 of 10–11 (two rounds); 14 / 10.5 = 1.33×
        XCTAssertTrue(train.contains("14.00 (13.00–15.00)") && train.contains("10.50 (10.00–11.00)") && train.hasSuffix("1.33×"), train)
        let b1 = try! XCTUnwrap(lines.first { $0.hasPrefix("infer ms/clip, batch 1") })
        XCTAssertTrue(b1.contains("31.00 (30.00–36.00)") && b1.contains("40.00") && b1.hasSuffix("1.29×"), b1)  // 40 / 31
    }

    func testTwoRoundsAtSixteenKilohertz() throws {
        let r = try CLI.run(["bench", "network", "--width", "2", "--batch-size", "2", "--steps", "1", "--threads", "1",
                             "--rounds", "2", "--sample-rate", "16000", "--no-pytorch"])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertTrue(r.stdout.contains("1×128×157") && r.stdout.contains("2 rounds"), r.stdout)
        XCTAssertTrue(r.stdout.contains("(PyTorch side not run)"), r.stdout)
        let json = try CLI.run(["bench", "network", "--width", "2", "--batch-size", "2", "--steps", "1", "--threads", "1",
                                "--rounds", "2", "--json"])
        XCTAssertEqual(json.status, 0, "\(json)")
        let objects = InferTestSupport.jsonLines(json.stdout)
        XCTAssertEqual(objects.count, 2)
        XCTAssertEqual(objects.first?["frames"] as? Int, 216)
        XCTAssertNotNil((objects.first?["cpu"] as? [String: Any])?["openblas_core"])
        CLIContract.assertCouldNotRun(try CLI.run(["bench", "network", "--sample-rate", "100"]), contains: "--sample-rate", usage: true)
    }
}
