import Foundation
import XCTest
import AudioSpecNet
import _TestSupport

/// Times every convolution of the AudioCNN at batch 32 (forward, backward-data, backward-weights) for each
/// applicable algorithm, and the total of one training step's convolutions. Prints, never asserts timing.
/// Run: AUDIOSPECNET_BENCH=1 swift test -c release --disable-swift-testing --filter ConvolutionBenchmark
final class ConvolutionBenchmarkTests: XCTestCase {
    struct Layer {
        let name: String, shape: ConvolutionShape, height: Int, width: Int, repeats: Int
        var needsInputGradient: Bool { shape.inChannels > 1 }  // the stem's input is the spectrogram
    }

    static let layers: [Layer] = {
        func c(_ i: Int, _ o: Int, _ k: Int, _ s: Int, _ p: Int) -> ConvolutionShape {
            ConvolutionShape(inChannels: i, outChannels: o, kernel: k, stride: s, padding: p)
        }
        return [
            Layer(name: "conv1 7x7/2", shape: c(1, 64, 7, 2, 3), height: 128, width: 216, repeats: 1),
            Layer(name: "layer1 3x3", shape: c(64, 64, 3, 1, 1), height: 32, width: 54, repeats: 6),
            Layer(name: "layer2.0 3x3/2", shape: c(64, 128, 3, 2, 1), height: 32, width: 54, repeats: 1),
            Layer(name: "layer2.0 1x1/2", shape: c(64, 128, 1, 2, 0), height: 32, width: 54, repeats: 1),
            Layer(name: "layer2 3x3", shape: c(128, 128, 3, 1, 1), height: 16, width: 27, repeats: 7),
            Layer(name: "layer3.0 3x3/2", shape: c(128, 256, 3, 2, 1), height: 16, width: 27, repeats: 1),
            Layer(name: "layer3.0 1x1/2", shape: c(128, 256, 1, 2, 0), height: 16, width: 27, repeats: 1),
            Layer(name: "layer3 3x3", shape: c(256, 256, 3, 1, 1), height: 8, width: 14, repeats: 11),
            Layer(name: "layer4.0 3x3/2", shape: c(256, 512, 3, 2, 1), height: 8, width: 14, repeats: 1),
            Layer(name: "layer4.0 1x1/2", shape: c(256, 512, 1, 2, 0), height: 8, width: 14, repeats: 1),
            Layer(name: "layer4 3x3", shape: c(512, 512, 3, 1, 1), height: 4, width: 7, repeats: 5),
        ]
    }()

