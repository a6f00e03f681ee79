import Foundation

/// Line charts on an `RGBImage`: titled panels with a frame, labelled horizontal gridlines, epoch ticks,
/// one polyline per series, and a legend. `learningCurves` draws the training picture: loss (left) and
/// accuracy (right) against epoch, training in blue and validation in orange, the best epoch marked.
public enum LineChart {
    public struct Series {
        public var label: String
        public var values: [Double]
        public var color: RGB
        public init(label: String, values: [Double], color: RGB) { self.label = label; self.values = values; self.color = color }
    }

    public static let trainColor = RGB(31, 119, 180)
    public static let valColor = RGB(255, 127, 14)
    static let grid = RGB(225, 225, 225), axis = RGB(60, 60, 60), text = RGB(40, 40, 40), bestColor = RGB(44, 160, 44)

    /// Draws `series` (x = epoch = index + 1) in the plotting rectangle, y over `yRange` (fitted to the
    /// data when nil); labels go outside the rectangle (title above, values left, epochs below). With
    /// `logScale` the y axis is logarithmic (positive values only; a loss that falls by decades stays
    /// readable late in a run). `marker` draws the best epoch: a thick dashed line labelled "best N".
    public static func drawPanel(_ image: inout RGBImage, x: Int, y: Int, width: Int, height: Int, title: String, series: [Series],
                                 yRange: ClosedRange<Double>? = nil, gridLines: Int = 5, percent: Bool = false, logScale: Bool = false,
                                 marker: Int? = nil) {
        // Positions are computed on t(v): v itself, or log10 v on a log axis.
        func t(_ v: Double) -> Double { logScale ? log10(max(v, 1e-12)) : v }
        let finite = series.flatMap(\.values).filter { $0.isFinite && (!logScale || $0 > 0) }.map(t)
        var lo = yRange.map { t($0.lowerBound) } ?? (finite.min() ?? 0), hi = yRange.map { t($0.upperBound) } ?? (finite.max() ?? 1)
        if yRange == nil {
            if logScale {
                let pad = 0.05 * max(hi - lo, 0.1)
                lo -= pad; hi += pad
            } else {
                lo = min(lo, 0); hi = hi + 0.05 * max(hi - lo, 1e-9)
            }
        }
        if hi <= lo { hi = lo + 1 }
        image.drawText(title, x: x, y: y - 22, scale: 2, color: text)
        for g in 0...gridLines {
            let gy = y + height - 1 - (height - 1) * g / gridLines
            image.drawLine(x0: x, y0: gy, x1: x + width - 1, y1: gy, grid)
            let v = lo + (hi - lo) * Double(g) / Double(gridLines)
            let label = logScale ? String(format: "%.3g", pow(10, v))
                : percent ? String(format: "%.0f%%", 100 * v) : String(format: hi - lo < 0.5 ? "%.2f" : "%.1f", v)
            let size = BitmapFont.size(of: label)
            image.drawText(label, x: x - size.width - 5, y: gy - size.height / 2, color: text)
        }
        let points = max(1, series.map(\.values.count).max() ?? 1)
        func px(_ i: Int) -> Int { points == 1 ? x + width / 2 : x + (width - 1) * i / (points - 1) }
        func py(_ v: Double) -> Int { y + height - 1 - Int(((min(max(t(v), lo), hi) - lo) / (hi - lo)) * Double(height - 1)) }
        // epoch ticks: about 6 labels, at round steps
        let rawStep = max(1, points / 6)
        let magnitude = Int(pow(10, floor(log10(Double(rawStep)))))
        let step = [1, 2, 5, 10].map { $0 * magnitude }.first { $0 >= rawStep } ?? rawStep
        var ticks = Array(stride(from: step, through: points, by: step))
        if ticks.first != 1 { ticks.insert(1, at: 0) }
        for e in ticks {
            let tx = px(e - 1)
            image.drawLine(x0: tx, y0: y + height - 1, x1: tx, y1: y + height + 3, axis)
            let size = BitmapFont.size(of: "\(e)")
            image.drawText("\(e)", x: tx - size.width / 2, y: y + height + 6, color: text)
        }
        let xl = BitmapFont.size(of: "epoch")
        image.drawText("epoch", x: x + width / 2 - xl.width / 2, y: y + height + 18, color: text)
        if let marker, marker >= 1, marker <= points {
            let mx = px(marker - 1)
            var yy = y
            while yy < y + height {
                image.drawLine(x0: mx, y0: yy, x1: mx, y1: min(y + height - 1, yy + 5), bestColor, thickness: 3)
                yy += 9
            }
            let label = "best \(marker)", size = BitmapFont.size(of: label)
            let lx = mx + 6 + size.width < x + width ? mx + 6 : mx - 6 - size.width
            image.fillRect(x: lx - 2, y: y + 4, width: size.width + 4, height: size.height + 4, RGB(255, 255, 255))
            image.drawText(label, x: lx, y: y + 6, color: bestColor)
        }
        for s in series {
            var previous: (Int, Int)? = nil
            for (i, v) in s.values.enumerated() {
                guard v.isFinite else { previous = nil; continue }
                let p = (px(i), py(v))
                if let q = previous { image.drawLine(x0: q.0, y0: q.1, x1: p.0, y1: p.1, s.color, thickness: 2) }
                if points <= 30 || previous == nil { image.fillRect(x: p.0 - 2, y: p.1 - 2, width: 5, height: 5, s.color) }
                previous = p
            }
        }
        image.drawLine(x0: x, y0: y, x1: x, y1: y + height - 1, axis)
        image.drawLine(x0: x, y0: y + height - 1, x1: x + width - 1, y1: y + height - 1, axis)
        image.drawLine(x0: x + width - 1, y0: y, x1: x + width - 1, y1: y + height - 1, axis)
        image.drawLine(x0: x, y0: y, x1: x + width - 1, y1: y, axis)
        // legend on the title row, right-aligned above the panel (never over the data)
        var entries = series.map { ($0.label, $0.color) }
        if marker != nil { entries.append(("best epoch", bestColor)) }
        var lx = x + width
        for e in entries.reversed() {
            let w = BitmapFont.size(of: e.0).width
            lx -= w
            image.drawText(e.0, x: lx, y: y - 14, color: text)
            lx -= 20
            image.fillRect(x: lx, y: y - 11, width: 16, height: 4, e.1)
            lx -= 14
        }
    }

