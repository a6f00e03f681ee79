import Foundation

/// One prepared training batch: inputs (N, 1, mels, frames) after SpecAugment and mixup, soft targets
/// (N, classes) and the original labels (for training accuracy, as the reference counts it).
public final class TrainingBatch {
    public let input: Tensor
    public let targets: Tensor
    public var labels: [Int]
    public var count = 0
    public var mixed = false
    let scratch: Tensor

    init(capacity: Int, mels: Int, frames: Int, classes: Int) {
        input = Tensor(shape: [capacity, 1, mels, frames])
        targets = Tensor(shape: [capacity, classes])
        scratch = Tensor(shape: [capacity * mels * frames])
        labels = Array(repeating: 0, count: capacity)
        labels.removeAll(keepingCapacity: true)
    }
}

/// Builds training batches from the in-memory spectrograms. Each batch's random draws come from a
/// generator derived from (seed, epoch, step), so a batch is the same whether it is built now, on
/// another thread ahead of time, or after a resume. With `prefetch` the next batch is assembled on a
/// background queue while the current one trains (double buffering; the buffers are allocated once).
public final class BatchAssembler {
    public let data: TrainingData
    public let options: TrainingOptions
    private let buffers: [TrainingBatch]
    private let queue = DispatchQueue(label: "audiospecnet.batch-assembler", qos: .userInitiated)
    private var pending: (key: (epoch: Int, step: Int), buffer: Int, work: DispatchWorkItem)?
    private var nextBuffer = 0

    public init(data: TrainingData, options: TrainingOptions) {
        self.data = data
        self.options = options
        let capacity = min(options.batchSize, max(1, data.train.count))
        buffers = (0..<2).map { _ in
            TrainingBatch(capacity: capacity, mels: data.store.mels, frames: data.store.frames, classes: data.classes.count)
        }
    }

    public func steps(perEpoch count: Int) -> Int { (count + options.batchSize - 1) / options.batchSize }

    /// Fills `batch` with step `step` of the epoch whose clip order is `order`.
    public func assemble(order: [Int], epoch: Int, step: Int, into batch: TrainingBatch) {
        let store = data.store
        let per = store.valuesPerClip
        let lo = step * options.batchSize, hi = min(order.count, lo + options.batchSize)
        let n = hi - lo
        let classes = data.classes.count
        batch.count = n
        batch.input.reshape([n, 1, store.mels, store.frames])
        batch.targets.reshape([n, classes])
        batch.labels.removeAll(keepingCapacity: true)
        var rng = SeedDerivation.batchGenerator(seed: options.seed, epoch: epoch, step: step)
        var shiftGainRNG = SeedDerivation.shiftGainGenerator(seed: options.seed, epoch: epoch, step: step)
        let maxShift = options.timeShift?.maxFrames(options.frontEnd) ?? 0
        for i in 0..<n {
            let k = order[lo + i]
            let dst = batch.input.data + i * per
            dst.update(from: store.pointer(data.train.indices[k]), count: per)
            if options.timeShift != nil {
                let shift = TimeShift.draw(maxFrames: maxShift, rng: &shiftGainRNG)
                FrameRoll.roll(dst, rows: store.mels, frames: store.frames, by: shift, scratch: batch.scratch.data)
            }
            if let gain = options.gain { RandomGain.apply(gain.draw(rng: &shiftGainRNG), to: dst, count: per) }
            options.specAugment.apply(dst, mels: store.mels, frames: store.frames, rng: &rng)
            batch.labels.append(data.train.labels[k])
        }
        batch.targets.zero()
        let mix = options.mixup.draw(batch: n, rng: &rng)
        batch.mixed = mix != nil
        SoftmaxCrossEntropy.writeTargets(labels: batch.labels, classes: classes, smoothing: options.labelSmoothing,
                                         mix: mix.map { (partners: $0.partners.map { batch.labels[$0] }, lambda: $0.lambda) },
                                         into: batch.targets.data)
        if let mix {
            Mixup.mix(batch.input.data, size: per, lambda: mix.lambda, partners: mix.partners, scratch: batch.scratch.data)
        }
    }

    /// The batch for (epoch, step), taken from the prefetch when it was scheduled; when `next` is given
    /// (and prefetching is on) that batch starts assembling in the background before this returns.
    public func batch(order: [Int], epoch: Int, step: Int, prefetchNext next: Int?) -> TrainingBatch {
        let current: TrainingBatch
        if let p = pending, p.key.epoch == epoch, p.key.step == step {
            p.work.wait()
            current = buffers[p.buffer]
            nextBuffer = 1 - p.buffer
            pending = nil
        } else {
            if let p = pending { p.work.wait(); pending = nil }
            current = buffers[nextBuffer]
            assemble(order: order, epoch: epoch, step: step, into: current)
            nextBuffer = 1 - nextBuffer
        }
        if options.prefetch, let next {
            let target = buffers[nextBuffer]
            let work = DispatchWorkItem { [self] in self.assemble(order: order, epoch: epoch, step: next, into: target) }
            pending = ((epoch, next), nextBuffer, work)
            queue.async(execute: work)
        }
        return current
    }

    /// Waits for any background work (before the buffers are dropped or reused elsewhere).
    public func drain() {
        if let p = pending { p.work.wait(); pending = nil }
    }
}
