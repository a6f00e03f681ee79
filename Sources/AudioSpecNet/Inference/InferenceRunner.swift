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
    /// Test-time augmentation (`--tta K`): each window's softmax is the mean over K circular rolls of its
    /// log-mel frames, evenly spaced over ±`ttaShiftSeconds` (K = 1: the window as it is).
    public var tta = 1
    public var ttaShiftSeconds = 1.0
    public init(windowSeconds: Double? = nil, hopSeconds: Double? = nil, features: Bool = false, embeddings: Bool = false,
                perturbation: WaveformPerturbation? = nil) {
        self.windowSeconds = windowSeconds
        self.hopSeconds = hopSeconds
        self.features = features
        self.embeddings = embeddings
        self.perturbation = perturbation
    }
}

/// The probabilities of one window of a file.
public struct WindowPrediction: Sendable {
    public let start: Double, end: Double
    public let probabilities: [Float]
    /// The pooled features of the window, with `InferenceOptions.embeddings`.
    public var embedding: [Float]? = nil
    public init(start: Double, end: Double, probabilities: [Float], embedding: [Float]? = nil) {
        self.start = start
        self.end = end
        self.probabilities = probabilities
        self.embedding = embedding
    }
}

/// What the reference web service returns beside predictions: channel-mean feature maps, the network's input
/// and a decimated waveform.
public struct FeatureCapture: Sendable {
    public struct Map: Sendable {
        public let name: String
        public let height: Int, width: Int
        /// Row-major [height, width], finite.
        public let values: [Float]
        public init(name: String, height: Int, width: Int, values: [Float]) {
            self.name = name
            self.height = height
            self.width = width
            self.values = values
        }
    }
    /// In the order the network produces them: conv1, layer1.block0.conv, layer1.block0.relu, …, layer1, …
    public var maps: [Map] = []
    /// The first window's log-mel [nMels, frames] (the input the maps come from).
    public var spectrogram: Map
    /// At most 8 000 evenly spaced samples of the whole file at `sampleRate`.
    public var waveform: [Float] = []
    public var sampleRate: Int
    public var duration: Double = 0
    public init(spectrogram: Map, sampleRate: Int) {
        self.spectrogram = spectrogram
        self.sampleRate = sampleRate
    }
}

/// The outcome for one input file: probabilities overall and per window, or the error that stopped it.
public struct FileResult: Sendable {
    public let path: String
    public var error: String?
    /// Length of the audio in seconds; rate and channels of the source file.
    public var duration: Double = 0
    public var sourceSampleRate = 0, channels = 0
    /// Window length used (seconds); true when the audio was shorter than one window and zero-padded.
    public var windowSeconds: Double = 0
    public var padded = false
    public var windows: [WindowPrediction] = []
    /// Mean of the windows' probabilities.
    public var probabilities: [Float] = []
    /// Mean of the windows' embeddings, with `InferenceOptions.embeddings`.
    public var embedding: [Float]?
    public var features: FeatureCapture?

    public init(path: String, error: String? = nil) {
        self.path = path
        self.error = error
    }
}

/// Classifies a list of files in order, batching windows across files (up to `classifier.maxBatch`), holding
/// at most one batch of windows at a time, so memory stays bounded for any number and length of files. One
/// thread alternates front end and network (the network parallel inside, under the classifier's context).
/// A front-end thread running beside the network measured slower on 2 cores, so there is none.
public final class InferenceRunner {
    /// The first model: its front end cuts and transforms the audio, and it alone gives features and embeddings.
    public let classifier: Classifier
    /// Every model whose softmax is averaged (an ensemble: `--model` given more than once); the first is `classifier`.
    public let classifiers: [Classifier]
    public let options: InferenceOptions
    public let windowSamples: Int, hopSamples: Int
    public var windowSeconds: Double { Double(windowSamples) / Double(classifier.config.sampleRate) }
    public var hopSeconds: Double { Double(hopSamples) / Double(classifier.config.sampleRate) }
    public var windowFrames: Int { classifier.config.frames(forSamples: windowSamples) }

    public convenience init(classifier: Classifier, options: InferenceOptions) throws {
        try self.init(classifiers: [classifier], options: options)
    }

