import Foundation

/// The benchmark table: Swift beside PyTorch (fp32 default and channels_last), with ratios written so
/// that > 1 always means Swift is better.
public struct NetworkBenchmarkReport {
    public let swift: NetworkBenchmark.Result
    /// The JSON of Scripts/bench_network_pytorch.py --json, if it ran.
    public let pytorch: [String: Any]?

    public init(swift: NetworkBenchmark.Result, pytorch: [String: Any]?) {
        self.swift = swift
        self.pytorch = pytorch
    }

    public func table(showLayers: Bool) -> String {
        var lines: [String] = []
        let configs = (pytorch?["configs"] as? [String: [String: Any]]) ?? [:]
        let names = ["default", "channels_last"].filter { configs[$0] != nil }
        func f(_ v: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", v) }
        var header = "metric (\(swift.threads) threads, batch \(swift.batch))".padding(toLength: 40, withPad: " ", startingAt: 0) + "   Swift"
        for n in names { header += "  " + "PyTorch \(n)".leftPad(22) + "  ratio" }
        lines.append(header)
        let rows: [(String, Double, String, Bool)] = [
            ("train samples/s (fwd+bwd+AdamW)", swift.trainSamplesPerSecond, "train_samples_per_s", true),
            ("infer ms/clip, batch 1", swift.inferMsPerClipBatch1, "infer_ms_per_clip_b1", false),
            ("infer ms/clip, batch \(swift.batch)", swift.inferMsPerClipBatched, "infer_ms_per_clip_b32", false),
            ("peak RSS MiB (training)", swift.trainPeakRSSMiB, "peak_rss_mib", false),
        ]
        for (label, value, key, higherIsBetter) in rows {
            var line = label.padding(toLength: 40, withPad: " ", startingAt: 0) + f(value).leftPad(8)
            for n in names {
                let other = (configs[n]?[key] as? NSNumber)?.doubleValue ?? .nan
                let ratio = higherIsBetter ? value / other : other / value
                line += "  " + f(other).leftPad(22) + "  " + (f(ratio, 2) + "×").leftPad(5)
            }
            lines.append(line)
        }
        if pytorch == nil { lines.append("(PyTorch side not run)") }
        if showLayers {
            lines.append("")
            lines.append("where a training step's time goes (ms per step, share of the step; GFLOP/s of the direct-convolution")
            lines.append("FLOP count and its share of OpenBLAS sgemm's peak here, \(f(swift.sgemmPeakGFLOPS)) GFLOP/s on \(swift.threads) threads):")
            for l in swift.layers.sorted(by: { $0.msPerStep > $1.msPerStep }) {
                let rate = l.gflops > 0 ? f(l.gflops).leftPad(9) + " GFLOP/s" + (f(100 * l.gflops / swift.sgemmPeakGFLOPS, 0) + " %").leftPad(7) : ""
                lines.append("  " + l.name.padding(toLength: 48, withPad: " ", startingAt: 0) + f(l.msPerStep).leftPad(9) + " ms"
                             + f(l.share * 100).leftPad(7) + " %" + rate)
            }
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
