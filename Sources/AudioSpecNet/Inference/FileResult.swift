import Foundation

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

    /// The capture of one window: its log-mel [nMels, frames] (made finite) and the maps the network
    /// produced from it; the waveform and duration come with the rest of the audio.
    public init(input spectrogram: [Float], config: FrontEndConfig, maps: [Map]) {
        self.init(spectrogram: .init(name: "input_spectrogram", height: config.nMels, width: spectrogram.count / config.nMels,
                                     values: spectrogram.map(finite)),
                  sampleRate: config.sampleRate)
        self.maps = maps
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
