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
        XCTAssertTrue(wait(for: out + "/last.safetensors", process: p), "the first epoch never finished")
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
        try checkEventFiles(killed: out, resumedAt: saved.state.globalStep, straight: straight)
    }

    /// The TensorBoard files of the killed and resumed run: the killed run's file holds whole records (its
    /// CRCs check), the resume's begins with SessionLog START at the checkpoint's step, and read as
    /// TensorBoard reads them (the first file's steps from START on dropped) they hold the uninterrupted
    /// run's per-step and per-epoch scalars, step for step and value for value.
    private func checkEventFiles(killed out: String, resumedAt start: Int, straight: String) throws {
        func files(_ dir: String) throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("events.out.tfevents.") }.sorted().map { dir + "/" + $0 }
        }
        func events(_ path: String) throws -> [DecodedEvent] {
            try TFRecordFile.records(Array(try XCTUnwrap(FileManager.default.contents(atPath: path)))).map { try DecodedEvent($0.data) }
        }
        let (resumed, once) = (try files(out), try files(straight))
        XCTAssertEqual(resumed.count, 2, "\(resumed)")
        XCTAssertEqual(once.count, 1, "\(once)")
        guard resumed.count == 2, once.count == 1 else { return }
        let first = try events(resumed[0]), second = try events(resumed[1]), reference = try events(once[0])
        XCTAssertEqual(second.dropFirst().first?.sessionStatus, 1)
        XCTAssertEqual(second.dropFirst().first?.step, start)
        func scalars(_ events: [DecodedEvent]) -> [String] {
            events.flatMap { e in
                e.values.filter { $0.scalar != nil && $0.tag != "train/samples_per_second" }.map { "\($0.tag)@\(e.step)=\($0.scalar!)" }
            }
        }
        XCTAssertEqual(scalars(first.filter { $0.step < start }) + scalars(second), scalars(reference))
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
        let saved = try Checkpoint.read(path: out + "/last.safetensors")
        // the event file holds every step the checkpoint holds (written before it), none after
        let files = try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.hasPrefix("events.out.tfevents.") }
        XCTAssertEqual(files.count, 1, "\(files)")
        let events = try TFRecordFile.records(Array(try XCTUnwrap(FileManager.default.contents(atPath: out + "/" + files[0])))).map { try DecodedEvent($0.data) }
        XCTAssertEqual(events.filter { $0.values.contains { $0.tag == "train/loss" } }.map(\.step), Array(0..<saved.state.globalStep))
        let resumed = try start(arguments(layout, out) + ["--resume"]).wait()
        XCTAssertEqual(resumed.status, 0, "\(resumed)")
    }
}
