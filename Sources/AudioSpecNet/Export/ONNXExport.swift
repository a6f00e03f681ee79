import Foundation

/// AudioCNN in evaluation mode as an ONNX graph: input `log_mel` (N, 1, n_mels, frames) in dB, N and frames
/// dynamic (the network is convolutional up to a global average pool), output `logits` (N, classes).
/// Dropout is the identity in evaluation and is left out. Initializers keep the state_dict names.
///
/// BatchNorm is written as BatchNormalization nodes over the running statistics (the file is the trained
/// model, tensor for tensor), or with `foldBatchNorm` folded into the preceding convolution
/// (w·γ/√(σ²+ε) and β − μ·γ/√(σ²+ε), computed in float64, rounded once): fewer nodes, rounding changed
/// slightly (onnxruntime folds them itself when it optimises the graph, so both run the same way there).
public enum ONNXExport {
    public static let inputName = "log_mel"
    public static let outputName = "logits"

    /// The ONNX model of `network`; `metadata` supplies `metadata_props` (classes, frontend, architecture
    /// and, when present, training_summary and checkpoint_summary), the same text as the safetensors metadata.
    public static func model(_ network: AudioCNN, metadata: ModelMetadata, nMels: Int, foldBatchNorm: Bool = false) -> ONNXModel {
        var builder = Builder(arena: network.arena, fold: foldBatchNorm)
        var h = builder.convBN(inputName, conv: network.stem, convName: "conv1.0", bnName: "conv1.1", relu: true)
        h = builder.node("MaxPool", "conv1.3", [h], [.ints("kernel_shape", [3, 3]), .ints("strides", [2, 2]), .ints("pads", [1, 1, 1, 1])])
        for stage in network.blocks {
            for block in stage {
                let p = block.name
                var r = builder.convBN(h, conv: block.conv1, convName: "\(p).conv1", bnName: "\(p).bn1", relu: true)
                r = builder.convBN(r, conv: block.conv2, convName: "\(p).conv2", bnName: "\(p).bn2", relu: false)
                var shortcut = h
                if let conv = block.shortcutConv {
                    shortcut = builder.convBN(h, conv: conv, convName: "\(p).shortcut.0", bnName: "\(p).shortcut.1", relu: false)
                }
                let sum = builder.node("Add", "\(p).add", [r, shortcut], [])
                h = builder.node("Relu", "\(p).relu", [sum], [])
            }
        }
        h = builder.node("GlobalAveragePool", "avgpool", [h], [])
        h = builder.node("Flatten", "flatten", [h], [.int("axis", 1)])
        builder.initializer("fc.weight")
        builder.initializer("fc.bias")
        _ = builder.node("Gemm", "fc", [h, "fc.weight", "fc.bias"], [.int("transB", 1)], output: outputName)

        var model = ONNXModel()
        model.graphName = "AudioCNN"
        model.docString = "AudioSpecNet AudioCNN, evaluation mode: log-mel (dB) [N, 1, n_mels, frames] -> logits [N, classes]"
            + (foldBatchNorm ? "; BatchNorm folded into the convolutions" : "")
        model.nodes = builder.nodes
        model.initializers = builder.initializers
        let batch = ONNXModel.Dimension.symbolic("batch")
        model.inputs = [.init(name: inputName, dimensions: [batch, .fixed(network.config.inChannels), .fixed(nMels), .symbolic("frames")])]
        model.outputs = [.init(name: outputName, dimensions: [batch, .fixed(network.config.numClasses)])]
        let header = ModelFile.headerMetadata(metadata)
        model.metadata = ["classes", "frontend", "architecture", "training_summary", "checkpoint_summary"].compactMap { key in header[key].map { (key, $0) } }
        return model
    }

    private struct Builder {
        let arena: ParameterArena
        let fold: Bool
        var nodes: [ONNXModel.Node] = []
        var initializers: [ONNXModel.Initializer] = []

        /// Adds a node whose output is named after it (or `output`); returns the output's name.
        mutating func node(_ op: String, _ name: String, _ inputs: [String], _ attributes: [ONNXModel.Attribute], output: String? = nil) -> String {
            let out = output ?? name
            nodes.append(.init(opType: op, name: name, inputs: inputs, outputs: [out], attributes: attributes))
            return out
        }

        mutating func initializer(_ name: String) {
            initializers.append(.init(name: name, shape: arena.entry(name)!.shape, values: arena.values(name)))
        }

        /// conv → BatchNorm (→ ReLU), or the folded conv (→ ReLU).
        mutating func convBN(_ input: String, conv: Conv2d, convName: String, bnName: String, relu: Bool) -> String {
            let s = conv.shape
            let attributes: [ONNXModel.Attribute] = [
                .ints("kernel_shape", [s.kernelHeight, s.kernelWidth]), .ints("strides", [s.strideH, s.strideW]),
                .ints("pads", [s.padH, s.padW, s.padH, s.padW]),
            ]
            var out: String
            if fold {
                let (weight, bias) = folded(convName: convName, bnName: bnName)
                initializers.append(weight)
                initializers.append(bias)
                out = node("Conv", convName, [input, weight.name, bias.name], attributes)
            } else {
                initializer("\(convName).weight")
                out = node("Conv", convName, [input, "\(convName).weight"], attributes)
                for suffix in ["weight", "bias", "running_mean", "running_var"] { initializer("\(bnName).\(suffix)") }
                out = node("BatchNormalization", bnName, [out] + ["weight", "bias", "running_mean", "running_var"].map { "\(bnName).\($0)" },
                           [.float("epsilon", 1e-5)])
            }
            if relu { out = node("Relu", "\(bnName).relu", [out], []) }
            return out
        }

        /// The convolution with its BatchNorm folded in: named `<conv>.weight` and `<conv>.bias`.
        func folded(convName: String, bnName: String) -> (ONNXModel.Initializer, ONNXModel.Initializer) {
            let shape = arena.entry("\(convName).weight")!.shape
            var w = arena.values("\(convName).weight")
            let gamma = arena.values("\(bnName).weight"), beta = arena.values("\(bnName).bias")
            let mean = arena.values("\(bnName).running_mean"), variance = arena.values("\(bnName).running_var")
            let per = w.count / shape[0]
            var b = [Float](repeating: 0, count: shape[0])
            for k in 0..<shape[0] {
                let scale = Double(gamma[k]) / (Double(variance[k]) + 1e-5).squareRoot()
                for i in (k * per)..<((k + 1) * per) { w[i] = Float(Double(w[i]) * scale) }
                b[k] = Float(Double(beta[k]) - Double(mean[k]) * scale)
            }
            return (.init(name: "\(convName).weight", shape: shape, values: w), .init(name: "\(convName).bias", shape: [shape[0]], values: b))
        }
    }
}
