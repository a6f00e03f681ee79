import Foundation

/// One prepared training batch: inputs (N, 1, mels, frames) after SpecAugment and mixup, soft targets
/// (N, classes) and the original labels (for training accuracy, as the reference counts it). In a
/// data-parallel run these are this rank's clips of the global batch, whose size is `globalCount`.
public final class TrainingBatch {
    public let input: Tensor
    public let targets: Tensor
    public var labels: [Int]
    public var count = 0
    public var globalCount = 0
    /// The positions of this batch's clips in the global batch (0..<count in one process).
    public var positions: [Int] = []
    public var mixed = false
    let scratch: Tensor

    init(capacity: Int, mels: Int, frames: Int, classes: Int) {
        input = Tensor(shape: [capacity, 1, mels, frames])
        targets = Tensor(shape: [capacity, classes])
        // a mixup partner built beside the clip, and the time shift's row buffer
        scratch = Tensor(shape: [2 * mels * frames])
        labels = Array(repeating: 0, count: capacity)
        labels.removeAll(keepingCapacity: true)
    }
}

/// Builds training batches from the in-memory spectrograms. Each batch's random draws come from a
/// generator derived from (seed, epoch, step), so a batch is the same whether it is built now, on
/// another thread ahead of time, or after a resume. With `prefetch` the next batch is assembled on a
/// background queue while the current one trains (double buffering; the buffers are allocated once).
///
/// Data-parallel: rank r of N builds the positions r, r+N, … of the global batch. It still draws every
/// position's shift, gain and masks and the batch's mixup, in the order one process does, so each clip gets
/// exactly what it would get in one process; a mixup partner on another rank's slice is rebuilt here (every
/// rank holds every spectrogram). With `--mixup-domain waveform` or `--noise-snr` a clip that is mixed or
/// noisy is made from its waveform through the front end instead of the store (`build`).
public final class BatchAssembler {
    public let data: TrainingData
    public let options: TrainingOptions
    public let rank: Int, ranks: Int
    private let buffers: [TrainingBatch]
    private let queue = DispatchQueue(label: "audiospecnet.batch-assembler", qos: .userInitiated)
    private var pending: (key: (epoch: Int, step: Int), buffer: Int, work: DispatchWorkItem)?
    private var nextBuffer = 0

    public init(data: TrainingData, options: TrainingOptions, rank: Int = 0, ranks: Int = 1) {
        self.data = data
        self.options = options
        self.rank = rank
        self.ranks = ranks
        let ranks = max(1, ranks), capacity = (min(options.batchSize, max(1, data.train.count)) + ranks - 1) / ranks
        buffers = (0..<2).map { _ in
            TrainingBatch(capacity: capacity, mels: data.store.mels, frames: data.store.frames, classes: data.classes.count)
        }
    }

    public func steps(perEpoch count: Int) -> Int { (count + options.batchSize - 1) / options.batchSize }

    /// One clip's draws: its time shift, gain and SpecAugment masks.
    private struct ClipDraws { var shift = 0; var gain: Float?; var masks: (mels: Range<Int>, frames: Range<Int>) }

