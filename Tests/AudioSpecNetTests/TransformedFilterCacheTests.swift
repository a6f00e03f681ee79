import Foundation
import XCTest
import AudioSpecNet
import _TestSupport

/// Evaluation forwards reuse each layer's Winograd-transformed (and, where `PackedGEMM` runs, packed) filters
/// (`TransformedFilterCache`) until the weights change: the result is the per-call transform's (the same bits
/// without `PackedGEMM`; within float32 rounding with it, whose sums round in another order), and every way of
/// changing the weights (the arena's pointers, a layer's `weight`, an AdamW step, loading a file) retires the cache.
final class TransformedFilterCacheTests: XCTestCase {
    /// What a cached forward may differ from the per-call one by, relative to the output's largest magnitude:
    /// rounding only (a stale cache differs by the weight change itself, orders of magnitude more).
    private let roundingBound = 1e-5

    /// Cached equals per-call: bit for bit without `PackedGEMM`, within rounding with it.
    private func assertSameAsPerCall(_ cached: [Float], _ perCall: [Float], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        if PackedGEMM.isAvailable {
            assertClose(cached, perCall, rel: roundingBound, what, file: file, line: line)
        } else {
            XCTAssertEqual(cached, perCall, what, file: file, line: line)
        }
    }

    /// Winograd wherever it applies (im2col priced out), F(2×2) or F(4×4) as asked, caching on or off.
    private func policy(f4: Bool, cache: Bool) -> ConvolutionPolicy {
        var p = ConvolutionPolicy()
        p.costModel.im2colGFLOPS = 1e-9
        p.winograd4x4InEvaluation = f4
        p.cacheTransformedFiltersUpToBatch = cache ? 8 : 0
        return p
    }

    /// The kernel alone: with a cache key, first call (transform kept), second call (transform reused)
    /// and a call after new weights under a new version all equal the uncached forward bit for bit.
    func testKernelWithCachedFiltersEqualsPerCallTransform() {
        let shape = ConvolutionShape(inChannels: 12, outChannels: 10, kernel: 3, stride: 1, padding: 1)
        let (n, h, w) = (1, 9, 13)
        for algorithm in [ConvolutionAlgorithm.winograd2x2, .winograd4x4] {
            let kernel = ConvolutionKernel(shape: shape, algorithm: algorithm)
            let context = ComputeContext(threads: 2)
            let x = randomValues(n * 12 * h * w, seed: 1)
            var weights = randomValues(shape.weightCount, seed: 2, scale: 0.2)
            func run(_ filters: FilterCacheKey?, threads: Int = 2) -> [Float] {
                var y = [Float](repeating: .nan, count: n * 10 * h * w)
                kernel.forward(batch: n, height: h, width: w, input: x, weight: weights, output: &y, evaluation: true, filters: filters,
                               context: threads == 2 ? context : ComputeContext(threads: threads))
                return y
            }
            let cache = TransformedFilterCache()
            let reference = run(nil)
            // packed: K = 10 output channels in one 16-row panel per Winograd position
            let entryFloats = (algorithm == .winograd2x2 ? 16 : 36) * 12 * (PackedGEMM.isAvailable ? 16 : 10)
            let first = run(FilterCacheKey(cache: cache, version: 1))
            assertSameAsPerCall(first, reference, "\(algorithm): first call")
            XCTAssertEqual(cache.floatCount, entryFloats)
            XCTAssertEqual(run(FilterCacheKey(cache: cache, version: 1)), first, "\(algorithm): from the cache, the first call's bits")
            weights[5] += 1
            let changed = run(nil)
            XCTAssertGreaterThan(compare(changed, reference).relativeError, 1000 * roundingBound, "the change is far beyond rounding")
            assertSameAsPerCall(run(FilterCacheKey(cache: cache, version: 2)), changed, "\(algorithm): new version")
            XCTAssertEqual(cache.floatCount, entryFloats, "one entry per transform")
            assertSameAsPerCall(run(FilterCacheKey(cache: cache, version: 2), threads: 3), run(nil, threads: 3), "\(algorithm): other thread count")
            // A training forward never reads or fills the cache.
            let fresh = TransformedFilterCache()
            var y = [Float](repeating: 0, count: n * 10 * h * w)
            kernel.forward(batch: n, height: h, width: w, input: x, weight: weights, output: &y, evaluation: false,
                           filters: FilterCacheKey(cache: fresh, version: 1), context: context)
            XCTAssertEqual(fresh.floatCount, 0)
        }
    }

