import ArgumentParser
import AudioSpecNet
import Foundation

/// `bench frontend DIR`: the front end's cost per clip, stage by stage on one thread, and its throughput
/// over a directory on all cores, next to the PyTorch path (soundfile + soxr + torch.stft) on the same files.
struct BenchFrontendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "frontend",
        abstract: "Time decode, resample and log-mel per clip (one thread) and clips/s over DIR (all cores), against PyTorch.",
        discussion: "DIR holds audio files (e.g. ESC-50 clips: 5 s each). One-thread timings are means over the files of each file's fastest of --passes passes, after a warm-up; Swift and PyTorch alternate for --rounds rounds and each keeps its best figures."
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

    @Option(name: .long, help: "Rounds: Swift's and PyTorch's measurements alternate this many times and each side keeps its best figures, so that other processes' load falls on both alike.")
    var rounds = 3

    @Flag(name: .long, help: "Skip the PyTorch comparison.")
    var noPytorch = false

    /// The script in the repository this binary runs from, else relative to the working directory.
    static var defaultScript: String { RepositoryFiles.locate("Scripts/bench_frontend_pytorch.py") ?? "Scripts/bench_frontend_pytorch.py" }

    func run() throws {
        let files = try listFiles()
        var bench = FrontEndBenchmark(files: files, threads: compute.count)
        bench.passes = passes
        // Alternating rounds: on a shared machine the load drifts over minutes, and measuring one side
        // entirely after the other hands the difference to whichever ran in the quieter minute.
        var result = try bench.run()
        var python = noPytorch ? nil : runPyTorch(files: files)
        for _ in 1..<max(1, rounds) {
            let more = try bench.run()
            result.stagesMs = zip(result.stagesMs, more.stagesMs).map { min($0, $1) }
            result.clipsPerSecond = max(result.clipsPerSecond, more.clipsPerSecond)
            if let p = python, let q = runPyTorch(files: files) {
                python = (zip(p.stages, q.stages).map { min($0, $1) }, max(p.clipsPerSecond, q.clipsPerSecond), p.label)
            }
        }
        let swiftStages = result.stagesMs, swiftRate = result.clipsPerSecond, rates = result.sampleRates

        let rateText = rates.sorted { $0.key < $1.key }.map { "\($0.value)× \($0.key) Hz" }.joined(separator: ", ")
        print("front end benchmark: \(files.count) files in \(directory) (\(rateText)), mean \(String(format: "%.2f", result.meanDurationSeconds)) s each")
        print("one thread: ms per clip (each file's best of \(passes) passes, averaged); all cores: \(compute.count) threads, clips/s (best of \(passes) passes); each side's best of \(max(1, rounds)) alternating rounds")
        func f(_ v: Double) -> String { String(format: "%8.3f", v) }
        print("stage                  Swift   PyTorch  PyTorch/Swift")
        let names = ["decode (ms)", "resample (ms)", "log-mel (ms)", "whole (ms)"]
        for (i, name) in names.enumerated() {
            let p = python?.stages[i]
            print(name.padding(toLength: 20, withPad: " ", startingAt: 0) + f(swiftStages[i]) + "  " + (p.map { f($0) } ?? "       –") + "  " + (p.map { String(format: "%8.2f×", $0 / swiftStages[i]) } ?? ""))
        }
        let p = python?.clipsPerSecond
        print("clips/s (all cores)".padding(toLength: 20, withPad: " ", startingAt: 0) + String(format: "%8.1f", swiftRate) + "  " + (p.map { String(format: "%8.1f", $0) } ?? "       –") + "  " + (p.map { String(format: "%8.2f×", swiftRate / $0) } ?? ""))
        // How many cores' worth of one-thread speed the all-cores pass reached: where the two differ in
        // how they use the cores (threads and shared buffers here, one process per core for PyTorch).
        let swiftScaling = swiftRate * swiftStages[3] / 1000, pythonScaling = python.map { $0.clipsPerSecond * $0.stages[3] / 1000 }
        print("scaling (cores)".padding(toLength: 20, withPad: " ", startingAt: 0) + String(format: "%8.2f", swiftScaling) + "  " + (pythonScaling.map { String(format: "%8.2f", $0) } ?? "       –"))
        if let python { print("PyTorch: \(python.label)") }
    }

    private func listFiles() throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            throw AudioSpecNetError.file(path: directory, reason: "no such directory")
        }
        guard isDirectory.boolValue else { throw AudioSpecNetError.file(path: directory, reason: "is not a directory") }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let files = names.filter(AudioFiles.isAudioFile).sorted().prefix(max(1, limit))
        guard !files.isEmpty else { throw AudioSpecNetError.file(path: directory, reason: "holds no audio files (\(AudioFiles.extensions.sorted().prefix(8).joined(separator: ", ")), …)") }
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
