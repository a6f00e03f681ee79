import XCTest
import AudioSpecNet
import _TestSupport

/// `compare`: McNemar's exact test against sums of binomial coefficients computed here another way, the
/// pairing of two evaluations, and every malformed predictions.csv refused with its file and line.
final class PairedComparisonTests: XCTestCase {
    typealias P = EvalMetrics.ClipPrediction

    /// 2·Σ_{i ≤ k} C(n, i) / 2ⁿ with C(n, i) built by Pascal's rule in Double (exact below 2⁵³ for n ≤ 50).
    func reference(_ b: Int, _ c: Int) -> Double {
        let n = b + c
        var row = [1.0]
        for _ in 0..<n { row = zip([0] + row, row + [0]).map { $0 + $1 } }
        let tail = row.prefix(min(b, c) + 1).reduce(0, +) / pow(2, Double(n))
        return min(1, 2 * tail)
    }

    func testExactMcNemarMatchesTheBinomialSums() {
        XCTAssertEqual(PairedComparison.exactMcNemar(0, 0), 1, "no discordant clip: no evidence")
        XCTAssertEqual(PairedComparison.exactMcNemar(1, 9), 0.021484375, accuracy: 1e-15)  // 2·11/1024
        XCTAssertEqual(PairedComparison.exactMcNemar(0, 6), 0.03125, accuracy: 1e-15)     // 2/64
        XCTAssertEqual(PairedComparison.exactMcNemar(5, 5), 1)
        for (b, c) in [(3, 4), (12, 20), (20, 12), (7, 30), (0, 40), (25, 25), (17, 33)] {
            XCTAssertEqual(PairedComparison.exactMcNemar(b, c), reference(b, c), accuracy: 1e-12 * max(1, reference(b, c)), "\(b), \(c)")
        }
        // Large counts stay finite and symmetric.
        let p = PairedComparison.exactMcNemar(900, 1000)
        XCTAssertTrue(p > 0.01 && p < 0.03, "\(p)")
        XCTAssertEqual(p, PairedComparison.exactMcNemar(1000, 900))
    }

    func clips(_ correct: [Bool], prefix: String = "/data/") -> [P] {
        correct.enumerated().map { i, right in
            P(path: prefix + "clip\(i).wav", label: i % 2 == 0 ? "dog" : "rain", predicted: right ? (i % 2 == 0 ? "dog" : "rain") : "siren", probability: 0.5)
        }
    }

    func testPairsClipByClipAndCountsTheDisagreements() throws {
        let a = clips([true, true, false, false, true, false])
        let b = clips([true, false, true, false, false, false])
        let c = try PairedComparison(a, b)
        XCTAssertEqual([c.bothRight, c.onlyA, c.onlyB, c.bothWrong], [1, 2, 1, 2])
        XCTAssertEqual(c.correctA, 3)
        XCTAssertEqual(c.accuracyB, 2.0 / 6, accuracy: 1e-12)
        XCTAssertEqual(c.pValue, 1)
        // Order does not matter; other paths to the same files pair by file name and label.
        XCTAssertEqual(try PairedComparison(a, b.reversed()), c)
        XCTAssertEqual(try PairedComparison(a, clips([true, false, true, false, false, false], prefix: "/mnt/other/")), c)
    }

    func testEvaluationsOfOtherClipsAreRefused() {
        let a = clips([true, true, false])
        XCTAssertThrowsError(try PairedComparison(a, clips([true, true]))) { XCTAssertTrue("\($0)".contains("holds 3 clips and B 2"), "\($0)") }
        var b = a
        b[2] = P(path: "/data/other.wav", label: "dog", predicted: "dog", probability: 1)
        XCTAssertThrowsError(try PairedComparison(a, b)) { XCTAssertTrue("\($0)".contains("not evaluations of the same clips"), "\($0)") }
        b = a
        b[1] = P(path: a[1].path, label: "siren", predicted: "siren", probability: 1)
        XCTAssertThrowsError(try PairedComparison(a, b)) { XCTAssertTrue("\($0)".contains("labelled \"rain\" in A and \"siren\" in B"), "\($0)") }
        XCTAssertThrowsError(try PairedComparison([], a))
    }