    func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }

    /// Wall-clock by default; AUDIOSPECNET_BENCH_CLOCK=cpu measures process CPU time instead, which stays
    /// meaningful on a machine shared with other jobs (use it with one thread, where CPU time = work time).
    nonisolated(unsafe) static var cpuClock = false

    static func now() -> Double {
        if cpuClock {
            var ts = timespec()
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
            return Double(ts.tv_sec) * 1e3 + Double(ts.tv_nsec) / 1e6
        }
        return Double(DispatchTime.now().uptimeNanoseconds) / 1e6
    }

    static func milliseconds(_ reps: Int, _ body: () -> Void) -> Double {
        body()  // warm-up: workspace growth, page faults, BLAS buffers
        var best = Double.infinity
        for _ in 0..<reps {
            let t0 = now()
            body()
            best = min(best, now() - t0)
        }
        return best
    }

    func testConvolutionBenchmark() throws {
        guard ProcessInfo.processInfo.environment["AUDIOSPECNET_BENCH"] != nil else {
            throw XCTSkip("set AUDIOSPECNET_BENCH=1 to run the convolution benchmark")
        }
        if let t = ProcessInfo.processInfo.environment["AUDIOSPECNET_THREADS"], let n = Int(t) { Parallel.threads = n }
        BLASThreads.set(1)  // as the network runs: its own threads, BLAS single-threaded (one core when threads = 1)
        Self.cpuClock = ProcessInfo.processInfo.environment["AUDIOSPECNET_BENCH_CLOCK"] == "cpu"
        // AUDIOSPECNET_AUTO_F4=1: let .auto pick F(4×4) (off by default for accuracy, see ConvolutionKernel).
        ConvolutionKernel.autoAllowsWinograd4x4 = ProcessInfo.processInfo.environment["AUDIOSPECNET_AUTO_F4"] == "1"
        let batch = Int(ProcessInfo.processInfo.environment["AUDIOSPECNET_BATCH"] ?? "") ?? 32
        let reps = Int(ProcessInfo.processInfo.environment["AUDIOSPECNET_BENCH_REPS"] ?? "") ?? 5
        let env = ProcessInfo.processInfo.environment
        if let b = env["AUDIOSPECNET_WINOGRAD_BUDGET"], let n = Int(b) { ConvolutionKernel.winogradTransformBudget = n }
        let only = env["AUDIOSPECNET_BENCH_LAYERS"]  // substring filter on layer names, for quick experiments
        print("Convolution benchmark: batch \(batch), Parallel.threads \(Parallel.threads), BLAS threads \(BLASThreads.current), \(Self.cpuClock ? "process CPU time" : "wall clock"), min of \(reps)")
        print("GFLOP/s = direct-convolution FLOPs (2·MACs) / time")
        print(pad("layer", 16) + pad("algorithm", 12) + "   fwd ms  bwd-x ms  bwd-w ms fwd GF/s bwd-x GF bwd-w GF")
        var totals: [String: Double] = [:]  // per step, counting repeats
        var autoTotal = 0.0
        var rng = ConvolutionRandom(seed: 1)
        for layer in Self.layers where only.map({ layer.name.contains($0) }) ?? true {
            let s = layer.shape
            let (oh, ow) = s.outputSize(height: layer.height, width: layer.width)
            let x = rng.array(batch * s.inChannels * layer.height * layer.width).map(Float.init)
            let w = rng.array(s.weightCount).map { Float($0 * 0.05) }
            let dy = rng.array(batch * s.outChannels * oh * ow).map(Float.init)
            var y = [Float](repeating: 0, count: dy.count)
            var dx = [Float](repeating: 0, count: x.count)
            var dw = [Float](repeating: 0, count: w.count)
            let flops = 2.0 * Double(s.multiplyAdds(height: layer.height, width: layer.width) * batch)
            let algorithms: [ConvolutionAlgorithm] = s.isWinogradCompatible ? [.im2col, .winograd2x2, .winograd4x4] : [.im2col]
            let autoChoice = ConvolutionKernel(shape: s).algorithm(batch: batch, height: layer.height, width: layer.width)
            for algorithm in algorithms {
                let kernel = ConvolutionKernel(shape: s, algorithm: algorithm)
                let fwd = Self.milliseconds(reps) {
                    kernel.forward(batch: batch, height: layer.height, width: layer.width, input: x, weight: w, output: &y)
                }
                let bwdW = Self.milliseconds(reps) {
                    kernel.accumulateWeightGradient(batch: batch, height: layer.height, width: layer.width, input: x, outputGradient: dy, weightGradient: &dw)
                }
                let bwdX = !layer.needsInputGradient ? 0 : Self.milliseconds(reps) {
                    kernel.inputGradient(batch: batch, height: layer.height, width: layer.width, weight: w, outputGradient: dy, inputGradient: &dx)
                }
                let step = (fwd + bwdX + bwdW) * Double(layer.repeats)
                totals["\(algorithm)", default: 0] += step
                if algorithm == autoChoice { autoTotal += step }
                if !s.isWinogradCompatible {  // the Winograd totals count im2col for layers Winograd cannot do
                    totals["winograd2x2", default: 0] += step
                    totals["winograd4x4", default: 0] += step
                }
                let gf = { (ms: Double) in ms > 0 ? flops / ms / 1e6 : 0 }
                print(pad(layer.name, 16) + pad("\(algorithm)", 12) + String(format: "%9.2f %9.2f %9.2f %8.1f %8.1f %8.1f", fwd, bwdX, bwdW, gf(fwd), gf(bwdX), gf(bwdW)) + (algorithm == autoChoice ? "  <- auto" : ""))
            }
        }
        print("One training step's convolutions at batch \(batch) (forward + backward, repeats counted):")
        for name in ["im2col", "winograd2x2", "winograd4x4"] {
            print("  all " + pad(name, 12) + String(format: "%8.1f ms", totals[name] ?? 0))
        }
        print(String(format: "  auto             %8.1f ms  (%.1f samples/s if convolutions were all)", autoTotal, Double(batch) / autoTotal * 1000))
        print(String(format: "Shared convolution workspace after all layers: %.1f MiB", Double(ConvolutionWorkspace.shared.capacity) * 4 / 1048576))
    }
}
