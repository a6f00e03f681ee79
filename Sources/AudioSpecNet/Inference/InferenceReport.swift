import Foundation

/// How `infer` prints results: JSON lines for scripts, an aligned table for people.
public struct InferenceReport {
    public let classes: [String]
    public let topK: Int
    /// Width of the file column (the longest input path).
    public let fileWidth: Int
    /// Include the feature maps' numbers (`--features`).
    public var featureValues = false
    /// Include each file's and window's embedding (`--embeddings`).
    public var embeddingValues = false
    /// Per-window rows in the table and `windows` in the JSON, for audio cut into several windows.
    public var showWindows = true

    public init(classes: [String], topK: Int, paths: [String]) {
        self.classes = classes
        self.topK = max(1, min(topK, classes.count))
        fileWidth = min(60, max(4, paths.map(\.count).max() ?? 4))
    }

    func top(_ p: [Float]) -> [Prediction] { Prediction.top(p, classes: classes, k: topK) }

    func predictionsJSON(_ p: [Float]) -> String {
        "[" + top(p).map { JSONText.object([("class", JSONText.string($0.label)), ("confidence", JSONText.number($0.confidence))]) }.joined(separator: ",") + "]"
    }

    /// One JSON object (one line) for a file: `file`, then `error` or `predictions`, `duration`,
    /// `sample_rate`, `channels`, `padded`, `window`, `windows` (when there are several), and with
    /// features `visualization`, `input_spectrogram`, `waveform`; `png` lists pictures written.
    /// `includeFile: false` leaves out `file` (the HTTP service answers for a body, not a path).
    public func jsonLine(_ r: FileResult, pictures: [String: String] = [:], includeFile: Bool = true) -> String {
        var fields: [(String, String)] = includeFile ? [("file", JSONText.string(r.path))] : []
        if let error = r.error {
            fields.append(("error", JSONText.string(error)))
            return JSONText.object(fields)
        }
        fields.append(("predictions", predictionsJSON(r.probabilities)))
        fields.append(("duration", JSONText.number(r.duration)))
        fields.append(("sample_rate", String(r.sourceSampleRate)))
        fields.append(("channels", String(r.channels)))
        fields.append(("padded", r.padded ? "true" : "false"))
        fields.append(("window", JSONText.number(r.windowSeconds)))
        if showWindows && r.windows.count > 1 {
            let windows = r.windows.map { w in
                JSONText.object([("start", JSONText.number(w.start)), ("end", JSONText.number(w.end)), ("predictions", predictionsJSON(w.probabilities))]
                                + (embeddingValues ? w.embedding.map { [("embedding", JSONText.array($0))] } ?? [] : []))
            }
            fields.append(("windows", "[" + windows.joined(separator: ",") + "]"))
        }
        if embeddingValues, let embedding = r.embedding { fields.append(("embedding", JSONText.array(embedding))) }
        if featureValues, let f = r.features {
            let viz = f.maps.map { m in
                (m.name, JSONText.object([("shape", "[\(m.height),\(m.width)]"), ("values", JSONText.matrix(m.values, rows: m.height, cols: m.width))]))
            }
            fields.append(("visualization", JSONText.object(viz)))
            let s = f.spectrogram
            fields.append(("input_spectrogram", JSONText.object([("shape", "[\(s.height),\(s.width)]"), ("values", JSONText.matrix(s.values, rows: s.height, cols: s.width))])))
            fields.append(("waveform", JSONText.object([("values", JSONText.array(f.waveform)), ("sample_rate", String(f.sampleRate)), ("duration", JSONText.number(f.duration))])))
        }
        if !pictures.isEmpty {
            fields.append(("png", JSONText.object(pictures.sorted { $0.key < $1.key }.map { ($0.key, JSONText.string($0.value)) })))
        }
        return JSONText.object(fields)
    }

    /// Class names are cut to 24 characters (with "…") so that every column stays aligned.
    private func cell(_ p: Prediction) -> String {
        let width = min(24, classes.map(\.count).max() ?? 8)
        let label = p.label.count > width ? p.label.prefix(width - 1) + "…" : p.label
        return pad(label, width) + String(format: " %5.1f%%", 100 * p.confidence)
    }

    private func pad(_ s: String, _ n: Int) -> String {
        s.count >= n ? s : s + String(repeating: " ", count: n - s.count)
    }

    /// The table's header line.
    public var header: String {
        let width = min(24, classes.map(\.count).max() ?? 8) + 7
        return pad("FILE", fileWidth) + "  " + (1...topK).map { pad("TOP-\($0)", width) }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
    }

    /// Table lines for a file: the overall top-k (and a note when padded or windowed), then one indented
    /// line per window when the audio was cut into several.
    public func tableLines(_ r: FileResult) -> [String] {
        let name = r.path.count > fileWidth ? "…" + r.path.suffix(fileWidth - 1) : r.path
        if let error = r.error { return [pad(name, fileWidth) + "  error: " + error] }
        var note = ""
        if r.padded { note = String(format: "  (%.2f s, zero-padded to %g s)", r.duration, r.windowSeconds) }
        if r.windows.count > 1 { note = String(format: "  (%.2f s: mean of %d windows)", r.duration, r.windows.count) }
        var lines = [pad(name, fileWidth) + "  " + top(r.probabilities).map(cell).joined(separator: "  ") + note]
        if showWindows && r.windows.count > 1 {
            for w in r.windows {
                let span = String(format: "  %7.2f–%.2f s", w.start, w.end)
                lines.append(pad(span, fileWidth) + "  " + top(w.probabilities).map(cell).joined(separator: "  "))
            }
        }
        return lines
    }
}
