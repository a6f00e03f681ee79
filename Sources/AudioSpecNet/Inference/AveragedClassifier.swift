import Foundation

/// What the tool reports for log-mel windows: each window's softmax averaged over the models of an ensemble
/// and over the test-time views (`--tta K`: K views of its frames, evenly spaced over ±shift, `TestTimeViews`); with
/// one model and one view, exactly the model's own softmax. `infer`, `eval` (through `InferenceRunner`) and
/// `serve` (through its batcher) all classify through it, so an ensemble or TTA means the same everywhere.
public final class AveragedClassifier {
    /// Every model averaged; the first one's front end cuts and transforms the audio, and it alone gives
    /// feature maps and embeddings.
    public let classifiers: [Classifier]
    /// The test-time views each window is seen in (one, the window itself, without `--tta`).
    public let views: TestTimeViews
    /// The frame offsets of the views: K evenly spaced over ±shift (0 alone for K = 1).
    public var offsets: [Int] { views.offsets }

    public var first: Classifier { classifiers[0] }
    /// One model and one view: the model's softmax as it is.
    public var isSingle: Bool { classifiers.count == 1 && offsets == [0] }

    /// The models must share the front end and the classes (in order), or they are refused with a line
    /// naming the file that differs; a crop must leave the model's clip some frames.
    public init(classifiers: [Classifier], tta: Int = 1, shiftSeconds: Double = 1.0, scheme: TTAScheme = .roll) throws {
        guard let classifier = classifiers.first else { throw AudioSpecNetError.invalidArgument("no model to classify with") }
        for other in classifiers.dropFirst() {
            guard other.config == classifier.config else {
                throw AudioSpecNetError.file(path: other.modelPath, reason: "its front end differs from \(classifier.modelPath)'s (an ensemble's models must share it)")
            }
            guard other.classes == classifier.classes else {
                throw AudioSpecNetError.file(path: other.modelPath, reason: "its classes differ from \(classifier.modelPath)'s (an ensemble's models must share them, in order)")
            }
        }
        views = try TestTimeViews(count: tta, shiftSeconds: shiftSeconds, scheme: scheme, config: classifier.config)
        try views.check(windowFrames: classifier.config.clipFrames)
        self.classifiers = classifiers
    }

    /// The averaged softmax of each window (`frames` frames each; `views.check(windowFrames:)` holds), one model
    /// and view at a time, each run in the models' own batches (`Classifier.maxBatch`). `observe`, when given,
    /// sees the feature maps of the first model's pass over the windows as they are (an extra pass when no view
    /// is the window itself), run as one batch (the caller keeps it small).
    public func probabilities(_ spectrograms: [[Float]], frames: Int, observe: ((String, Tensor) -> Void)? = nil) -> [[Float]] {
        if spectrograms.isEmpty { return [] }
        let mels = first.config.nMels
        var sums = [[Double]](repeating: [], count: spectrograms.count)
        let viewFrames = views.viewFrames(frames)
        // The window as it is, if one view is it (an odd K that rolls or pads); feature maps are always its.
        let plain = viewFrames == frames ? offsets.firstIndex(of: 0) : nil
        if let observe, plain == nil { _ = first.forward(spectrograms, frames: frames, observe: observe) }
        for v in offsets.indices {
            let seen = v == plain ? spectrograms : spectrograms.map { views.view(v, of: $0, rows: mels, frames: frames) }
            for (m, model) in classifiers.enumerated() {
                let rows: [[Float]]
                if m == 0 && v == plain, let observe {
                    rows = model.softmax(model.forward(seen, frames: frames, observe: observe))
                } else {
                    rows = model.probabilities(seen, frames: viewFrames)
                }
                if isSingle { return rows }
                for (i, p) in rows.enumerated() {
                    if sums[i].isEmpty { sums[i] = [Double](repeating: 0, count: p.count) }
                    for k in p.indices { sums[i][k] += Double(p[k]) }
                }
            }
        }
        let n = Double(offsets.count * classifiers.count)
        return sums.map { $0.map { Float($0 / n) } }
    }
}
