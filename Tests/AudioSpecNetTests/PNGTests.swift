import AudioSpecNet
import CPNG
import Foundation
import XCTest
import _TestSupport

final class PNGTests: XCTestCase {
    /// Encode, then decode with libpng's reader: the same pixels come back.
    func testPNGRoundTripsThroughLibpng() throws {
        var image = RGBImage(width: 7, height: 5, background: .black)
        image.fillRect(x: 2, y: 1, width: 3, height: 2, RGB(200, 10, 30))
        image.setPixel(x: 6, y: 4, .white)
        image.setPixel(x: 60, y: 40, .white)  // clipped, not a crash
        let bytes = try image.pngData()
        var png = png_image()
        png.version = UInt32(PNG_IMAGE_VERSION)
        var pixels = [UInt8](repeating: 0, count: 7 * 5 * 3)
        // libpng keeps the pointer given to begin_read until finish_read: both inside one closure, or the
        // buffer may be freed in between (AddressSanitizer caught a heap-use-after-free here).
        bytes.withUnsafeBytes { encoded in
            XCTAssertNotEqual(png_image_begin_read_from_memory(&png, encoded.baseAddress, encoded.count), 0)
            XCTAssertEqual(png.width, 7)
            XCTAssertEqual(png.height, 5)
            png.format = UInt32(PNG_FORMAT_RGB)
            XCTAssertNotEqual(pixels.withUnsafeMutableBytes { png_image_finish_read(&png, nil, $0.baseAddress, 21, nil) }, 0)
        }
        XCTAssertEqual(pixels, image.pixels)
        XCTAssertEqual(image[3, 2], RGB(200, 10, 30))
        XCTAssertEqual(image[6, 4], .white)
    }

    func testMagmaIsDarkToLightAndMonotoneInLightness() {
        let table = ColorMap.magma.table
        XCTAssertEqual(table.count, 256)
        func luma(_ c: RGB) -> Double { 0.2126 * Double(c.r) + 0.7152 * Double(c.g) + 0.0722 * Double(c.b) }
        XCTAssertLessThan(luma(table[0]), 5)
        XCTAssertGreaterThan(luma(table[255]), 200)
        for i in 1..<256 { XCTAssertGreaterThanOrEqual(luma(table[i]) + 1.5, luma(table[i - 1]), "entry \(i)") }
        XCTAssertEqual(ColorMap.magma.color(-3), table[0])
        XCTAssertEqual(ColorMap.magma.color(.nan), table[0])
        XCTAssertEqual(ColorMap.magma.color(9), table[255])
    }

    func testHeatmapPutsLowRowsAtTheBottomAndScales() {
        // 2 rows × 3 cols; row 0 is all min, row 1 all max.
        let image = Heatmap(cellWidth: 4, cellHeight: 2, lowRowsAtBottom: true).render([0, 0, 0, 1, 1, 1], rows: 2, cols: 3, min: 0, max: 1)
        XCTAssertEqual(image.width, 12)
        XCTAssertEqual(image.height, 4)
        XCTAssertEqual(image[0, 3], ColorMap.magma.color(0), "row 0 at the bottom")
        XCTAssertEqual(image[11, 0], ColorMap.magma.color(1), "row 1 at the top")
        let flat = Heatmap().render([5, 5], rows: 1, cols: 2, min: 5, max: 5)
        XCTAssertEqual(flat[1, 0], ColorMap.magma.color(0))
        let spectrogram = Heatmap.spectrogram([Float](repeating: -100, count: 128 * 216), nMels: 128, frames: 216)
        XCTAssertEqual(spectrogram.width, 648)
        XCTAssertEqual(spectrogram.height, 384)
    }

    /// The learning curves: a loss falling by three decades spreads over the panel (log axis: the last
    /// epochs are not squashed onto the floor), and the best epoch is marked, visibly, on both panels.
    func testLearningCurvesLogLossAxisAndBestMarker() {
        var history: [EpochMetrics] = []
        for e in 1...20 {
            let epoch = Double(e)
            let trainLoss: Double = 3 * pow(10, -epoch / 7), valLoss: Double = 3 * pow(10, -epoch / 8)
            history.append(EpochMetrics(epoch: e, trainLoss: trainLoss, trainAccuracy: epoch / 20, valLoss: valLoss,
                                        valAccuracy: epoch / 25, lr: 1e-3, seconds: 1, samplesPerSecond: 1, best: e <= 15))
        }
        let image = LineChart.learningCurves(history)
        let green = RGB(44, 160, 44), blue = LineChart.trainColor
        var markerColumns = Set<Int>(), blueRows = Set<Int>()
        for x in 0..<image.width {
            for y in 0..<image.height {
                if image[x, y] == green { markerColumns.insert(x) }
                if x < image.width / 2 && image[x, y] == blue { blueRows.insert(y) }
            }
        }
        XCTAssertGreaterThanOrEqual(markerColumns.count, 6, "a thick marker on each panel")
        XCTAssertGreaterThan(blueRows.count, 250, "\(blueRows.count) rows")
        // Epoch 10's train loss (0.11, against 2.1 at epoch 1) sits near the middle of the loss panel on a log
        // axis; a linear one would put it at 5 % of the height. The panel spans rows 44–399, epoch 10 is at
        // column 60 + 419·9/19.
        let column = 60 + 419 * 9 / 19
        let rows = (44..<400).filter { image[column, $0] == blue }
        XCTAssertFalse(rows.isEmpty)
        XCTAssertLessThan(rows.min() ?? 400, 399 - 356 / 4, "epoch 10 at row \(rows.min() ?? -1)")
    }
}
