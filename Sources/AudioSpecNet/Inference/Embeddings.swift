/// Embeddings: the network's pooled features (the global average pool's output, 512 values per window for
/// the recipe), the vector the final linear layer classifies — for search, clustering and nearest-neighbour
/// classifiers on top of a trained model.
extension Classifier {
    /// Logits and pooled features of each spectrogram, in batches of `maxBatch` (non-finite values replaced
    /// as `logits` does).
    public func logitsAndEmbeddings(_ spectrograms: [[Float]], frames: Int) -> (logits: [[Float]], embeddings: [[Float]]) {
        var logits: [[Float]] = [], embeddings: [[Float]] = []
        logits.reserveCapacity(spectrograms.count)
        embeddings.reserveCapacity(spectrograms.count)
        var i = 0
        while i < spectrograms.count {
            let n = min(maxBatch, spectrograms.count - i)
            logits += forward(Array(spectrograms[i..<(i + n)]), frames: frames, observe: nil)
            let pooled = model.pooledFeatures
            let c = pooled.shape[1]
            embeddings += (0..<n).map { b in (0..<c).map { finite(pooled.data[b * c + $0]) } }
            i += n
        }
        return (logits, embeddings)
    }

    /// Softmax probabilities (as `probabilities`) and pooled features of each spectrogram.
    public func probabilitiesAndEmbeddings(_ spectrograms: [[Float]], frames: Int) -> (probabilities: [[Float]], embeddings: [[Float]]) {
        let (logits, embeddings) = logitsAndEmbeddings(spectrograms, frames: frames)
        let c = classes.count
        let probabilities = logits.map { row in
            row.withUnsafeBufferPointer { SoftmaxCrossEntropy.probabilities(logits: $0.baseAddress!, classes: c) }
        }
        return (probabilities, embeddings)
    }
}
