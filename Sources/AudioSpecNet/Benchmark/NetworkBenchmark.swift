import Foundation

/// Times the recipe network as training and inference use it: a training step (forward, loss, backward,
/// AdamW) at a batch size, and inference ms per clip at batch 1 and at a larger batch.
public struct NetworkBenchmark {
    public struct Result: Codable {
        public var clock: String
        public var threads: Int
        public var batch: Int
        /// The input's frames (216 for 5 s at 22 050 Hz, 157 at 16 000 Hz) and mel bands.
        public var frames: Int
        public var mels: Int
        public var cpu: CPUDescription
        public var trainSamplesPerSecond: Double
        public var trainStepSeconds: Double
        public var inferMsPerClipBatch1: Double
        public var inferMsPerClipBatched: Double
        public var peakRSSMiB: Double
        public var trainPeakRSSMiB: Double
        /// OpenBLAS sgemm on large square matrices, one single-threaded sgemm per worker at once: the
        /// ceiling the convolutions' GFLOP/s are read against.
        public var sgemmPeakGFLOPS: Double
        public var layers: [LayerTime]
        /// Where a batch-1 inference's time goes, each convolution named with the algorithm it ran.
        public var inferenceLayers: [LayerTime]
        /// The same at the training batch size.
        public var batchedInferenceLayers: [LayerTime] = []

        public init(clock: String, threads: Int, batch: Int, frames: Int, mels: Int, cpu: CPUDescription, trainSamplesPerSecond: Double,
                    trainStepSeconds: Double, inferMsPerClipBatch1: Double, inferMsPerClipBatched: Double, peakRSSMiB: Double,
                    trainPeakRSSMiB: Double, sgemmPeakGFLOPS: Double, layers: [LayerTime], inferenceLayers: [LayerTime],
                    batchedInferenceLayers: [LayerTime] = []) {
            self.clock = clock; self.threads = threads; self.batch = batch; self.frames = frames; self.mels = mels; self.cpu = cpu
            self.trainSamplesPerSecond = trainSamplesPerSecond; self.trainStepSeconds = trainStepSeconds
            self.inferMsPerClipBatch1 = inferMsPerClipBatch1; self.inferMsPerClipBatched = inferMsPerClipBatched
            self.peakRSSMiB = peakRSSMiB; self.trainPeakRSSMiB = trainPeakRSSMiB; self.sgemmPeakGFLOPS = sgemmPeakGFLOPS; self.layers = layers
            self.inferenceLayers = inferenceLayers; self.batchedInferenceLayers = batchedInferenceLayers
        }

        enum CodingKeys: String, CodingKey {
            case clock, threads, batch, layers, frames, mels, cpu
            case trainSamplesPerSecond = "train_samples_per_s"
            case trainStepSeconds = "train_step_s"
            case inferMsPerClipBatch1 = "infer_ms_per_clip"
            case inferMsPerClipBatched = "infer_ms_per_clip_batched"
            case peakRSSMiB = "peak_rss_mib"
            case trainPeakRSSMiB = "train_peak_rss_mib"
            case sgemmPeakGFLOPS = "sgemm_peak_gflops"
            case inferenceLayers = "infer_layers"
            case batchedInferenceLayers = "infer_layers_batched"
        }
    }

    public struct LayerTime: Codable {
        public var name: String
        public var msPerStep: Double
        public var gflops: Double
        public var share: Double
    }

    public var config: AudioCNNConfig = .recipe
    public var batch = 32
    public var warmupSteps = 1
    public var steps = 3
    /// Timed inference passes at batch 1 and at the large batch; the figure is their mean.
    public var inferRepeatsBatch1 = 30
    public var inferRepeatsBatched = 3
    /// Whether to time inference layer by layer too, in passes of its own (`bench --layers`).
    public var profilesInference = true
    public var mels = 128
    public var frames = 216

    /// The frames of a 5 s clip at `sampleRate` under the recipe's front end (hop 512, centred frames).
    public static func frames(sampleRate: Int) -> Int { 1 + sampleRate * 5 / 512 }
    /// Worker threads of the model's context.
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    /// What the timings read: wall time, or process CPU time (steady on a loaded machine).
    public var clock: Profiler.Clock = .wall

    public init() {}

    /// GFLOP/s of 1024³ sgemms, one per worker concurrently (BLAS single-threaded inside, as the kernels
    /// run it), best of three rounds.
    public static func sgemmPeak(threads: Int, clock: Profiler.Clock) -> Double {
        let n = 1024, workers = max(1, threads), parallel = Parallel(threads: workers)
        let a = Tensor(shape: [workers, n, n]), b = Tensor(shape: [workers, n, n]), c = Tensor(shape: [workers, n, n])
        for i in 0..<a.count { a.data[i] = Float(i % 7) * 0.1; b.data[i] = Float(i % 5) * 0.1 }
        var best = Double.infinity
        for _ in 0..<3 {
            let start = clock.now()
            parallel.forEach(workers) { w in
                sgemm(m: n, n: n, k: n, a: a.data + w * n * n, b: b.data + w * n * n, c: c.data + w * n * n)
            }
            best = min(best, clock.now() - start)
        }
        return 2 * Double(n * n * n * workers) / best / 1e9
    }

