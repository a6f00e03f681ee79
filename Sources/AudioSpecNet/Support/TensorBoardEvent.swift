/// One record of a TensorBoard event file: the parts of TensorBoard's `Event` message that this tool
/// writes, with the field numbers of `tensorboard/compat/proto/event.proto`, `summary.proto` and
/// `tensor.proto`. Encoded with `ProtobufWriter` in field-number order and without proto3's default
/// values (a step of 0), as Python's protobuf does, so a scalar event is byte for byte what
/// tensorboardX's `add_scalar` writes.
public struct TensorBoardEvent: Sendable {
    public enum Content: Sendable {
        /// The first event of a file: "brain.Event:2" (`file_version`, field 3).
        case fileVersion(String)
        /// Summary values (`summary`, field 5).
        case summary([SummaryValue])
        /// `session_log` (field 7) with status START: TensorBoard then drops the events at this step and
        /// after that it read before (the steps a crashed run wrote past its resume point).
        case sessionStart
    }

    /// `Summary.Value`: a tag and one value.
    public struct SummaryValue: Sendable {
        public enum Kind: Sendable {
            /// `simple_value` (field 2): what the scalars dashboard shows.
            case scalar(Float)
            /// `image` (field 4): encoded image bytes (PNG) with their size; colorspace 1 grey, 2 grey +
            /// alpha, 3 RGB, 4 RGBA.
            case image(encoded: [UInt8], height: Int, width: Int, colorspace: Int)
            /// A scalar string tensor (field 8) for the text plugin (metadata, field 9), rendered as markdown.
            case text(String)
        }

        public var tag: String
        public var kind: Kind

        public init(tag: String, _ kind: Kind) {
            self.tag = tag
            self.kind = kind
        }
    }

    /// Seconds since 1970.
    public var wallTime: Double
    public var step: Int
    public var content: Content

    public init(wallTime: Double, step: Int, _ content: Content) {
        self.wallTime = wallTime
        self.step = step
        self.content = content
    }

    public static let fileVersion = "brain.Event:2"

    /// The serialized `Event` message.
    public func serialized() -> [UInt8] {
        var w = ProtobufWriter()
        if wallTime != 0 { w.double(1, wallTime) }
        if step != 0 { w.int(2, step) }
        switch content {
        case .fileVersion(let version): w.string(3, version)
        case .summary(let values): w.message(5) { s in for v in values { s.message(1) { v.encode(into: &$0) } } }
        case .sessionStart: w.message(7) { $0.int(1, 1) }
        }
        return w.bytes
    }
}

extension TensorBoardEvent.SummaryValue {
    /// DataType DT_STRING of `types.proto`.
    private static let stringType = 7

    fileprivate func encode(into w: inout ProtobufWriter) {
        w.string(1, tag)
        switch kind {
        case .scalar(let value):
            w.float(2, value)  // in a oneof: written even when 0
        case .image(let encoded, let height, let width, let colorspace):
            w.message(4) { image in
                image.int(1, height)
                image.int(2, width)
                image.int(3, colorspace)
                image.bytes(4, encoded)
            }
        case .text(let text):
            w.message(8) { tensor in
                tensor.int(1, Self.stringType)
                tensor.message(2) { _ in }  // a shape with no dimensions: a scalar
                tensor.string(8, text)
            }
            // plugin_data { plugin_name: "text" }; TextPluginData's version 0 serializes to nothing
            w.message(9) { metadata in metadata.message(1) { $0.string(1, "text") } }
        }
    }
}
