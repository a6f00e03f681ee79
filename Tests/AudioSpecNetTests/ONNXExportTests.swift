import AudioSpecNet
import Foundation
import XCTest
import _TestSupport

/// The ONNX file parses back (with a reader written separately from the writer) into the graph the network
/// is: inputs, outputs, nodes in order, initializers under the state_dict names with the model's values,
/// and the metadata; folding BatchNorm leaves the network's function unchanged up to rounding.
/// onnxruntime's own run on real clips is Scripts/check_onnx.py (Python, not part of the test suite).
final class ONNXExportTests: XCTestCase {
    /// Stage 1 has an identity block after the first; stage 2 starts with a shortcut (stride 2, 4 → 8).
    static let config = AudioCNNConfig(width: 4, blocks: [2, 1], numClasses: 3)

    static func exported(fold: Bool) throws -> (model: AudioCNN, metadata: ModelMetadata, onnx: DecodedONNX) {
        let model = try AudioCNN(config: config, seed: 3)
        var generator = RandomGenerator(seed: 11)
        let x = Tensor(shape: [2, 1, 32, 40])
        for _ in 0..<5 {  // non-default BatchNorm statistics
            for i in 0..<x.count { x.data[i] = -60 + 40 * generator.nextFloat() }
            _ = model.forward(x, training: true)
        }
        // and non-trivial BatchNorm γ and β
        for e in model.arena.entries where e.kind == .parameter && e.shape.count == 1 && !e.name.hasPrefix("fc.") {
            let p = model.arena.pointer(e.name)
            for i in 0..<e.count { p[i] += 0.2 * (generator.nextFloat() - 0.5) }
        }
        let metadata = ModelExport.modelMetadata(InferTestSupport.metadata(config: config, classes: ["dog", "rain", "siren"]))
        let bytes = ONNXExport.model(model, metadata: metadata, nMels: 32, foldBatchNorm: fold).serialized()
        return (model, metadata, try DecodedONNX(bytes: bytes))
    }

    func testGraphParsesBackWithTheModelsStructureWeightsAndMetadata() throws {
        let (model, metadata, onnx) = try Self.exported(fold: false)
        XCTAssertEqual(onnx.irVersion, 8)
        XCTAssertEqual(onnx.opset, 17)
        XCTAssertEqual(onnx.producer, "audiospecnet")
        XCTAssertEqual(onnx.inputs.count, 1)
        XCTAssertEqual(onnx.inputs[0].name, "log_mel")
        XCTAssertEqual(onnx.inputs[0].elemType, 1)
        XCTAssertEqual(onnx.inputs[0].dims, [.param("batch"), .value(1), .value(32), .param("frames")])
        XCTAssertEqual(onnx.outputs.count, 1)
        XCTAssertEqual(onnx.outputs[0].name, "logits")
        XCTAssertEqual(onnx.outputs[0].dims, [.param("batch"), .value(3)])
        // stem: conv, BN, ReLU, max-pool; each block conv-BN-ReLU-conv-BN-add-ReLU, + conv-BN on a shortcut; pool, flatten, gemm.
        XCTAssertEqual(onnx.nodes.count, 4 + 3 * 7 + 1 * 2 + 3)
        XCTAssertEqual(onnx.nodes.map(\.opType).prefix(4), ["Conv", "BatchNormalization", "Relu", "MaxPool"])
        XCTAssertEqual(onnx.nodes.map(\.opType).suffix(3), ["GlobalAveragePool", "Flatten", "Gemm"])
        XCTAssertEqual(onnx.nodes.last?.outputs, ["logits"])
        // Every node reads the graph input, an initializer or an earlier node's output (topological order).
        var known = Set(["log_mel"]).union(onnx.initializers.keys)
        for node in onnx.nodes {
            for input in node.inputs { XCTAssertTrue(known.contains(input), "\(node.name) reads \(input) before it exists") }
            known.formUnion(node.outputs)
        }
        let stem = try XCTUnwrap(onnx.nodes.first)
        XCTAssertEqual(DecodedONNX.ints(stem.attributes["kernel_shape"]), [7, 7])
        XCTAssertEqual(DecodedONNX.ints(stem.attributes["strides"]), [2, 2])
        XCTAssertEqual(DecodedONNX.ints(stem.attributes["pads"]), [3, 3, 3, 3])
        XCTAssertEqual(DecodedONNX.float(onnx.nodes[1].attributes["epsilon"]), 1e-5)
        XCTAssertEqual(DecodedONNX.ints(onnx.nodes[3].attributes["pads"]), [1, 1, 1, 1])
        let shortcut = try XCTUnwrap(onnx.nodes.first { $0.name == "layer2.0.shortcut.0" })
        XCTAssertEqual(DecodedONNX.ints(shortcut.attributes["strides"]), [2, 2])
        XCTAssertEqual(DecodedONNX.ints(shortcut.attributes["kernel_shape"]), [1, 1])
        XCTAssertEqual(DecodedONNX.int(onnx.nodes.last?.attributes["transB"]), 1)
        // Initializers: every float tensor of the state_dict, in its order, shape and values bit for bit.
        let floatEntries = model.arena.entries.filter { $0.kind != .counter }
        XCTAssertEqual(Set(onnx.initializerOrder), Set(floatEntries.map(\.name)))
        for e in floatEntries {
            let t = try XCTUnwrap(onnx.initializers[e.name], e.name)
            XCTAssertEqual(t.dims, e.shape, e.name)
            XCTAssertEqual(t.dataType, 1, e.name)
            XCTAssertEqual(t.values, model.arena.values(e.name), e.name)
        }
        // The same text as the safetensors metadata.
        let header = ModelFile.headerMetadata(metadata)
        XCTAssertEqual(onnx.metadata["classes"], header["classes"])
        XCTAssertEqual(onnx.metadata["frontend"], header["frontend"])
        XCTAssertEqual(onnx.metadata["classes"], "[\"dog\",\"rain\",\"siren\"]")
        XCTAssertNotNil(try JSONSerialization.jsonObject(with: Data(try XCTUnwrap(onnx.metadata["frontend"]).utf8)) as? [String: Any])
    }

