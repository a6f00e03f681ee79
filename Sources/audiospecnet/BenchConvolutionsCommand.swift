import ArgumentParser
import AudioSpecNet
import Foundation

/// `bench convolutions`: every convolution of the recipe network under each algorithm, and `.auto`'s
/// choice: the measurements behind `ConvolutionPolicy`'s defaults and cost model.
struct BenchConvolutionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convolutions",
        abstract: "Time each convolution of the recipe network (forward, input and weight gradient) under im2col, F(2×2) and F(4×4).",
        discussion: """
        Prints ms and GFLOP/s per layer and algorithm (best of --repetitions after a warm-up), marks what the \
        convolution policy's .auto picks, and sums one training step's convolutions per algorithm. With \
        `--threads 1 --clock cpu` the figures hold still on a machine busy with other work.
        """)

    @OptionGroup var compute: ThreadOptions
    @Option(name: .customLong("batch-size"), help: "Images per call.") var batchSize = 32
    @Option(help: "Timed repetitions per measure; the best counts.") var repetitions = 5
    @Option(name: .customLong("sample-rate"), help: "The input: a 5 s clip's log-mel at this rate (22050: 216 frames; 16000: 157).")
    var sampleRate = 22_050
    @Option(help: "wall, or cpu: process CPU time (all threads summed).") var clock = "wall"
    @Option(help: ArgumentHelp("Only layers whose name contains this (e.g. layer1).", valueName: "TEXT")) var layers: String?
    @Flag(name: .customLong("f4-training-forward"), help: "Let .auto pick F(4×4) for training forwards too (off by default, for accuracy).")
    var f4TrainingForward = false
    @Flag(name: .customLong("no-f4-backward"), help: "Bar F(4×4) from .auto's backward passes.") var noF4Backward = false

    func validate() throws {
        guard Profiler.Clock(rawValue: clock) != nil else { throw ValidationError("--clock must be wall or cpu, got \(clock)") }
        guard (8_000...48_000).contains(sampleRate) else { throw ValidationError("--sample-rate must be within 8000…48000 Hz, got \(sampleRate)") }
        guard batchSize >= 1, repetitions >= 1 else { throw ValidationError("--batch-size and --repetitions must be at least 1") }
    }

    func run() throws {
        var policy = ConvolutionPolicy()
        policy.winograd4x4InTrainingForward = f4TrainingForward
        policy.winograd4x4InBackward = !noF4Backward
        var bench = ConvolutionBenchmark(context: ComputeContext(threads: compute.count, convolution: policy))
        bench.batch = batchSize
        bench.frames = NetworkBenchmark.frames(sampleRate: sampleRate)
        bench.repetitions = repetitions
        bench.clock = Profiler.Clock(rawValue: clock) ?? .wall
        bench.layerFilter = layers
        let result = bench.run { FileHandleOutput.progress($0) }
        FileHandleOutput.progress(nil)
        print(bench.table(result))
    }
}
