import Foundation

/// What the tool reports for log-mel windows: each window's softmax averaged over the models of an ensemble
/// and over the test-time views (`--tta K`: K circular rolls of its frames, evenly spaced over ±shift); with
/// one model and one view, exactly the model's own softmax. `infer`, `eval` (through `InferenceRunner`) and
/// `serve` (through its batcher) all classify through it, so an ensemble or TTA means the same everywhere.
public final class AveragedClassifier {
    /// Every model averaged; the first one's front end cuts and transforms the audio, and it alone gives
    /// feature maps and embeddings.
    public let classifiers: [Classifier]
    /// The frame offsets of the views: K evenly spaced over ±shift (0 alone for K = 1).
    public let offsets: [Int]
    public let tta: Int
    public let shiftSeconds: Double

    public var first: Classifier { classifiers[0] }
    /// One model and one view: the model's softmax as it is.
    public var isSingle: Bool { classifiers.count == 1 && offsets == [0] }

    /// The models must share the front end and the classes (in order), or they are refused with a line
    /// naming the file that differs.
    public init(classifiers: [Classifier], tta: Int = 1, shiftSeconds: Double = 1.0) throws {
        guard let classifier = classifiers.first else { throw AudioSpecNetError.invalidArgument("no model to classify with") }
        for other in classifiers.dropFirst() {
            guard other.config == classifier.config else {
                throw AudioSpecNetError.file(path: other.modelPath, reason: "its front end differs from \(classifier.modelPath)'s (an ensemble's models must share it)")
            }
            guard other.classes == classifier.classes else {
                throw AudioSpecNetError.file(path: other.modelPath, reason: "its classes differ from \(classifier.modelPath)'s (an ensemble's models must share them, in order)")
            }
        }
        guard (1...64).contains(tta) else { throw AudioSpecNetError.invalidArgument("--tta must be 1…64 views, got \(tta)") }
        guard shiftSeconds.isFinite, shiftSeconds >= 0, shiftSeconds <= 600 else {
            throw AudioSpecNetError.invalidArgument("the TTA shift must be 0…600 seconds, got \(shiftSeconds)")
        }
        self.classifiers = classifiers
        self.tta = tta
        self.shiftSeconds = shiftSeconds
        let hops = shiftSeconds * Double(classifier.config.sampleRate) / Double(classifier.config.hopLength)
        offsets = tta == 1 ? [0] : (0..<tta).map { j in Int((hops * (2 * Double(j) / Double(tta - 1) - 1)).rounded()) }
    }

    /// The averaged softmax of each window (`frames` frames each), one model and view at a time, each run in
    /// the models' own batches (`Classifier.maxBatch`). `observe`, when given, sees the feature maps of the
    /// first model's pass over the windows as they are, run as one batch (the caller keeps it small).
    public func probabilities(_ spectrograms: [[Float]], frames: Int, observe: ((String, Tensor) -> Void)? = nil) -> [[Float]] {
        if spectrograms.isEmpty { return [] }
        let mels = first.config.nMels
        var sums = [[Double]](repeating: [], count: spectrograms.count)
        for offset in offsets {
            let views = offset == 0 ? spectrograms : spectrograms.map { FrameRoll.rolled($0, rows: mels, frames: frames, by: offset) }
            for (m, model) in classifiers.enumerated() {
                let rows: [[Float]]
                if m == 0 && offset == 0, let observe {
                    rows = model.softmax(model.forward(views, frames: frames, observe: observe))
                } else {
                    rows = model.probabilities(views, frames: frames)
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
