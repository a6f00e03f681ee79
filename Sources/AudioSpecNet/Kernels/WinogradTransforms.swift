/// Winograd's minimal filtering F(m×m, 3×3) (Lavin & Gray 2015): an output tile Y (m×m) of a 3×3
/// convolution over an input tile d (α×α, α = m + 2) is Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A: α² multiplies per
/// channel pair instead of 9m². Every 2-D transform here is a 1-D map applied to the columns then to the
/// rows, and every value is a SIMD8 holding 8 different tiles, so the transforms run 8 wide.
protocol WinogradTile {
    static var m: Int { get }  // output tile size
    static var alpha: Int { get }  // input tile size, m + 2
    /// The 1-D maps, each reading `x[i·xs]` and writing `y[i·ys]`.
    static func bt(_ x: UnsafePointer<SIMD8<Float>>, _ xs: Int, _ y: UnsafeMutablePointer<SIMD8<Float>>, _ ys: Int)  // α → α
    static func at(_ x: UnsafePointer<SIMD8<Float>>, _ xs: Int, _ y: UnsafeMutablePointer<SIMD8<Float>>, _ ys: Int)  // α → m
    static func a(_ x: UnsafePointer<SIMD8<Float>>, _ xs: Int, _ y: UnsafeMutablePointer<SIMD8<Float>>, _ ys: Int)  // m → α
    /// G (α × 3, row-major) in Float64: the filter transform u = G g Gᵀ, applied as one sgemm (`filterMatrix`).
    static var gMatrix: [Double] { get }
}

typealias F8 = SIMD8<Float>

extension WinogradTile {
    /// The filter transform as one matrix: u = G g Gᵀ flattened is kron(G, G) (α² × 9) times g flattened,
    /// so all K·C filters transform in one sgemm (U = T · Wᵀ, memory-bound) instead of 8-wide gathers.
    /// Formed in Float64 from `gMatrix` and rounded once.
    static var filterMatrix: [Float] {
        let column = gMatrix
        var t = [Float](repeating: 0, count: alpha * alpha * 9)
        for i in 0..<alpha { for j in 0..<alpha { for u in 0..<3 { for v in 0..<3 {
            t[(i * alpha + j) * 9 + u * 3 + v] = Float(column[i * 3 + u] * column[j * 3 + v])
        } } } }
        return t
    }
}

extension WinogradTile {
    /// out (α×α) = Bᵀ d B for an input tile d (α×α); tmp holds α² values.
    @inline(__always)
    static func transformInput(_ d: UnsafePointer<F8>, _ out: UnsafeMutablePointer<F8>, _ tmp: UnsafeMutablePointer<F8>) {
        for j in 0..<alpha { bt(d + j, alpha, tmp + j, alpha) }
        for i in 0..<alpha { bt(UnsafePointer(tmp + i * alpha), 1, out + i * alpha, 1) }
    }
    /// y (m×m) = Aᵀ M A for a product tile M (α×α).
    @inline(__always)
    static func transformOutput(_ M: UnsafePointer<F8>, _ y: UnsafeMutablePointer<F8>, _ tmp: UnsafeMutablePointer<F8>) {
        for j in 0..<alpha { at(M + j, alpha, tmp + j, alpha) }
        for i in 0..<m { at(UnsafePointer(tmp + i * alpha), 1, y + i * m, 1) }
    }
    /// dM (α×α) = A dY Aᵀ: the adjoint of `transformOutput`, for the weight gradient.
    @inline(__always)
    static func transformOutputGradient(_ dy: UnsafePointer<F8>, _ dM: UnsafeMutablePointer<F8>, _ tmp: UnsafeMutablePointer<F8>) {
        for j in 0..<m { a(dy + j, m, tmp + j, m) }
        for i in 0..<alpha { a(UnsafePointer(tmp + i * m), 1, dM + i * alpha, 1) }
    }
}

