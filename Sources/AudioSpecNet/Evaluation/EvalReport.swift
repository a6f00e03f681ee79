import Foundation

/// How `eval` reports: a text summary, `metrics.json`, `per_class.csv`, `confusion.csv`, `confusion.png` and
/// `predictions.csv`.
public struct EvalReport {
    public let metrics: EvalMetrics
    public let model: String
    public let data: String
    public let summary: String
    public var minAccuracy: Double?
    /// The same clips changed as each `WaveformPerturbation` says (`eval --perturb`), beside the clean figures.
    public var robustness: [(perturbation: String, metrics: EvalMetrics)] = []

    public init(metrics: EvalMetrics, model: String, data: String, summary: String, minAccuracy: Double? = nil) {
        self.metrics = metrics
        self.model = model
        self.data = data
        self.summary = summary
        self.minAccuracy = minAccuracy
    }

    private func f(_ x: Double, _ digits: Int = 4) -> String { String(format: "%.\(digits)f", x) }

    /// Lines for a terminal: headline figures, exclusions, per-class table, most-confused pairs.
    public func text(perClassLimit: Int = 50) -> [String] {
        let m = metrics
        var lines = [summary]
        lines.append("accuracy      \(f(m.accuracy))  (\(m.correct)/\(m.total))")
        lines.append("top-5         \(f(m.top5Accuracy))  (\(m.top5Correct)/\(m.total))")
        lines.append("macro-F1      \(f(m.macroF1))")
        if !m.failed.isEmpty || !m.unknownLabels.isEmpty {
            lines.append("counted as wrong: \(m.failed.count) failed to decode, \(m.unknownLabels.count) with a label the model doesn't know; accuracy over the \(m.scored) scored clips \(f(m.scoredAccuracy))")
            for (path, error) in m.failed { lines.append("  failed: \(error.hasPrefix(path) ? error : path + ": " + error)") }
            for (path, label) in m.unknownLabels { lines.append("  unknown label \"\(label)\": \(path)") }
        }
        let width = max(5, min(24, m.classes.map(\.count).max() ?? 5))
        func pad(_ s: String) -> String { s.count >= width ? s : s + String(repeating: " ", count: width - s.count) }
        let rows = m.perClass.filter { $0.support > 0 || $0.predicted > 0 }
        lines.append("")
        lines.append(pad("class") + "  precision   recall       F1  support")
        for s in rows.prefix(perClassLimit) {
            lines.append(pad(s.name) + String(format: "  %9.3f %8.3f %8.3f  %7d", s.precision, s.recall, s.f1, s.support))
        }
        if rows.count > perClassLimit { lines.append("… \(rows.count - perClassLimit) more classes in per_class.csv") }
        let pairs = m.mostConfused()
        if !pairs.isEmpty {
            lines.append("")
            lines.append("most confused (actual → predicted):")
            for p in pairs { lines.append("  \(p.count)× \(p.actual) → \(p.predicted)") }
        }
        if !robustness.isEmpty {
            lines.append("")
            lines.append("robustness (the same clips, each changed as stated; Δ in points against clean):")
            let w = max(18, robustness.map(\.perturbation.count).max() ?? 0)
            func pad(_ s: String) -> String { s + String(repeating: " ", count: max(0, w - s.count)) }
            lines.append(pad("input") + "  accuracy       Δ   top-5  macro-F1")
            lines.append(pad("clean") + String(format: "  %8.4f  %6s  %6.4f  %8.4f", m.accuracy, "", m.top5Accuracy, m.macroF1))
            for (name, r) in robustness {
                lines.append(pad(name) + String(format: "  %8.4f  %+6.1f  %6.4f  %8.4f", r.accuracy, 100 * (r.accuracy - m.accuracy), r.top5Accuracy, r.macroF1))
            }
        }
        return lines
    }