    /// An ensemble: the models must share the front end and the classes (in order), or they are refused with
    /// a line naming the file that differs.
    public init(classifiers: [Classifier], options: InferenceOptions) throws {
        guard let classifier = classifiers.first else { throw AudioSpecNetError.invalidArgument("no model to classify with") }
        for other in classifiers.dropFirst() {
            guard other.config == classifier.config else {
                throw AudioSpecNetError.file(path: other.modelPath, reason: "its front end differs from \(classifier.modelPath)'s (an ensemble's models must share it)")
            }
            guard other.classes == classifier.classes else {
                throw AudioSpecNetError.file(path: other.modelPath, reason: "its classes differ from \(classifier.modelPath)'s (an ensemble's models must share them, in order)")
            }
        }
        guard (1...64).contains(options.tta) else { throw AudioSpecNetError.invalidArgument("--tta must be 1…64 views, got \(options.tta)") }
        guard options.ttaShiftSeconds.isFinite, options.ttaShiftSeconds >= 0, options.ttaShiftSeconds <= 600 else {
            throw AudioSpecNetError.invalidArgument("the TTA shift must be 0…600 seconds, got \(options.ttaShiftSeconds)")
        }
        self.classifier = classifier
        self.classifiers = classifiers
        self.options = options
        let sr = Double(classifier.config.sampleRate)
        let window = options.windowSeconds ?? classifier.config.clipSeconds
        let hop = options.hopSeconds ?? window / 2
        guard window.isFinite, window > 0, window <= 600 else { throw AudioSpecNetError.invalidArgument("the window must be longer than 0 and at most 600 seconds, got \(window)") }
        // At least 10 ms: a hop of 1e-300 s would make a window of every sample (millions per minute of audio).
        guard hop.isFinite, hop >= 0.01, hop <= 3600 else { throw AudioSpecNetError.invalidArgument("the hop must be 0.01…3600 seconds, got \(hop)") }
        windowSamples = max(classifier.config.nFFT / 2 + 1, Int((window * sr).rounded()))
        hopSamples = max(1, Int((hop * sr).rounded()))
    }

    /// A batch of windows of one file, made by the front end.
    struct Piece {
        let file: Int
        var starts: [Int] = []
        var valid: [Int] = []
        var spectrograms: [[Float]] = []
        /// Set on the file's last piece.
        var final = false
        var error: String?
        var totalSamples = 0, sourceSampleRate = 0, channels = 0
        var waveform: [Float] = []
    }

    /// Classifies `paths`, calling `report` with each file's result in input order, as soon as it is known.
    public func run(_ paths: [String], report: (FileResult) -> Void) {
        var pending: [Int: FileResult] = [:]
        var next = 0
        func consume(_ pieces: [Piece]) {
            classify(pieces, into: &pending, paths: paths)
            while doneFlags.contains(next), let done = pending[next] {
                report(done)
                pending[next] = nil
                doneFlags.remove(next)
                next += 1
            }
        }
        // Front end for files until a batch of windows is full, then the network on it.
        var batch: [Piece] = []
        var windows = 0
        for i in paths.indices {
            produce(file: i, path: paths[i]) { piece in
                batch.append(piece)
                windows += piece.spectrograms.count
                if windows >= classifier.maxBatch {
                    consume(batch)
                    batch = []
                    windows = 0
                }
            }
        }
        if !batch.isEmpty { consume(batch) }
    }

    private var doneFlags = Set<Int>()
    /// Running sums of probabilities per file while its windows arrive.
    private var sums: [Int: [Double]] = [:]

    /// Front end: the windows of one file as pieces of at most `maxBatch` log-mels.
    func produce(file: Int, path: String, emit: (Piece) -> Void) {
        let config = classifier.config
        do {
            let reader = try WindowReader(path: path, sampleRate: config.sampleRate, windowSamples: windowSamples,
                                          hopSamples: hopSamples, waveformPoints: options.features ? 8000 : 0)
            var piece = Piece(file: file)
            while let window = try reader.next() {
                piece.starts.append(window.start)
                piece.valid.append(window.valid)
                var samples = window.samples
                try options.perturbation?.apply(&samples, valid: window.valid, sampleRate: config.sampleRate, key: "\((path as NSString).lastPathComponent)@\(window.start)")
                piece.spectrograms.append(classifier.frontEnd.spectrogram.compute(samples))
                if piece.spectrograms.count == classifier.maxBatch {
                    emit(piece)
                    piece = Piece(file: file)
                }
            }
            piece.final = true
            piece.totalSamples = reader.totalSamples
            piece.sourceSampleRate = reader.sourceSampleRate
            piece.channels = reader.channels
            piece.waveform = reader.waveform
            emit(piece)
        } catch {
            var piece = Piece(file: file)
            piece.final = true
            piece.error = Self.describe(error, path: path)
            emit(piece)
        }
    }

