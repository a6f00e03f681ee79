/// One audio's result, built as its windows' probabilities arrive: the overall probabilities (and the
/// embedding) are the mean over the windows, summed in Double in window order, so a file gives the same
/// numbers whether its windows came in one batch or many. The one place windows become a `FileResult`,
/// for `infer`, `eval` and `serve`.
public struct FileResultBuilder {
    public let plan: WindowPlan
    private var result: FileResult
    private var probabilitySum: [Double] = [], embeddingSum: [Double] = []
    private var embeddings = 0

    public init(path: String, plan: WindowPlan) {
        self.plan = plan
        result = FileResult(path: path)
    }

    public var failed: Bool { result.error != nil }
    public var hasFeatures: Bool { result.features != nil }

    /// A window's probabilities (and its embedding, when kept). Ignored once the audio has failed.
    public mutating func add(start: Int, probabilities p: [Float], embedding: [Float]? = nil) {
        guard !failed else { return }
        result.windows.append(WindowPrediction(start: plan.seconds(start), end: plan.seconds(start + plan.windowSamples),
                                               probabilities: p, embedding: embedding))
        Self.accumulate(p, into: &probabilitySum)
        if let embedding {
            Self.accumulate(embedding, into: &embeddingSum)
            embeddings += 1
        }
    }

    /// What the reference service shows for the audio (its first window's); kept until `finish` adds the waveform.
    public mutating func capture(_ features: FeatureCapture) {
        guard !failed else { return }
        result.features = features
    }

    /// The audio failed (a one-line reason): no windows or features are reported for it.
    public mutating func fail(_ error: String) {
        result.error = error
        result.windows = []
        result.features = nil
    }

    /// The result, once every window has been added: means, length, rates, and the waveform in the features.
    public func finish(_ audio: AudioSummary) -> FileResult {
        var r = result
        guard r.error == nil else { return r }
        r.duration = plan.seconds(audio.totalSamples)
        r.sourceSampleRate = audio.sourceSampleRate
        r.channels = audio.channels
        r.windowSeconds = plan.windowSeconds
        r.padded = audio.totalSamples < plan.windowSamples
        r.probabilities = Self.mean(probabilitySum, count: max(1, r.windows.count))
        if embeddings > 0 { r.embedding = Self.mean(embeddingSum, count: embeddings) }
        if r.features != nil {
            r.features!.waveform = audio.waveform.map(finite)
            r.features!.duration = r.duration
        }
        return r
    }

    private static func accumulate(_ row: [Float], into sum: inout [Double]) {
        if sum.isEmpty { sum = [Double](repeating: 0, count: row.count) }
        for k in row.indices { sum[k] += Double(row[k]) }
    }

    private static func mean(_ sum: [Double], count: Int) -> [Float] { sum.map { Float($0 / Double(count)) } }
}
