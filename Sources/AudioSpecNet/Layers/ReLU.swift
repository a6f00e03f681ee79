/// max(x, 0), elementwise. Standalone for tests and unfused paths; the model fuses it into BatchNorm and
/// the residual addition where it follows them.
public enum ReLU {
    // y = max(x, 0); y may be x.
    public static func forward(_ x: Tensor, into y: Tensor, context: ComputeContext) {
        y.reshape(x.shape)
        let xp = x.data, yp = y.data
        context.parallel.chunks(x.count, minimumChunk: 1 << 16) { range, _ in
            for i in range { yp[i] = max(xp[i], 0) }
        }
    }

    // dx = dy · [y > 0]; dx may be dy.
    public static func backward(outputGradient dy: Tensor, output y: Tensor, inputGradient dx: Tensor, context: ComputeContext) {
        dx.reshape(dy.shape)
        let dyp = dy.data, yp = y.data, dxp = dx.data
        context.parallel.chunks(dy.count, minimumChunk: 1 << 16) { range, _ in
            for i in range { dxp[i] = yp[i] > 0 ? dyp[i] : 0 }
        }
    }
}

/// a += b, optionally followed by max(·, 0) in the same pass: the residual join (main path + shortcut,
/// then ReLU) and the sum of a block's two input-gradient paths.
public enum Elementwise {
    public static func add(_ a: Tensor, _ b: Tensor, relu: Bool = false, context: ComputeContext) {
        precondition(a.count == b.count, "Elementwise.add: \(a.shape) vs \(b.shape)")
        let ap = a.data, bp = b.data
        context.parallel.chunks(a.count, minimumChunk: 1 << 16) { range, _ in
            if relu { for i in range { ap[i] = max(ap[i] + bp[i], 0) } } else { for i in range { ap[i] += bp[i] } }
        }
    }
}
