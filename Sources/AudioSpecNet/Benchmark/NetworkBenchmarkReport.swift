import Foundation

/// The benchmark table: Swift beside PyTorch (fp32 default and channels_last), each the median of its rounds
/// with the spread (min–max), and ratios of the medians written so that > 1 always means Swift is better.
public struct NetworkBenchmarkReport {
    /// One result per round.
    public let swift: [NetworkBenchmark.Result]
    /// The JSON of Scripts/bench_network_pytorch.py --json, one per round that ran.
    public let pytorch: [[String: Any]]

    public init(swift: [NetworkBenchmark.Result], pytorch: [[String: Any]]) {
        precondition(!swift.isEmpty)
        self.swift = swift
        self.pytorch = pytorch
    }

    /// The middle value (the mean of the two middle ones for an even count), and the range.
    struct Spread {
        let median: Double, low: Double, high: Double
        init?(_ values: [Double]) {
            let v = values.filter(\.isFinite).sorted()
            guard !v.isEmpty else { return nil }
            median = v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2
            low = v[0]
            high = v[v.count - 1]
        }
        func text(_ digits: Int) -> String {
            let f = { String(format: "%.\(digits)f", $0) }
            return low == high ? f(median) : f(median) + " (" + f(low) + "–" + f(high) + ")"
        }
    }

    public func table(showLayers: Bool) -> String {
        let first = swift[0]
        var lines = ["CPU: " + first.cpu.summary,
                     "input 1×\(first.mels)×\(first.frames), \(first.threads) thread\(first.threads == 1 ? "" : "s"), batch \(first.batch), \(first.clock) clock; "
                     + "\(swift.count) round\(swift.count == 1 ? "" : "s") each side, alternating; median (min–max)"]
        let names = ["default", "channels_last"].filter { n in pytorch.contains { ($0["configs"] as? [String: Any])?[n] != nil } }
        func pytorchValues(_ layout: String, _ key: String) -> [Double] {
            pytorch.compactMap { (($0["configs"] as? [String: [String: Any]])?[layout]?[key] as? NSNumber)?.doubleValue }
        }
        let width = 34, column = 26
        var header = "metric".padding(toLength: width, withPad: " ", startingAt: 0) + "Swift".leftPad(column)
        for n in names { header += "PyTorch \(n)".leftPad(column) + "  ratio" }
        lines.append(header)
        let rows: [(String, KeyPath<NetworkBenchmark.Result, Double>, String, Bool, Int)] = [
            ("train samples/s (fwd+bwd+AdamW)", \.trainSamplesPerSecond, "train_samples_per_s", true, 2),
            ("infer ms/clip, batch 1", \.inferMsPerClipBatch1, "infer_ms_per_clip_b1", false, 2),
            ("infer ms/clip, batch \(first.batch)", \.inferMsPerClipBatched, "infer_ms_per_clip_b32", false, 2),
            ("peak RSS MiB (training; ours: round 1)", \.trainPeakRSSMiB, "peak_rss_mib", false, 0),
        ]
        for (label, path, key, higherIsBetter, digits) in rows {
            // the process's peak only grows: its first round is the one a fresh process would show
            let values = key == "peak_rss_mib" ? [first[keyPath: path]] : swift.map { $0[keyPath: path] }
            guard let ours = Spread(values) else { continue }
            var line = label.padding(toLength: width, withPad: " ", startingAt: 0) + ours.text(digits).leftPad(column)
            for n in names {
                guard let theirs = Spread(pytorchValues(n, key)) else { line += "–".leftPad(column) + "       "; continue }
                let ratio = higherIsBetter ? ours.median / theirs.median : theirs.median / ours.median
                line += theirs.text(digits).leftPad(column) + "  " + (String(format: "%.2f", ratio) + "×").leftPad(5)
            }
            lines.append(line)
        }
        if pytorch.isEmpty { lines.append("(PyTorch side not run)") }
        if showLayers {
            // the round with the median training rate, so the table and the headline agree
            let ordered = swift.sorted { $0.trainSamplesPerSecond < $1.trainSamplesPerSecond }
            let r = ordered[ordered.count / 2]
            func f(_ v: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", v) }
            lines.append("")
            lines.append("where a training step's time goes (ms per step, share of the step; GFLOP/s of the direct-convolution")
            lines.append("FLOP count and its share of OpenBLAS sgemm's peak here, \(f(r.sgemmPeakGFLOPS)) GFLOP/s on \(r.threads) threads):")
            func append(_ times: [NetworkBenchmark.LayerTime]) {
                for l in times.sorted(by: { $0.msPerStep > $1.msPerStep }) {
                    let rate = l.gflops > 0 ? f(l.gflops).leftPad(9) + " GFLOP/s" + (f(100 * l.gflops / r.sgemmPeakGFLOPS, 0) + " %").leftPad(7) : ""
                    lines.append("  " + l.name.padding(toLength: 56, withPad: " ", startingAt: 0) + f(l.msPerStep, 2).leftPad(9) + " ms"
                                 + f(l.share * 100).leftPad(7) + " %" + rate)
                }
            }
            append(r.layers)
            lines.append("")
            lines.append("where a batch-1 inference's time goes (ms per clip; each convolution names the algorithm the policy picked):")
            append(r.inferenceLayers)
            lines.append("")
            lines.append("the same at batch \(r.batch) (ms per clip):")
            append(r.batchedInferenceLayers)
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
