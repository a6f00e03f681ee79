import Foundation

/// Accuracy, top-5, macro-F1, per-class precision/recall/F1, the confusion matrix and the most-confused
/// pairs of a model on labelled clips.
///
/// The denominator of `accuracy` and `top5Accuracy` is every clip asked for: clips that failed to decode
/// and clips whose label the model does not know count as wrong, are listed, and are counted separately;
/// `scoredAccuracy` is over the clips that could be scored. The confusion matrix and the per-class figures
/// cover the scored clips.
public struct EvalMetrics: Sendable {
    public struct ClassScore: Sendable {
        public let name: String
        public let precision: Double, recall: Double, f1: Double
        /// Scored clips of this class, and clips predicted as it.
        public let support: Int, predicted: Int
    }
    public struct Pair: Sendable {
        public let actual: String, predicted: String
        public let count: Int
    }
    /// One clip's outcome: its label, and the class the model ranked first with its probability (nil when
    /// the clip could not be classified). `predictions.csv`, and what `compare` pairs clip by clip.
    public struct ClipPrediction: Sendable, Equatable {
        public let path: String, label: String
        public let predicted: String?
        public let probability: Float?
        public var correct: Bool { predicted == label }
        public init(path: String, label: String, predicted: String?, probability: Float?) {
            self.path = path; self.label = label; self.predicted = predicted; self.probability = probability
        }
    }

    public let classes: [String]
    public let total: Int
    public let scored: Int
    public let correct: Int
    public let top5Correct: Int
    /// Files that could not be classified, with the reason.
    public let failed: [(path: String, error: String)]
    /// Files whose label is not one of the model's classes.
    public let unknownLabels: [(path: String, label: String)]
    /// confusion[actual][predicted], over the model's classes.
    public let confusion: [[Int]]
    public let perClass: [ClassScore]
    /// Every clip asked for, in order (empty for training's validation, which has no files).
    public let predictions: [ClipPrediction]

    public var accuracy: Double { total > 0 ? Double(correct) / Double(total) : 0 }
    public var top5Accuracy: Double { total > 0 ? Double(top5Correct) / Double(total) : 0 }
    public var scoredAccuracy: Double { scored > 0 ? Double(correct) / Double(scored) : 0 }
    /// Mean F1 over the classes that occur (as label or prediction), as scikit-learn's macro average.
    public var macroF1: Double {
        let present = perClass.filter { $0.support > 0 || $0.predicted > 0 }
        return present.isEmpty ? 0 : present.map(\.f1).reduce(0, +) / Double(present.count)
    }

    /// `results[i]` is the outcome for `clips[i]`.
    public init(classes: [String], clips: [LabelledClip], results: [FileResult]) {
        precondition(clips.count == results.count)
        let index = Dictionary(classes.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        var failed: [(String, String)] = [], unknown: [(String, String)] = []
        var labels: [Int] = [], ranked: [[Int]] = [], predictions: [ClipPrediction] = []
        for (clip, result) in zip(clips, results) {
            let scored = result.error == nil && result.probabilities.count == classes.count
            let top = scored ? topIndices(result.probabilities, k: 5) : []
            predictions.append(ClipPrediction(path: clip.path, label: clip.label, predicted: top.first.map { classes[$0] },
                                              probability: top.first.map { result.probabilities[$0] }))
            if let error = result.error { failed.append((clip.path, error)); continue }
            guard let actual = index[clip.label] else { unknown.append((clip.path, clip.label)); continue }
            guard scored else { failed.append((clip.path, "no probabilities")); continue }
            labels.append(actual)
            ranked.append(top)
        }
        self.init(classes: classes, labels: labels, ranked: ranked, total: clips.count, failed: failed, unknownLabels: unknown,
                  predictions: predictions)
    }

    /// Clips that were all scored: `labels[i]` the class index of clip i, `ranked[i]` its classes best first
    /// (top-5 counts the first five). Training's validation uses this one.
    public init(classes: [String], labels: [Int], ranked: [[Int]]) {
        self.init(classes: classes, labels: labels, ranked: ranked, total: labels.count, failed: [], unknownLabels: [], predictions: [])
    }

    private init(classes: [String], labels: [Int], ranked: [[Int]], total: Int,
                 failed: [(path: String, error: String)], unknownLabels: [(path: String, label: String)],
                 predictions: [ClipPrediction]) {
        self.predictions = predictions
        precondition(labels.count == ranked.count)
        self.classes = classes
        let c = classes.count
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: c), count: c)
        var correct = 0, top5 = 0
        for (actual, order) in zip(labels, ranked) {
            confusion[actual][order[0]] += 1
            if order[0] == actual { correct += 1 }
            if order.prefix(5).contains(actual) { top5 += 1 }
        }
        self.total = total
        self.scored = labels.count
        self.correct = correct
        self.top5Correct = top5
        self.failed = failed
        self.unknownLabels = unknownLabels
        self.confusion = confusion
        perClass = (0..<c).map { k in
            let tp = Double(confusion[k][k])
            let support = confusion[k].reduce(0, +)
            let predicted = (0..<c).reduce(0) { $0 + confusion[$1][k] }
            let precision = predicted > 0 ? tp / Double(predicted) : 0
            let recall = support > 0 ? tp / Double(support) : 0
            let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
            return ClassScore(name: classes[k], precision: precision, recall: recall, f1: f1, support: support, predicted: predicted)
        }
    }

    /// Off-diagonal cells, largest first (ties by class order), at most `limit`.
    public func mostConfused(limit: Int = 10) -> [Pair] {
        var pairs: [(Int, Int, Int)] = []
        for a in 0..<classes.count {
            for p in 0..<classes.count where a != p && confusion[a][p] > 0 { pairs.append((a, p, confusion[a][p])) }
        }
        pairs.sort { $0.2 != $1.2 ? $0.2 > $1.2 : ($0.0, $0.1) < ($1.0, $1.1) }
        return pairs.prefix(limit).map { Pair(actual: classes[$0.0], predicted: classes[$0.1], count: $0.2) }
    }
}
