import XCTest
import AudioSpecNet
import _TestSupport

/// Real `audiospecnet train` processes on the eight committed clips: killed with SIGKILL mid-epoch and
/// resumed, and interrupted with SIGINT (exit 130, a line saying how to resume). Skipped when the
/// executable has not been built beside the test bundle.
final class TrainProcessTests: XCTestCase {
    private var executable: String {
        get throws {
            let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            for candidate in [dir, dir.deletingLastPathComponent()] {
                let path = candidate.appendingPathComponent("audiospecnet").path
                if FileManager.default.isExecutableFile(atPath: path) { return path }
            }
            throw XCTSkip("audiospecnet executable not found beside \(dir.path); run `swift build -c release` first")
        }
    }

    private func start(_ args: [String]) throws -> (Process, Pipe) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try executable)
        p.arguments = ["train"] + args
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        return (p, err)
    }

    private func wait(for path: String, process: Process, timeout: Double = 60) -> Bool {
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
        let (p, _) = try start(arguments(layout, out))
        XCTAssertTrue(wait(for: out + "/metrics.csv", process: p), "the first epoch never finished")
        usleep(30_000)  // into epoch 2 (6 steps of 10–100 ms each, depending on the machine)
        XCTAssertTrue(p.isRunning, "the run finished before it could be killed; make it longer")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .uncaughtSignal)
        // whatever instant the kill hit, last.safetensors is a complete checkpoint
        let saved = try Checkpoint.read(path: out + "/last.safetensors")
        XCTAssertGreaterThanOrEqual(saved.state.epoch, 1)
        XCTAssertNoThrow(try ModelFile.load(path: out + "/last.safetensors"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.contains(".tmp-") }
        print("killed after epoch \(saved.state.epoch) (+\(saved.state.stepInEpoch) steps); temporary files left: \(leftovers)")

        let (r, rErr) = try start(arguments(layout, out) + ["--resume"])
        r.waitUntilExit()
        let rText = String(decoding: rErr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(r.terminationStatus, 0, rText)
        XCTAssertTrue(rText.contains("resuming"), rText)
        XCTAssertFalse(rText.contains("\u{1B}"), "no control characters without a terminal")
        XCTAssertNotNil(FileManager.default.contents(atPath: out + "/summary.json"))

        let straight = Fixtures.scratchDirectory("kill-straight")
        let (s, _) = try start(arguments(layout, straight))
        s.waitUntilExit()
        XCTAssertEqual(s.terminationStatus, 0)
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
        let (p, err) = try start(arguments(layout, out))
        XCTAssertTrue(wait(for: out + "/config.json", process: p))
        kill(p.processIdentifier, SIGINT)  // handlers are installed before config.json is written
        p.waitUntilExit()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(p.terminationReason, .exit, text)
        XCTAssertEqual(p.terminationStatus, 130, text)
        XCTAssertTrue(text.contains("Resume with:") && text.contains("--resume"), text)
        print("SIGINT: " + (text.split(separator: "\n").last.map(String.init) ?? ""))
        XCTAssertNoThrow(try Checkpoint.read(path: out + "/last.safetensors"))
        let (r, rErr) = try start(arguments(layout, out) + ["--resume"])
        r.waitUntilExit()
        XCTAssertEqual(r.terminationStatus, 0, String(decoding: rErr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }
}
