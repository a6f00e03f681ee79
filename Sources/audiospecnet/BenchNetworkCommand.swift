import ArgumentParser
import AudioSpecNet
import Foundation

struct BenchNetworkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "network",
        abstract: "Time a training step and inference of the recipe network, side by side with PyTorch.",
        discussion: """
        Runs the Swift network (forward + backward + AdamW at --batch-size, inference at batch 1 and at \
        --batch-size), then Scripts/bench_network_pytorch.py with the same threads when python3 and torch are \
        available, and prints both with ratios. --json prints the Swift side as one JSON object (no PyTorch).
        """)

    @OptionGroup var compute: ThreadOptions
    @Option(name: .customLong("batch-size"), help: "Training batch size.") var batchSize = 32
    @Option(help: "Timed training steps.") var steps = 3
    @Option(help: "Network width (64 is the recipe).") var width = 64
    @Option(help: "wall, or cpu: process CPU time (all threads summed), steady on a loaded machine; PyTorch is then run with --clock cpu too.")
    var clock: String = "wall"
    @OptionGroup var format: JSONOptions
    @Flag(name: .customLong("no-pytorch"), help: "Do not run the PyTorch side.") var noPyTorch = false
    @Flag(name: .customLong("layers"), help: "Print where the training step's time goes.") var showLayers = false

    func validate() throws {
        guard Profiler.Clock(rawValue: clock) != nil else { throw ValidationError("--clock must be wall or cpu, got \(clock)") }
        guard batchSize >= 1, steps >= 1, width >= 1 else { throw ValidationError("--batch-size, --steps and --width must be at least 1") }
    }

    func run() throws {
        let threads = compute.count
        var bench = NetworkBenchmark()
        bench.threads = threads
        bench.clock = Profiler.Clock(rawValue: clock) ?? .wall
        bench.batch = batchSize
        bench.steps = steps
        bench.config.width = width
        let result = try bench.run { FileHandleOutput.progress($0) }
        FileHandleOutput.progress(nil)
        if format.json {
            print(jsonString(result))
            return
        }
        var pytorch: [String: Any]? = nil
        if !noPyTorch {
            FileHandleOutput.standardError("running PyTorch on the same machine (Scripts/bench_network_pytorch.py)…")
            pytorch = PythonBenchmark.run(script: "Scripts/bench_network_pytorch.py",
                                          arguments: ["--json", "--threads", "\(threads)", "--batch", "\(batchSize)", "--steps", "\(steps)", "--width", "\(width)", "--clock", clock])
        }
        print(NetworkBenchmarkReport(swift: result, pytorch: pytorch).table(showLayers: showLayers))
    }
}
