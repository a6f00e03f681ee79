/// Scratch gradients a block's backward needs; shared by all blocks (they run one at a time), so the
/// model holds three of them instead of three per block.
public final class BackwardScratch {
    let a = Tensor(shape: [0]), b = Tensor(shape: [0]), c = Tensor(shape: [0])
    public init() {}
}

/// The recipe's basic block: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), where the shortcut is a
/// 1×1 conv + BN when stride or channel count changes, and x itself otherwise.
public final class ResidualBlock {
    public let name: String
    public let conv1: Conv2d, bn1: BatchNorm2d, conv2: Conv2d, bn2: BatchNorm2d
    public let shortcutConv: Conv2d?, shortcutBN: BatchNorm2d?
    // Activations kept for the backward. c1/c2/sc hold the normalised x̂ after their BatchNorm.
    let c1 = Tensor(shape: [0]), r1 = Tensor(shape: [0]), c2 = Tensor(shape: [0]), out = Tensor(shape: [0])
    let sc = Tensor(shape: [0]), scOut = Tensor(shape: [0])
    private var inputShape: [Int] = []

    public init(arena: ParameterArena, name: String, inChannels: Int, outChannels: Int, stride: Int) {
        self.name = name
        conv1 = Conv2d(arena: arena, name: "\(name).conv1", inChannels: inChannels, outChannels: outChannels, kernel: 3, stride: stride, padding: 1)
        bn1 = BatchNorm2d(arena: arena, name: "\(name).bn1", channels: outChannels)
        conv2 = Conv2d(arena: arena, name: "\(name).conv2", inChannels: outChannels, outChannels: outChannels, kernel: 3, stride: 1, padding: 1)
        bn2 = BatchNorm2d(arena: arena, name: "\(name).bn2", channels: outChannels)
        if stride != 1 || inChannels != outChannels {
            shortcutConv = Conv2d(arena: arena, name: "\(name).shortcut.0", inChannels: inChannels, outChannels: outChannels, kernel: 1, stride: stride, padding: 0)
            shortcutBN = BatchNorm2d(arena: arena, name: "\(name).shortcut.1", channels: outChannels)
        } else {
            shortcutConv = nil
            shortcutBN = nil
        }
    }

    public var batchNorms: [BatchNorm2d] { [bn1, bn2] + (shortcutBN.map { [$0] } ?? []) }
    public var convolutions: [Conv2d] { [conv1, conv2] + (shortcutConv.map { [$0] } ?? []) }

    /// x is (N,C,H,W); returns the block's output (owned by the block, valid until its next forward).
    /// `observe` sees the pre-activation sum ("conv") and the output ("relu"), as the reference's
    /// feature-map dictionary names them.
    /// In evaluation mode with nothing observed, no backward can follow: the BatchNorms keep no x̂ and the
    /// second one adds the shortcut and applies the ReLU in its own pass (the same floats, fewer passes).
    public func forward(_ x: Tensor, training: Bool, context: ComputeContext, observe: ((String, Tensor) -> Void)? = nil) -> Tensor {
        inputShape = x.shape
        if !training && observe == nil { return inference(x, context: context) }
        conv1.forward(x, into: c1, training: training, context: context)
        bn1.forward(c1, output: r1, training: training, relu: true, context: context)
        conv2.forward(r1, into: c2, training: training, context: context)
        bn2.forward(c2, output: out, training: training, relu: false, context: context)
        var shortcut = x
        if let shortcutConv, let shortcutBN {
            shortcutConv.forward(x, into: sc, training: training, context: context)
            shortcutBN.forward(sc, output: scOut, training: training, relu: false, context: context)
            shortcut = scOut
        }
        if let observe {
            Elementwise.add(out, shortcut, context: context)
            observe("conv", out)
            ReLU.forward(out, into: out, context: context)
            observe("relu", out)
        } else {
            Elementwise.add(out, shortcut, relu: true, context: context)
        }
        return out
    }

    private func inference(_ x: Tensor, context: ComputeContext) -> Tensor {
        conv1.forward(x, into: c1, training: false, context: context)
        bn1.inferenceForward(c1, output: r1, relu: true, context: context)
        conv2.forward(r1, into: c2, training: false, context: context)
        var shortcut = x
        if let shortcutConv, let shortcutBN {
            shortcutConv.forward(x, into: sc, training: false, context: context)
            shortcutBN.inferenceForward(sc, output: scOut, relu: false, context: context)
            shortcut = scOut
        }
        bn2.inferenceForward(c2, output: out, residual: shortcut, relu: true, context: context)
        return out
    }

    /// dOut is ∂L/∂output (N,K,OH,OW) and is clobbered; dx (N,C,H,W) is overwritten with ∂L/∂x.
    public func backward(input x: Tensor, outputGradient dOut: Tensor, inputGradient dx: Tensor, scratch: BackwardScratch,
                         context: ComputeContext) {
        let d2 = scratch.a, d1 = scratch.b, tmp = scratch.c
        ReLU.backward(outputGradient: dOut, output: out, inputGradient: dOut, context: context)
        bn2.backward(outputGradient: dOut, output: out, normalized: c2, relu: false, inputGradient: d2, context: context)
        conv2.backward(input: r1, outputGradient: d2, inputGradient: d1, context: context)
        bn1.backward(outputGradient: d1, output: r1, normalized: c1, relu: true, inputGradient: d1, context: context)
        if let shortcutConv, let shortcutBN {
            shortcutBN.backward(outputGradient: dOut, output: scOut, normalized: sc, relu: false, inputGradient: dOut, context: context)
            shortcutConv.backward(input: x, outputGradient: dOut, inputGradient: dx, context: context)
            conv1.backward(input: x, outputGradient: d1, inputGradient: tmp, context: context)
            Elementwise.add(dx, tmp, context: context)
        } else {
            conv1.backward(input: x, outputGradient: d1, inputGradient: dx, context: context)
            Elementwise.add(dx, dOut, context: context)
        }
    }
}
