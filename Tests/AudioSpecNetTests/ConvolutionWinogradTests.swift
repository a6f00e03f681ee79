import XCTest
import AudioSpecNet
import _TestSupport

/// Winograd F(2×2,3×3) and F(4×4,3×3) against the Float64 direct convolution, on maps smaller than a
/// tile, maps that are not a multiple of the tile, and the network's real channel counts and sizes.
final class ConvolutionWinogradTests: XCTestCase {
    static func conv3(_ c: Int, _ k: Int) -> ConvolutionShape {
        ConvolutionShape(inChannels: c, outChannels: k, kernel: 3, stride: 1, padding: 1)
    }

    static let oddCases: [ConvolutionCase] = [
        ConvolutionCase(shape: conv3(1, 1), batch: 1, height: 1, width: 1),
        ConvolutionCase(shape: conv3(2, 3), batch: 1, height: 3, width: 5),
        ConvolutionCase(shape: conv3(3, 2), batch: 3, height: 7, width: 9),
        ConvolutionCase(shape: conv3(5, 4), batch: 3, height: 5, width: 11),
        ConvolutionCase(shape: conv3(8, 8), batch: 2, height: 4, width: 7),
        ConvolutionCase(shape: conv3(9, 7), batch: 3, height: 8, width: 14),
        ConvolutionCase(shape: conv3(4, 4), batch: 1, height: 17, width: 6),
    ]

    /// Realistic channel counts: the network's layer3/layer4 maps (the size that matters for accuracy is
    /// the reduction length C·9), and layer1's map with fewer channels to keep the reference quick.
    static let realisticCases: [ConvolutionCase] = [
        ConvolutionCase(shape: conv3(64, 16), batch: 2, height: 32, width: 54),
        ConvolutionCase(shape: conv3(128, 32), batch: 2, height: 16, width: 27),
        ConvolutionCase(shape: conv3(256, 32), batch: 2, height: 8, width: 14),
        ConvolutionCase(shape: conv3(512, 16), batch: 2, height: 4, width: 7),
    ]

    func check(_ algorithm: ConvolutionAlgorithm, tolerance: Double) {
        var worst = (y: 0.0, dx: 0.0, dw: 0.0)
        for c in Self.oddCases + Self.realisticCases {
            let e = c.run(algorithm, seed: 3)
            XCTAssertLessThanOrEqual(e.forward.relativeError, tolerance, "\(algorithm) \(c) y: \(e.forward)")
            XCTAssertLessThanOrEqual(e.inputGradient.relativeError, tolerance, "\(algorithm) \(c) dx: \(e.inputGradient)")
            XCTAssertLessThanOrEqual(e.weightGradient.relativeError, tolerance, "\(algorithm) \(c) dw: \(e.weightGradient)")
            worst = (max(worst.y, e.forward.relativeError), max(worst.dx, e.inputGradient.relativeError), max(worst.dw, e.weightGradient.relativeError))
        }
        print("\(algorithm) vs naive: worst relative error y \(worst.y), dx \(worst.dx), dw \(worst.dw) (tolerance \(tolerance))")
    }

    /// F(2×2) only uses 0, ±1, ±½: as accurate as im2col.
    func testF2x2MatchesNaive() { check(.winograd2x2, tolerance: 1e-5) }

    /// F(4×4) at the points 0, 1, −1, ½, −2, ∞ (measured: y 3.5e-6, dx 1.8e-6, dw 1.8e-6; the textbook
    /// points 0, ±1, ±2, ∞ gave 1.1e-5, 6.0e-6, 3.5e-6): ≈ 3× F(2×2)'s error.
    func testF4x4MatchesNaive() { check(.winograd4x4, tolerance: 1e-5) }

