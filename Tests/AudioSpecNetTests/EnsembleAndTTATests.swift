import AudioSpecNet
import Foundation
import XCTest
import _TestSupport

/// `--model` more than once (an ensemble: the mean softmax) and `--tta K` (the mean over K time-shifted views),
/// both through the one inference runner that `infer` and `eval` share.
final class EnsembleAndTTATests: XCTestCase {
    typealias S = InferTestSupport

    func probabilities(_ runner: InferenceRunner, _ paths: [String]) -> [[Float]] {
        var out: [[Float]] = []
        runner.run(paths) { out.append($0.probabilities) }
        return out
    }

    /// Two copies of one model give that model's answer; `--tta 1` is exactly no TTA.
    func testTwoCopiesAndOneViewChangeNothing() throws {
        let c = try Classifier(modelPath: S.pytorchModel, context: ComputeContext(threads: 1))
        let paths = [S.clip(0), S.clip(1), S.clip44k]
        let alone = probabilities(try InferenceRunner(classifier: c, options: InferenceOptions()), paths)
        var one = InferenceOptions()
        one.tta = 1
        XCTAssertEqual(probabilities(try InferenceRunner(classifier: c, options: one), paths), alone)
        let twice = probabilities(try InferenceRunner(classifiers: [c, c], options: InferenceOptions()), paths)
        for (a, b) in zip(alone, twice) {
            XCTAssertEqual(a.count, 50)
            for k in a.indices { XCTAssertEqual(a[k], b[k], accuracy: 1e-6) }
        }
    }

    /// K views are the mean of the model on each rolled log-mel, at offsets evenly spaced over ±shift.
    func testTTAIsTheMeanOverRolledViews() throws {
        let c = try Classifier(modelPath: S.pytorchModel, context: ComputeContext(threads: 1))
        var options = InferenceOptions()
        options.tta = 3
        options.ttaShiftSeconds = 1
        let runner = try InferenceRunner(classifier: c, options: options)
        XCTAssertEqual(runner.ttaOffsets, [-43, 0, 43], "1 s at 22 050 Hz is 43.07 hops of 512")
        options.tta = 4
        XCTAssertEqual(try InferenceRunner(classifier: c, options: options).ttaOffsets, [-43, -14, 14, 43])
        let spectrogram = try c.frontEnd.logMel(path: S.clip(1))
        let frames = c.config.clipFrames, mels = c.config.nMels
        var expected = [Double](repeating: 0, count: 50)
        for offset in [-43, 0, 43] {
            let p = c.probabilities([FrameRoll.rolled(spectrogram, rows: mels, frames: frames, by: offset)], frames: frames)[0]
            for k in p.indices { expected[k] += Double(p[k]) / 3 }
        }
        let got = probabilities(runner, [S.clip(1)])[0]
        for k in got.indices { XCTAssertEqual(got[k], Float(expected[k]), accuracy: 1e-6) }
        XCTAssertNotEqual(got, probabilities(try InferenceRunner(classifier: c, options: InferenceOptions()), [S.clip(1)])[0])
    }

    /// Models that disagree on classes or front end cannot be averaged: refused, naming the file.
    func testMismatchedModelsAreRefused() throws {
        let dir = Fixtures.scratchDirectory("ensemble-mismatch")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = AudioCNNConfig(width: 8, blocks: [1, 1], numClasses: 2)
        try S.writeModel(config: config, classes: ["a", "b"], to: dir + "/ab.safetensors")
        try S.writeModel(config: config, classes: ["b", "a"], to: dir + "/ba.safetensors")
        let ab = try Classifier(modelPath: dir + "/ab.safetensors"), ba = try Classifier(modelPath: dir + "/ba.safetensors")
        XCTAssertThrowsError(try InferenceRunner(classifiers: [ab, ba], options: InferenceOptions())) {
            XCTAssertTrue("\($0)".hasPrefix(dir + "/ba.safetensors: its classes differ"), "\($0)")
        }
        var bad = InferenceOptions()
        bad.tta = 0
        XCTAssertThrowsError(try InferenceRunner(classifier: ab, options: bad))
    }

    /// Through the CLI: `eval` with the model twice and with --tta 1 prints the single model's figures.
    func testEvalTakesEnsemblesAndTTA() throws {
        let csv = Fixtures.scratchDirectory("ensemble-eval") + ".csv"
        defer { try? FileManager.default.removeItem(atPath: csv) }
        let rows = S.clips.indices.map { "\(S.clip($0)),\(S.clips[$0].label)" }
        try (["path,label"] + rows).joined(separator: "\n").write(toFile: csv, atomically: true, encoding: .utf8)
        let base = try CLI.run(["eval", "--model", S.pytorchModel, "--data", csv, "--json"])
        XCTAssertTrue([0, 1].contains(base.status), "\(base)")
        let accuracy = S.jsonLines(base.stdout).first?["accuracy"] as? Double
        XCTAssertNotNil(accuracy)
        for extra in [["--model", S.pytorchModel], ["--tta", "1"]] {
            let run = try CLI.run(["eval", "--model", S.pytorchModel, "--data", csv, "--json"] + extra)
            XCTAssertEqual(run.status, base.status, "\(run)")
            XCTAssertEqual(S.jsonLines(run.stdout).first?["accuracy"] as? Double, accuracy, "\(extra)")
        }
        let bad = try CLI.run(["eval", "--model", S.pytorchModel, "--data", csv, "--tta", "0"])
        XCTAssertEqual(bad.status, 2, "\(bad)")
        XCTAssertTrue(bad.stderrLines.first?.contains("--tta") == true, bad.stderr)
    }
}
