import Foundation

/// How `eval` reports: a text summary, `metrics.json`, `per_class.csv`, `confusion.csv` and `confusion.png`.
public struct EvalReport {
    public let metrics: EvalMetrics
    public let model: String
    public let data: String
    public let summary: String
    public var minAccuracy: Double?

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
        if let minAccuracy {
            fields.append(("min_accuracy", num(minAccuracy)))
            fields.append(("passed", m.accuracy >= minAccuracy ? "true" : "false"))
        }
        return JSONText.object(fields)
    }

    static func csvField(_ s: String) -> String {
        s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    public func perClassCSV() -> String {
        var out = "class,precision,recall,f1,support,predicted\n"
        for s in metrics.perClass {
            out += [Self.csvField(s.name), f(s.precision, 6), f(s.recall, 6), f(s.f1, 6), String(s.support), String(s.predicted)].joined(separator: ",") + "\n"
        }
        return out
    }

    /// Rows are actual classes, columns predicted; the first row and column hold the names.
    public func confusionCSV() -> String {
        var out = "actual\\predicted," + metrics.classes.map(Self.csvField).joined(separator: ",") + "\n"
        for (k, row) in metrics.confusion.enumerated() {
            out += Self.csvField(metrics.classes[k]) + "," + row.map(String.init).joined(separator: ",") + "\n"
        }
        return out
    }

    /// Writes metrics.json, per_class.csv, confusion.csv and confusion.png into `directory`.
    public func write(to directory: String) throws -> [String] {
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw AudioSpecNetError.file(path: directory, reason: "cannot create directory (\(error.localizedDescription))")
        }
        func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
        try AtomicFile.write(json() + "\n", to: path("metrics.json"))
        try AtomicFile.write(perClassCSV(), to: path("per_class.csv"))
        try AtomicFile.write(confusionCSV(), to: path("confusion.csv"))
        try ConfusionPicture.render(metrics).writePNG(to: path("confusion.png"))
        return ["metrics.json", "per_class.csv", "confusion.csv", "confusion.png"].map(path)
    }
}

/// The confusion matrix as a heat map: rows actual, columns predicted, each row coloured by the share of
/// that class's clips (so every class reads on the same scale), counts written in the cells, class names
/// along both axes (columns vertical), a title and a key.
public enum ConfusionPicture {
    public static func render(_ m: EvalMetrics, cell: Int = 20, textScale: Int = 2) -> RGBImage {
        let c = max(1, m.classes.count)
        let labelWidth = m.classes.map { BitmapFont.size(of: $0, scale: textScale).width }.max() ?? 0
        let title = "Confusion matrix: \(m.scored) clips, accuracy \(String(format: "%.1f", 100 * m.accuracy))%"
        let key = "rows: actual class   columns: predicted class   colour: share of the row, numbers: clips"
        let titleSize = BitmapFont.size(of: title, scale: 2), keySize = BitmapFont.size(of: key, scale: 2)
        let left = labelWidth + 12, top = 12 + titleSize.height + 8 + keySize.height + 12 + labelWidth + 8
        let width = max(left + c * cell + 12, titleSize.width + 24, keySize.width + 24)
        let height = top + c * cell + 12
        var image = RGBImage(width: width, height: height)
        image.drawText(title, x: 12, y: 12, scale: 2)
        image.drawText(key, x: 12, y: 12 + titleSize.height + 8, scale: 2, color: RGB(80, 80, 80))
        let glyphH = BitmapFont.glyphHeight * textScale
        for (k, name) in m.classes.enumerated() {
            let w = BitmapFont.size(of: name, scale: textScale).width
            // Row label right-aligned beside its row; column label reading upwards above its column.
            image.drawText(name, x: left - 6 - w, y: top + k * cell + (cell - glyphH) / 2 + textScale, scale: textScale)
            image.drawText(name, x: left + k * cell + (cell - glyphH) / 2 + textScale, y: top - 6, scale: textScale, vertical: true)
        }
        for a in 0..<m.confusion.count {
            let rowTotal = m.confusion[a].reduce(0, +)
            for p in 0..<m.confusion[a].count {
                let n = m.confusion[a][p]
                let share = rowTotal > 0 ? Float(n) / Float(rowTotal) : 0
                let colour = ColorMap.magma.color(share)
                let x = left + p * cell, y = top + a * cell
                image.fillRect(x: x, y: y, width: cell - 1, height: cell - 1, colour)
                if n > 0 {
                    let text = n > 99 ? "99+" : String(n)
                    let size = BitmapFont.size(of: text, scale: 1)
                    let light = Int(colour.r) + Int(colour.g) + Int(colour.b) > 380
                    image.drawText(text, x: x + (cell - 1 - size.width) / 2, y: y + (cell - 1 - 7) / 2, scale: 1, color: light ? .black : .white)
                }
            }
        }
        // Frame the diagonal cells so correct predictions stand out.
        for k in 0..<m.confusion.count {
            let x = left + k * cell, y = top + k * cell
            image.drawLine(x0: x - 1, y0: y - 1, x1: x + cell - 1, y1: y - 1, RGB(0, 160, 220))
            image.drawLine(x0: x - 1, y0: y + cell - 1, x1: x + cell - 1, y1: y + cell - 1, RGB(0, 160, 220))
            image.drawLine(x0: x - 1, y0: y - 1, x1: x - 1, y1: y + cell - 1, RGB(0, 160, 220))
            image.drawLine(x0: x + cell - 1, y0: y - 1, x1: x + cell - 1, y1: y + cell - 1, RGB(0, 160, 220))
        }
        return image
    }
}
