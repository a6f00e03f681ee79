import XCTest
import AudioSpecNet
import _TestSupport

/// The im2col + sgemm path against the Float64 direct convolution on odd shapes: every kernel size,
/// stride and padding the network uses and a few it does not, odd sizes so that edges are uneven.
final class ConvolutionIm2colTests: XCTestCase {
    static let cases: [ConvolutionCase] = [
        ConvolutionCase(shape: .init(inChannels: 3, outChannels: 5, kernel: 1), batch: 1, height: 7, width: 9),
        ConvolutionCase(shape: .init(inChannels: 4, outChannels: 6, kernel: 1, stride: 2), batch: 3, height: 7, width: 9),
        ConvolutionCase(shape: .init(inChannels: 2, outChannels: 3, kernel: 3, stride: 1, padding: 1), batch: 3, height: 5, width: 11),
        ConvolutionCase(shape: .init(inChannels: 5, outChannels: 4, kernel: 3, stride: 2, padding: 1), batch: 3, height: 7, width: 9),
        ConvolutionCase(shape: .init(inChannels: 3, outChannels: 2, kernel: 3, stride: 1, padding: 0), batch: 1, height: 5, width: 11),
        ConvolutionCase(shape: .init(inChannels: 1, outChannels: 8, kernel: 7, stride: 2, padding: 3), batch: 3, height: 13, width: 17),
        ConvolutionCase(shape: .init(inChannels: 2, outChannels: 3, kernel: 7, stride: 2, padding: 3), batch: 1, height: 3, width: 5),
        ConvolutionCase(shape: .init(inChannels: 16, outChannels: 12, kernel: 3, stride: 2, padding: 1), batch: 3, height: 8, width: 14),
        ConvolutionCase(shape: .init(inChannels: 3, outChannels: 4, kernelHeight: 3, kernelWidth: 5, strideH: 1, strideW: 2, padH: 2, padW: 1), batch: 3, height: 6, width: 9),
        // Many small images: grouped into one GEMM per group.
        ConvolutionCase(shape: .init(inChannels: 8, outChannels: 16, kernel: 3, stride: 2, padding: 1), batch: 9, height: 4, width: 7),
        ConvolutionCase(shape: .init(inChannels: 8, outChannels: 16, kernel: 1, stride: 2), batch: 9, height: 4, width: 7),
    ]

    func testMatchesNaive() {
        var worst = 0.0
        for c in Self.cases {
            let e = c.run(.im2col)
            for (name, cmp) in [("y", e.forward), ("dx", e.inputGradient), ("dw", e.weightGradient)] {
                XCTAssertLessThanOrEqual(cmp.relativeError, 1e-5, "\(c) \(name): \(cmp)")
                worst = max(worst, cmp.relativeError)
            }
        }
        print("im2col vs naive: worst relative error \(worst)")
    }

    func testOutputSize() {
        let s = ConvolutionShape(inChannels: 1, outChannels: 64, kernel: 7, stride: 2, padding: 3)
        XCTAssertTrue(s.outputSize(height: 128, width: 216) == (64, 108))
        let t = ConvolutionShape(inChannels: 1, outChannels: 1, kernel: 3, stride: 2, padding: 1)
        XCTAssertTrue(t.outputSize(height: 7, width: 9) == (4, 5))
        XCTAssertTrue(ConvolutionShape(inChannels: 1, outChannels: 1, kernel: 5).outputSize(height: 3, width: 9) == (0, 5))
    }

    /// dw accumulates (two backward calls double it) while dx is overwritten (same both times).
    func testAccumulationSemantics() {
        for algorithm in [ConvolutionAlgorithm.im2col, .winograd2x2, .winograd4x4] {
            let s = ConvolutionShape(inChannels: 4, outChannels: 6, kernel: 3, stride: 1, padding: 1)
            let (n, h, w) = (2, 5, 7)
            var rng = ConvolutionRandom(seed: 7)
            let x = rng.array(n * 4 * h * w).map(Float.init), wt = rng.array(s.weightCount).map(Float.init)
            let dy = rng.array(n * 6 * h * w).map(Float.init)
            let kernel = ConvolutionKernel(shape: s, algorithm: algorithm)
            let context = ComputeContext(threads: 2)
            var dx1 = [Float](repeating: 5, count: x.count), dw = [Float](repeating: 0, count: wt.count)
            kernel.backward(batch: n, height: h, width: w, input: x, weight: wt, outputGradient: dy, inputGradient: &dx1, weightGradient: &dw, context: context)
            let once = dw
            var dx2 = [Float](repeating: -3, count: x.count)
            kernel.backward(batch: n, height: h, width: w, input: x, weight: wt, outputGradient: dy, inputGradient: &dx2, weightGradient: &dw, context: context)
            XCTAssertEqual(dx1, dx2, "\(algorithm): dx must be overwritten")
            assertClose(dw, once.map { 2 * $0 }, rel: 1e-6, "\(algorithm): dw must accumulate")
            // inputGradient nil: weight gradient only, same value.
            var dw3 = [Float](repeating: 0, count: wt.count)
            kernel.backward(batch: n, height: h, width: w, input: x, weight: wt, outputGradient: dy, inputGradient: nil, weightGradient: &dw3, context: context)
            assertClose(dw3, once, rel: 1e-6)
        }
    }