    /// The whole model: after each way of writing the weights, an evaluation forward from the cache equals
    /// a model with the same weights that transforms on every call.
    func testEveryWeightChangeRetiresTheCache() throws {
        let config = AudioCNNConfig(width: 8, blocks: [1, 1], numClasses: 5)
        for f4 in [false, true] {
            let model = try AudioCNN(config: config, seed: 3, context: ComputeContext(threads: 2, convolution: policy(f4: f4, cache: true)))
            let reference = try AudioCNN(config: config, seed: 3, context: ComputeContext(threads: 2, convolution: policy(f4: f4, cache: false)))
            let x = randomTensor([1, 1, 32, 40], seed: 4, scale: 10)
            let arena = model.arena, count = arena.parameterCount
            var previous: [Float]?
            func check(_ what: String) {
                reference.arena.parameters.update(from: arena.parameterValues, count: count)
                reference.arena.buffers.update(from: arena.buffers, count: arena.bufferCount)
                let expected = reference.forward(x, training: false).array
                assertSameAsPerCall(model.forward(x, training: false).array, expected, "F4 \(f4): \(what)")
                if let previous, previous != expected {  // a stale cache would show: the change is far beyond rounding
                    XCTAssertGreaterThan(compare(expected, previous).relativeError, 100 * roundingBound, "F4 \(f4): \(what)")
                }
                previous = expected
            }
            check("first evaluation")
            let conv = model.blocks[1][0].conv2
            XCTAssertGreaterThan(conv.transformedFilters.floatCount, 0, "the cache was filled")
            check("second evaluation, from the cache")
            arena.parameters[arena.entry("layer1.0.conv1.weight")!.offset + 7] += 0.5
            check("after a write through arena.parameters")
            arena.pointer("layer2.0.conv2.weight")[3] -= 0.25
            check("after a write through arena.pointer")
            conv.weight[1] *= -1
            check("after a write through Conv2d.weight")
            let held = arena.pointer("layer1.0.conv2.weight")
            _ = model.forward(x, training: false)
            held[2] += 1
            arena.parametersChanged()
            check("after a write through a held pointer and parametersChanged()")

            // Trained: a training step with AdamW, as the trainer takes it.
            let optimizer = AdamW(parameterCount: count)
            arena.zeroGradients()
            let logits = model.forward(x, training: true)
            let g = Tensor(shape: [0])
            SoftmaxCrossEntropy.forwardBackward(logits: logits, targets: SoftmaxCrossEntropy.targets(labels: [2], classes: 5, smoothing: 0.1),
                                                gradient: g)
            model.backward(logitsGradient: g)
            optimizer.update(parameters: arena.parameters, gradients: arena.gradients, lr: 1e-2, parallel: model.context.parallel)
            check("after an AdamW step")

            // Loaded: another model's weights from a file.
            let other = try AudioCNN(config: config, seed: 99)
            let path = NSTemporaryDirectory() + "filter-cache-\(ProcessInfo.processInfo.processIdentifier)-\(f4).safetensors"
            defer { try? FileManager.default.removeItem(atPath: path) }
            try ModelFile.save(model: other, metadata: ModelMetadata(architecture: config, classes: ["a", "b", "c", "d", "e"], frontend: String(decoding: try JSONEncoder().encode(FrontEndConfig.recipe), as: UTF8.self)), to: path)
            try ModelFile.loadWeights(into: model, from: SafetensorsFile(path: path))
            check("after loading a file")
        }
    }

    /// Training never uses the cache: logits and gradients are the same bits with caching on and off.
    func testTrainingIsTheSameWithAndWithoutTheCache() throws {
        let config = AudioCNNConfig(width: 8, blocks: [1, 1], numClasses: 5)
        let x = randomTensor([2, 1, 32, 40], seed: 5, scale: 10)
        func step(cache: Bool) throws -> (evaluation: [Float], training: [Float]) {
            let model = try AudioCNN(config: config, seed: 6, context: ComputeContext(threads: 2, convolution: policy(f4: true, cache: cache)))
            model.dropout.probability = 0
            let evaluation = model.forward(x, training: false).array  // fills the cache when on
            model.arena.zeroGradients()
            let logits = model.forward(x, training: true)
            let g = Tensor(shape: [0])
            SoftmaxCrossEntropy.forwardBackward(logits: logits, targets: SoftmaxCrossEntropy.targets(labels: [1, 4], classes: 5, smoothing: 0.1),
                                                gradient: g)
            model.backward(logitsGradient: g)
            return (evaluation, logits.array + Array(UnsafeBufferPointer(start: model.arena.gradients, count: model.arena.parameterCount)))
        }
        let (on, off) = (try step(cache: true), try step(cache: false))
        XCTAssertEqual(on.training, off.training)
        assertSameAsPerCall(on.evaluation, off.evaluation, "the evaluation forward before the step")
    }

    /// What `.auto` picks for the recipe's maps at batch 1 in evaluation with the filters cached (the
    /// measurements are in ConvolutionPolicy.CostModel), and up to which batch each policy caches.
    func testBatchOneEvaluationChoices() {
        let policy = ConvolutionPolicy()
        func pick(_ h: Int, _ w: Int, cached: Bool = true) -> ConvolutionAlgorithm {
            policy.algorithm(batch: 1, height: h, width: w, pass: .evaluationForward, filtersCached: cached)
        }
        if PackedGEMM.isAvailable {
            // 16 kHz maps: the measured fastest (CostModel's comment)
            XCTAssertEqual(pick(32, 40), .winograd4x4)
            XCTAssertEqual(pick(16, 20), .winograd4x4)
            XCTAssertEqual(pick(8, 10), .winograd2x2)
            XCTAssertEqual(pick(4, 5), .winograd2x2)
            XCTAssertEqual(pick(4, 7), .winograd2x2)
        } else {
            XCTAssertEqual(pick(32, 54), .winograd4x4)
            XCTAssertEqual(pick(16, 27), .winograd2x2)
            XCTAssertEqual(pick(8, 14), .winograd2x2)
            XCTAssertEqual(pick(4, 7), .im2col)
        }
        XCTAssertEqual(pick(8, 14, cached: false), .im2col)
        XCTAssertTrue(policy.cachesTransformedFilters(batch: 1))
        XCTAssertTrue(policy.cachesTransformedFilters(batch: 32))
        XCTAssertFalse(policy.cachesTransformedFilters(batch: 33))
        XCTAssertTrue(ConvolutionPolicy.training.cachesTransformedFilters(batch: 8))
        XCTAssertFalse(ConvolutionPolicy.training.cachesTransformedFilters(batch: 32), "a training run's validation keeps none")
    }
}
