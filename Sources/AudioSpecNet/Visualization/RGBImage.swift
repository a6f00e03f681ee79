/// An 8-bit sRGB colour.
public struct RGB: Equatable, Hashable, Sendable {
    public var r: UInt8, g: UInt8, b: UInt8
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { self.r = r; self.g = g; self.b = b }
    public static let black = RGB(0, 0, 0), white = RGB(255, 255, 255)
}

/// A picture in memory: `height` rows of `width` RGB pixels, row 0 at the top (PNG order). Drawing
/// outside the image is clipped, so callers can draw without bounds arithmetic.
public struct RGBImage: Equatable, Sendable {
    public let width: Int, height: Int
    /// Row-major RGB bytes, 3 · width · height.
    public private(set) var pixels: [UInt8]

    public init(width: Int, height: Int, background: RGB = .white) {
        precondition(width > 0 && height > 0, "RGBImage: \(width)×\(height)")
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: 3 * width * height)
        fillRect(x: 0, y: 0, width: width, height: height, background)
    }

    /// The pixel at column x, row y (row 0 at the top).
    public subscript(x: Int, y: Int) -> RGB {
        get {
            let i = 3 * (y * width + x)
            return RGB(pixels[i], pixels[i + 1], pixels[i + 2])
        }
        set { setPixel(x: x, y: y, newValue) }
    }

    public mutating func setPixel(x: Int, y: Int, _ color: RGB) {
        guard x >= 0, x < width, y >= 0, y < height else { return }
        let i = 3 * (y * width + x)
        pixels[i] = color.r; pixels[i + 1] = color.g; pixels[i + 2] = color.b
    }

    /// Fills the rectangle with top-left corner (x, y), clipped to the image.
    public mutating func fillRect(x: Int, y: Int, width w: Int, height h: Int, _ color: RGB) {
        let x0 = max(0, x), y0 = max(0, y), x1 = min(width, x + w), y1 = min(height, y + h)
        guard x0 < x1, y0 < y1 else { return }
        let stride = width
        pixels.withUnsafeMutableBufferPointer { p in
            for row in y0..<y1 {
                var i = 3 * (row * stride + x0)
                for _ in x0..<x1 {
                    p[i] = color.r; p[i + 1] = color.g; p[i + 2] = color.b
                    i += 3
                }
            }
        }
    }

    /// A horizontal or vertical line of `thickness` pixels from (x0, y0) to (x1, y1); other directions
    /// are drawn by stepping along the longer axis.
    public mutating func drawLine(x0: Int, y0: Int, x1: Int, y1: Int, _ color: RGB, thickness: Int = 1) {
        let steps = max(abs(x1 - x0), abs(y1 - y0), 1)
        for s in 0...steps {
            let x = x0 + (x1 - x0) * s / steps, y = y0 + (y1 - y0) * s / steps
            fillRect(x: x - thickness / 2, y: y - thickness / 2, width: thickness, height: thickness, color)
        }
    }

    /// Copies `other` with its top-left corner at (x, y), clipped.
    public mutating func draw(_ other: RGBImage, x: Int, y: Int) {
        for row in 0..<other.height {
            for col in 0..<other.width { setPixel(x: x + col, y: y + row, other[col, row]) }
        }
    }
}
