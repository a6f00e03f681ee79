import Foundation

/// Real clips through this tool's own front end and network, kept to check an exported model against:
/// the float16 file's top-1 predictions against float32's, or an ONNX runtime's logits (Scripts/check_onnx.py).
/// Each clip is its first window (the model's clip length, zero-padded or cropped), as `eval` sees a 5-s clip.
public struct ReferenceClips {
    public var files: [String] = []
    /// files.count × nMels × frames dB values, row-major: the network's input, batch-major.
    public var inputs: [Float] = []
    public var nMels: Int
    public var frames: Int
    /// One row of logits per file (float32, the source model's).
    public var logits: [[Float]] = []
    /// Files that could not be decoded, with the reason.
    public var failures: [(path: String, error: String)] = []

    /// Computes the inputs and the logits of `classifier` for `files` (they are all held in memory:
    /// nMels × frames floats each, 110 kB for the recipe). Each input is the file's first window as
    /// `infer` and `eval` cut it (`SpectrogramWindows` with the model's clip as the window).
    public init(classifier: Classifier, files: [String]) {
        let config = classifier.config
        let plan = WindowPlan(config: config)
        nMels = config.nMels
        frames = plan.windowFrames
        for path in files {
            do {
                let windows = try SpectrogramWindows(path: path, plan: plan, frontEnd: classifier.frontEnd)
                guard let first = try windows.next() else { continue }
                self.files.append(path)
                inputs += first.spectrogram
            } catch {
                failures.append((path, "\(error)"))
            }
        }
        let per = nMels * frames
        let spectrograms = (0..<self.files.count).map { Array(inputs[($0 * per)..<(($0 + 1) * per)]) }
        logits = classifier.logits(spectrograms, frames: frames)
    }

    /// The logits of another classifier (the exported file, loaded back) on the same inputs.
    public func logits(of other: Classifier) -> [[Float]] {
        let per = nMels * frames
        return other.logits((0..<files.count).map { Array(inputs[($0 * per)..<(($0 + 1) * per)]) }, frames: frames)
    }

    /// Writes `input.npy` (N, 1, nMels, frames), `logits.npy` (N, classes) and `files.txt` (one path per
    /// line, in row order) into `directory`, created if needed.
    public func writeTestData(to directory: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
        let classes = logits.first?.count ?? 0
        try NPY.write(inputs, shape: [files.count, 1, nMels, frames], to: path("input.npy"))
        try NPY.write(logits.flatMap { $0 }, shape: [files.count, classes], to: path("logits.npy"))
        try AtomicFile.write(files.map { $0 + "\n" }.joined(), to: path("files.txt"))
        return ["input.npy", "logits.npy", "files.txt"].map(path)
    }
}

/// How two models' outputs differ on the same clips: top-1 changes and the largest logit difference.
public struct PredictionAgreement: Sendable {
    public struct Change: Sendable {
        public let file: String
        public let from: Int
        public let to: Int
    }

    public let clips: Int
    public let changes: [Change]
    /// max |a − b| over every logit, and that divided by max |a| (the relative error of docs/export.md).
    public let maxAbsoluteDifference: Float
    public let maxRelativeDifference: Float

    /// Compares `b` against the reference `a`, row by row (top-1 ties break to the lower class index).
    public init(reference a: [[Float]], other b: [[Float]], files: [String]) {
        precondition(a.count == b.count && a.count == files.count, "PredictionAgreement: row counts differ")
        var changes: [Change] = []
        var maxDifference: Float = 0, maxMagnitude: Float = 0
        for i in a.indices {
            precondition(a[i].count == b[i].count, "PredictionAgreement: class counts differ")
            for j in a[i].indices {
                maxDifference = max(maxDifference, abs(a[i][j] - b[i][j]))
                maxMagnitude = max(maxMagnitude, abs(a[i][j]))
            }
            let ta = argmax(a[i]), tb = argmax(b[i])
            if ta != tb { changes.append(Change(file: files[i], from: ta, to: tb)) }
        }
        clips = a.count
        self.changes = changes
        maxAbsoluteDifference = maxDifference
        maxRelativeDifference = maxMagnitude > 0 ? maxDifference / maxMagnitude : maxDifference
    }
}
