import Foundation

/// Times every convolution of the AudioCNN at a batch size (forward, input gradient, weight gradient) for
/// each applicable algorithm, and what one training step's convolutions cost with each: the measurements
/// the convolution policy's choices and cost model come from. `audiospecnet bench convolutions` prints it.
public struct ConvolutionBenchmark {
    public struct Layer: Sendable {
        public let name: String, shape: ConvolutionShape, height: Int, width: Int, repeats: Int
        /// The stem's input is the spectrogram: no input gradient.
        public var needsInputGradient: Bool { shape.inChannels > 1 }
    }

    /// One layer under one algorithm: best-of milliseconds per pass and whether `.auto` picks it.
    /// `evaluationMs`: an evaluation forward with the layer's filters already transformed (what inference
    /// pays per call once a model has run; the same as `forwardMs` for im2col).
    public struct Row: Sendable {
        public let layer: Layer
        public let algorithm: ConvolutionAlgorithm
        public let forwardMs: Double, inputGradientMs: Double, weightGradientMs: Double, evaluationMs: Double
        public let gflopsForward: Double, gflopsInputGradient: Double, gflopsWeightGradient: Double
        public let autoForward: Bool, autoBackward: Bool, autoEvaluation: Bool
    }

    public struct Result: Sendable {
        public var rows: [Row] = []
        /// One training step's convolutions (repeats counted) with every layer on one algorithm (Winograd
        /// totals count im2col where Winograd cannot run), and with `.auto`'s choices.
        public var stepMs: [String: Double] = [:]
        public var autoStepMs = 0.0
        /// One inference forward's convolutions (repeats counted) with `.auto`'s evaluation choices and
        /// transformed filters reused.
        public var autoEvaluationMs = 0.0
        public var workspaceMiB = 0.0
    }

    /// The recipe network's convolutions on a 128-mel input of `frames` frames (216: 5 s at 22 050 Hz; 157 at
    /// 16 000 Hz), with how many times each occurs in a forward pass.
    public static func recipeLayers(frames: Int = 216) -> [Layer] {
        func c(_ i: Int, _ o: Int, _ k: Int, _ s: Int, _ p: Int) -> ConvolutionShape {
            ConvolutionShape(inChannels: i, outChannels: o, kernel: k, stride: s, padding: p)
        }
        func half(_ n: Int) -> Int { (n - 1) / 2 + 1 }  // a stride-2 3×3/7×7 convolution's or the max pool's output
        let w1 = half(half(frames)), w2 = half(w1), w3 = half(w2), w4 = half(w3)  // after the stem + pool, layer2, 3, 4
        return [
            Layer(name: "conv1 7x7/2", shape: c(1, 64, 7, 2, 3), height: 128, width: frames, repeats: 1),
            Layer(name: "layer1 3x3", shape: c(64, 64, 3, 1, 1), height: 32, width: w1, repeats: 6),
            Layer(name: "layer2.0 3x3/2", shape: c(64, 128, 3, 2, 1), height: 32, width: w1, repeats: 1),
            Layer(name: "layer2.0 1x1/2", shape: c(64, 128, 1, 2, 0), height: 32, width: w1, repeats: 1),
            Layer(name: "layer2 3x3", shape: c(128, 128, 3, 1, 1), height: 16, width: w2, repeats: 7),
            Layer(name: "layer3.0 3x3/2", shape: c(128, 256, 3, 2, 1), height: 16, width: w2, repeats: 1),
            Layer(name: "layer3.0 1x1/2", shape: c(128, 256, 1, 2, 0), height: 16, width: w2, repeats: 1),
            Layer(name: "layer3 3x3", shape: c(256, 256, 3, 1, 1), height: 8, width: w3, repeats: 11),
            Layer(name: "layer4.0 3x3/2", shape: c(256, 512, 3, 2, 1), height: 8, width: w3, repeats: 1),
            Layer(name: "layer4.0 1x1/2", shape: c(256, 512, 1, 2, 0), height: 8, width: w3, repeats: 1),
            Layer(name: "layer4 3x3", shape: c(512, 512, 3, 1, 1), height: 4, width: w4, repeats: 5),
        ]
    }

    public var batch = 32
    /// The input's frames (216 at 22 050 Hz, 157 at 16 000 Hz).
    public var frames = 216
    /// Timed repetitions per measure (after one warm-up); the best counts.
    public var repetitions = 5
    public var clock: Profiler.Clock = .wall
    /// Only layers whose name contains this.
    public var layerFilter: String?
    public var context: ComputeContext

    public init(context: ComputeContext) { self.context = context }

    func milliseconds(_ body: () -> Void) -> Double {
        body()  // warm-up: workspace growth, page faults, BLAS buffers
        var best = Double.infinity
        for _ in 0..<max(1, repetitions) {
            let t0 = clock.now()
            body()
            best = min(best, clock.now() - t0)
        }
        return best * 1e3
    }

