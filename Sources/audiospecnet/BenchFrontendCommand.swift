import ArgumentParser
import AudioSpecNet
import Foundation

/// `bench frontend DIR`: the front end's cost per clip, stage by stage on one thread, and its throughput
/// over a directory on all cores, next to the PyTorch path (soundfile + soxr + torch.stft) on the same files.
struct BenchFrontendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "frontend",
        abstract: "Time decode, resample and log-mel per clip (one thread) and clips/s over DIR (all cores), against PyTorch.",
        discussion: "DIR holds audio files (e.g. ESC-50 clips: 5 s each). One-thread timings are means over the files of each file's fastest of --passes passes, after a warm-up."
    )

    @Argument(help: "Directory of audio files.", completion: .directory)
    var directory: String

    @Option(name: .long, help: "Use at most this many files (sorted by name).")
    var limit = 200

    @OptionGroup var compute: ThreadOptions

    @Option(name: .long, help: "The PyTorch comparison script.", completion: .file(extensions: ["py"]))
    var pytorchScript: String = BenchFrontendCommand.defaultScript

    @Option(name: .long, help: "Passes over the files: each file's fastest time per measure counts; the fastest all-cores pass counts.")
    var passes = 5

    @Flag(name: .long, help: "Skip the PyTorch comparison.")
    var noPytorch = false

    /// The script in the repository this binary runs from, else relative to the working directory.
    static var defaultScript: String { RepositoryFiles.locate("Scripts/bench_frontend_pytorch.py") ?? "Scripts/bench_frontend_pytorch.py" }

    func run() throws {
        let files = try listFiles()
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
        for pass in 0..<max(1, passes) {
            for (f, path) in files.enumerated() {
                var t = DispatchTime.now().uptimeNanoseconds
                func lap() -> Double { let n = DispatchTime.now().uptimeNanoseconds; defer { t = n }; return Double(n - t) / 1e6 }
                let audio = try AudioDecoder.decode(path: path)
                let d = lap()
                let samples = try Resampler.resample(audio.samples, from: audio.sampleRate, to: sr)
                let r = lap()
                _ = frontEnd.logMel(samples: samples)
                let l = lap()
                for (i, v) in [d, r, l, d + r + l].enumerated() { best[f][i] = min(best[f][i], v) }
                if pass == 0 {
                    seconds += audio.duration
                    rates[audio.sampleRate, default: 0] += 1
                }
            }
        }
        let n = Double(files.count)
        let swiftStages = (0..<4).map { i in best.reduce(0) { $0 + $1[i] } / n }

        // All cores: whole front end per file, files spread over the workers; the fastest pass counts.
        let parallel = Parallel(threads: compute.count)
        var bestPass = Double.infinity
        for _ in 0..<max(1, passes) {
            let start = DispatchTime.now().uptimeNanoseconds
            let failures = AtomicCounter()
            parallel.forEach(files.count) { i in
                if (try? frontEnd.logMel(path: files[i])) == nil { failures.increment() }
            }
            guard failures.value == 0 else { throw AudioSpecNetError.invalidArgument("\(failures.value) files failed in the parallel pass") }
            bestPass = min(bestPass, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let swiftRate = n / bestPass

        let rateText = rates.sorted { $0.key < $1.key }.map { "\($0.value)× \($0.key) Hz" }.joined(separator: ", ")
        print("front end benchmark: \(files.count) files in \(directory) (\(rateText)), mean \(String(format: "%.2f", seconds / n)) s each")
        print("one thread: ms per clip (each file's best of \(passes) passes, averaged); all cores: \(compute.count) threads, clips/s (best of \(passes) passes)")
        let python = noPytorch ? nil : runPyTorch(files: files)
        func f(_ v: Double) -> String { String(format: "%8.3f", v) }
        print("stage                  Swift   PyTorch  PyTorch/Swift")
        let names = ["decode (ms)", "resample (ms)", "log-mel (ms)", "whole (ms)"]
        for (i, name) in names.enumerated() {
            let p = python?.stages[i]
            print(name.padding(toLength: 20, withPad: " ", startingAt: 0) + f(swiftStages[i]) + "  " + (p.map { f($0) } ?? "       –") + "  " + (p.map { String(format: "%8.2f×", $0 / swiftStages[i]) } ?? ""))
        }
        let p = python?.clipsPerSecond
        print("clips/s (all cores)".padding(toLength: 20, withPad: " ", startingAt: 0) + String(format: "%8.1f", swiftRate) + "  " + (p.map { String(format: "%8.1f", $0) } ?? "       –") + "  " + (p.map { String(format: "%8.2f×", swiftRate / $0) } ?? ""))
        if let python { print("PyTorch: \(python.label)") }
    }

    private func listFiles() throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            throw AudioSpecNetError.file(path: directory, reason: "no such directory")
        }
        guard isDirectory.boolValue else { throw AudioSpecNetError.file(path: directory, reason: "is not a directory") }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let files = names.filter(InputExpansion.isAudioFile).sorted().prefix(max(1, limit))
        guard !files.isEmpty else { throw AudioSpecNetError.file(path: directory, reason: "holds no audio files (\(InputExpansion.audioExtensions.sorted().prefix(8).joined(separator: ", ")), …)") }
        return files.map { (directory as NSString).appendingPathComponent($0) }
    }

    /// Runs the PyTorch script on the same files; nil (with a note) when python3 or torch is missing.
    private func runPyTorch(files: [String]) -> (stages: [Double], clipsPerSecond: Double, label: String)? {
        let list = NSTemporaryDirectory() + "audiospecnet-bench-\(getpid()).txt"
        defer { unlink(list) }
        guard (try? (files.joined(separator: "\n") + "\n").write(toFile: list, atomically: true, encoding: .utf8)) != nil else { return nil }
        guard let json = PythonBenchmark.run(script: pytorchScript, arguments: ["--files", list, "--workers", String(compute.count),
                                                                                  "--passes", String(passes)]),
              let decode = json["decode_ms"] as? Double, let resample = json["resample_ms"] as? Double,
              let logMel = json["logmel_ms"] as? Double, let total = json["total_ms"] as? Double,
              let rate = json["clips_per_s"] as? Double
        else { return nil }
        return ([decode, resample, logMel, total], rate, json["label"] as? String ?? "")
    }
}

/// A counter several threads bump.
final class AtomicCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
