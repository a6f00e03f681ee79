import XCTest
import AudioSpecNet
import _TestSupport

/// Central finite differences in Float64 confirm that the naive reference's gradients are the gradients
/// of its forward, so every fast path checked against it is checked against the true derivative.
final class ConvolutionGradientCheckTests: XCTestCase {
    func finiteDifferenceCheck(_ s: ConvolutionShape, batch: Int, height: Int, width: Int) {
        let (oh, ow) = s.outputSize(height: height, width: width)
        var rng = ConvolutionRandom(seed: 11)
        var x = rng.array(batch * s.inChannels * height * width)
        var w = rng.array(s.weightCount)
        let dy = rng.array(batch * s.outChannels * oh * ow)  // L = Σ dy ⊙ y
        func loss(_ x: [Double], _ w: [Double]) -> Double {
            var y = [Double](repeating: 0, count: dy.count)
            NaiveConvolution.forward(shape: s, batch: batch, height: height, width: width, input: x, weight: w, output: &y)
            return zip(y, dy).reduce(0) { $0 + $1.0 * $1.1 }
        }
        var dx = [Double](repeating: 0, count: x.count), dw = [Double](repeating: 0, count: w.count)
        NaiveConvolution.inputGradient(shape: s, batch: batch, height: height, width: width, weight: w, outputGradient: dy, inputGradient: &dx)
        NaiveConvolution.weightGradient(shape: s, batch: batch, height: height, width: width, input: x, outputGradient: dy, weightGradient: &dw)
        let h = 1e-5
        var worst = 0.0
        for i in 0..<x.count {
            let v = x[i]
            x[i] = v + h; let lp = loss(x, w)
            x[i] = v - h; let lm = loss(x, w)
            x[i] = v
            worst = max(worst, abs((lp - lm) / (2 * h) - dx[i]))
        }
        for i in 0..<w.count {
            let v = w[i]
            w[i] = v + h; let lp = loss(x, w)
            w[i] = v - h; let lm = loss(x, w)
            w[i] = v
            worst = max(worst, abs((lp - lm) / (2 * h) - dw[i]))
        }
        XCTAssertLessThan(worst, 1e-7, "\(s)")
        print("finite differences vs naive gradients (\(s.kernelHeight)×\(s.kernelWidth)/s\(s.strideH)/p\(s.padH)): worst abs error \(worst)")
    }

    func testStrideTwoWithPadding() {
        finiteDifferenceCheck(.init(inChannels: 2, outChannels: 3, kernel: 3, stride: 2, padding: 1), batch: 2, height: 5, width: 7)
    }

    func testSevenBySevenStem() {
        finiteDifferenceCheck(.init(inChannels: 1, outChannels: 2, kernel: 7, stride: 2, padding: 3), batch: 1, height: 6, width: 9)
    }

    func testOneByOneStrideTwo() {
        finiteDifferenceCheck(.init(inChannels: 3, outChannels: 2, kernel: 1, stride: 2), batch: 2, height: 5, width: 4)
    }
}
