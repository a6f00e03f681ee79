import XCTest
import AudioSpecNet
import _TestSupport

/// Real `audiospecnet train` processes on the eight committed clips: killed with SIGKILL after the first
/// epoch and resumed, and interrupted with SIGINT (exit 130, a line saying how to resume). Skipped when
/// the executable has not been built.
final class TrainProcessTests: XCTestCase {
    private func start(_ args: [String]) throws -> CLI.Running {
        guard FileManager.default.isExecutableFile(atPath: CLI.binaryPath) else {
            throw XCTSkip("audiospecnet executable not found at \(CLI.binaryPath); run `swift build -c release` first")
        }
        return try CLI.start(["train"] + args)
    }

    /// Waits until `path` exists (true) or the process has ended without it.
    private func wait(for path: String, process: CLI.Running, timeout: Double = 60) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: path) { return true }
            if !process.isRunning { return FileManager.default.fileExists(atPath: path) }
            usleep(5_000)
        }
        return false
    }

    private func arguments(_ layout: String, _ out: String, epochs: Int = 6) -> [String] {
        ["--data", layout, "--test-fold", "3", "--val-fold", "2", "--epochs", "\(epochs)", "--batch-size", "1", "--width", "4",
         "--threads", "1", "--seed", "5", "--out", out, "--cache", "none"]
    }

    private func tensors(_ path: String) throws -> [String: [Float]] {
        let f = try SafetensorsFile(path: path)
        var d: [String: [Float]] = [:]
        for n in f.names { d[n] = try f.floats(n) }
        return d
    }

    func testKillNineMidEpochThenResumeMatchesAnUninterruptedRun() throws {
        let layout = try TrainClips.makeLayout(label: "kill")
        let out = Fixtures.scratchDirectory("kill-run")
        let p = try start(arguments(layout, out))
        // Killed as soon as the first epoch's files exist: whatever instant that is (between two steps,
        // inside a step, during a checkpoint write), the resume must give the uninterrupted run.
        XCTAssertTrue(wait(for: out + "/metrics.csv", process: p), "the first epoch never finished")
        p.signal(SIGKILL)
        let killed = p.wait()
        XCTAssertTrue(killed.signalled, "\(killed)")
        // whatever instant the kill hit, last.safetensors is a complete checkpoint
        let saved = try Checkpoint.read(path: out + "/last.safetensors")
        XCTAssertGreaterThanOrEqual(saved.state.epoch, 1)
        XCTAssertNoThrow(try ModelFile.load(path: out + "/last.safetensors"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.contains(".tmp-") }
        print("killed after epoch \(saved.state.epoch) (+\(saved.state.stepInEpoch) steps); temporary files left: \(leftovers)")

        let r = try start(arguments(layout, out) + ["--resume"]).wait()
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertTrue(r.stdout.contains("resuming"), "the run's record goes to stdout: \(r)")
        XCTAssertFalse(r.stderr.contains("\u{1B}") || r.stdout.contains("\u{1B}"), "no control characters without a terminal")
        XCTAssertNotNil(FileManager.default.contents(atPath: out + "/summary.json"))

        let straight = Fixtures.scratchDirectory("kill-straight")
        let s = try start(arguments(layout, straight)).wait()
        XCTAssertEqual(s.status, 0, "\(s)")
        XCTAssertEqual(try tensors(out + "/last.safetensors"), try tensors(straight + "/last.safetensors"), "resumed ≠ uninterrupted")
        func curves(_ dir: String) throws -> [String] {
            try String(contentsOfFile: dir + "/metrics.csv", encoding: .utf8).split(separator: "\n")
                .map { $0.split(separator: ",").enumerated().filter { ![6, 7, 9].contains($0.offset) }.map(\.element).joined(separator: ",") }
        }
        XCTAssertEqual(try curves(out), try curves(straight))
    }

    func testSIGINTSavesAtAStepBoundaryAndExits130() throws {
        let layout = try TrainClips.makeLayout(label: "sigint")
        let out = Fixtures.scratchDirectory("sigint-run")
        let p = try start(arguments(layout, out))
        XCTAssertTrue(wait(for: out + "/config.json", process: p))
        p.signal(SIGINT)  // handlers are installed before config.json is written
        let r = p.wait()
        XCTAssertFalse(r.signalled, "\(r)")
        XCTAssertEqual(r.status, 130, "\(r)")
        XCTAssertTrue(r.stderrLines.contains { $0.hasPrefix("Error: interrupted") && $0.contains("Resume with:") && $0.contains("--resume") }, "\(r)")
        print("SIGINT: " + (r.stderrLines.last ?? ""))
        XCTAssertNoThrow(try Checkpoint.read(path: out + "/last.safetensors"))
        let resumed = try start(arguments(layout, out) + ["--resume"]).wait()
        XCTAssertEqual(resumed.status, 0, "\(resumed)")
    }
}
