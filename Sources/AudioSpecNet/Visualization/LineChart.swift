import Foundation

/// Line charts on an `RGBImage`: panels with a frame, horizontal gridlines, and one polyline per series.
/// `learningCurves` draws the training picture: loss (left) and accuracy (right) against epoch, training
/// in blue and validation in orange, with legend swatches in each panel's top-right corner.
public enum LineChart {
    public struct Series {
        public var values: [Double]
        public var color: RGB
        public init(values: [Double], color: RGB) { self.values = values; self.color = color }
    }

    public static let trainColor = RGB(31, 119, 180)
    public static let valColor = RGB(255, 127, 14)
    static let grid = RGB(225, 225, 225), axis = RGB(60, 60, 60)

    /// Draws `series` (x = index + 1) in the rectangle, y over `yRange` (fitted to the data when nil).
    public static func drawPanel(_ image: inout RGBImage, x: Int, y: Int, width: Int, height: Int, series: [Series],
                                 yRange: ClosedRange<Double>? = nil, gridLines: Int = 5) {
        let finite = series.flatMap(\.values).filter(\.isFinite)
        var lo = yRange?.lowerBound ?? (finite.min() ?? 0), hi = yRange?.upperBound ?? (finite.max() ?? 1)
        if yRange == nil { lo = min(lo, 0); hi = hi + 0.05 * max(hi - lo, 1e-9) }
        if hi <= lo { hi = lo + 1 }
        for g in 0...gridLines {
            let gy = y + height - 1 - (height - 1) * g / gridLines
            image.drawLine(x0: x, y0: gy, x1: x + width - 1, y1: gy, grid)
        }
        let points = max(2, series.map(\.values.count).max() ?? 2)
        func px(_ i: Int) -> Int { x + (width - 1) * i / max(1, points - 1) }
        func py(_ v: Double) -> Int { y + height - 1 - Int(((min(max(v, lo), hi) - lo) / (hi - lo)) * Double(height - 1)) }
        for s in series {
            var previous: (Int, Int)? = nil
            for (i, v) in s.values.enumerated() {
                guard v.isFinite else { previous = nil; continue }
                let p = (px(i), py(v))
                if let q = previous { image.drawLine(x0: q.0, y0: q.1, x1: p.0, y1: p.1, s.color, thickness: 2) }
                else { image.fillRect(x: p.0 - 1, y: p.1 - 1, width: 3, height: 3, s.color) }
                previous = p
            }
        }
        // frame
        image.drawLine(x0: x, y0: y, x1: x, y1: y + height - 1, axis)
        image.drawLine(x0: x, y0: y + height - 1, x1: x + width - 1, y1: y + height - 1, axis)
        image.drawLine(x0: x + width - 1, y0: y, x1: x + width - 1, y1: y + height - 1, axis)
        image.drawLine(x0: x, y0: y, x1: x + width - 1, y1: y, axis)
        // legend swatches (train, val)
        for (k, s) in series.enumerated() {
            image.fillRect(x: x + width - 40, y: y + 10 + 14 * k, width: 28, height: 6, s.color)
        }
    }

    /// The two-panel learning-curve picture of a run.
    public static func learningCurves(_ history: [EpochMetrics], width: Int = 960, height: Int = 400) -> RGBImage {
        var image = RGBImage(width: width, height: height)
        let margin = 40, gap = 60
        let panelWidth = (width - 2 * margin - gap) / 2, panelHeight = height - 2 * margin
        drawPanel(&image, x: margin, y: margin, width: panelWidth, height: panelHeight, series: [
            Series(values: history.map(\.trainLoss), color: trainColor), Series(values: history.map(\.valLoss), color: valColor),
        ])
        drawPanel(&image, x: margin + panelWidth + gap, y: margin, width: panelWidth, height: panelHeight, series: [
            Series(values: history.map(\.trainAccuracy), color: trainColor), Series(values: history.map(\.valAccuracy), color: valColor),
        ], yRange: 0...1, gridLines: 10)
        return image
    }
}
