import XCTest
import AudioSpecNet
import _CBF16Emulated

/// The bf16 GEMM (CBF16): the scalar reference against Float64 sums of the bf16-rounded operands; the AVX-512
/// path's blocking (run over scalar stand-ins of its intrinsics) bit for bit against the reference; and, on
/// CPUs with AVX512_BF16 only, the vdpbf16ps kernel itself against the reference.
final class BF16GEMMTests: XCTestCase {
    struct Shape: CustomStringConvertible {
        var m: Int, n: Int, k: Int, transA = false, transB = false, alpha: Float = 1, beta: Float = 0, pad = 0
        var lda: Int { (transA ? m : k) + pad }
        var ldb: Int { (transB ? k : n) + pad }
        var ldc: Int { n + pad }
        var description: String { "\(m)×\(n)×\(k) tA=\(transA) tB=\(transB) α=\(alpha) β=\(beta) pad=\(pad)" }
    }

    /// Odd sizes around the 12×32 register tile, the K block (256), the M block (192) and the N block (4096).
    static let shapes: [Shape] = [
        Shape(m: 1, n: 1, k: 1), Shape(m: 1, n: 7, k: 2), Shape(m: 3, n: 1, k: 5, transA: true),
        Shape(m: 11, n: 13, k: 17, transB: true), Shape(m: 12, n: 32, k: 256), Shape(m: 13, n: 33, k: 257, pad: 3),
        Shape(m: 25, n: 65, k: 513, transA: true, transB: true, alpha: -2, beta: 0.25, pad: 1),
        Shape(m: 2, n: 3, k: 1100, beta: 1), Shape(m: 193, n: 37, k: 300, transA: true, alpha: 0.5, beta: -1),
        Shape(m: 3, n: 4100, k: 9, transB: true), Shape(m: 2, n: 4099, k: 260, beta: 1, pad: 2),
        Shape(m: 7, n: 5, k: 0, beta: 0.5),
    ]

    struct Operands {
        var a: [Float], b: [Float], c: [Float]
        init(_ s: Shape, seed: UInt64) {
            var rng = RandomGenerator(seed: seed)
            func uniform() -> Float { Float(Double(rng.next() >> 11) * 0x1p-53 * 2 - 1) }
            a = (0..<((s.transA ? s.k : s.m) * s.lda)).map { _ in uniform() }
            b = (0..<((s.transB ? s.n : s.k) * s.ldb)).map { _ in uniform() }
            c = (0..<(s.m * s.ldc)).map { _ in s.beta == 0 ? .nan : uniform() }  // β = 0 must not read C
        }
    }

