import Foundation

/// The files of one training run's folder, named in one place (the trainer writes them, a resume and the
/// CLI's checks read them).
public struct RunDirectory: Sendable, Hashable {
    public let path: String
    public init(_ path: String) { self.path = path }

    /// The latest state (weights, optimizer, schedule position, curves): what `--resume` continues.
    public var last: String { path + "/last.safetensors" }
    /// The state at the best validation epoch: a model file `eval` and `infer` load.
    public var best: String { path + "/best.safetensors" }
    /// The best epoch as a plain model file (weights, statistics, metadata; no optimizer state).
    public var model: String { path + "/model.safetensors" }
    public var config: String { path + "/config.json" }
    public var metricsJSONL: String { path + "/metrics.jsonl" }
    public var metricsCSV: String { path + "/metrics.csv" }
    public var summary: String { path + "/summary.json" }
    public var curves: String { path + "/curves.png" }

    /// Whether the folder holds a run (a `last.safetensors`).
    public var holdsRun: Bool { FileManager.default.fileExists(atPath: last) }

    public func create() throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
}

/// Elapsed seconds on the monotonic clock, plus what was already spent before (a resumed run's time).
struct Stopwatch {
    private let start = DispatchTime.now().uptimeNanoseconds
    let offset: Double
    init(offset: Double = 0) { self.offset = offset }
    var seconds: Double { offset + Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9 }
}
