/// The protobuf wire format, as far as ONNX models and TensorBoard event files need it: varints, 32-bit
/// floats, 64-bit doubles, length-delimited strings, bytes and nested messages
/// (https://protobuf.dev/programming-guides/encoding/). Fields are appended in call order; repeated scalars
/// are written unpacked, as proto2 (ONNX's syntax) does by default. Nothing is left out for being zero:
/// proto3 writers (TensorBoard's) skip default values, so their callers skip those calls.
public struct ProtobufWriter {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    enum WireType: UInt64 { case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5 }

    private mutating func appendVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    private mutating func tag(_ field: Int, _ type: WireType) {
        appendVarint(UInt64(field) << 3 | type.rawValue)
    }

    /// int32, int64 and enum fields: negative values take ten bytes (two's complement), as protobuf says.
    public mutating func int(_ field: Int, _ value: Int) {
        tag(field, .varint)
        appendVarint(UInt64(bitPattern: Int64(value)))
    }

    public mutating func float(_ field: Int, _ value: Float) {
        tag(field, .fixed32)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func double(_ field: Int, _ value: Double) {
        tag(field, .fixed64)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func bytes(_ field: Int, _ value: [UInt8]) {
        tag(field, .lengthDelimited)
        appendVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    public mutating func string(_ field: Int, _ value: String) { bytes(field, Array(value.utf8)) }

    /// A float32 array as little-endian bytes (ONNX's `raw_data`), without an intermediate array.
    public mutating func floatBytes(_ field: Int, _ values: UnsafeBufferPointer<Float>) {
        tag(field, .lengthDelimited)
        appendVarint(UInt64(values.count * 4))
        bytes.reserveCapacity(bytes.count + values.count * 4)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
    }

    /// A nested message, built by `body` and written length-delimited.
    public mutating func message(_ field: Int, _ body: (inout ProtobufWriter) -> Void) {
        var inner = ProtobufWriter()
        body(&inner)
        bytes(field, inner.bytes)
    }
}