    /// Fills `batch` with this rank's part of step `step` of the epoch whose clip order is `order`.
    public func assemble(order: [Int], epoch: Int, step: Int, into batch: TrainingBatch) {
        let store = data.store
        let per = store.valuesPerClip
        let lo = step * options.batchSize, hi = min(order.count, lo + options.batchSize)
        let n = hi - lo
        let classes = data.classes.count
        let mine = Array(stride(from: rank, to: n, by: ranks))
        batch.count = mine.count
        batch.globalCount = n
        batch.positions = mine
        batch.input.reshape([mine.count, 1, store.mels, store.frames])
        batch.targets.reshape([mine.count, classes])
        batch.labels.removeAll(keepingCapacity: true)
        var rng = SeedDerivation.batchGenerator(seed: options.seed, epoch: epoch, step: step)
        var shiftGainRNG = SeedDerivation.shiftGainGenerator(seed: options.seed, epoch: epoch, step: step)
        let maxShift = options.timeShift?.maxFrames(options.frontEnd) ?? 0
        // two streams: the shift/gain draws and the mask draws interleave per clip as before, each in its own stream
        let draws: [ClipDraws] = (0..<n).map { _ in
            var d = ClipDraws(masks: (0..<0, 0..<0))
            if options.timeShift != nil { d.shift = TimeShift.draw(maxFrames: maxShift, rng: &shiftGainRNG) }
            d.gain = options.gain.map { $0.draw(rng: &shiftGainRNG) }
            d.masks = options.specAugment.draw(mels: store.mels, frames: store.frames, rng: &rng)
            return d
        }
        let mix = options.mixup.draw(batch: n, rng: &rng)
        // noise from a third stream, so that turning it on leaves every other draw as it was
        var noiseRNG = SeedDerivation.noiseGenerator(seed: options.seed, epoch: epoch, step: step)
        let noise = (0..<n).map { _ in options.noise?.draw(rng: &noiseRNG) }
        let waveformMix = mix != nil && options.mixupDomain == .waveform
        // position j of the global batch, augmented, into dst: its log-mel from the store, or, when it is noisy
        // or mixed as a sound with `partner`, from its waveform (mixed, then noise, then the front end)
        func build(_ j: Int, into dst: UnsafeMutablePointer<Float>, mixedWith partner: Int? = nil) {
            let clip = data.train.indices[order[lo + j]]
            if partner != nil || noise[j] != nil {
                // `TrainingData.load(options:)` decodes them whenever the options can ask for them
                guard let waves = data.waveforms, let frontEnd = data.waveformFrontEnd else {
                    preconditionFailure("waveform mixing or noise without the training clips' waveforms (TrainingData.loadWaveforms)")
                }
                let a = data.waveformRows[clip]
                precondition(a >= 0, "a training clip without its waveform")
                var x = Array(UnsafeBufferPointer(start: waves.pointer(a), count: waves.samplesPerClip))
                var valid = waves.validCounts[a]
                if let partner, let mix {
                    let b = data.waveformRows[data.train.indices[order[lo + partner]]]
                    precondition(b >= 0, "a training clip without its waveform")
                    let p = WaveformMixing.coefficient(ratio: Double(mix.lambda), level1: waves.levels[a], level2: waves.levels[b])
                    x.withUnsafeMutableBufferPointer {
                        WaveformMixing.mix(waves.pointer(a), waves.pointer(b), count: waves.samplesPerClip, coefficient: p, into: $0.baseAddress!)
                    }
                    valid = max(valid, waves.validCounts[b])
                }
                if let draw = noise[j] {
                    var generator = RandomGenerator(seed: draw.seed)
                    x.withUnsafeMutableBufferPointer { WhiteNoise.add(to: $0.baseAddress!, valid: valid, snrDB: draw.snrDB, rng: &generator) }
                }
                frontEnd.logMel(samples: x).withUnsafeBufferPointer { dst.update(from: $0.baseAddress!, count: per) }
            } else {
                dst.update(from: store.pointer(clip), count: per)
            }
            if options.timeShift != nil {
                FrameRoll.roll(dst, rows: store.mels, frames: store.frames, by: draws[j].shift, scratch: batch.scratch.data + per)
            }
            if let gain = draws[j].gain { RandomGain.apply(gain, to: dst, count: per) }
            options.specAugment.fill(dst, mels: store.mels, frames: store.frames, masks: draws[j].masks)
        }
        for (i, j) in mine.enumerated() {
            build(j, into: batch.input.data + i * per, mixedWith: waveformMix ? mix?.partners[j] : nil)
            batch.labels.append(data.train.labels[order[lo + j]])
        }
        batch.targets.zero()
        batch.mixed = mix != nil
        SoftmaxCrossEntropy.writeTargets(labels: batch.labels, classes: classes, smoothing: options.labelSmoothing,
                                         mix: mix.map { m in (partners: mine.map { data.train.labels[order[lo + m.partners[$0]]] }, lambda: m.lambda) },
                                         into: batch.targets.data)
        if let mix, !waveformMix {
            // x ← λ·x + (1−λ)·partner, the partner rebuilt from its own draws (bit for bit what one process mixes)
            let a = mix.lambda, b = 1 - mix.lambda, q = batch.scratch.data
            for (i, j) in mine.enumerated() {
                build(mix.partners[j], into: q)
                let dst = batch.input.data + i * per
                for k in 0..<per { dst[k] = a * dst[k] + b * q[k] }
            }
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
