/// AdaptiveAvgPool2d((1, 1)) followed by flatten: (N,C,H,W) → (N,C).
public enum GlobalAveragePool {
    public static func forward(_ x: Tensor, into y: Tensor) {
        let nc = x.shape[0] * x.shape[1], plane = x.shape[2] * x.shape[3]
        y.reshape([x.shape[0], x.shape[1]])
        let xp = x.data, yp = y.data
        for i in 0..<nc {
            var s = Float(0)
            let p = xp + i * plane
            for j in 0..<plane { s += p[j] }
            yp[i] = s / Float(plane)
        }
    }

    // dx[n,c,:,:] = dy[n,c] / (H·W), overwritten.
    public static func backward(outputGradient dy: Tensor, inputShape: [Int], inputGradient dx: Tensor) {
        dx.reshape(inputShape)
        let nc = inputShape[0] * inputShape[1], plane = inputShape[2] * inputShape[3]
        let dyp = dy.data, dxp = dx.data
        let scale = 1 / Float(plane)
        for i in 0..<nc {
            let v = dyp[i] * scale
            (dxp + i * plane).update(repeating: v, count: plane)
        }
    }
}
