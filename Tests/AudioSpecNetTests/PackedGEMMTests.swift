import XCTest
import AudioSpecNet
import _TestSupport

/// `PackedGEMM` (the AVX2 kernel of cached evaluation forwards) against a float64 reference and OpenBLAS, on
/// the shapes that exercise its edges: rows past a 16-row panel, every column tail 1…6 and past a 96-column
/// block, reductions across its 384-deep blocks, strided operands, and the panel split over threads.
final class PackedGEMMTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(PackedGEMM.isAvailable, "this CPU has no AVX2 + FMA: PackedGEMM is not used here")
    }

    private func reference(m: Int, n: Int, k: Int, a: [Float], lda: Int, b: [Float], ldb: Int) -> [Double] {
        var c = [Double](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n { for p in 0..<k { c[i * n + j] += Double(a[i * lda + p]) * Double(b[p * ldb + j]) } } }
        return c
    }

    func testMatchesFloat64AndOpenBLASOnEdgeShapes() {
        let shapes: [(m: Int, n: Int, k: Int)] = [(1, 1, 1), (16, 6, 9), (17, 7, 385), (50, 1, 512), (33, 13, 100), (40, 97, 64),
                                                  (64, 200, 800), (5, 3, 2)]
        for (m, n, k) in shapes {
            let lda = k + 3, ldb = n + 2, ldc = n + 5  // strided rows everywhere
            let a = randomValues(m * lda, seed: UInt64(m * 7 + k)), b = randomValues(k * ldb, seed: UInt64(n * 11 + k))
            var packed = [Float](repeating: .nan, count: PackedGEMM.packedCount(m: m, k: k))
            XCTAssertEqual(packed.count, (m + 15) / 16 * 16 * k)
            PackedGEMM.pack(m: m, k: k, a: a, lda: lda, into: &packed)
            var c = [Float](repeating: .nan, count: m * ldc)
            PackedGEMM.multiply(m: m, n: n, k: k, packed: packed, b: b, ldb: ldb, c: &c, ldc: ldc)
            var blas = [Float](repeating: 0, count: m * n)
            sgemm(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: &blas)
            let dense = (0..<m).flatMap { i in c[(i * ldc)..<(i * ldc + n)] }
            let exact = reference(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb)
            let ours = assertClose(dense, exact, rel: 1e-6 * Double(max(1, k)).squareRoot(), "\(m)×\(n)×\(k)")
            let theirs = compare(blas, exact)
            // no worse than OpenBLAS's own rounding (with slack for a draw), and the columns past n untouched
            XCTAssertLessThanOrEqual(ours.maxAbsoluteError, 4 * theirs.maxAbsoluteError + 1e-6, "\(m)×\(n)×\(k): ours \(ours), OpenBLAS \(theirs)")
            for i in 0..<m { for j in n..<ldc { XCTAssertTrue(c[i * ldc + j].isNaN, "\(m)×\(n)×\(k): wrote past column \(n)") } }
        }
    }

    /// Each element is one worker's, summed in one order: any thread count gives the same bits.
    func testThreadCountDoesNotChangeTheBits() {
        let (m, n, k) = (100, 23, 700)
        let a = randomValues(m * k, seed: 1), b = randomValues(k * n, seed: 2)
        var packed = [Float](repeating: 0, count: PackedGEMM.packedCount(m: m, k: k))
        PackedGEMM.pack(m: m, k: k, a: a, into: &packed)
        func run(_ threads: Int) -> [Float] {
            var c = [Float](repeating: 0, count: m * n)
            PackedGEMM.multiply(m: m, n: n, k: k, packed: packed, b: b, c: &c, parallel: Parallel(threads: threads))
            return c
        }
        let one = run(1)
        XCTAssertEqual(run(2), one)
        XCTAssertEqual(run(5), one)
    }

    /// An empty reduction writes zeros, as a product with nothing to sum is.
    func testEmptyReductionWritesZeros() {
        var c = [Float](repeating: .nan, count: 6)
        PackedGEMM.multiply(m: 2, n: 3, k: 0, packed: [], b: [], c: &c)
        XCTAssertEqual(c, [0, 0, 0, 0, 0, 0])
    }
}
