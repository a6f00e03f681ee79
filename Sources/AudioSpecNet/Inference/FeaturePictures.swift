import Foundation

/// `infer --png DIR`: the network's input and every feature map as pictures, one folder per input file.
public enum FeaturePictures {
    /// One folder name per input, in order: the file name without its extension, and `name-2`, `name-3`, …
    /// for later inputs whose name is already taken (`a/dog.wav` and `b/dog.wav`), so no input's pictures
    /// overwrite another's.
    public static func folderNames(for paths: [String]) -> [String] {
        var used = Set<String>()
        return paths.map { path in
            let stem = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
            let base = stem.isEmpty ? "input" : stem
            var name = base, n = 1
            while used.contains(name) { n += 1; name = "\(base)-\(n)" }
            used.insert(name)
            return name
        }
    }

    /// Writes `DIR/<folder>/input_spectrogram.png` and `<map name>.png` for each feature map (magma, each
    /// map scaled to its own range, enlarged so the smallest is still legible, with its name and shape
    /// written above). Returns picture name → path.
    public static func write(_ capture: FeatureCapture, folder name: String, into directory: String) throws -> [String: String] {
        let folder = (directory as NSString).appendingPathComponent(name)
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw AudioSpecNetError.file(path: folder, reason: "cannot create directory (\(error.localizedDescription))")
        }
        var written: [String: String] = [:]
        let s = capture.spectrogram
        let spec = Heatmap.spectrogram(s.values, nMels: s.height, frames: s.width)
        let specPath = folder + "/input_spectrogram.png"
        try titled(spec, "input spectrogram \(s.height)x\(s.width) (dB)").writePNG(to: specPath)
        written["input_spectrogram"] = specPath
        for m in capture.maps {
            let lo = m.values.min() ?? 0, hi = m.values.max() ?? 0
            let scale = max(1, min(16, 432 / max(m.width, m.height)))
            let picture = Heatmap(cellWidth: scale, cellHeight: scale, lowRowsAtBottom: true).render(m.values, rows: m.height, cols: m.width, min: lo, max: hi)
            let p = folder + "/\(m.name).png"
            try titled(picture, "\(m.name) \(m.height)x\(m.width)").writePNG(to: p)
            written[m.name] = p
        }
        return written
    }

    /// `image` under a white strip carrying `title`.
    static func titled(_ image: RGBImage, _ title: String) -> RGBImage {
        let text = BitmapFont.size(of: title, scale: 2)
        var out = RGBImage(width: max(image.width, text.width + 8), height: image.height + text.height + 8)
        out.drawText(title, x: 4, y: 4, scale: 2, color: .black)
        out.draw(image, x: 0, y: text.height + 8)
        return out
    }
}
