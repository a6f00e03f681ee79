import AudioSpecNet
import Foundation

/// The JSON bodies of the service, built with the same code as `infer --json` and `infer --features`, so
/// the two can never drift apart.
enum ServiceResponses {
    /// The result of a request's audio in the shape `infer` gives a file (without `file`): predictions
    /// (mean over windows), duration, rates, windows, and with `features` the reference's feature fields —
    /// assembled by `FileResultBuilder`, as `infer`'s are.
    static func classification(_ audio: AudioRequest, output: InferenceBatcher.Output, classes: [String], topK: Int,
                               config: FrontEndConfig, plan: WindowPlan, features: Bool) -> String {
        var result = FileResultBuilder(path: "", plan: plan)
        for (window, p) in zip(audio.windows, output.probabilities) { result.add(start: window.start, probabilities: p) }
        if features, let first = audio.windows.first {
            result.capture(FeatureCapture(input: first.spectrogram, config: config, maps: output.maps))
        }
        var report = InferenceReport(classes: classes, topK: topK, paths: [])
        report.featureValues = features
        return report.jsonLine(result.finish(audio.audio), includeFile: false)
    }

    static func error(_ e: ServiceError) -> String {
        JSONText.object([("error", JSONText.string(e.message)), ("status", String(e.status))])
    }
}
