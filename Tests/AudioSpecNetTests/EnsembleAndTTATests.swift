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

    /// A padded view is the log-mel shifted with the uncovered frames at −100 dB; crops are K overlapping
    /// windows of (frames − the offsets' span) frames, the first at frame 0, the last ending at the last frame.
    func testPaddedAndCroppedViewsMoveTheFrames() throws {
        let config = FrontEndConfig.recipe  // 1 s = 43 hops
        let x: [Float] = (0..<(2 * 100)).map { Float($0) }  // 2 rows × 100 frames
        let pad = try TestTimeViews(count: 3, shiftSeconds: 1, scheme: .pad, config: config)
        XCTAssertEqual(pad.offsets, [-43, 0, 43])
        XCTAssertEqual(pad.viewFrames(100), 100)
        let left = pad.view(0, of: x, rows: 2, frames: 100), right = pad.view(2, of: x, rows: 2, frames: 100)
        for r in 0..<2 {
            for f in 0..<100 {
                XCTAssertEqual(left[r * 100 + f], f < 57 ? Float(r * 100 + f + 43) : -100, "left, row \(r) frame \(f)")
                XCTAssertEqual(right[r * 100 + f], f >= 43 ? Float(r * 100 + f - 43) : -100, "right, row \(r) frame \(f)")
            }
        }
        XCTAssertEqual(pad.view(1, of: x, rows: 2, frames: 100), x)
        let crop = try TestTimeViews(count: 3, shiftSeconds: 1, scheme: .crop, config: config)
        XCTAssertEqual(crop.viewFrames(100), 14)
        for (v, start) in [0, 43, 86].enumerated() {
            let view = crop.view(v, of: x, rows: 2, frames: 100)
            XCTAssertEqual(view, (0..<2).flatMap { r in (0..<14).map { Float(r * 100 + start + $0) } }, "crop \(v)")
        }
        XCTAssertThrowsError(try crop.check(windowFrames: 86)) { XCTAssertTrue("\($0)".contains("--tta-shift"), "\($0)") }
        XCTAssertNoThrow(try crop.check(windowFrames: 87))
        for scheme in TTAScheme.allCases {
            let one = try TestTimeViews(count: 1, shiftSeconds: 1, scheme: scheme, config: config)
            XCTAssertEqual(one.view(0, of: x, rows: 2, frames: 100), x, "\(scheme)")
        }
    }

    /// Through the runner: K padded or cropped views are the mean of the model on each view, and `--tta 1` is
    /// no TTA under every scheme.
    func testTTASchemesAverageTheirViews() throws {
        let c = try Classifier(modelPath: S.pytorchModel, context: ComputeContext(threads: 1))
        let spectrogram = try c.frontEnd.logMel(path: S.clip(1))
        let frames = c.config.clipFrames, mels = c.config.nMels
        let alone = probabilities(try InferenceRunner(classifier: c, options: InferenceOptions()), [S.clip(1)])[0]
        for scheme in [TTAScheme.pad, .crop] {
            var options = InferenceOptions()
            options.ttaScheme = scheme
            XCTAssertEqual(probabilities(try InferenceRunner(classifier: c, options: options), [S.clip(1)])[0], alone, "\(scheme), one view")
            options.tta = 3
            options.ttaShiftSeconds = 1
            let views = try TestTimeViews(count: 3, shiftSeconds: 1, scheme: scheme, config: c.config)
            var expected = [Double](repeating: 0, count: 50)
            for v in 0..<3 {
                let p = c.probabilities([views.view(v, of: spectrogram, rows: mels, frames: frames)], frames: views.viewFrames(frames))[0]
                for k in p.indices { expected[k] += Double(p[k]) / 3 }
            }
            let got = probabilities(try InferenceRunner(classifier: c, options: options), [S.clip(1)])[0]
            for k in got.indices { XCTAssertEqual(got[k], Float(expected[k]), accuracy: 1e-6, "\(scheme)") }
            XCTAssertNotEqual(got, alone, "\(scheme)")
        }
        var tooWide = InferenceOptions()
        tooWide.tta = 2
        tooWide.ttaShiftSeconds = 2.6  // 2 × 112 hops of the 216-frame window
        tooWide.ttaScheme = .crop
        XCTAssertThrowsError(try InferenceRunner(classifier: c, options: tooWide)) { XCTAssertTrue("\($0)".contains("leaving none"), "\($0)") }
    }

    /// Feature maps are those of the window as it is, also when no view is it (an even K, or crops).
    func testFeatureMapsSeeTheWindowAsItIs() throws {
        let c = try Classifier(modelPath: S.pytorchModel, context: ComputeContext(threads: 1))
        let spectrogram = try c.frontEnd.logMel(path: S.clip(0))
        let frames = c.config.clipFrames
        func maps(_ averaged: AveragedClassifier) -> [String: [Float]] {
            var seen: [String: [Float]] = [:]
            _ = averaged.probabilities([spectrogram], frames: frames) { name, t in seen[name] = Array(UnsafeBufferPointer(start: t.data, count: min(64, t.count))) }
            return seen
        }
        let plain = maps(try AveragedClassifier(classifiers: [c]))
        XCTAssertFalse(plain.isEmpty)
        for (tta, scheme) in [(2, TTAScheme.roll), (3, .crop), (3, .pad)] {
            XCTAssertEqual(maps(try AveragedClassifier(classifiers: [c], tta: tta, scheme: scheme)), plain, "\(tta) \(scheme)")
        }
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
        for scheme in TTAScheme.allCases {
            let run = try CLI.run(["eval", "--model", S.pytorchModel, "--data", csv, "--json", "--tta", "1", "--tta-scheme", scheme.rawValue])
            XCTAssertEqual(S.jsonLines(run.stdout).first?["accuracy"] as? Double, accuracy, "\(scheme)")
        }
        for flags in [["--tta", "0"], ["--tta-scheme", "shuffle"], ["--tta", "2", "--tta-shift", "3", "--tta-scheme", "crop"]] {
            let bad = try CLI.run(["eval", "--model", S.pytorchModel, "--data", csv] + flags)
            XCTAssertEqual(bad.status, 2, "\(flags): \(bad)")
            XCTAssertTrue(bad.stderrLines.first?.contains("--tta") == true, "\(flags): \(bad.stderr)")
        }
    }
}