    /// metrics.json: one object (also what `eval --json` prints).
    public func json() -> String {
        let m = metrics
        func num(_ x: Double) -> String { JSONText.number(x) }
        let perClass = m.perClass.map { s in
            JSONText.object([("class", JSONText.string(s.name)), ("precision", num(s.precision)), ("recall", num(s.recall)),
                             ("f1", num(s.f1)), ("support", String(s.support)), ("predicted", String(s.predicted))])
        }
        let pairs = m.mostConfused().map { p in
            JSONText.object([("actual", JSONText.string(p.actual)), ("predicted", JSONText.string(p.predicted)), ("count", String(p.count))])
        }
        var fields: [(String, String)] = [
            ("model", JSONText.string(model)), ("data", JSONText.string(data)), ("selection", JSONText.string(summary)),
            ("accuracy", num(m.accuracy)), ("top5_accuracy", num(m.top5Accuracy)), ("macro_f1", num(m.macroF1)),
            ("total", String(m.total)), ("correct", String(m.correct)), ("scored", String(m.scored)),
            ("scored_accuracy", num(m.scoredAccuracy)),
            ("failed", "[" + m.failed.map { JSONText.object([("file", JSONText.string($0.path)), ("error", JSONText.string($0.error))]) }.joined(separator: ",") + "]"),
            ("unknown_labels", "[" + m.unknownLabels.map { JSONText.object([("file", JSONText.string($0.path)), ("label", JSONText.string($0.label))]) }.joined(separator: ",") + "]"),
            ("per_class", "[" + perClass.joined(separator: ",") + "]"),
            ("most_confused", "[" + pairs.joined(separator: ",") + "]"),
            ("classes", "[" + m.classes.map(JSONText.string).joined(separator: ",") + "]"),
            ("confusion", "[" + m.confusion.map { "[" + $0.map(String.init).joined(separator: ",") + "]" }.joined(separator: ",") + "]"),
        ]
        if !robustness.isEmpty {
            let rows = robustness.map { name, r in
                JSONText.object([("perturbation", JSONText.string(name)), ("accuracy", num(r.accuracy)), ("top5_accuracy", num(r.top5Accuracy)),
                                 ("macro_f1", num(r.macroF1)), ("correct", String(r.correct)), ("total", String(r.total))])
            }
            fields.append(("robustness", "[" + rows.joined(separator: ",") + "]"))
        }
        if let minAccuracy {
            fields.append(("min_accuracy", num(minAccuracy)))
            fields.append(("passed", m.accuracy >= minAccuracy ? "true" : "false"))
        }
        return JSONText.object(fields)
    }

    public func perClassCSV() -> String {
        var out = "class,precision,recall,f1,support,predicted\n"
        for s in metrics.perClass {
            out += [CSVReader.quoted(s.name), f(s.precision, 6), f(s.recall, 6), f(s.f1, 6), String(s.support), String(s.predicted)].joined(separator: ",") + "\n"
        }
        return out
    }

    /// Rows are actual classes, columns predicted; the first row and column hold the names.
    public func confusionCSV() -> String {
        var out = "actual\\predicted," + metrics.classes.map(CSVReader.quoted).joined(separator: ",") + "\n"
        for (k, row) in metrics.confusion.enumerated() {
            out += CSVReader.quoted(metrics.classes[k]) + "," + row.map(String.init).joined(separator: ",") + "\n"
        }
        return out
    }

    /// One row per clip, in the order evaluated: its label, the top class and its probability (empty when the
    /// clip could not be classified), 1 when right. What `compare` reads.
    public func predictionsCSV() -> String {
        var out = PairedComparison.header.joined(separator: ",") + "\n"
        for p in metrics.predictions {
            let probability = p.probability.map { String(format: "%.6f", Double($0)) } ?? ""
            out += [CSVReader.quoted(p.path), CSVReader.quoted(p.label), CSVReader.quoted(p.predicted ?? ""), probability,
                    p.correct ? "1" : "0"].joined(separator: ",") + "\n"
        }
        return out
    }

    /// One row per input: clean first, then each perturbation.
    public func robustnessCSV() -> String {
        var out = "input,accuracy,top5_accuracy,macro_f1,correct,total\n"
        for (name, r) in [("clean", metrics)] + robustness {
            out += [CSVReader.quoted(name), f(r.accuracy, 6), f(r.top5Accuracy, 6), f(r.macroF1, 6), String(r.correct), String(r.total)].joined(separator: ",") + "\n"
        }
        return out
    }

    /// Writes metrics.json, per_class.csv, confusion.csv, confusion.png and predictions.csv (and
    /// robustness.csv with perturbations) into `directory`.
    public func write(to directory: String) throws -> [String] {
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw AudioSpecNetError.file(path: directory, reason: "cannot create directory (\(error.localizedDescription))")
        }
        func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
        try AtomicFile.write(json() + "\n", to: path("metrics.json"))
        try AtomicFile.write(perClassCSV(), to: path("per_class.csv"))
        try AtomicFile.write(confusionCSV(), to: path("confusion.csv"))
        try ConfusionPicture.render(metrics).writePNG(to: path("confusion.png"))
        try AtomicFile.write(predictionsCSV(), to: path("predictions.csv"))
        var names = ["metrics.json", "per_class.csv", "confusion.csv", "confusion.png", "predictions.csv"]
        if !robustness.isEmpty {
            try AtomicFile.write(robustnessCSV(), to: path("robustness.csv"))
            names.append("robustness.csv")
        }
        return names.map(path)
    }
}
