import XCTest
import AudioSpecNet
import _TestSupport

/// Finite-difference checks of every layer's input and parameter gradients on small odd shapes.
final class LayerGradientTests: XCTestCase {
    /// Two threads, whatever the machine.
    let context = ComputeContext(threads: 2)

    private func arena(_ spec: [(String, [Int], ParameterArena.Kind)], seed: UInt64) -> ParameterArena {
        let a = ParameterArena(spec: spec.map { (name: $0.0, shape: $0.1, kind: $0.2) })
        var rng = RandomGenerator(seed: seed)
        for i in 0..<a.parameterCount { a.parameters[i] = Float(rng.nextNormal()) * 0.5 }
        return a
    }

    func testConv2dGradientsStridePaddingOddSizes() {
        for (k, stride, pad) in [(3, 1, 1), (3, 2, 1), (7, 2, 3), (1, 2, 0)] {
            let a = arena([("c.weight", [4, 3, k, k], .parameter)], seed: 1)
            let conv = Conv2d(arena: a, name: "c", inChannels: 3, outChannels: 4, kernel: k, stride: stride, padding: pad)
            let x = randomTensor([2, 3, 7, 9], seed: 2)
            let y = Tensor(shape: [0]), dx = Tensor(shape: [0])
            conv.forward(x, into: y, context: context)
            let r = randomValues(y.count, seed: 3)
            let dy = Tensor(shape: y.shape, values: r)
            a.zeroGradients()
            conv.backward(input: x, outputGradient: dy, inputGradient: dx, context: context)
            let loss = { conv.forward(x, into: y, context: self.context); return GradientCheck.projection(y, r) }
            let ew = GradientCheck.relativeError(values: a.parameters, count: a.parameterCount,
                                                 analytic: Array(UnsafeBufferPointer(start: a.gradients, count: a.parameterCount)),
                                                 indices: GradientCheck.sampleIndices(count: a.parameterCount, samples: 60), loss: loss)
            let ex = GradientCheck.relativeError(values: x.data, count: x.count, analytic: dx.array, loss: loss)
            print("conv k\(k) s\(stride) p\(pad): weight rel \(ew), input rel \(ex)")
            XCTAssertLessThan(ew, 2e-3)
            XCTAssertLessThan(ex, 2e-3)
        }
    }

    private func batchNormArena(_ c: Int) -> ParameterArena {
        let a = arena([("bn.weight", [c], .parameter), ("bn.bias", [c], .parameter), ("bn.running_mean", [c], .buffer),
                       ("bn.running_var", [c], .buffer), ("bn.num_batches_tracked", [], .counter)], seed: 4)
        for i in 0..<c { a.parameters[i] += 1; a.buffers[c + i] = 1 + Float(i) * 0.1; a.buffers[i] = Float(i) * 0.05 }
        return a
    }

    func testBatchNormTrainingAndEvalGradients() {
        for (training, relu) in [(true, false), (true, true), (false, false)] {
            let c = 3
            let a = batchNormArena(c)
            let bn = BatchNorm2d(arena: a, name: "bn", channels: c)
            let x = randomTensor([2, c, 3, 5], seed: 5, scale: 2)
            let savedBuffers = Array(UnsafeBufferPointer(start: a.buffers, count: a.bufferCount))
            let work = Tensor(shape: [0]), y = Tensor(shape: [0]), dx = Tensor(shape: [0])
            func run() -> Tensor {
                work.reshape(x.shape)
                work.data.update(from: x.data, count: x.count)
                a.buffers.update(from: savedBuffers, count: savedBuffers.count)  // running stats move each forward
                bn.forward(work, output: y, training: training, relu: relu, context: context)
                return y
            }
            _ = run()
            let r = randomValues(y.count, seed: 6)
            let dy = Tensor(shape: y.shape, values: r)
            a.zeroGradients()
            bn.backward(outputGradient: dy, output: y, normalized: work, relu: relu, inputGradient: dx, context: context)
            let grads = Array(UnsafeBufferPointer(start: a.gradients, count: a.parameterCount))
            let loss = { GradientCheck.projection(run(), r) }
            let ex = GradientCheck.relativeError(values: x.data, count: x.count, analytic: dx.array, h: 1e-3, loss: loss)
            let ep = GradientCheck.relativeError(values: a.parameters, count: a.parameterCount, analytic: grads, h: 1e-3, loss: loss)
            print("batchnorm training=\(training) relu=\(relu): input rel \(ex), γβ rel \(ep)")
            XCTAssertLessThan(ex, 5e-3)
            XCTAssertLessThan(ep, 5e-3)
        }
    }

