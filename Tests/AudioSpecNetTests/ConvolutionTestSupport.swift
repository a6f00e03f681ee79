import AudioSpecNet
import _TestSupport

/// Deterministic uniform(−1, 1) values (SplitMix64), so failures reproduce.
struct ConvolutionRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) / Double(1 << 53) * 2 - 1
    }
    mutating func array(_ count: Int) -> [Double] { (0..<count).map { _ in next() } }
}

/// One convolution case run through a `ConvolutionKernel` and through `NaiveConvolution` in Float64.
struct ConvolutionCase: CustomStringConvertible {
    let shape: ConvolutionShape
    let batch: Int, height: Int, width: Int
    var description: String {
        "C\(shape.inChannels)→K\(shape.outChannels) \(shape.kernelHeight)×\(shape.kernelWidth)/s\(shape.strideH)/p\(shape.padH) on \(batch)×\(height)×\(width)"
    }

    struct Errors { let forward: Comparison, inputGradient: Comparison, weightGradient: Comparison }

    /// Runs forward and backward; the weight gradient starts from a nonzero value to check that it
    /// accumulates, and dx from garbage to check that it is overwritten.
    func run(_ algorithm: ConvolutionAlgorithm, seed: UInt64 = 1, context: ComputeContext = ComputeContext(threads: 2)) -> Errors {
        let (oh, ow) = shape.outputSize(height: height, width: width)
        let C = shape.inChannels, K = shape.outChannels
        var rng = ConvolutionRandom(seed: seed)
        let x = rng.array(batch * C * height * width)
        let w = rng.array(shape.weightCount).map { $0 * 0.3 }
        let dy = rng.array(batch * K * oh * ow)
        let dw0 = rng.array(shape.weightCount)

        var yRef = [Double](repeating: 0, count: dy.count)
        var dxRef = [Double](repeating: 0, count: x.count)
        var dwRef = [Double](repeating: 0, count: w.count)
        NaiveConvolution.forward(shape: shape, batch: batch, height: height, width: width, input: x, weight: w, output: &yRef)
        NaiveConvolution.inputGradient(shape: shape, batch: batch, height: height, width: width, weight: w, outputGradient: dy, inputGradient: &dxRef)
        NaiveConvolution.weightGradient(shape: shape, batch: batch, height: height, width: width, input: x, outputGradient: dy, weightGradient: &dwRef)

        let kernel = ConvolutionKernel(shape: shape, algorithm: algorithm)
        let xf = x.map(Float.init), wf = w.map(Float.init), dyf = dy.map(Float.init)
        var y = [Float](repeating: .nan, count: dy.count)
        var dx = [Float](repeating: .nan, count: x.count)
        var dw = dw0.map(Float.init)
        kernel.forward(batch: batch, height: height, width: width, input: xf, weight: wf, output: &y, context: context)
        kernel.backward(batch: batch, height: height, width: width, input: xf, weight: wf, outputGradient: dyf, inputGradient: &dx,
                        weightGradient: &dw, context: context)
        let dwDelta = (0..<dw.count).map { Double(dw[$0]) - Double(Float(dw0[$0])) }
        return Errors(forward: compare(y, yRef), inputGradient: compare(dx, dxRef), weightGradient: compare(dwDelta, dwRef))
    }
}
