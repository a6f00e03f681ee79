import CPNG

/// PNG encoding through libpng's simplified API (no setjmp/longjmp crossing Swift frames).
public enum PNGWriter {
    /// The PNG bytes of `image` (8-bit RGB).
    public static func encode(_ image: RGBImage) throws -> [UInt8] {
        var png = png_image()
        png.version = UInt32(PNG_IMAGE_VERSION)
        png.width = UInt32(image.width)
        png.height = UInt32(image.height)
        png.format = UInt32(PNG_FORMAT_RGB)
        let stride = Int32(3 * image.width)
        return try image.pixels.withUnsafeBufferPointer { pixels -> [UInt8] in
            var size = 0
            // First call sizes the output, second writes it.
            guard png_image_write_to_memory(&png, nil, &size, 0, pixels.baseAddress, stride, nil) != 0, size > 0 else {
                throw AudioSpecNetError.invalidArgument("PNG encoding failed: \(message(&png))")
            }
            var out = [UInt8](repeating: 0, count: size)
            let ok = out.withUnsafeMutableBytes { raw in
                png_image_write_to_memory(&png, raw.baseAddress, &size, 0, pixels.baseAddress, stride, nil)
            }
            png_image_free(&png)
            guard ok != 0 else { throw AudioSpecNetError.invalidArgument("PNG encoding failed: \(message(&png))") }
            return Array(out.prefix(size))
        }
    }

    /// Writes `image` to `path` atomically (a reader never sees half a file).
    public static func write(_ image: RGBImage, to path: String) throws {
        try AtomicFile.write(try encode(image), to: path)
    }

    private static func message(_ png: inout png_image) -> String {
        withUnsafeBytes(of: &png.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}

extension RGBImage {
    /// PNG bytes of this image.
    public func pngData() throws -> [UInt8] { try PNGWriter.encode(self) }
    /// Writes this image as a PNG file.
    public func writePNG(to path: String) throws { try PNGWriter.write(self, to: path) }
}