    /// `eval`'s predictions.csv read back as written: a failed clip, an unknown label, and file names with
    /// a comma, a quote and a line break.
    func testPredictionsRoundTripThroughTheFileEvalWrites() throws {
        let classes = ["dog", "rain"]
        let clips = [LabelledClip(path: "/d/a,1.wav", label: "dog"), LabelledClip(path: "/d/say \"hi\".wav", label: "rain"),
                     LabelledClip(path: "/d/two\nlines.wav", label: "dog"), LabelledClip(path: "/d/broken.wav", label: "dog"),
                     LabelledClip(path: "/d/cat.wav", label: "cat")]
        func result(_ path: String, _ p: [Float]) -> FileResult { var r = FileResult(path: path); r.probabilities = p; return r }
        let results = [result(clips[0].path, [0.75, 0.25]), result(clips[1].path, [0.625, 0.375]), result(clips[2].path, [0.25, 0.75]),
                       FileResult(path: clips[3].path, error: "cannot decode"), result(clips[4].path, [0.875, 0.125])]
        let metrics = EvalMetrics(classes: classes, clips: clips, results: results)
        XCTAssertEqual(metrics.predictions.map(\.predicted), ["dog", "dog", "rain", nil, "dog"])
        XCTAssertEqual(metrics.predictions.filter(\.correct).count, metrics.correct)
        let dir = Fixtures.scratchDirectory("predictions-round-trip")
        _ = try EvalReport(metrics: metrics, model: "m", data: "d", summary: "s").write(to: dir)
        XCTAssertEqual(try PairedComparison.readPredictions(dir), metrics.predictions)
    }

    func testMalformedPredictionFilesAreOneLineNamingTheFile() throws {
        let dir = Fixtures.scratchDirectory("predictions")
        let header = "file,label,predicted,probability,correct\n"
        let cases: [(String, String)] = [
            ("", "is not a predictions.csv"),
            ("path,label\na.wav,dog\n", "is not a predictions.csv"),
            (header + "a.wav,dog,dog,0.9\n", "line 2: 4 fields, expected 5"),
            (header + ",dog,dog,0.9,1\n", "line 2: a row needs a file and a label"),
            (header + "a.wav,dog,dog,nan,1\n", "line 2: probability \"nan\""),
            (header + "a.wav,dog,dog,1.5,1\n", "line 2: probability \"1.5\""),
            (header + "a.wav,dog,rain,0.5,1\n", "line 2: correct is \"1\" but the prediction differs"),
            (header + "\"a.wav,dog,dog,0.5,1\n", "never closed"),
        ]
        for (i, (text, expected)) in cases.enumerated() {
            let file = dir + "/p\(i).csv"
            try text.write(toFile: file, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try PairedComparison.readPredictions(file)) {
                let message = "\($0)"
                XCTAssertTrue(message.contains(file) && message.contains(expected), message)
                XCTAssertFalse(message.contains("\n"), message)
            }
        }
        XCTAssertThrowsError(try PairedComparison.readPredictions(dir + "/absent.csv")) { XCTAssertTrue("\($0)".contains("does not exist"), "\($0)") }
        XCTAssertThrowsError(try PairedComparison.readPredictions(dir)) { XCTAssertTrue("\($0)".contains(dir + "/predictions.csv"), "\($0)") }
        // A failed clip (no prediction) reads back as wrong.
        try (header + "a.wav,dog,,,0\nb.wav,dog,dog,0.750000,1\n").write(toFile: dir + "/ok.csv", atomically: true, encoding: .utf8)
        XCTAssertEqual(try PairedComparison.readPredictions(dir + "/ok.csv"),
                       [P(path: "a.wav", label: "dog", predicted: nil, probability: nil), P(path: "b.wav", label: "dog", predicted: "dog", probability: 0.75)])

        // The CLI: the same refusal as one line, exit 2.
        CLIContract.assertCouldNotRun(try CLI.run(["compare", dir + "/p2.csv", dir + "/ok.csv"]), contains: "line 2: 4 fields")
    }
}