    /// One thread (serial) and two threads agree; one thread is bit-reproducible.
    func testThreadCountsAgree() {
        let cases = [
            (ConvolutionCase(shape: .init(inChannels: 8, outChannels: 16, kernel: 3, stride: 2, padding: 1), batch: 5, height: 9, width: 13), ConvolutionAlgorithm.im2col),
            (ConvolutionCase(shape: .init(inChannels: 16, outChannels: 8, kernel: 3, stride: 1, padding: 1), batch: 5, height: 9, width: 13), .winograd2x2),
            (ConvolutionCase(shape: .init(inChannels: 16, outChannels: 8, kernel: 3, stride: 1, padding: 1), batch: 5, height: 9, width: 13), .winograd4x4),
        ]
        for (c, algorithm) in cases {
            let one = ComputeContext(threads: 1)
            let serial = c.run(algorithm, context: one), again = c.run(algorithm, context: one)
            XCTAssertEqual(serial.forward.maxAbsoluteError, again.forward.maxAbsoluteError)
            XCTAssertEqual(serial.weightGradient.maxAbsoluteError, again.weightGradient.maxAbsoluteError)
            let parallel = c.run(algorithm, context: ComputeContext(threads: 2))
            for cmp in [parallel.forward, parallel.inputGradient, parallel.weightGradient, serial.forward, serial.inputGradient, serial.weightGradient] {
                XCTAssertLessThanOrEqual(cmp.relativeError, 1e-4, "\(c) \(algorithm)")
            }
        }
    }
}

/// The two halves of `backward` called alone give what `backward` gives.
final class ConvolutionSplitBackwardTests: XCTestCase {
    func testHalvesMatchBackward() {
        for threads in [1, 2] {
            let context = ComputeContext(threads: threads)
            for (s, algorithm) in [
                (ConvolutionShape(inChannels: 6, outChannels: 5, kernel: 3, stride: 2, padding: 1), ConvolutionAlgorithm.im2col),
                (ConvolutionShape(inChannels: 6, outChannels: 5, kernel: 3, stride: 1, padding: 1), .winograd2x2),
                (ConvolutionShape(inChannels: 6, outChannels: 5, kernel: 3, stride: 1, padding: 1), .winograd4x4),
            ] {
                let (n, h, w) = (7, 6, 9)
                let (oh, ow) = s.outputSize(height: h, width: w)
                var rng = ConvolutionRandom(seed: 9)
                let x = rng.array(n * 6 * h * w).map(Float.init), wt = rng.array(s.weightCount).map(Float.init)
                let dy = rng.array(n * 5 * oh * ow).map(Float.init)
                let kernel = ConvolutionKernel(shape: s, algorithm: algorithm)
                var dx = [Float](repeating: 0, count: x.count), dw = [Float](repeating: 1, count: wt.count)
                kernel.backward(batch: n, height: h, width: w, input: x, weight: wt, outputGradient: dy, inputGradient: &dx, weightGradient: &dw,
                                context: context)
                var dx2 = [Float](repeating: 9, count: x.count), dw2 = [Float](repeating: 1, count: wt.count)
                kernel.inputGradient(batch: n, height: h, width: w, weight: wt, outputGradient: dy, inputGradient: &dx2, context: context)
                kernel.accumulateWeightGradient(batch: n, height: h, width: w, input: x, outputGradient: dy, weightGradient: &dw2, context: context)
                assertClose(dx2, dx, rel: 1e-6, "\(algorithm)")
                assertClose(dw2, dw, rel: 1e-6, "\(algorithm)")
            }
        }
    }
}