    /// The two-panel learning-curve picture of a run: loss on a log axis, accuracy in percent, the best
    /// epoch marked on both.
    /// `validationLabel` names the selection split ("val", or "test" when selecting on the test fold).
    public static func learningCurves(_ history: [EpochMetrics], validationLabel: String = "val", width: Int = 1000, height: Int = 440) -> RGBImage {
        var image = RGBImage(width: width, height: height)
        let left = 60, top = 44, gap = 80, bottom = 40
        let panelWidth = (width - left - 20 - gap) / 2, panelHeight = height - top - bottom
        let best = history.last(where: \.best)?.epoch
        drawPanel(&image, x: left, y: top, width: panelWidth, height: panelHeight, title: "loss", series: [
            Series(label: "train", values: history.map(\.trainLoss), color: trainColor),
            Series(label: validationLabel, values: history.map { $0.valLoss ?? .nan }, color: valColor),
        ], logScale: true, marker: best)
        drawPanel(&image, x: left + panelWidth + gap, y: top, width: panelWidth, height: panelHeight, title: "accuracy", series: [
            Series(label: "train", values: history.map(\.trainAccuracy), color: trainColor),
            Series(label: validationLabel, values: history.map { $0.valAccuracy ?? .nan }, color: valColor),
        ], yRange: 0...1, gridLines: 10, percent: true, marker: best)
        return image
    }
}
