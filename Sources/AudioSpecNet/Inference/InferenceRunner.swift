import Foundation

/// Settings of one `infer` (or `eval`) run.
public struct InferenceOptions: Sendable {
    /// Window length in seconds; nil means the model's clip length (5 s for the recipe).
    public var windowSeconds: Double?
    /// Seconds between window starts; nil means half the window.
    public var hopSeconds: Double?
    /// Capture what the reference web service returns (feature maps, spectrogram, waveform).
    public var features = false
    /// Keep each window's pooled features (the embedding) and their mean per file.
    public var embeddings = false
    /// A change applied to each window's samples before the front end (`eval --perturb`); nil: none.
    public var perturbation: WaveformPerturbation?
    /// Test-time augmentation (`--tta K`): each window's softmax is the mean over K views of its log-mel,
    /// offset evenly over ±`ttaShiftSeconds` and made by `ttaScheme` (K = 1: the window as it is).
    public var tta = 1
    public var ttaShiftSeconds = 1.0
    public var ttaScheme = TTAScheme.roll
    public init(windowSeconds: Double? = nil, hopSeconds: Double? = nil, features: Bool = false, embeddings: Bool = false,
                perturbation: WaveformPerturbation? = nil) {
        self.windowSeconds = windowSeconds
        self.hopSeconds = hopSeconds
        self.features = features
        self.embeddings = embeddings
        self.perturbation = perturbation
    }
}

/// Classifies a list of files in order, batching windows across files (up to `classifier.maxBatch`), holding
/// at most one batch of windows at a time, so memory stays bounded for any number and length of files. One
/// thread alternates front end and network (the network parallel inside, under the classifier's context).
/// A front-end thread running beside the network measured slower on 2 cores, so there is none.
public final class InferenceRunner {
    public let options: InferenceOptions
    /// The models and views each window's softmax is averaged over.
    public let models: AveragedClassifier
    /// The first model: its front end cuts and transforms the audio, and it alone gives features and embeddings.
    public var classifier: Classifier { models.first }
    /// Every model whose softmax is averaged (an ensemble: `--model` given more than once); the first is `classifier`.
    public var classifiers: [Classifier] { models.classifiers }
    /// How each file is cut into windows (`options`' window and hop, checked there).
    public let plan: WindowPlan
    public var windowSamples: Int { plan.windowSamples }
    public var hopSamples: Int { plan.hopSamples }
    public var windowSeconds: Double { plan.windowSeconds }
    public var hopSeconds: Double { plan.hopSeconds }
    public var windowFrames: Int { plan.windowFrames }

    public convenience init(classifier: Classifier, options: InferenceOptions) throws {
        try self.init(classifiers: [classifier], options: options)
    }

    /// An ensemble: the models must share the front end and the classes (in order), or they are refused with
    /// a line naming the file that differs.
    public init(classifiers: [Classifier], options: InferenceOptions) throws {
        models = try AveragedClassifier(classifiers: classifiers, tta: options.tta, shiftSeconds: options.ttaShiftSeconds,
                                        scheme: options.ttaScheme)
        self.options = options
        plan = try WindowPlan(windowSeconds: options.windowSeconds, hopSeconds: options.hopSeconds, config: models.first.config)
        try models.views.check(windowFrames: plan.windowFrames)
    }

    /// A batch of windows of one file, made by the front end.
    struct Piece {
        let file: Int
        var windows: [SpectrogramWindows.Window] = []
        /// Set on the file's last piece: the audio as a whole, or the error that stopped it.
        var audio: AudioSummary?
        var error: String?
        var final: Bool { audio != nil || error != nil }
    }