    func testBatchNormRunningStatisticsFollowPyTorch() {
        let a = batchNormArena(2)
        let bn = BatchNorm2d(arena: a, name: "bn", channels: 2)
        let x = Tensor(shape: [2, 2, 1, 2], values: [1, 2, 10, 20, 3, 4, 30, 40])
        bn.forward(x, output: Tensor(shape: [0]), training: true, relu: false, context: context)
        // channel 0 values 1,2,3,4: mean 2.5, unbiased var 5/3; running = 0.9·old + 0.1·batch.
        XCTAssertEqual(a.buffers[0], 0.9 * 0 + 0.1 * 2.5, accuracy: 1e-6)
        XCTAssertEqual(a.buffers[2], 0.9 * 1 + 0.1 * (5.0 / 3), accuracy: 1e-6)
        XCTAssertEqual(a.counters[0], 1)
    }

    func testMaxPoolGlobalPoolLinearGradients() {
        let pool = MaxPool2d()
        let x = randomTensor([2, 3, 7, 9], seed: 8)
        let y = Tensor(shape: [0]), dx = Tensor(shape: [0])
        pool.forward(x, into: y, context: context)
        XCTAssertEqual(y.shape, [2, 3, 4, 5])
        let r = randomValues(y.count, seed: 9)
        pool.backward(outputGradient: Tensor(shape: y.shape, values: r), inputShape: x.shape, inputGradient: dx, context: context)
        let e = GradientCheck.relativeError(values: x.data, count: x.count, analytic: dx.array, h: 1e-3) {
            pool.forward(x, into: y, context: self.context); return GradientCheck.projection(y, r)
        }
        XCTAssertLessThan(e, 1e-3)

        let g = Tensor(shape: [0]), dg = Tensor(shape: [0])
        GlobalAveragePool.forward(x, into: g)
        let rg = randomValues(g.count, seed: 10)
        GlobalAveragePool.backward(outputGradient: Tensor(shape: g.shape, values: rg), inputShape: x.shape, inputGradient: dg)
        let eg = GradientCheck.relativeError(values: x.data, count: x.count, analytic: dg.array) {
            GlobalAveragePool.forward(x, into: g); return GradientCheck.projection(g, rg)
        }
        XCTAssertLessThan(eg, 1e-3)

        let a = arena([("fc.weight", [5, 8], .parameter), ("fc.bias", [5], .parameter)], seed: 11)
        let fc = Linear(arena: a, name: "fc", inFeatures: 8, outFeatures: 5)
        let xi = randomTensor([3, 8], seed: 12), yo = Tensor(shape: [0]), dxi = Tensor(shape: [0])
        fc.forward(xi, into: yo)
        let rl = randomValues(yo.count, seed: 13)
        a.zeroGradients()
        fc.backward(input: xi, outputGradient: Tensor(shape: yo.shape, values: rl), inputGradient: dxi)
        let loss = { fc.forward(xi, into: yo); return GradientCheck.projection(yo, rl) }
        XCTAssertLessThan(GradientCheck.relativeError(values: xi.data, count: xi.count, analytic: dxi.array, loss: loss), 1e-3)
        XCTAssertLessThan(GradientCheck.relativeError(values: a.parameters, count: a.parameterCount,
                                                      analytic: Array(UnsafeBufferPointer(start: a.gradients, count: a.parameterCount)), loss: loss), 1e-3)
    }

    func testDropoutScalesSurvivorsAndIsIdentityInEval() {
        let d = Dropout(probability: 0.5)
        var rng = RandomGenerator(seed: 3)
        let x = Tensor(shape: [4, 1000], values: Array(repeating: 1, count: 4000))
        let y = Tensor(shape: [0])
        d.forward(x, into: y, training: true, rng: &rng)
        let kept = y.array.filter { $0 != 0 }
        XCTAssertTrue(kept.allSatisfy { $0 == 2 })
        XCTAssertEqual(Double(kept.count) / 4000, 0.5, accuracy: 0.03)
        let dx = Tensor(shape: [0])
        d.backward(outputGradient: x, inputGradient: dx)
        XCTAssertEqual(dx.array, y.array)
        d.forward(x, into: y, training: false, rng: &rng)
        XCTAssertEqual(y.array, x.array)
    }

    func testSoftmaxCrossEntropyGradientWithSmoothingAndMixup() {
        let logits = randomTensor([4, 7], seed: 14, scale: 2)
        let targets = SoftmaxCrossEntropy.targets(labels: [0, 3, 6, 2], classes: 7, smoothing: 0.1, mix: ([1, 1, 0, 5], 0.7))
        let g = Tensor(shape: [0])
        SoftmaxCrossEntropy.forwardBackward(logits: logits, targets: targets, gradient: g)
        let e = GradientCheck.relativeError(values: logits.data, count: logits.count, analytic: g.array, h: 1e-3) {
            SoftmaxCrossEntropy.forwardBackward(logits: logits, targets: targets, gradient: nil)
        }
        XCTAssertLessThan(e, 1e-3)
        // Each target row is a distribution.
        for i in 0..<4 { XCTAssertEqual((0..<7).reduce(0) { $0 + targets.data[i * 7 + $1] }, 1, accuracy: 1e-6) }
    }
}
