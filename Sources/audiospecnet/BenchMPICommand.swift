import ArgumentParser
import AudioSpecNet
import Foundation

/// `bench mpi`: the same training, timed as N ranks × T threads under `mpirun` and as one process × N·T
/// threads, on the same machine in one run. Both sides are this binary's real `train` (the data-parallel
/// path with its allreduce, against the one-process path), on clips of white noise made for the purpose —
/// content does not change the speed — so nothing but Open MPI is needed.
struct BenchMPICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mpi",
        abstract: "Training samples/s under mpirun (N ranks × T threads) against one process with N·T threads.",
        discussion: """
        Writes batch-size × steps clips of white noise (5 s at --sample-rate) to a temporary folder, then runs \
        `mpirun -np N --bind-to none audiospecnet train … --threads T` and `audiospecnet train … --threads N·T` \
        on them, --rounds times, alternating, each for --epochs epochs of --steps steps, nothing held out. The \
        figure of a run is its last epoch's samples/s (the first epoch pays for first touches of memory); the \
        table shows medians with their spread and the ratio. As root, mpirun needs OMPI_ALLOW_RUN_AS_ROOT=1 and \
        OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 in the environment (set here when they are missing).
        """)

    @Option(help: "Ranks (mpirun -np).") var ranks = 2
    @Option(help: "Threads per rank; the one process gets ranks × threads.") var threads = 1
    @Option(name: .customLong("batch-size"), help: "Global batch size (each rank trains batch/ranks clips a step).") var batchSize = 32
    @Option(help: "Steps an epoch.") var steps = 4
    @Option(help: "Epochs per run (the last one is timed).") var epochs = 2
    @Option(help: "Network width (64 is the recipe).") var width = 64
    @Option(name: .customLong("sample-rate"), help: "The clips' rate and the front end's (16000: 157 frames, the shipped model; 22050: 216, the recipe).")
    var sampleRate = 16_000
    @Option(help: "Rounds of each side, alternating.") var rounds = 1
    @Flag(name: .customLong("sync-bn"), help: "Time the ranks with --sync-bn.") var syncBN = false
    @Option(help: ArgumentHelp("The launcher.", valueName: "PATH")) var mpirun = "mpirun"
    @Option(name: .customLong("mpirun-arg"), parsing: .singleValue,
            help: ArgumentHelp("One more argument for mpirun (repeatable), e.g. --mpirun-arg=--oversubscribe.", valueName: "ARG"))
    var mpirunArguments: [String] = []
    @OptionGroup var format: JSONOptions

    func validate() throws {
        guard ranks >= 2 else { throw ValidationError("--ranks must be at least 2, got \(ranks)") }
        guard threads >= 1, steps >= 1, epochs >= 1, width >= 1, rounds >= 1 else {
            throw ValidationError("--threads, --steps, --epochs, --width and --rounds must be at least 1")
        }
        guard batchSize >= ranks, batchSize % ranks == 0 else {
            throw ValidationError("--batch-size \(batchSize) does not split among \(ranks) ranks")
        }
        guard (8_000...48_000).contains(sampleRate) else { throw ValidationError("--sample-rate must be within 8000…48000 Hz, got \(sampleRate)") }
    }

    struct Measurement: Codable {
        var ranks: Int, threadsPerRank: Int, samplesPerSecond: Double
        enum CodingKeys: String, CodingKey { case ranks, threadsPerRank = "threads_per_rank", samplesPerSecond = "samples_per_s" }
    }

    func run() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("audiospecnet-bench-mpi-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let data = try makeClips(in: folder)
        let me = try executable()
        var distributed: [Double] = [], single: [Double] = []
        for round in 1...rounds {
            FileHandleOutput.standardError("round \(round)/\(rounds): \(ranks) ranks × \(threads) thread(s) under \(mpirun)…")
            let d = try timedTrain(launcher: [mpirun, "-np", "\(ranks)", "--bind-to", "none"] + mpirunArguments + [me],
                                   data: data, threads: threads, out: folder + "/run-\(ranks)x\(threads)-\(round)")
            FileHandleOutput.standardError("round \(round)/\(rounds): 1 process × \(ranks * threads) threads…")
            let s = try timedTrain(launcher: [me], data: data, threads: ranks * threads, out: folder + "/run-1x\(ranks * threads)-\(round)")
            distributed.append(d)
            single.append(s)
            if format.json {
                for m in [Measurement(ranks: ranks, threadsPerRank: threads, samplesPerSecond: d),
                          Measurement(ranks: 1, threadsPerRank: ranks * threads, samplesPerSecond: s)] {
                    print(String(decoding: try JSONEncoder().encode(m), as: UTF8.self))
                }
            }
        }
        if !format.json { print(table(distributed: distributed, single: single)) }
    }

    private func table(distributed: [Double], single: [Double]) -> String {
        func median(_ v: [Double]) -> Double { let s = v.sorted(); return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2 }
        func row(_ name: String, _ v: [Double]) -> String {
            let spread = v.count > 1 ? String(format: " (%.2f–%.2f)", v.min()!, v.max()!) : ""
            return name.padding(toLength: 34, withPad: " ", startingAt: 0) + String(format: "%8.2f", median(v)) + spread
        }
        let frames = NetworkBenchmark.frames(sampleRate: sampleRate)
        return """
        training samples/s (median of \(rounds) round(s)), width \(width), \(sampleRate) Hz input (\(frames) frames), \
        global batch \(batchSize), \(steps) steps an epoch, epoch \(epochs) of \(epochs) timed\(syncBN ? ", --sync-bn" : "")
        \(row("\(ranks) ranks × \(threads) thread(s), mpirun", distributed))
        \(row("1 process × \(ranks * threads) threads", single))
        \("ratio (ranks / one process)".padding(toLength: 34, withPad: " ", startingAt: 0))\(String(format: "%8.2f×", median(distributed) / median(single)))
        CPU: \(CPUDescription.current().summary)
        """
    }

    /// batch × steps clips, one fold, four classes: an ESC-50 layout (audio/ and meta/esc50.csv).
    private func makeClips(in folder: String) throws -> String {
        let data = folder + "/clips"
        try FileManager.default.createDirectory(atPath: data + "/audio", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: data + "/meta", withIntermediateDirectories: true)
        var generator = RandomGenerator(seed: 1)
        var csv = "filename,fold,target,category,esc10,src_file,take\n"
        for i in 0..<(batchSize * steps) {
            let samples = (0..<(5 * sampleRate)).map { _ in Float(Double(generator.next() >> 11) / Double(1 << 53) - 0.5) * 0.2 }
            let name = "noise-\(i).wav"
            try WAVWriter.write(samples, sampleRate: sampleRate, to: data + "/audio/" + name)
            csv += "\(name),1,\(i % 4),class\(i % 4),False,\(i),A\n"
        }
        try csv.write(toFile: data + "/meta/esc50.csv", atomically: true, encoding: .utf8)
        return data
    }

    /// This binary, to start again under the launcher.
    private func executable() throws -> String {
        let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw AudioSpecNetError.invalidArgument("bench mpi: cannot find this executable to start it again (\(path))")
        }
        return path
    }

    /// Runs `train` under `launcher` and returns the last epoch's samples/s from its metrics.jsonl.
    private func timedTrain(launcher: [String], data: String, threads: Int, out: String) throws -> Double {
        let arguments = ["train", "--data", data, "--test-fold", "none", "--val-fold", "none", "--epochs", "\(epochs)",
                         "--batch-size", "\(batchSize)", "--width", "\(width)", "--sample-rate", "\(sampleRate)", "--threads", "\(threads)",
                         "--seed", "0", "--cache", "none", "--quiet", "--out", out] + (syncBN ? ["--sync-bn"] : [])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = launcher + arguments
        var environment = ProcessInfo.processInfo.environment
        if getuid() == 0 {
            environment["OMPI_ALLOW_RUN_AS_ROOT"] = environment["OMPI_ALLOW_RUN_AS_ROOT"] ?? "1"
            environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] ?? "1"
        }
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        do { try process.run() } catch {
            throw AudioSpecNetError.invalidArgument("bench mpi: cannot start \(launcher[0]) (\(error))")
        }
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let last = String(decoding: stderr, as: UTF8.self).split(separator: "\n").suffix(3).joined(separator: " | ")
            throw AudioSpecNetError.invalidArgument("bench mpi: `\(launcher[0]) … train` exited \(process.terminationStatus): \(last)")
        }
        let lines = try String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        guard let line = lines.last, let metrics = try? JSONDecoder().decode(EpochMetrics.self, from: Data(line.utf8)),
              metrics.epoch == epochs else {
            throw AudioSpecNetError.file(path: out + "/metrics.jsonl", reason: "has no row for epoch \(epochs)")
        }
        return metrics.samplesPerSecond
    }
}