/// F(2×2, 3×3): α = 4, 16 multiplies per tile instead of 36 (2.25× fewer); the matrices hold only 0, ±1
/// and ±½, so it is as accurate as the direct convolution.
enum WinogradF2: WinogradTile {
    static var m: Int { 2 }
    static var alpha: Int { 4 }
    static var gMatrix: [Double] { [1, 0, 0, 0.5, 0.5, 0.5, 0.5, -0.5, 0.5, 0, 0, 1] }
    @inline(__always)
    static func bt(_ x: UnsafePointer<F8>, _ xs: Int, _ y: UnsafeMutablePointer<F8>, _ ys: Int) {
        let x0 = x[0], x1 = x[xs], x2 = x[2 * xs], x3 = x[3 * xs]
        y[0] = x0 - x2
        y[ys] = x1 + x2
        y[2 * ys] = x2 - x1
        y[3 * ys] = x1 - x3
    }
    @inline(__always)
    static func at(_ x: UnsafePointer<F8>, _ xs: Int, _ y: UnsafeMutablePointer<F8>, _ ys: Int) {
        let x0 = x[0], x1 = x[xs], x2 = x[2 * xs], x3 = x[3 * xs]
        y[0] = x0 + x1 + x2
        y[ys] = x1 - x2 - x3
    }
    @inline(__always)
    static func a(_ x: UnsafePointer<F8>, _ xs: Int, _ y: UnsafeMutablePointer<F8>, _ ys: Int) {
        let x0 = x[0], x1 = x[xs]
        y[0] = x0
        y[ys] = x0 + x1
        y[2 * ys] = x0 - x1
        y[3 * ys] = -x1
    }
}

/// F(4×4, 3×3): α = 6, 36 multiplies per tile instead of 144 (4× fewer). The interpolation points
/// 0, ±1, ±2, ∞ put factors up to 8 in Aᵀ and 1/24 in G, costing about one decimal digit of float32
/// accuracy (measured in the tests).
enum WinogradF4: WinogradTile {
    static var m: Int { 4 }
    static var alpha: Int { 6 }
    static var gMatrix: [Double] {
        [0.25, 0, 0, -1.0 / 6, -1.0 / 6, -1.0 / 6, -1.0 / 6, 1.0 / 6, -1.0 / 6,
         1.0 / 24, 1.0 / 12, 1.0 / 6, 1.0 / 24, -1.0 / 12, 1.0 / 6, 0, 0, 1]
    }
    @inline(__always)
    static func bt(_ x: UnsafePointer<F8>, _ xs: Int, _ y: UnsafeMutablePointer<F8>, _ ys: Int) {
        let x0 = x[0], x1 = x[xs], x2 = x[2 * xs], x3 = x[3 * xs], x4 = x[4 * xs], x5 = x[5 * xs]
        let four: Float = 4, five: Float = 5, two: Float = 2
        let a = x4 - four * x2, b = x3 - four * x1  // rows 1, 2 share these
        let c = x4 - x2, d = two * (x3 - x1)  // rows 3, 4 share these
        y[0] = four * x0 - five * x2 + x4
        y[ys] = a + b
        y[2 * ys] = a - b
        y[3 * ys] = c + d
        y[4 * ys] = c - d
        y[5 * ys] = four * x1 - five * x3 + x5
    }
    @inline(__always)
    static func at(_ x: UnsafePointer<F8>, _ xs: Int, _ y: UnsafeMutablePointer<F8>, _ ys: Int) {
        let x0 = x[0], x1 = x[xs], x2 = x[2 * xs], x3 = x[3 * xs], x4 = x[4 * xs], x5 = x[5 * xs]
        let s12 = x1 + x2, d12 = x1 - x2, s34 = x3 + x4, d34 = x3 - x4
        y[0] = x0 + s12 + s34
        y[ys] = d12 + 2 * d34
        y[2 * ys] = s12 + 4 * s34
        y[3 * ys] = d12 + 8 * d34 + x5
    }
    @inline(__always)
    static func a(_ x: UnsafePointer<F8>, _ xs: Int, _ y: UnsafeMutablePointer<F8>, _ ys: Int) {
        let x0 = x[0], x1 = x[xs], x2 = x[2 * xs], x3 = x[3 * xs]
        let e = x0 + x2, o = x1 + x3, e4 = x0 + 4 * x2, o8 = 2 * x1 + 8 * x3
        y[0] = x0
        y[ys] = e + o
        y[2 * ys] = e - o
        y[3 * ys] = e4 + o8
        y[4 * ys] = e4 - o8
        y[5 * ys] = x3
    }
}
