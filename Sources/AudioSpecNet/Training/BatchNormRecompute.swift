import Foundation

/// PyTorch's `torch.optim.swa_utils.update_bn` for an averaged model: every BatchNorm's running statistics
/// reset (mean 0, var 1, no batches), then one forward in training mode over the clips, batch by batch, with
/// momentum nil — so each running mean is the plain mean over batches of the batch means, each running var
/// the mean of the batch's unbiased variances, and num_batches_tracked the number of batches. The clips go
/// in as stored: no time shift, gain, SpecAugment or mixup. Dropout sits after the global pool, where no
/// BatchNorm sees it; it is switched off for the pass so that the pass draws nothing from the model's
/// generator. `--sync-bn`'s cross-rank reductions are detached: one process computes this (rank 0, over every
/// training clip, which every rank holds), as it would alone.
public enum BatchNormRecompute {
    /// Returns the number of batches (each BatchNorm's num_batches_tracked afterwards).
    @discardableResult
    public static func run(model: AudioCNN, store: SpectrogramStore, clips: [Int], batchSize: Int) -> Int {
        let norms = model.batchNorms
        let saved = norms.map { ($0.momentum, $0.reduceAcrossRanks) }, dropout = model.dropout.probability
        defer {
            for (bn, s) in zip(norms, saved) { bn.momentum = s.0; bn.reduceAcrossRanks = s.1 }
            model.dropout.probability = dropout
        }
        for bn in norms {
            bn.resetRunningStatistics()
            bn.momentum = nil
            bn.reduceAcrossRanks = nil
        }
        model.dropout.probability = 0
        let per = store.valuesPerClip, b = max(1, min(batchSize, clips.count))
        let input = Tensor(shape: [b, 1, store.mels, store.frames])
        var batches = 0, lo = 0
        while lo < clips.count {
            let n = min(b, clips.count - lo)
            input.reshape([n, 1, store.mels, store.frames])
            for i in 0..<n { (input.data + i * per).update(from: store.pointer(clips[lo + i]), count: per) }
            _ = model.forward(input, training: true)
            batches += 1
            lo += n
        }
        return batches
    }
}