    /// Each profiled region's time per repeat, its GFLOP/s and share of `total`, in first-seen order.
    static func layerTimes(_ profiler: Profiler, per repeats: Int, total: Double) -> [LayerTime] {
        profiler.order.filter { $0 != "total" }.map { name -> LayerTime in
            let e = profiler.entries[name]!
            return LayerTime(name: name, msPerStep: e.seconds / Double(repeats) * 1000, gflops: e.flops > 0 ? e.flops / e.seconds / 1e9 : 0,
                             share: e.seconds / total)
        }
    }

    public func run(progress: (String) -> Void = { _ in }) throws -> Result {
        let profiler = Profiler(clock: clock)
        let model = try AudioCNN(config: config, seed: 0, context: ComputeContext(threads: threads))
        let parallel = model.context.parallel
        let optimizer = AdamW(parameterCount: model.arena.parameterCount)
        var rng = RandomGenerator(seed: 1)
        let x = Tensor(shape: [batch, 1, mels, frames], values: (0..<(batch * mels * frames)).map { _ in Float(rng.nextNormal() * 20 - 40) })
        let labels = (0..<batch).map { $0 % config.numClasses }
        let targets = SoftmaxCrossEntropy.targets(labels: labels, classes: config.numClasses, smoothing: 0.1)
        let grad = Tensor(shape: [0])
        func trainStep() {
            model.arena.zeroGradients()
            let logits = model.forward(x, training: true)
            model.context.measure("loss") { _ = SoftmaxCrossEntropy.forwardBackward(logits: logits, targets: targets, gradient: grad) }
            model.backward(logitsGradient: grad)
            model.context.measure("adamw") {
                optimizer.update(parameters: model.arena.parameters, gradients: model.arena.gradients, lr: 1e-3, parallel: parallel)
            }
        }
        for i in 0..<warmupSteps { progress("warm-up step \(i + 1)/\(warmupSteps)"); trainStep() }
        model.context.profiler = profiler
        var trainSeconds = 0.0
        for i in 0..<steps {
            progress("training step \(i + 1)/\(steps)")
            let start = clock.now()
            profiler.measure("total") { trainStep() }
            trainSeconds += clock.now() - start
        }
        model.context.profiler = nil
        let trainPeak = peakResidentMiB()
        let layers = Self.layerTimes(profiler, per: steps, total: profiler.entries["total"]?.seconds ?? trainSeconds)
        func inferMs(_ n: Int, repeats: Int) -> Double {
            let xi = Tensor(shape: [n, 1, mels, frames], values: Array(UnsafeBufferPointer(start: x.data, count: n * mels * frames)))
            _ = model.forward(xi, training: false)
            let start = clock.now()
            for _ in 0..<repeats { _ = model.forward(xi, training: false) }
            return (clock.now() - start) * 1e3 / Double(repeats * n)
        }
        progress("sgemm peak")
        let peak = Self.sgemmPeak(threads: threads, clock: clock)
        progress("inference at batch 1")
        let b1 = inferMs(1, repeats: inferRepeatsBatch1)
        // where inference's time goes, per clip, in passes of their own (the profiler's clock reads cost a little)
        func inferenceLayers(_ n: Int, repeats: Int) -> [LayerTime] {
            guard profilesInference else { return [] }
            progress("inference at batch \(n), per layer")
            let inferenceProfiler = Profiler(clock: clock)
            let xi = Tensor(shape: [n, 1, mels, frames], values: Array(UnsafeBufferPointer(start: x.data, count: n * mels * frames)))
            model.context.profiler = inferenceProfiler
            for _ in 0..<repeats { inferenceProfiler.measure("total") { _ = model.forward(xi, training: false) } }
            model.context.profiler = nil
            return Self.layerTimes(inferenceProfiler, per: repeats * n, total: inferenceProfiler.entries["total"]?.seconds ?? 1)
        }
        let batch1Layers = inferenceLayers(1, repeats: inferRepeatsBatch1)
        progress("inference at batch \(batch)")
        let bn = inferMs(batch, repeats: inferRepeatsBatched)
        let batchedLayers = inferenceLayers(batch, repeats: inferRepeatsBatched)
        return Result(clock: clock.rawValue, threads: model.context.threads, batch: batch, frames: frames, mels: mels,
                      cpu: CPUDescription.current(), trainSamplesPerSecond: Double(batch * steps) / trainSeconds,
                      trainStepSeconds: trainSeconds / Double(steps), inferMsPerClipBatch1: b1, inferMsPerClipBatched: bn,
                      peakRSSMiB: peakResidentMiB(), trainPeakRSSMiB: trainPeak, sgemmPeakGFLOPS: peak, layers: layers,
                      inferenceLayers: batch1Layers, batchedInferenceLayers: batchedLayers)
    }
}
