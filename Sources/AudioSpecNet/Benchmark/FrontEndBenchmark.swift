import Foundation

/// The front end's cost: milliseconds per clip for decode, resample and log-mel on one thread, and clips
/// per second over a set of files on several workers (`audiospecnet bench frontend` prints it beside
/// PyTorch's path on the same files).
public struct FrontEndBenchmark {
    public struct Result: Sendable {
        /// Means over the files of each file's fastest time, ms: decode, resample, log-mel, whole.
        public var stagesMs: [Double]
        /// Whole front end per file, files spread over the workers; the fastest pass.
        public var clipsPerSecond: Double
        public var meanDurationSeconds: Double
        /// How many files at each source sample rate.
        public var sampleRates: [Int: Int]
    }

    public var files: [String]
    /// Passes over the files: each file keeps its fastest time per measure, the fastest all-workers pass counts.
    public var passes = 5
    public var threads: Int

    public init(files: [String], threads: Int) {
        self.files = files
        self.threads = threads
    }

    public func run() throws -> Result {
        let frontEnd = try FrontEnd()
        let sr = frontEnd.config.sampleRate
        // Warm-up: page in the files, create the FFT plan, fault in the allocator.
        for path in files.prefix(5) { _ = try frontEnd.logMel(path: path) }

        // One thread, stage by stage. Every file is timed in each pass and keeps its fastest time per
        // measure; the means of those are reported. On a shared machine other processes' bursts then
        // only count when they hit the same file in every pass.
        var best = [[Double]](repeating: [Double](repeating: .infinity, count: 4), count: files.count)
        var seconds = 0.0
        var rates: [Int: Int] = [:]
        // The stages as `FrontEnd.logMel(path:)` runs them: into one worker's reused buffers.
        let work = WaveformScratch()
        let clipSamples = frontEnd.clip.sampleCount
        var output = [Float](repeating: 0, count: frontEnd.config.nMels * frontEnd.config.frames(forSamples: clipSamples))
        for pass in 0..<max(1, passes) {
            for (f, path) in files.enumerated() {
                var t = DispatchTime.now().uptimeNanoseconds
                func lap() -> Double { let n = DispatchTime.now().uptimeNanoseconds; defer { t = n }; return Double(n - t) / 1e6 }
                let rate = try AudioDecoder.decode(path: path, into: work.decoded)
                let d = lap()
                try Resampler.resample(work.decoded.values, from: rate, to: sr, into: work.resampled)
                let r = lap()
                output.withUnsafeMutableBufferPointer { frontEnd.spectrogram.compute(work.resampled.values, length: clipSamples, into: $0) }
                let l = lap()
                for (i, v) in [d, r, l, d + r + l].enumerated() { best[f][i] = min(best[f][i], v) }
                if pass == 0 {
                    seconds += Double(work.decoded.count) / Double(rate)
                    rates[rate, default: 0] += 1
                }
            }
        }
        let n = Double(max(1, files.count))
        let stages = (0..<4).map { i in best.reduce(0) { $0 + $1[i] } / n }

        // All workers: whole front end per file, files spread over them; the fastest pass counts.
        let parallel = Parallel(threads: threads)
        var bestPass = Double.infinity
        for _ in 0..<max(1, passes) {
            let start = DispatchTime.now().uptimeNanoseconds
            let failures = Failures()
            parallel.forEach(files.count) { i in
                if (try? frontEnd.logMel(path: files[i])) == nil { failures.add() }
            }
            guard failures.count == 0 else { throw AudioSpecNetError.invalidArgument("\(failures.count) files failed in the parallel pass") }
            bestPass = min(bestPass, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return Result(stagesMs: stages, clipsPerSecond: n / bestPass, meanDurationSeconds: seconds / n, sampleRates: rates)
    }
}

/// A counter the workers bump.
private final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func add() { lock.lock(); value += 1; lock.unlock() }
    var count: Int { lock.lock(); defer { lock.unlock() }; return value }
}
