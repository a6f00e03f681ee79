import AudioSpecNet
import Foundation
import XCTest
import _TestSupport

/// The inference library: PyTorch parity of a loaded model, streaming windows, feature capture, JSON safety,
/// the bitmap font.
final class InferLibraryTests: XCTestCase {
    typealias S = InferTestSupport

    /// A PyTorch-written model file gives PyTorch's eval-mode logits for the same input.
    func testLogitsMatchPyTorch() throws {
        let classifier = try Classifier(modelPath: S.pytorchModel)
        XCTAssertEqual(classifier.classes.count, 50)
        XCTAssertEqual(classifier.classes.first, "dog")
        XCTAssertEqual(classifier.config, .recipe)
        let check = try Fixtures.safetensors("model/pytorch_model_w8.check.safetensors")
        let shape = try check.shape("input")
        let input = Tensor(shape: shape, values: try check.floats("input"))
        let logits = classifier.logits(batch: input).flatMap { $0 }
        let expected = try check.doubles("eval.logits")
        let comparison = compare(logits, expected)
        XCTAssertLessThan(comparison.maxAbsoluteError, 1e-4 + 1e-4 * comparison.scale, "\(comparison)")
    }

    /// Streaming windows equal the windows cut from the whole decoded file; the last is padded.
    func testWindowReaderMatchesWholeFile() throws {
        let scratch = Fixtures.scratchDirectory("windows")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var long: [Float] = []
        for i in 0..<3 { long += try S.samples(S.clip(i)).samples }
        let path = scratch + "/fifteen.wav"
        try S.writeWAV(long, channels: 1, sampleRate: 16_000, to: path)
        let sr = 22_050
        let whole = try FrontEnd().waveform(path: path)
        let clip = Clip(seconds: 4, sampleRate: sr)
        let hop = 1.5
        let expectedStarts = clip.windowStarts(totalSamples: whole.count, hopSeconds: hop)
        let reader = try WindowReader(path: path, sampleRate: sr, windowSamples: clip.sampleCount, hopSamples: Int(hop * Double(sr)), waveformPoints: 100)
        var windows: [WindowReader.Window] = []
        while let w = try reader.next() { windows.append(w) }
        XCTAssertEqual(windows.map(\.start), expectedStarts)
        XCTAssertEqual(reader.totalSamples, whole.count)
        for w in windows { XCTAssertEqual(w.samples, clip.fit(whole, start: w.start)) }
        XCTAssertLessThan(windows.last!.valid, clip.sampleCount)
        XCTAssertLessThanOrEqual(reader.waveform.count, 100)
        XCTAssertGreaterThan(reader.waveform.count, 90)
        XCTAssertEqual(reader.waveform[1], whole[reader.waveformStep])
    }

    /// Runs batching windows differently (one per pass, eight per pass) agree, results come in input order,
    /// and the overall probabilities are the mean of the windows'.
    func testRunnerBatchSizesAgree() throws {
        let classifier = try Classifier(modelPath: S.pytorchModel, context: ComputeContext(threads: 2))
        let paths = [S.clip(0), "/no/such/file.wav", S.clip(1), S.clip44k, S.clip(2)]
        var a: [FileResult] = [], b: [FileResult] = []
        classifier.maxBatch = 1
        try InferenceRunner(classifier: classifier, options: InferenceOptions(windowSeconds: 2, hopSeconds: 1)).run(paths) { a.append($0) }
        classifier.maxBatch = 8
        try InferenceRunner(classifier: classifier, options: InferenceOptions(windowSeconds: 2, hopSeconds: 1)).run(paths) { b.append($0) }
        XCTAssertEqual(a.map(\.path), paths)
        XCTAssertEqual(b.map(\.path), paths)
        XCTAssertNotNil(a[1].error)
        for (x, y) in zip(a, b) where x.error == nil {
            XCTAssertEqual(x.windows.count, 4)  // 5 s in 2-s windows every 1 s: 0, 1, 2, 3 (reaches 5)
            // The two runners batch windows differently, and the convolution picks its algorithm (im2col,
            // F(2×2), F(4×4)) per batch size: equal up to float32 rounding, not bit for bit.
            assertClose(x.probabilities, y.probabilities, rel: 1e-5)
            for k in x.probabilities.indices {
                let mean = x.windows.map { Double($0.probabilities[k]) }.reduce(0, +) / Double(x.windows.count)
                XCTAssertEqual(Double(x.probabilities[k]), mean, accuracy: 1e-6)
            }
        }
    }

    /// One policy for non-finite numbers, whichever writer: the strings "nan", "inf", "-inf" (valid JSON).
    func testJSONNeverCarriesNonFiniteNumbers() throws {
        XCTAssertEqual(JSONText.number(Float.nan), "\"nan\"")
        XCTAssertEqual(JSONText.number(Double.nan), "\"nan\"")
        XCTAssertEqual(JSONText.number(Float.infinity), "\"inf\"")
        XCTAssertEqual(JSONText.number(-Double.infinity), "\"-inf\"")
        let m = JSONText.matrix([1, .nan, .infinity, -0.5], rows: 2, cols: 2)
        XCTAssertEqual(m, "[[1,\"nan\"],[\"inf\",-0.5]]")
        XCTAssertNotNil(try JSONSerialization.jsonObject(with: Data(m.utf8)) as? [[Any]])
        struct Row: Encodable { let a: Double, b: Float, c: Double }
        XCTAssertEqual(jsonString(Row(a: .nan, b: .infinity, c: -.infinity)), "{\"a\":\"nan\",\"b\":\"inf\",\"c\":\"-inf\"}",
                       "the Codable writer follows the same policy")
        XCTAssertEqual(JSONText.string("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"")
        XCTAssertEqual(finite(Float.nan), 0)
        // Channel mean of a map with a NaN stays finite.
        let t = Tensor(shape: [1, 2, 1, 2], values: [1, .nan, 3, 4])
        let mean = InferenceRunnerTestHook.channelMean(t)
        XCTAssertTrue(mean.allSatisfy(\.isFinite))
        XCTAssertEqual(mean[0], 2)
    }

    func testBitmapFontCoversPrintableASCII() {
        for a in UInt8(33)...UInt8(126) {
            let rows = BitmapFont.rows(Character(UnicodeScalar(a)))
            XCTAssertEqual(rows.count, 8)
            XCTAssertTrue(rows.contains { $0 != 0 }, "glyph \(Character(UnicodeScalar(a))) is blank")
        }
        XCTAssertEqual(BitmapFont.rows("é"), BitmapFont.rows("?"))
        XCTAssertEqual(BitmapFont.size(of: "ab", scale: 2).width, 22)
        var image = RGBImage(width: 40, height: 20)
        image.drawText("Hi", x: 1, y: 1, scale: 2, color: .black)
        let inked = (0..<20).flatMap { y in (0..<40).map { x in image[x, y] } }.filter { $0 == .black }.count
        XCTAssertGreaterThan(inked, 40)
        XCTAssertEqual(image[0, 0], .white)
        // Drawing off the edges clips instead of crashing.
        image.drawText("clipped", x: 35, y: 15, scale: 3)
        image.drawText("up", x: 2, y: 19, vertical: true)
    }
}

/// Test access to the runner's channel mean.
enum InferenceRunnerTestHook {
    static func channelMean(_ t: Tensor) -> [Float] { FeatureMapStatistics.channelMean(t).values }
}