    /// Network: one forward pass over every window of `pieces`, then bookkeeping per file.
    private func classify(_ pieces: [Piece], into pending: inout [Int: FileResult], paths: [String]) {
        let all = pieces.flatMap(\.spectrograms)
        var probabilities: [[Float]] = [], embeddings: [[Float]] = []
        if options.embeddings && !all.isEmpty {
            (probabilities, embeddings) = classifier.probabilitiesAndEmbeddings(all, frames: windowFrames)
            // embeddings are the first model's; the probabilities are the ensemble's and the views' mean
            if classifiers.count > 1 || options.tta > 1 { probabilities = averagedProbabilities(all) }
        } else if !all.isEmpty {
            probabilities = averagedProbabilities(all)
        }
        let sr = Double(classifier.config.sampleRate)
        var offset = 0
        for piece in pieces {
            var result = pending[piece.file] ?? FileResult(path: paths[piece.file])
            if result.error == nil {
                for (j, start) in piece.starts.enumerated() {
                    let p = probabilities[offset + j]
                    let embedding = embeddings.isEmpty ? nil : embeddings[offset + j]
                    result.windows.append(WindowPrediction(start: Double(start) / sr, end: Double(start + windowSamples) / sr,
                                                           probabilities: p, embedding: embedding))
                    var sum = sums[piece.file] ?? [Double](repeating: 0, count: p.count)
                    for k in p.indices { sum[k] += Double(p[k]) }
                    sums[piece.file] = sum
                }
                if options.features && result.features == nil, let first = piece.spectrograms.first {
                    result.features = captureFeatures(first)
                }
            }
            offset += piece.spectrograms.count
            if let error = piece.error {
                result.error = error
                result.windows = []
                result.features = nil
            }
            if piece.final {
                if result.error == nil {
                    result.duration = Double(piece.totalSamples) / sr
                    result.sourceSampleRate = piece.sourceSampleRate
                    result.channels = piece.channels
                    result.windowSeconds = windowSeconds
                    result.padded = piece.totalSamples < windowSamples
                    let n = Double(max(1, result.windows.count))
                    result.probabilities = (sums[piece.file] ?? []).map { Float($0 / n) }
                    if options.embeddings { result.embedding = Self.mean(result.windows.compactMap(\.embedding)) }
                    if result.features != nil {
                        result.features!.waveform = piece.waveform.map(finite)
                        result.features!.duration = result.duration
                    }
                }
                sums[piece.file] = nil
                doneFlags.insert(piece.file)
            }
            pending[piece.file] = result
        }
    }

    /// The frame offsets of the TTA views: K evenly spaced over ±shift (0 alone for K = 1).
    public var ttaOffsets: [Int] {
        let k = options.tta
        guard k > 1 else { return [0] }
        let shift = options.ttaShiftSeconds * Double(classifier.config.sampleRate) / Double(classifier.config.hopLength)
        return (0..<k).map { j in Int((shift * (2 * Double(j) / Double(k - 1) - 1)).rounded()) }
    }

    /// The softmax of each window averaged over the models and the TTA views, one model and view at a time
    /// (the batch stays `maxBatch`); with one model and no TTA exactly the model's own.
    func averagedProbabilities(_ spectrograms: [[Float]]) -> [[Float]] {
        let offsets = ttaOffsets
        if classifiers.count == 1 && offsets == [0] { return classifier.probabilities(spectrograms, frames: windowFrames) }
        let mels = classifier.config.nMels, frames = windowFrames
        var sums = [[Double]](repeating: [], count: spectrograms.count)
        for offset in offsets {
            let views = offset == 0 ? spectrograms : spectrograms.map { FrameRoll.rolled($0, rows: mels, frames: frames, by: offset) }
            for model in classifiers {
                for (i, p) in model.probabilities(views, frames: frames).enumerated() {
                    if sums[i].isEmpty { sums[i] = [Double](repeating: 0, count: p.count) }
                    for k in p.indices { sums[i][k] += Double(p[k]) }
                }
            }
        }
        let n = Double(offsets.count * classifiers.count)
        return sums.map { $0.map { Float($0 / n) } }
    }

    /// The elementwise mean of equal-length rows (in Double), nil for none.
    static func mean(_ rows: [[Float]]) -> [Float]? {
        guard let first = rows.first else { return nil }
        var sum = [Double](repeating: 0, count: first.count)
        for row in rows { for k in row.indices { sum[k] += Double(row[k]) } }
        return sum.map { Float($0 / Double(rows.count)) }
    }

    /// A forward pass of one window that keeps the channel mean of every feature map.
    func captureFeatures(_ spectrogram: [Float]) -> FeatureCapture {
        let config = classifier.config
        var capture = FeatureCapture(spectrogram: .init(name: "input_spectrogram", height: config.nMels, width: windowFrames,
                                                        values: spectrogram.map(finite)), sampleRate: config.sampleRate)
        _ = classifier.forward([spectrogram], frames: windowFrames) { name, t in
            capture.maps.append(Self.channelMean(name: name, t))
        }
        return capture
    }

    static func channelMean(name: String, _ t: Tensor) -> FeatureCapture.Map { FeatureMapStatistics.channelMean(t, name: name) }

    /// One line: the library's errors already name the file; anything else gets the path prepended.
    static func describe(_ error: Error, path: String) -> String {
        let text = "\(error)".replacingOccurrences(of: "\n", with: " ")
        return text.hasPrefix(path) ? text : "\(path): \(text)"
    }
}

/// Reductions of feature maps for display.
public enum FeatureMapStatistics {
    /// The mean over channels of one item (default the first) of an NCHW tensor: [H, W], non-finite values
    /// made finite.
    public static func channelMean(_ t: Tensor, item: Int = 0, name: String = "") -> FeatureCapture.Map {
        let c = t.shape[1], h = t.shape[2], w = t.shape[3], plane = h * w
        precondition(item >= 0 && item < t.shape[0], "channelMean: item \(item) of a batch of \(t.shape[0])")
        var sums = [Double](repeating: 0, count: plane)
        for ch in 0..<c {
            let p = t.data + (item * c + ch) * plane
            for i in 0..<plane { sums[i] += Double(finite(p[i])) }
        }
        return .init(name: name, height: h, width: w, values: sums.map { finite(Float($0 / Double(c))) })
    }
}