    func run(_ gemm: BF16GEMM, _ s: Shape, _ o: Operands) -> [Float] {
        var c = o.c
        o.a.withUnsafeBufferPointer { a in
            o.b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    gemm.gemm(transA: s.transA, transB: s.transB, m: s.m, n: s.n, k: s.k, alpha: s.alpha,
                              a: a.baseAddress!, lda: s.lda, b: b.baseAddress!, ldb: s.ldb, beta: s.beta,
                              c: c.baseAddress!, ldc: s.ldc)
                }
            }
        }
        return c
    }

    func runEmulated(_ s: Shape, _ o: Operands) -> [Float] {
        var c = o.c
        let scratch = UnsafeMutableRawPointer.allocate(
            byteCount: cbf16_emulated_workspace_bytes(s.m, s.n, s.k, s.beta), alignment: 64)
        defer { scratch.deallocate() }
        cbf16_gemm_emulated(s.transA ? 1 : 0, s.transB ? 1 : 0, s.m, s.n, s.k, s.alpha, o.a, s.lda, o.b, s.ldb,
                            s.beta, &c, s.ldc, scratch)
        return c
    }

    /// Elements that differ in bits (NaN counts equal to NaN), padding columns included: they must be untouched.
    func bitDifferences(_ x: [Float], _ y: [Float]) -> Int {
        zip(x, y).filter { !($0.isNaN && $1.isNaN) && $0.bitPattern != $1.bitPattern }.count
    }

    func testReferenceMatchesFloat64OfRoundedOperands() {
        let reference = BF16GEMM(path: .reference)
        for (index, s) in Self.shapes.enumerated() {
            let o = Operands(s, seed: UInt64(100 + index))
            let c = run(reference, s, o)
            var worst = 0.0
            for i in 0..<s.m {
                for j in 0..<s.n {
                    var exact = 0.0, magnitude = 0.0
                    for p in 0..<s.k {
                        let x = Double(BFloat16.rounded(s.transA ? o.a[p * s.lda + i] : o.a[i * s.lda + p]))
                        let y = Double(BFloat16.rounded(s.transB ? o.b[j * s.ldb + p] : o.b[p * s.ldb + j]))
                        exact += x * y
                        magnitude += abs(x * y)
                    }
                    let old = s.beta == 0 ? 0 : Double(s.beta) * Double(o.c[i * s.ldc + j])
                    exact = Double(s.alpha) * exact + old
                    // Sequential fp32 summation: at most (K + 2) roundings of the running magnitude.
                    let bound = Double(s.k + 3) * 0x1p-24 * (abs(Double(s.alpha)) * magnitude + abs(old)) + 1e-30
                    let error = abs(Double(c[i * s.ldc + j]) - exact)
                    worst = max(worst, error / bound)
                    XCTAssertLessThanOrEqual(error, bound, "\(s) at (\(i), \(j))")
                }
                for j in s.n..<s.ldc { XCTAssertEqual(c[i * s.ldc + j].bitPattern, o.c[i * s.ldc + j].bitPattern, "\(s): padding written") }
            }
            XCTAssertTrue(worst.isFinite)
        }
    }

    func testBlockingMatchesReferenceBitForBit() {
        let reference = BF16GEMM(path: .reference)
        for (index, s) in Self.shapes.enumerated() {
            let o = Operands(s, seed: UInt64(200 + index))
            XCTAssertEqual(bitDifferences(runEmulated(s, o), run(reference, s, o)), 0, "\(s)")
        }
    }

    func testHardwareKernelMatchesReference() throws {
        guard BF16GEMM.hardwareSupported else {
            throw XCTSkip("this CPU lacks AVX512_BF16 (vdpbf16ps, with AVX512F/BW/VL and OS-enabled ZMM state): the kernel is checked here only through its emulated blocking")
        }
        let kernel = BF16GEMM(), reference = BF16GEMM(path: .reference)
        XCTAssertEqual(kernel.path, .avx512)
        var differing = 0, total = 0
        for (index, s) in Self.shapes.enumerated() {
            let o = Operands(s, seed: UInt64(300 + index))
            let got = run(kernel, s, o), want = run(reference, s, o)
            let scale = want.filter { !$0.isNaN }.map { abs(Double($0)) }.max() ?? 0
            let worst = zip(got, want).map { abs(Double($0) - Double($1)) }.max() ?? 0
            // The same rounded operands in the same order: at most K roundings apart (bit-exact on Sapphire Rapids).
            XCTAssertLessThanOrEqual(worst, Double(s.k + 1) * 0x1p-23 * max(scale, 1e-30), "\(s)")
            differing += bitDifferences(got, want)
            total += got.count
        }
        print("BF16GEMM vdpbf16ps vs reference: \(total - differing) of \(total) elements bit-identical")
    }

    func testNaNAndInfinityPropagate() {
        let s = Shape(m: 3, n: 5, k: 300)
        var o = Operands(s, seed: 7)
        o.a[1 * s.lda + 299] = .nan  // row 1 → all NaN (the pair's high half, padded to K)
        o.b[3 * s.ldb + 2] = .infinity  // column 2 → ±inf or NaN wherever finite rows meet it
        for gemm in [BF16GEMM(path: .reference)] {
            let c = run(gemm, s, o)
            for j in 0..<s.n { XCTAssertTrue(c[1 * s.ldc + j].isNaN, "row 1 col \(j)") }
            for i in [0, 2] { XCTAssertFalse(c[i * s.ldc + 2].isFinite, "row \(i) col 2") }
            XCTAssertEqual(bitDifferences(c, runEmulated(s, o)), 0)
        }
    }

    func testPathSelectionAndWorkspace() {
        let auto = BF16GEMM()
        XCTAssertEqual(auto.path, BF16GEMM.hardwareSupported ? .avx512 : .reference)
        XCTAssertEqual(BF16GEMM(path: .avx512).path, auto.path, "asking for AVX-512 without it falls back")
        XCTAssertEqual(BF16GEMM(path: .reference).workspaceBytes(m: 10, n: 10, k: 10, beta: 0), 0)
        XCTAssertNil(BF16GEMM(path: .reference).workspaceBytes(m: -1, n: 10, k: 10, beta: 0))
        // Partials for β ≠ 0 and K over one block: M × min(N, 4096) floats on top of the packed panels.
        let small = Int(cbf16_emulated_workspace_bytes(64, 100, 256, 1))
        let large = Int(cbf16_emulated_workspace_bytes(64, 100, 257, 1))
        XCTAssertEqual(large - small, 64 * 100 * 4)
        XCTAssertEqual(cbf16_emulated_workspace_bytes(Int.max, Int.max, 1000, 1), -1, "overflow reads SIZE_MAX")
    }
}
