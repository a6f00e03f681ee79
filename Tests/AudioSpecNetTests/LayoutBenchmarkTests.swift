import Foundation
import XCTest
import AudioSpecNet
import _TestSupport

/// NCHW or NHWC for an im2col + sgemm convolution? The same forward 3×3 convolutions of the recipe at
/// batch 32, one thread, timed both ways: NCHW gathers patches into [C·9, H·W] per image and computes
/// W[K, C·9] · cols; NHWC gathers [H·W, 9·C] rows (each patch row three contiguous runs of C values) and
/// computes cols · Wᵀ[9·C, K]. Prints, never asserts timing.
/// Run: AUDIOSPECNET_BENCH=1 swift test -c release --disable-swift-testing --filter LayoutBenchmark
final class LayoutBenchmarkTests: XCTestCase {
    func testIm2colLayouts() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment["AUDIOSPECNET_BENCH"] != nil, "set AUDIOSPECNET_BENCH=1 to run")
        Runtime.configureThreads(1)
        Profiler.clock = .cpu
        let n = 32
        var totals = (nchw: 0.0, nhwc: 0.0)
        print("im2col + sgemm forward, batch 32, 1 thread, CPU ms (best of 3):")
        for (c, h, w, repeats) in [(64, 32, 54, 6), (128, 16, 27, 7), (256, 8, 14, 11), (512, 4, 7, 5)] {
            let k = c, p = h * w
            let x = randomValues(n * c * p, seed: 1), weight = randomValues(k * c * 9, seed: 2)
            var y = [Float](repeating: 0, count: n * k * p)
            var cols = [Float](repeating: 0, count: c * 9 * p)
            // NHWC copies of the same data: x[n][h][w][c], weights as [K][kh][kw][C].
            var xh = [Float](repeating: 0, count: x.count), wh = [Float](repeating: 0, count: weight.count)
            for b in 0..<n { for ch in 0..<c { for i in 0..<p { xh[(b * p + i) * c + ch] = x[(b * c + ch) * p + i] } } }
            for o in 0..<k { for ch in 0..<c { for t in 0..<9 { wh[(o * 9 + t) * c + ch] = weight[(o * c + ch) * 9 + t] } } }

            func nchw(gather: Bool = true, gemm: Bool = true) {
                for b in 0..<n {
                    if gather { x.withUnsafeBufferPointer { xp in cols.withUnsafeMutableBufferPointer { cp in
                        let src = xp.baseAddress! + b * c * p, dst = cp.baseAddress!
                        for ch in 0..<c { for ky in 0..<3 { for kx in 0..<3 {
                            let row = dst + ((ch * 3 + ky) * 3 + kx) * p
                            for oy in 0..<h {
                                let iy = oy + ky - 1
                                for ox in 0..<w {
                                    let ix = ox + kx - 1
                                    row[oy * w + ox] = (iy >= 0 && iy < h && ix >= 0 && ix < w) ? src[(ch * h + iy) * w + ix] : 0
                                }
                            }
                        } } }
                    } } }
                    if gemm { weight.withUnsafeBufferPointer { wp in cols.withUnsafeBufferPointer { cp in y.withUnsafeMutableBufferPointer { yp in
                        sgemm(m: k, n: p, k: c * 9, a: wp.baseAddress!, b: cp.baseAddress!, c: yp.baseAddress! + b * k * p)
                    } } } }
                }
            }
            func nhwc(gather: Bool = true, gemm: Bool = true) {
                for b in 0..<n {
                    if gather { xh.withUnsafeBufferPointer { xp in cols.withUnsafeMutableBufferPointer { cp in
                        let src = xp.baseAddress! + b * p * c, dst = cp.baseAddress!
                        for oy in 0..<h { for ox in 0..<w {
                            let row = dst + (oy * w + ox) * 9 * c
                            for ky in 0..<3 { for kx in 0..<3 {
                                let iy = oy + ky - 1, ix = ox + kx - 1, out = row + (ky * 3 + kx) * c
                                if iy >= 0 && iy < h && ix >= 0 && ix < w { out.update(from: src + (iy * w + ix) * c, count: c) }
                                else { out.update(repeating: 0, count: c) }
                            } }
                        } }
                    } } }
                    if gemm { wh.withUnsafeBufferPointer { wp in cols.withUnsafeBufferPointer { cp in y.withUnsafeMutableBufferPointer { yp in
                        sgemm(transB: true, m: p, n: k, k: 9 * c, a: cp.baseAddress!, b: wp.baseAddress!, c: yp.baseAddress! + b * k * p)
                    } } } }
                }
            }
            func f(_ v: Double) -> String { String(format: "%.1f", v) }
            func best(_ body: () -> Void) -> Double {
                body()
                return (0..<3).map { _ in let t = Profiler.now(); body(); return (Profiler.now() - t) * 1000 }.min()!
            }
            let a = best { nchw() }, bt = best { nhwc() }
            let ag = best { nchw(gemm: false) }, bg = best { nhwc(gemm: false) }
            totals.nchw += a * Double(repeats)
            totals.nhwc += bt * Double(repeats)
            print("  \(c)→\(k) @\(h)x\(w): NCHW \(f(a)) ms (gather \(f(ag)), sgemm \(f(a - ag))), NHWC \(f(bt)) ms (gather \(f(bg)), sgemm \(f(bt - bg)))")
        }
        print("  forward total over the network's 3×3/1 convs: NCHW \(String(format: "%.0f", totals.nchw)) ms, NHWC \(String(format: "%.0f", totals.nhwc)) ms")
    }
}