    /// Classifies `paths`, calling `report` with each file's result in input order, as soon as it is known.
    public func run(_ paths: [String], report: (FileResult) -> Void) {
        var pending: [Int: FileResultBuilder] = [:]
        var finished: [Int: FileResult] = [:]
        var next = 0
        func consume(_ pieces: [Piece]) {
            classify(pieces, into: &pending, finished: &finished, paths: paths)
            while let done = finished.removeValue(forKey: next) {
                report(done)
                next += 1
            }
        }
        // Front end for files until a batch of windows is full, then the network on it.
        var batch: [Piece] = []
        var windows = 0
        for i in paths.indices {
            produce(file: i, path: paths[i]) { piece in
                batch.append(piece)
                windows += piece.windows.count
                if windows >= classifier.maxBatch {
                    consume(batch)
                    batch = []
                    windows = 0
                }
            }
        }
        if !batch.isEmpty { consume(batch) }
    }

    /// Front end: the windows of one file as pieces of at most `maxBatch` log-mels.
    func produce(file: Int, path: String, emit: (Piece) -> Void) {
        do {
            let windows = try SpectrogramWindows(path: path, plan: plan, frontEnd: classifier.frontEnd, perturbation: options.perturbation,
                                                 waveformPoints: options.features ? 8000 : 0)
            var piece = Piece(file: file)
            while let window = try windows.next() {
                piece.windows.append(window)
                if piece.windows.count == classifier.maxBatch {
                    emit(piece)
                    piece = Piece(file: file)
                }
            }
            piece.audio = windows.audio
            emit(piece)
        } catch {
            var piece = Piece(file: file)
            piece.error = Self.describe(error, path: path)
            emit(piece)
        }
    }

    /// Network: one forward pass over every window of `pieces`, then bookkeeping per file.
    private func classify(_ pieces: [Piece], into pending: inout [Int: FileResultBuilder], finished: inout [Int: FileResult],
                          paths: [String]) {
        let all = pieces.flatMap { $0.windows.map(\.spectrogram) }
        var probabilities: [[Float]] = [], embeddings: [[Float]] = []
        if options.embeddings && !all.isEmpty {
            (probabilities, embeddings) = classifier.probabilitiesAndEmbeddings(all, frames: windowFrames)
            // embeddings are the first model's; the probabilities are the ensemble's and the views' mean
            if !models.isSingle { probabilities = models.probabilities(all, frames: windowFrames) }
        } else if !all.isEmpty {
            probabilities = models.probabilities(all, frames: windowFrames)
        }
        var offset = 0
        for piece in pieces {
            var result = pending[piece.file] ?? FileResultBuilder(path: paths[piece.file], plan: plan)
            for (j, window) in piece.windows.enumerated() {
                result.add(start: window.start, probabilities: probabilities[offset + j],
                           embedding: embeddings.isEmpty ? nil : embeddings[offset + j])
            }
            if options.features && !result.hasFeatures, let first = piece.windows.first {
                result.capture(captureFeatures(first.spectrogram))
            }
            offset += piece.windows.count
            if let error = piece.error { result.fail(error) }
            if piece.final {
                finished[piece.file] = result.finish(piece.audio ?? AudioSummary())
                pending[piece.file] = nil
            } else {
                pending[piece.file] = result
            }
        }
    }

    /// The frame offsets of the TTA views: K evenly spaced over ±shift (0 alone for K = 1).
    public var ttaOffsets: [Int] { models.offsets }

    /// A forward pass of one window that keeps the channel mean of every feature map.
    func captureFeatures(_ spectrogram: [Float]) -> FeatureCapture {
        var maps: [FeatureCapture.Map] = []
        _ = classifier.forward([spectrogram], frames: windowFrames) { name, t in
            maps.append(FeatureMapStatistics.channelMean(t, name: name))
        }
        return FeatureCapture(input: spectrogram, config: classifier.config, maps: maps)
    }

    /// One line: the library's errors already name the file; anything else gets the path prepended.
    static func describe(_ error: Error, path: String) -> String {
        let text = "\(error)".replacingOccurrences(of: "\n", with: " ")
        return text.hasPrefix(path) ? text : "\(path): \(text)"
    }
}
