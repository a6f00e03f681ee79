import XCTest
import AudioSpecNet
import _TestSupport

/// The inference forward (evaluation mode, nothing observed) fuses BatchNorm with the residual addition and
/// the ReLU and keeps no x̂: it must give the same bits as the layer-by-layer evaluation pass.
final class InferenceForwardTests: XCTestCase {
    func testBatchNormInferenceEqualsEvaluationForwardThenAddBitForBit() {
        let c = 5, shape = [3, c, 7, 9]
        let spec: [(String, [Int], ParameterArena.Kind)] = [
            ("bn.weight", [c], .parameter), ("bn.bias", [c], .parameter), ("bn.running_mean", [c], .buffer),
            ("bn.running_var", [c], .buffer), ("bn.num_batches_tracked", [], .counter)]
        let a = ParameterArena(spec: spec.map { (name: $0.0, shape: $0.1, kind: $0.2) })
        var rng = RandomGenerator(seed: 3)
        for i in 0..<c {
            a.pointer("bn.weight")[i] = Float(rng.nextNormal())
            a.pointer("bn.bias")[i] = Float(rng.nextNormal())
            a.pointer("bn.running_mean")[i] = Float(rng.nextNormal()) * 3
            a.pointer("bn.running_var")[i] = 0.2 + Float(i)
        }
        let bn = BatchNorm2d(arena: a, name: "bn", channels: c)
        let x = randomTensor(shape, seed: 11, scale: 4), shortcut = randomTensor(shape, seed: 12)
        for threads in [1, 2] {
            let context = ComputeContext(threads: threads)
            for relu in [false, true] {
                for residual in [nil, shortcut] {
                    // the layer-by-layer pass: BatchNorm (x̂ into its input), then the residual join with its ReLU
                    let work = Tensor(shape: shape, values: x.array), expected = Tensor(shape: [0])
                    bn.forward(work, output: expected, training: false, relu: residual == nil && relu, context: context)
                    if let residual { Elementwise.add(expected, residual, relu: relu, context: context) }
                    let input = Tensor(shape: shape, values: x.array), y = Tensor(shape: [0])
                    bn.inferenceForward(input, output: y, residual: residual, relu: relu, context: context)
                    let what = "threads \(threads), relu \(relu), residual \(residual != nil)"
                    XCTAssertEqual(y.array.map(\.bitPattern), expected.array.map(\.bitPattern), what)
                    XCTAssertEqual(input.array, x.array, "the input is left as it was: \(what)")
                    if relu { XCTAssertTrue(y.array.contains(0) && y.array.allSatisfy { $0 >= 0 }, what) }
                }
            }
        }
    }

    /// The model's fused inference (no observer) against its layer-by-layer pass (an observer switches the
    /// fusion off): logits and embeddings bit for bit, after training steps have moved the running statistics.
    func testModelInferenceEqualsLayerByLayerEvaluationBitForBit() throws {
        let config = AudioCNNConfig(width: 8, blocks: [1, 2, 1], numClasses: 6)
        let model = try AudioCNN(config: config, seed: 5, context: ComputeContext(threads: 2))
        let x = randomTensor([3, 1, 40, 52], seed: 21, scale: 20)
        let targets = SoftmaxCrossEntropy.targets(labels: [0, 4, 5], classes: 6, smoothing: 0.1)
        let gradient = Tensor(shape: [0])
        let optimizer = AdamW(parameterCount: model.arena.parameterCount)
        for _ in 0..<3 {
            model.arena.zeroGradients()
            SoftmaxCrossEntropy.forwardBackward(logits: model.forward(x, training: true), targets: targets, gradient: gradient)
            model.backward(logitsGradient: gradient)
            optimizer.update(parameters: model.arena.parameters, gradients: model.arena.gradients, lr: 1e-2,
                             parallel: model.context.parallel)
        }
        for batch in [1, 3] {
            let input = Tensor(shape: [batch, 1, 40, 52], values: Array(x.array.prefix(batch * 40 * 52)))
            var observed = 0
            let layered = model.forward(input, training: false) { _, _ in observed += 1 }.array
            let layeredFeatures = model.pooledFeatures.array
            let fused = model.forward(input, training: false).array
            XCTAssertGreaterThan(observed, 0)
            XCTAssertEqual(fused.map(\.bitPattern), layered.map(\.bitPattern), "logits, batch \(batch)")
            XCTAssertEqual(model.pooledFeatures.array.map(\.bitPattern), layeredFeatures.map(\.bitPattern), "embeddings, batch \(batch)")
            XCTAssertTrue(fused.allSatisfy(\.isFinite))
        }
    }
}
