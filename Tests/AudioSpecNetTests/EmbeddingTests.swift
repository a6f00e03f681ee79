import AudioSpecNet
import Foundation
import XCTest
import _TestSupport

/// `infer --embeddings`: each window's embedding is the global average pool of the last stage's activations,
/// the vector the final linear layer classifies; a file's is the mean of its windows'.
final class EmbeddingTests: XCTestCase {
    typealias S = InferTestSupport

    func testEmbeddingsArePooledActivationsAndFeedTheClassifier() throws {
        let classifier = try Classifier(modelPath: S.pytorchModel)
        let runner = try InferenceRunner(classifier: classifier, options: InferenceOptions(windowSeconds: 2, hopSeconds: 1.5).withEmbeddingsForTest())
        var results: [FileResult] = []
        runner.run([S.clip(0), S.clip(3)]) { results.append($0) }
        XCTAssertEqual(results.count, 2)
        let width = classifier.model.config.stageChannels(classifier.model.config.blocks.count - 1)
        let fc = classifier.model.fc
        let weight = classifier.model.arena.values("fc.weight"), bias = classifier.model.arena.values("fc.bias")
        for result in results {
            XCTAssertNil(result.error)
            XCTAssertGreaterThan(result.windows.count, 1, "a 5-s clip in 2-s windows every 1.5 s")
            let fileEmbedding = try XCTUnwrap(result.embedding)
            XCTAssertEqual(fileEmbedding.count, width)
            var mean = [Double](repeating: 0, count: width)
            // The same windows again, one at a time, read as the runner reads them.
            let reader = try WindowReader(path: result.path, sampleRate: classifier.config.sampleRate, windowSamples: runner.windowSamples,
                                          hopSamples: runner.hopSamples, waveformPoints: 0)
            for window in result.windows {
                let embedding = try XCTUnwrap(window.embedding)
                let read = try XCTUnwrap(try reader.next())
                XCTAssertEqual(Double(read.start) / Double(classifier.config.sampleRate), window.start, accuracy: 1e-9)
                let spectrogram = classifier.frontEnd.spectrogram.compute(read.samples)
                var pooled: [Float] = []
                let logits = classifier.forward([spectrogram], frames: runner.windowFrames) { name, t in
                    guard name == "layer\(classifier.model.config.blocks.count)" else { return }
                    let plane = t.shape[2] * t.shape[3]
                    pooled = (0..<t.shape[1]).map { c in
                        (0..<plane).reduce(0.0) { $0 + Double(t.data[c * plane + $1]) }
                    }.map { Float($0 / Double(plane)) }
                }[0]
                let c = compare(embedding, pooled)
                XCTAssertLessThan(c.relativeError, 1e-5, "window at \(window.start) s: \(c)")
                // fc(embedding) gives the window's logits: the embedding is what the classifier reads.
                let fromEmbedding = (0..<fc.outFeatures).map { k in
                    (0..<width).reduce(Double(bias[k])) { $0 + Double(weight[k * width + $1]) * Double(embedding[$1]) }
                }
                XCTAssertLessThan(compare(logits, fromEmbedding).relativeError, 1e-4)
                for k in 0..<width { mean[k] += Double(embedding[k]) / Double(result.windows.count) }
            }
            XCTAssertLessThan(compare(fileEmbedding, mean).relativeError, 1e-6)
        }
    }

    func testInferWritesEmbeddingsToJSONAndNPY() throws {
        let dir = Fixtures.scratchDirectory("embeddings-cli")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let npy = dir + "/emb.npy"
        let r = try CLI.run(["infer", "--model", S.pytorchModel, "--embeddings", "--window", "2", "--embeddings-out", npy, S.clip(0), S.clip(1)])
        XCTAssertEqual(r.status, 0, "\(r)")
        let lines = S.jsonLines(r.stdout)
        XCTAssertEqual(lines.count, 2)
        let array = try NPY.read(path: npy)
        XCTAssertEqual(array.shape, [2, 64], "width 8: 64 features in the last stage")
        for (i, line) in lines.enumerated() {
            let embedding = try XCTUnwrap(line["embedding"] as? [Double])
            XCTAssertEqual(embedding.count, 64)
            XCTAssertLessThan(compare(Array(array.values[(i * 64)..<((i + 1) * 64)]), embedding).relativeError, 1e-6)
            let windows = try XCTUnwrap(line["windows"] as? [[String: Any]])
            XCTAssertTrue(windows.allSatisfy { ($0["embedding"] as? [Double])?.count == 64 })
        }
        XCTAssertEqual(try String(contentsOfFile: dir + "/emb.txt", encoding: .utf8), S.clip(0) + "\n" + S.clip(1) + "\n")
        // --embeddings-out alone writes the file but keeps the JSON (and the table) as before.
        let quiet = try CLI.run(["infer", "--model", S.pytorchModel, "--json", "--embeddings-out", npy, S.clip(0)])
        XCTAssertEqual(quiet.status, 0, "\(quiet)")
        XCTAssertNil(S.jsonLines(quiet.stdout).first?["embedding"])
        XCTAssertEqual(try NPY.read(path: npy).shape, [1, 64])
    }
}

extension InferenceOptions {
    fileprivate func withEmbeddingsForTest() -> InferenceOptions {
        var options = self
        options.embeddings = true
        return options
    }
}