    public func run(progress: (String) -> Void = { _ in }) -> Result {
        var result = Result()
        var rng = RandomGenerator(seed: 1)
        func values(_ n: Int, scale: Float = 1) -> [Float] { (0..<n).map { _ in (2 * rng.nextFloat() - 1) * scale } }
        for layer in Self.recipeLayers(frames: frames) where layerFilter.map({ layer.name.contains($0) }) ?? true {
            progress(layer.name)
            let s = layer.shape, h = layer.height, w = layer.width
            let (oh, ow) = s.outputSize(height: h, width: w)
            let x = values(batch * s.inChannels * h * w), wt = values(s.weightCount, scale: 0.05)
            let dy = values(batch * s.outChannels * oh * ow)
            var y = [Float](repeating: 0, count: dy.count), dx = [Float](repeating: 0, count: x.count)
            var dw = [Float](repeating: 0, count: wt.count)
            let flops = 2.0 * Double(s.multiplyAdds(height: h, width: w) * batch)
            let algorithms: [ConvolutionAlgorithm] = s.isWinogradCompatible ? [.im2col, .winograd2x2, .winograd4x4] : [.im2col]
            let autoKernel = ConvolutionKernel(shape: s)
            let autoForward = autoKernel.algorithm(batch: batch, height: h, width: w, pass: .trainingForward, policy: context.convolution)
            let autoBackward = autoKernel.algorithm(batch: batch, height: h, width: w, pass: .backward, policy: context.convolution)
            let autoEvaluation = autoKernel.algorithm(batch: batch, height: h, width: w, pass: .evaluationForward, policy: context.convolution,
                                                      filtersCached: context.convolution.cachesTransformedFilters(batch: batch))
            for algorithm in algorithms {
                let kernel = ConvolutionKernel(shape: s, algorithm: algorithm)
                let fwd = milliseconds {
                    kernel.forward(batch: batch, height: h, width: w, input: x, weight: wt, output: &y, context: context)
                }
                // The weights never change here: one version, so the timed calls reuse the transform.
                let filters = FilterCacheKey(cache: TransformedFilterCache(), version: 0)
                let eval = milliseconds {
                    kernel.forward(batch: batch, height: h, width: w, input: x, weight: wt, output: &y, evaluation: true, filters: filters,
                                   context: context)
                }
                let bwdW = milliseconds {
                    kernel.accumulateWeightGradient(batch: batch, height: h, width: w, input: x, outputGradient: dy, weightGradient: &dw,
                                                    context: context)
                }
                let bwdX = !layer.needsInputGradient ? 0 : milliseconds {
                    kernel.inputGradient(batch: batch, height: h, width: w, weight: wt, outputGradient: dy, inputGradient: &dx, context: context)
                }
                let step = (fwd + bwdX + bwdW) * Double(layer.repeats)
                result.stepMs["\(algorithm)", default: 0] += step
                if algorithm == autoForward { result.autoStepMs += fwd * Double(layer.repeats) }
                if algorithm == autoBackward { result.autoStepMs += (bwdX + bwdW) * Double(layer.repeats) }
                if algorithm == autoEvaluation { result.autoEvaluationMs += eval * Double(layer.repeats) }
                if !s.isWinogradCompatible {
                    result.stepMs["winograd2x2", default: 0] += step
                    result.stepMs["winograd4x4", default: 0] += step
                }
                let gf = { (ms: Double) in ms > 0 ? flops / ms / 1e6 : 0 }
                result.rows.append(Row(layer: layer, algorithm: algorithm, forwardMs: fwd, inputGradientMs: bwdX, weightGradientMs: bwdW,
                                       evaluationMs: eval,
                                       gflopsForward: gf(fwd), gflopsInputGradient: gf(bwdX), gflopsWeightGradient: gf(bwdW),
                                       autoForward: algorithm == autoForward, autoBackward: algorithm == autoBackward,
                                       autoEvaluation: algorithm == autoEvaluation))
            }
        }
        result.workspaceMiB = Double(context.workspace.capacity) * 4 / 1048576
        return result
    }

    /// The table `bench convolutions` prints.
    public func table(_ r: Result) -> String {
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
        var lines = ["convolutions at batch \(batch), \(context.threads) thread\(context.threads == 1 ? "" : "s"), \(clock == .cpu ? "process CPU time" : "wall clock"), best of \(repetitions)",
                     "input 128×\(frames); GFLOP/s = direct-convolution FLOPs (2·MACs) / time; eval = an evaluation forward, filters transformed (and packed) once where the policy caches them (batch ≤ \(context.convolution.cacheTransformedFiltersUpToBatch))",
                     pad("layer", 16) + pad("algorithm", 12) + "   fwd ms  bwd-x ms  bwd-w ms  eval ms fwd GF/s bwd-x GF bwd-w GF"]
        for row in r.rows {
            lines.append(pad(row.layer.name, 16) + pad("\(row.algorithm)", 12)
                + String(format: "%9.2f %9.2f %9.2f %8.2f %8.1f %8.1f %8.1f", row.forwardMs, row.inputGradientMs, row.weightGradientMs,
                         row.evaluationMs, row.gflopsForward, row.gflopsInputGradient, row.gflopsWeightGradient)
                + (row.autoForward ? "  <- auto fwd" : "") + (row.autoBackward ? "  <- auto bwd" : "")
                + (row.autoEvaluation ? "  <- auto eval" : ""))
        }
        lines.append("one training step's convolutions at batch \(batch) (forward + backward, repeats counted):")
        for name in ["im2col", "winograd2x2", "winograd4x4"] {
            lines.append("  all " + pad(name, 12) + String(format: "%8.1f ms", r.stepMs[name] ?? 0))
        }
        lines.append(String(format: "  auto             %8.1f ms", r.autoStepMs))
        lines.append(String(format: "one inference forward's convolutions at batch \(batch) under .auto's evaluation choices: %.1f ms", r.autoEvaluationMs))
        lines.append(String(format: "convolution workspace after all layers: %.1f MiB", r.workspaceMiB))
        return lines.joined(separator: "\n")
    }
}