    func testAutoPicksWinogradOnlyForThreeByThreeStrideOne() {
        XCTAssertEqual(ConvolutionKernel(shape: .init(inChannels: 64, outChannels: 128, kernel: 3, stride: 2, padding: 1)).algorithm, .im2col)
        XCTAssertEqual(ConvolutionKernel(shape: .init(inChannels: 64, outChannels: 128, kernel: 1, stride: 2)).algorithm, .im2col)
        XCTAssertEqual(ConvolutionKernel(shape: .init(inChannels: 1, outChannels: 64, kernel: 7, stride: 2, padding: 3)).algorithm, .im2col)
        let k = ConvolutionKernel(shape: Self.conv3(64, 64))
        var policy = ConvolutionPolicy()
        XCTAssertEqual(k.algorithm, .auto)
        // The network's maps at batch 32 (training) and batch 1 (inference): the forward F(2×2) by default ...
        XCTAssertEqual(k.algorithm(batch: 32, height: 32, width: 54, pass: .trainingForward, policy: policy), .winograd2x2)
        XCTAssertEqual(k.algorithm(batch: 32, height: 4, width: 7, pass: .trainingForward, policy: policy), .winograd2x2)
        XCTAssertEqual(k.algorithm(batch: 1, height: 16, width: 27, pass: .trainingForward, policy: policy), .winograd2x2)
        XCTAssertEqual(k.algorithm(batch: 1, height: 8, width: 14, pass: .trainingForward, policy: policy), .im2col)
        XCTAssertEqual(k.algorithm(batch: 1, height: 4, width: 7, pass: .trainingForward, policy: policy), .im2col)
        // ... the backward F(4×4) by default where its GEMMs are not too thin ...
        XCTAssertEqual(k.algorithm(batch: 32, height: 32, width: 54, pass: .backward, policy: policy), .winograd4x4)
        XCTAssertEqual(k.algorithm(batch: 32, height: 16, width: 27, pass: .backward, policy: policy), .winograd4x4)
        XCTAssertEqual(k.algorithm(batch: 32, height: 8, width: 14, pass: .backward, policy: policy), .winograd4x4)
        XCTAssertEqual(k.algorithm(batch: 32, height: 4, width: 7, pass: .backward, policy: policy), .winograd2x2)
        // ... F(4×4) in evaluation at batch 1 on layer1's map ...
        XCTAssertEqual(k.algorithm(batch: 1, height: 32, width: 54, pass: .evaluationForward, policy: policy), .winograd4x4)
        XCTAssertEqual(k.algorithm(batch: 1, height: 4, width: 7, pass: .evaluationForward, policy: policy), .im2col)
        policy.winograd4x4InBackward = false
        XCTAssertEqual(k.algorithm(batch: 32, height: 32, width: 54, pass: .backward, policy: policy), .winograd2x2)
        // ... and the forward F(4×4) too where allowed.
        policy.winograd4x4InTrainingForward = true
        XCTAssertEqual(k.algorithm(batch: 32, height: 32, width: 54, pass: .backward, policy: policy), .winograd4x4)
        XCTAssertEqual(k.algorithm(batch: 32, height: 32, width: 54, pass: .trainingForward, policy: policy), .winograd4x4)
        XCTAssertEqual(k.algorithm(batch: 32, height: 16, width: 27, pass: .trainingForward, policy: policy), .winograd4x4)
        XCTAssertEqual(k.algorithm(batch: 32, height: 8, width: 14, pass: .trainingForward, policy: policy), .winograd4x4)
        XCTAssertEqual(k.algorithm(batch: 32, height: 4, width: 7, pass: .trainingForward, policy: policy), .winograd2x2)
        XCTAssertEqual(k.algorithm(batch: 1, height: 32, width: 54, pass: .trainingForward, policy: policy), .winograd4x4)
        XCTAssertEqual(k.algorithm(batch: 1, height: 4, width: 7, pass: .trainingForward, policy: policy), .im2col)
        // .auto gives the same answers as the algorithm it picks, in all three passes.
        for c in [ConvolutionCase(shape: Self.conv3(8, 8), batch: 1, height: 4, width: 7),
                  ConvolutionCase(shape: Self.conv3(8, 8), batch: 2, height: 32, width: 54)] {
            let e = c.run(.auto)
            XCTAssertLessThanOrEqual(max(e.forward.relativeError, e.inputGradient.relativeError, e.weightGradient.relativeError), 1e-5, "\(c)")
        }
    }

    /// A large batch is processed in image groups (bounded scratch): same answer as small groups.
    func testManyImagesAcrossGroups() {
        var policy = ConvolutionPolicy()
        policy.winogradTransformBudget = 1  // groups of 512 tiles: 5 images (F2), 19 (F4)
        let c = ConvolutionCase(shape: Self.conv3(16, 8), batch: 23, height: 16, width: 27)
        for algorithm in [ConvolutionAlgorithm.winograd2x2, .winograd4x4] {
            let e = c.run(algorithm, seed: 5, context: ComputeContext(threads: 2, convolution: policy))
            XCTAssertLessThanOrEqual(max(e.forward.relativeError, e.inputGradient.relativeError, e.weightGradient.relativeError), 1e-4, "\(algorithm)")
        }
    }
}
