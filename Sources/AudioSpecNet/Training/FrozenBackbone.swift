import Foundation

/// A frozen backbone (`--freeze-backbone`): the starting model's network up to the global average pool stays
/// fixed and runs in evaluation mode (BatchNorm on its running statistics, which it does not update), so
/// each clip's pooled features are computed once; a step is then dropout, fc and the loss on a batch of
/// feature vectors, and AdamW updates fc alone. No SpecAugment or mixup: they act on spectrograms, which
/// the steps no longer see.
final class FrozenBackbone {
    /// (clips in the store, channels): the pooled features of store clip i in row i.
    let features: Tensor
    let channels: Int
    /// fc's weight and bias in the parameter arena (the last two parameters, contiguous).
    let fcRange: Range<Int>
    private let input = Tensor(shape: [0]), dropped = Tensor(shape: [0]), logits = Tensor(shape: [0])

    /// Runs the model (eval mode) over every clip of `store` in batches of `batch`. Throws
    /// `TrainingStop.cancelled` when a stop is requested meanwhile.
    init(model: AudioCNN, store: SpectrogramStore, batch: Int, isCancelled: () -> Bool) throws {
        channels = model.fc.inFeatures
        let arena = model.arena
        guard let w = arena.entry("fc.weight"), let b = arena.entry("fc.bias"), b.offset == w.offset + w.count,
              b.offset + b.count == arena.parameterCount else {
            preconditionFailure("FrozenBackbone: fc is not the arena's last two parameters")
        }
        fcRange = w.offset..<(b.offset + b.count)
        features = Tensor(shape: [store.count, channels])
        let per = store.valuesPerClip
        let x = Tensor(shape: [max(1, min(batch, store.count)), 1, store.mels, store.frames])
        var lo = 0
        while lo < store.count {
            if isCancelled() { throw TrainingStop.cancelled }
            let n = min(x.capacity / per, store.count - lo)
            x.reshape([n, 1, store.mels, store.frames])
            for i in 0..<n { (x.data + i * per).update(from: store.pointer(lo + i), count: per) }
            _ = model.forward(x, training: false)
            (features.data + lo * channels).update(from: model.pooledFeatures.data, count: n * channels)
            lo += n
        }
    }

    /// Logits (N, classes) of the store clips `clips`: dropout (training only, drawing from `rng`) then fc.
    /// Valid until the next call.
    func logits(model: AudioCNN, clips: ArraySlice<Int>, training: Bool, rng: inout RandomGenerator) -> Tensor {
        input.reshape([clips.count, channels])
        for (row, clip) in clips.enumerated() {
            (input.data + row * channels).update(from: features.data + clip * channels, count: channels)
        }
        model.dropout.forward(input, into: dropped, training: training, rng: &rng)
        model.fc.forward(dropped, into: logits)
        return logits
    }

    /// fc's gradients from ∂L/∂logits, after a training `logits` call (they accumulate: zero them first).
    func backward(model: AudioCNN, logitsGradient: Tensor) {
        model.fc.backward(input: dropped, outputGradient: logitsGradient, inputGradient: nil)
    }

    func zeroGradients(model: AudioCNN) {
        (model.arena.gradients + fcRange.lowerBound).update(repeating: 0, count: fcRange.count)
    }
}
