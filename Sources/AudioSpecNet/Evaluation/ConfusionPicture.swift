import Foundation

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
