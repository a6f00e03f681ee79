import AudioSpecNet
import Foundation
import XCTest
import _TestSupport

/// `audiospecnet export` as a user runs it: from a model file and from a checkpoint, f32/f16 safetensors and
/// ONNX, the float16 check on real clips, the ONNX test data, and bad arguments refused in one line.
final class ExportCommandTests: XCTestCase {
    typealias S = InferTestSupport

    func testFloat16ExportOfAModelFileWithTheTop1Check() throws {
        let dir = Fixtures.scratchDirectory("export-cli-f16")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/model-f16.safetensors"
        let r = try CLI.run(["export", S.pytorchModel, "--out", out, "--dtype", "f16", "--check", S.clipsDirectory])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertTrue(r.stdout.contains("wrote \(out): F16"), r.stdout)
        XCTAssertTrue(r.stdout.contains("float16 rounding: largest change"), r.stdout)
        XCTAssertTrue(r.stdout.contains("check: top-1 changed on "), r.stdout)
        XCTAssertTrue(r.stdout.contains(" of 5 clips"), r.stdout)
        let file = try SafetensorsFile(path: out)
        XCTAssertEqual(try file.entry("fc.weight").dtype, .f16)
        XCTAssertEqual(try file.entry("conv1.1.num_batches_tracked").dtype, .i64)
        // What the check reports is what infer then does with the two files.
        let before = try CLI.run(["infer", "--model", S.pytorchModel, "--json", "--top", "1", S.clipsDirectory])
        let after = try CLI.run(["infer", "--model", out, "--json", "--top", "1", S.clipsDirectory])
        XCTAssertEqual(before.status, 0, "\(before)")
        XCTAssertEqual(after.status, 0, "\(after)")
        func top1(_ text: String) -> [String] {
            S.jsonLines(text).map { (($0["predictions"] as? [[String: Any]])?.first?["class"] as? String) ?? "?" }
        }
        let changed = zip(top1(before.stdout), top1(after.stdout)).filter { $0 != $1 }.count
        XCTAssertTrue(r.stdout.contains("top-1 changed on \(changed) of 5 clips"), r.stdout)
        // And back to float32: the widened values, bit for bit.
        let back = dir + "/back.safetensors"
        let again = try CLI.run(["export", out, "--out", back])
        XCTAssertEqual(again.status, 0, "\(again)")
        let widened = try ModelFile.load(path: out), restored = try ModelFile.load(path: back)
        XCTAssertEqual(try restored.file.entry("fc.weight").dtype, .f32)
        for e in widened.model.arena.entries { XCTAssertEqual(restored.model.arena.values(e.name), widened.model.arena.values(e.name), e.name) }
    }

