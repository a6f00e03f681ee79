import AudioSpecNet
import Foundation

/// The JSON bodies of the service, built with the same code as `infer --json` and `infer --features`, so
/// the two can never drift apart.
enum ServiceResponses {
    /// The result of a request's audio in the shape `infer` gives a file (without `file`): predictions
    /// (mean over windows), duration, rates, windows, and with `maps` the reference's feature fields.
    static func classification(_ audio: AudioRequest, output: InferenceBatcher.Output, classes: [String], topK: Int,
                               config: FrontEndConfig, windowSamples: Int, features: Bool) -> String {
        let sr = Double(config.sampleRate)
        var result = FileResult(path: "")
        result.duration = Double(audio.totalSamples) / sr
        result.sourceSampleRate = audio.sourceSampleRate
        result.channels = audio.channels
        result.windowSeconds = Double(windowSamples) / sr
        result.padded = audio.totalSamples < windowSamples
        result.windows = zip(audio.starts, output.probabilities).map { start, p in
            WindowPrediction(start: Double(start) / sr, end: Double(start + windowSamples) / sr, probabilities: p)
        }
        var mean = [Double](repeating: 0, count: classes.count)
        for p in output.probabilities { for k in p.indices { mean[k] += Double(p[k]) } }
        result.probabilities = mean.map { Float($0 / Double(max(1, output.probabilities.count))) }
        if features, let first = audio.spectrograms.first {
            let frames = first.count / config.nMels
            var capture = FeatureCapture(spectrogram: .init(name: "input_spectrogram", height: config.nMels, width: frames,
                                                            values: first.map(finite)),
                                         sampleRate: config.sampleRate)
            capture.maps = output.maps
            capture.waveform = audio.waveform
            capture.duration = result.duration
            result.features = capture
        }
        var report = InferenceReport(classes: classes, topK: topK, paths: [])
        report.featureValues = features
        return report.jsonLine(result, includeFile: false)
    }

    static func error(_ e: ServiceError) -> String {
        JSONText.object([("error", JSONText.string(e.message)), ("status", String(e.status))])
    }
}
