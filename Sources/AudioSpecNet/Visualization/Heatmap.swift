/// Renders a matrix as a picture: each value one `cellWidth` × `cellHeight` block coloured by where it
/// lies between `min` and `max`. Spectrograms, confusion matrices and feature maps all go through here.
public struct Heatmap: Sendable {
    public var colorMap: ColorMap = .magma
    /// Pixels per matrix column and per matrix row.
    public var cellWidth: Int = 1, cellHeight: Int = 1
    /// When true, row 0 is drawn at the bottom (frequency axes); otherwise at the top (matrices).
    public var lowRowsAtBottom: Bool = false

    public init(colorMap: ColorMap = .magma, cellWidth: Int = 1, cellHeight: Int = 1, lowRowsAtBottom: Bool = false) {
        self.colorMap = colorMap
        self.cellWidth = max(1, cellWidth)
        self.cellHeight = max(1, cellHeight)
        self.lowRowsAtBottom = lowRowsAtBottom
    }

    /// The picture of a row-major [rows, cols] matrix; values ≤ min take the first colour, ≥ max the last
    /// (a flat range, min == max, paints everything the first colour). NaN takes the first colour.
    public func render(_ values: [Float], rows: Int, cols: Int, min lo: Float, max hi: Float) -> RGBImage {
        precondition(values.count == rows * cols && rows > 0 && cols > 0, "Heatmap: \(values.count) values for \(rows)×\(cols)")
        var image = RGBImage(width: cols * cellWidth, height: rows * cellHeight)
        let span = hi - lo
        for r in 0..<rows {
            let y = (lowRowsAtBottom ? rows - 1 - r : r) * cellHeight
            for c in 0..<cols {
                let v = values[r * cols + c]
                let t: Float = span > 0 ? (v - lo) / span : 0
                image.fillRect(x: c * cellWidth, y: y, width: cellWidth, height: cellHeight, colorMap.color(t))
            }
        }
        return image
    }

    /// A log-mel spectrogram [nMels, frames] in dB as a picture: low bands at the bottom, each bin
    /// `cellWidth` × `cellHeight` pixels (default 3 × 3), colours spanning `dynamicRange` dB below the
    /// loudest bin.
    public static func spectrogram(_ logMel: [Float], nMels: Int, frames: Int, dynamicRange: Float = 80, scale: Int = 3) -> RGBImage {
        let top = logMel.max() ?? 0
        return Heatmap(cellWidth: scale, cellHeight: scale, lowRowsAtBottom: true)
            .render(logMel, rows: nMels, cols: frames, min: top - dynamicRange, max: top)
    }
}
