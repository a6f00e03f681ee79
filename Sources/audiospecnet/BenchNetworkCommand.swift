import ArgumentParser
import AudioSpecNet
import Foundation

struct BenchNetworkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "network",
        abstract: "Time a training step and inference of the recipe network, side by side with PyTorch.",
        discussion: """
        Runs the Swift network (forward + backward + AdamW at --batch-size, inference at batch 1 and at \
        --batch-size), then Scripts/bench_network_pytorch.py with the same threads and input when python3 and \
        torch are available, --rounds times, alternating, and prints the medians with their spread and the \
        ratios of the medians. The input is a 5 s clip's log-mel at --sample-rate (216 frames at 22 050 Hz, \
        the recipe; 157 at 16 000 Hz, the shipped model). --json prints the Swift side, one JSON object per \
        round (no PyTorch).
        """)

    @OptionGroup var compute: ThreadOptions
    @Option(name: .customLong("batch-size"), help: "Training batch size.") var batchSize = 32
    @Option(help: "Timed training steps.") var steps = 3
    @Option(help: "Network width (64 is the recipe).") var width = 64
    @Option(name: .customLong("sample-rate"), help: "The input: a 5 s clip's log-mel at this rate (22050: 216 frames, the recipe; 16000: 157, the shipped model).")
    var sampleRate = 22_050
    @Option(help: "Rounds of each side, alternating (Swift, PyTorch, Swift, …); the table shows medians and the spread.")
    var rounds = 3
    @Option(help: "wall, or cpu: process CPU time (all threads summed), steady on a loaded machine; PyTorch is then run with --clock cpu too.")
    var clock: String = "wall"
    @OptionGroup var format: JSONOptions
    @Flag(name: .customLong("no-pytorch"), help: "Do not run the PyTorch side.") var noPyTorch = false
    @Flag(name: .customLong("layers"), help: "Print where the training step's time goes.") var showLayers = false

    func validate() throws {
        guard Profiler.Clock(rawValue: clock) != nil else { throw ValidationError("--clock must be wall or cpu, got \(clock)") }
        guard batchSize >= 1, steps >= 1, width >= 1, rounds >= 1 else { throw ValidationError("--batch-size, --steps, --width and --rounds must be at least 1") }
        guard (8_000...48_000).contains(sampleRate) else { throw ValidationError("--sample-rate must be within 8000…48000 Hz, got \(sampleRate)") }
    }

    func run() throws {
        let threads = compute.count
        var bench = NetworkBenchmark()
        bench.threads = threads
        bench.clock = Profiler.Clock(rawValue: clock) ?? .wall
        bench.batch = batchSize
        bench.steps = steps
        bench.profilesInference = showLayers || format.json
        bench.config.width = width
        bench.frames = NetworkBenchmark.frames(sampleRate: sampleRate)
        var swift: [NetworkBenchmark.Result] = [], pytorch: [[String: Any]] = []
        var pytorchAvailable = !noPyTorch && !format.json
        for round in 1...rounds {
            let result = try bench.run { FileHandleOutput.progress("round \(round)/\(rounds): " + $0) }
            FileHandleOutput.progress(nil)
            swift.append(result)
            if format.json { print(jsonString(result)); continue }
            guard pytorchAvailable else { continue }
            FileHandleOutput.standardError("round \(round)/\(rounds): PyTorch on the same machine (Scripts/bench_network_pytorch.py)…")
            let arguments = ["--json", "--threads", "\(threads)", "--batch", "\(batchSize)", "--steps", "\(steps)", "--width", "\(width)",
                             "--frames", "\(bench.frames)", "--clock", clock]
            if let json = PythonBenchmark.run(script: "Scripts/bench_network_pytorch.py", arguments: arguments) {
                pytorch.append(json)
            } else {
                pytorchAvailable = false  // said why once; the Swift rounds go on
            }
        }
        if !format.json { print(NetworkBenchmarkReport(swift: swift, pytorch: pytorch).table(showLayers: showLayers)) }
    }
}