    /// The folded graph's convolutions, put back into an AudioCNN whose BatchNorms only add the folded bias
    /// (γ = 1, μ = 0, σ² + ε = 1), give the original network's logits.
    func testFoldedBatchNormComputesTheSameLogits() throws {
        let (model, _, onnx) = try Self.exported(fold: true)
        XCTAssertEqual(onnx.nodes.count, 3 + 3 * 5 + 1 + 3)
        XCTAssertFalse(onnx.nodes.contains { $0.opType == "BatchNormalization" })
        let rebuilt = try AudioCNN(config: Self.config)
        for e in model.arena.entries where e.name.hasSuffix(".weight") && e.shape.count == 4 {
            let conv = String(e.name.dropLast(".weight".count))
            let w = try XCTUnwrap(onnx.initializers[e.name], e.name)
            let b = try XCTUnwrap(onnx.initializers[conv + ".bias"], conv)
            XCTAssertEqual(w.dims, e.shape)
            rebuilt.arena.pointer(e.name).update(from: w.values, count: e.count)
            // conv1.0 → conv1.1, layerS.B.convK → bnK, shortcut.0 → shortcut.1
            let bn = conv.hasSuffix(".0") ? String(conv.dropLast()) + "1"
                : conv.replacingOccurrences(of: ".conv", with: ".bn")
            let channels = e.shape[0]
            rebuilt.arena.pointer(bn + ".weight").update(repeating: 1, count: channels)
            rebuilt.arena.pointer(bn + ".bias").update(from: b.values, count: channels)
            rebuilt.arena.pointer(bn + ".running_mean").update(repeating: 0, count: channels)
            rebuilt.arena.pointer(bn + ".running_var").update(repeating: 1 - 1e-5, count: channels)
        }
        for name in ["fc.weight", "fc.bias"] {
            let t = try XCTUnwrap(onnx.initializers[name])
            XCTAssertEqual(t.values, model.arena.values(name))
            rebuilt.arena.pointer(name).update(from: t.values, count: t.values.count)
        }
        var generator = RandomGenerator(seed: 5)
        let x = Tensor(shape: [3, 1, 32, 40])
        for i in 0..<x.count { x.data[i] = -60 + 40 * generator.nextFloat() }
        let a = Array(UnsafeBufferPointer(start: model.forward(x, training: false).data, count: 9))
        let b = Array(UnsafeBufferPointer(start: rebuilt.forward(x, training: false).data, count: 9))
        let c = compare(b, a)
        XCTAssertLessThan(c.relativeError, 1e-4, "\(c)")
    }
}
