import Foundation

/// One class and its probability, as the reference web service names them (`class`, `confidence`).
public struct Prediction: Equatable, Sendable {
    public let index: Int
    public let label: String
    public let confidence: Float

    /// The `k` most likely classes of a probability row (`topIndices`' order).
    public static func top(_ probabilities: [Float], classes: [String], k: Int) -> [Prediction] {
        topIndices(probabilities, k: k).map { Prediction(index: $0, label: classes[$0], confidence: probabilities[$0]) }
    }
}

/// A loaded model ready to classify: the network in evaluation mode, its class names and the front end it
/// was trained with (rebuilt from the model file's `frontend` metadata, so a model trained at another
/// sample rate or mel configuration hears audio exactly as it did in training).
///
/// Inference only runs forward passes in eval mode: no gradient buffers are ever allocated, and the
/// activation buffers are reused from batch to batch. Not thread-safe: one caller runs the network at a time.
public final class Classifier {
    public let modelPath: String
    public let model: AudioCNN
    public let metadata: ModelMetadata
    public let frontEnd: FrontEnd
    /// Windows per forward pass: big enough for efficient GEMMs, small enough to keep activations modest.
    public var maxBatch = 8
    private let input = Tensor(shape: [0])

    public var classes: [String] { metadata.classes }
    public var config: FrontEndConfig { frontEnd.config }

    /// Loads `modelPath`; throws a one-line `AudioSpecNetError` for a missing, corrupt or mismatched file.
    /// The network runs under `context` (its threads, workspace and convolution policy).
    public init(modelPath: String, context: ComputeContext = ComputeContext()) throws {
        try ModelFile.checkExists(modelPath)
        let loaded = try ModelFile.load(path: modelPath)
        self.modelPath = modelPath
        model = loaded.model
        model.context = context
        metadata = loaded.metadata
        frontEnd = try FrontEnd(config: try loaded.metadata.frontEndConfig(path: modelPath))
        guard model.config.inChannels == 1 else {
            throw AudioSpecNetError.format(path: modelPath, reason: "network takes \(model.config.inChannels) input channels; the log-mel front end gives 1")
        }
    }

    /// Logits (one row of `classes.count` per spectrogram) for log-mels of `frames` frames each, run in
    /// batches of `maxBatch`. Non-finite logits are replaced as numpy's nan_to_num does.
    public func logits(_ spectrograms: [[Float]], frames: Int) -> [[Float]] {
        var out: [[Float]] = []
        out.reserveCapacity(spectrograms.count)
        var i = 0
        while i < spectrograms.count {
            let n = min(maxBatch, spectrograms.count - i)
            out += forward(Array(spectrograms[i..<(i + n)]), frames: frames, observe: nil)
            i += n
        }
        return out
    }

    /// Softmax probabilities for each spectrogram (see `logits`).
    public func probabilities(_ spectrograms: [[Float]], frames: Int) -> [[Float]] {
        softmax(logits(spectrograms, frames: frames))
    }

    /// The softmax of each row of logits.
    public func softmax(_ logits: [[Float]]) -> [[Float]] {
        let c = classes.count
        return logits.map { row in row.withUnsafeBufferPointer { SoftmaxCrossEntropy.probabilities(logits: $0.baseAddress!, classes: c) } }
    }

    /// One forward pass over a batch of spectrograms; `observe` sees every feature map.
    public func forward(_ spectrograms: [[Float]], frames: Int, observe: ((String, Tensor) -> Void)?) -> [[Float]] {
        let nMels = config.nMels, per = nMels * frames
        input.reshape([spectrograms.count, 1, nMels, frames])
        for (b, s) in spectrograms.enumerated() {
            precondition(s.count == per, "Classifier: spectrogram of \(s.count) values, expected \(nMels)×\(frames)")
            s.withUnsafeBufferPointer { (input.data + b * per).update(from: $0.baseAddress!, count: per) }
        }
        let logits = model.forward(input, training: false, observe: observe)
        let c = logits.shape[1]
        return (0..<spectrograms.count).map { b in
            (0..<c).map { finite(logits.data[b * c + $0]) }
        }
    }

    /// Logits of a ready input batch (N, 1, mels, frames): the network alone, without the front end.
    public func logits(batch: Tensor) -> [[Float]] {
        let logits = model.forward(batch, training: false)
        let n = logits.shape[0], c = logits.shape[1]
        return (0..<n).map { b in (0..<c).map { finite(logits.data[b * c + $0]) } }
    }

    /// The top `k` classes of a probability row, most likely first (ties by class index).
    public func top(_ probabilities: [Float], k: Int) -> [Prediction] { Prediction.top(probabilities, classes: classes, k: k) }
}