    func testONNXExportWritesTestDataWithTheToolsOwnLogits() throws {
        let dir = Fixtures.scratchDirectory("export-cli-onnx")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let clips = [S.clip(0), S.clip(2)]
        let r = try CLI.run(["export", S.pytorchModel, "--out", dir + "/m.onnx", "--check"] + clips + ["--test-data", dir + "/data"])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertTrue(r.stdout.contains("ONNX opset 17, "), r.stdout)
        let onnx = try DecodedONNX(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/m.onnx"))))
        XCTAssertEqual(onnx.inputs.first?.dims, [.param("batch"), .value(1), .value(128), .param("frames")])
        XCTAssertEqual(onnx.outputs.first?.dims, [.param("batch"), .value(50)])
        let source = try SafetensorsFile(path: S.pytorchModel)
        // The same class list (as JSON: the source was written by Python, whose spacing differs).
        let classes = try JSONDecoder().decode([String].self, from: Data(try XCTUnwrap(onnx.metadata["classes"]).utf8))
        XCTAssertEqual(classes, try JSONDecoder().decode([String].self, from: Data(try XCTUnwrap(source.metadata["classes"]).utf8)))
        let input = try NPY.read(path: dir + "/data/input.npy")
        let logits = try NPY.read(path: dir + "/data/logits.npy")
        XCTAssertEqual(input.shape, [2, 1, 128, 216])
        XCTAssertEqual(logits.shape, [2, 50])
        XCTAssertEqual(try String(contentsOfFile: dir + "/data/files.txt", encoding: .utf8), clips.map { $0 + "\n" }.joined())
        // The logits are this tool's for those log-mels, and the log-mels the front end's.
        let classifier = try Classifier(modelPath: S.pytorchModel)
        let mels = try clips.map { try classifier.frontEnd.logMel(path: $0) }
        // (to float32 rounding: the mel sgemm's blocking depends on the thread count)
        XCTAssertLessThan(compare(input.values, mels.flatMap { $0 }).relativeError, 1e-6)
        let expected = classifier.logits(mels, frames: 216).flatMap { $0 }
        XCTAssertLessThan(compare(logits.values, expected).relativeError, 1e-5)
    }

    func testCheckpointExportLeavesOutTheOptimizer() throws {
        let dir = Fixtures.scratchDirectory("export-cli-checkpoint")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = try AudioCNN(config: AudioCNNConfig(width: 4, blocks: [1, 1], numClasses: 4), seed: 2)
        var options = TrainClips.smallOptions(data: dir)
        options.architecture = model.config
        try Checkpoint.write(to: dir + "/last.safetensors", model: model, optimizer: AdamW(parameterCount: model.arena.parameterCount),
                             state: CheckpointState(), options: options, dataIdentity: [], classes: ["dog", "rooster", "clock_tick", "rain"])
        let r = try CLI.run(["export", dir + "/last.safetensors", "--out", dir + "/model.safetensors"])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertTrue(r.stdout.contains("(from the checkpoint "), r.stdout)
        let file = try SafetensorsFile(path: dir + "/model.safetensors")
        XCTAssertFalse(file.names.contains { $0.hasPrefix(ModelFile.checkpointPrefix) })
        XCTAssertNil(file.metadata["checkpoint"])
        XCTAssertNotNil(file.metadata["checkpoint_summary"])
        let infer = try CLI.run(["infer", "--model", dir + "/model.safetensors", S.clip(1)])
        XCTAssertEqual(infer.status, 0, "\(infer)")
    }

    func testBadArgumentsAreRefusedInOneLine() throws {
        let dir = Fixtures.scratchDirectory("export-cli-bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cases: [([String], String)] = [
            (["export", S.pytorchModel, "--out", dir + "/m.onnx", "--dtype", "f16"], "ONNX export is float32 only"),
            (["export", S.pytorchModel, "--out", dir + "/m.safetensors", "--dtype", "f64"], "--dtype must be f32 or f16"),
            (["export", S.pytorchModel, "--out", dir + "/m.safetensors", "--fold-batchnorm"], "--fold-batchnorm applies to --format onnx only"),
            (["export", S.pytorchModel, "--out", dir + "/m.onnx", "--test-data", dir + "/d"], "--test-data needs clips"),
            (["export", S.pytorchModel, "--out", S.pytorchModel], "--out is the model file itself"),
            (["export", dir + "/missing.safetensors", "--out", dir + "/m.safetensors"], "no such model file"),
        ]
        for (arguments, message) in cases {
            let r = try CLI.run(arguments)
            XCTAssertEqual(r.status, 2, "\(arguments): \(r)")
            // One line says why (a bad command line is followed by the usage, as for every subcommand).
            XCTAssertTrue(r.stderrLines.first?.hasPrefix("Error: ") ?? false, "\(arguments): \(r)")
            XCTAssertTrue(r.stderrLines.first?.contains(message) ?? false, "\(arguments): \(r)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [], "nothing written")
        let help = try CLI.run(["--help"])
        XCTAssertTrue(help.stdout.contains("export"), help.stdout)
    }
}
