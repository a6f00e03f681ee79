import Foundation
import XCTest

/// A minimal protobuf reader, independent of the writer, for checking what `export --format onnx` and the
/// TensorBoard event files hold: fields as (number, wire type, value), then the few ONNX messages the tests
/// look at.
struct ProtoMessage {
    struct Field {
        let number: Int
        let varint: UInt64
        let bytes: ArraySlice<UInt8>
        let fixed32: UInt32
        var fixed64: UInt64 = 0
    }

    let fields: [Field]

    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    init(_ bytes: ArraySlice<UInt8>) throws {
        var fields: [Field] = []
        var i = bytes.startIndex
        func varint() throws -> UInt64 {
            var value: UInt64 = 0, shift: UInt64 = 0
            while true {
                guard i < bytes.endIndex, shift < 64 else { throw Malformed(description: "truncated varint at \(i)") }
                let b = bytes[i]
                i += 1
                value |= UInt64(b & 0x7F) << shift
                if b < 0x80 { return value }
                shift += 7
            }
        }
        while i < bytes.endIndex {
            let key = try varint()
            let number = Int(key >> 3)
            switch key & 7 {
            case 0: fields.append(Field(number: number, varint: try varint(), bytes: [], fixed32: 0))
            case 2:
                let n = Int(try varint())
                guard n <= bytes.endIndex - i else { throw Malformed(description: "field \(number) runs past the end") }
                fields.append(Field(number: number, varint: 0, bytes: bytes[i..<(i + n)], fixed32: 0))
                i += n
            case 5:
                guard i + 4 <= bytes.endIndex else { throw Malformed(description: "truncated fixed32") }
                let v = (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[i + $1]) << (8 * $1) }
                fields.append(Field(number: number, varint: 0, bytes: [], fixed32: v))
                i += 4
            case 1:
                guard i + 8 <= bytes.endIndex else { throw Malformed(description: "truncated fixed64") }
                let v = (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[i + $1]) << (8 * $1) }
                fields.append(Field(number: number, varint: 0, bytes: [], fixed32: 0, fixed64: v))
                i += 8
            default: throw Malformed(description: "unexpected wire type \(key & 7) for field \(number)")
            }
        }
        self.fields = fields
    }

    func all(_ number: Int) -> [Field] { fields.filter { $0.number == number } }
    func int(_ number: Int) -> Int? { all(number).last.map { Int(Int64(bitPattern: $0.varint)) } }
    func ints(_ number: Int) -> [Int] { all(number).map { Int(Int64(bitPattern: $0.varint)) } }
    func string(_ number: Int) -> String? { all(number).last.map { String(decoding: $0.bytes, as: UTF8.self) } }
    func strings(_ number: Int) -> [String] { all(number).map { String(decoding: $0.bytes, as: UTF8.self) } }
    func messages(_ number: Int) throws -> [ProtoMessage] { try all(number).map { try ProtoMessage($0.bytes) } }
    func message(_ number: Int) throws -> ProtoMessage? { try messages(number).last }
}

/// The parts of an ONNX ModelProto the tests check, decoded with the field numbers of onnx.proto.
struct DecodedONNX {
    struct Node { let opType: String, name: String, inputs: [String], outputs: [String], attributes: [String: ProtoMessage] }
    struct Tensor { let name: String, dims: [Int], dataType: Int, values: [Float] }
    /// A dimension: its value, or its symbolic name.
    enum Dim: Equatable { case value(Int), param(String) }

    let irVersion: Int
    let opset: Int
    let producer: String
    let nodes: [Node]
    let initializers: [String: Tensor]
    let initializerOrder: [String]
    let inputs: [(name: String, elemType: Int, dims: [Dim])]
    let outputs: [(name: String, elemType: Int, dims: [Dim])]
    let metadata: [String: String]

    init(bytes: [UInt8]) throws {
        let model = try ProtoMessage(bytes[...])
        irVersion = model.int(1) ?? -1
        producer = model.string(2) ?? ""
        opset = try model.message(8)?.int(2) ?? -1
        var metadata: [String: String] = [:]
        for entry in try model.messages(14) { metadata[entry.string(1) ?? ""] = entry.string(2) ?? "" }
        self.metadata = metadata
        guard let graph = try model.message(7) else { throw ProtoMessage.Malformed(description: "no graph") }
        nodes = try graph.messages(1).map { n in
            var attributes: [String: ProtoMessage] = [:]
            for a in try n.messages(5) { attributes[a.string(1) ?? ""] = a }
            return Node(opType: n.string(4) ?? "", name: n.string(3) ?? "", inputs: n.strings(1), outputs: n.strings(2), attributes: attributes)
        }
        var initializers: [String: Tensor] = [:]
        var order: [String] = []
        for t in try graph.messages(5) {
            let raw = Array(t.all(9).last?.bytes ?? [])
            let values = stride(from: 0, to: raw.count - 3, by: 4).map { i in
                Float(bitPattern: UInt32(raw[i]) | UInt32(raw[i + 1]) << 8 | UInt32(raw[i + 2]) << 16 | UInt32(raw[i + 3]) << 24)
            }
            let name = t.string(8) ?? ""
            initializers[name] = Tensor(name: name, dims: t.ints(1), dataType: t.int(2) ?? 0, values: values)
            order.append(name)
        }
        self.initializers = initializers
        initializerOrder = order
        func valueInfo(_ m: ProtoMessage) throws -> (name: String, elemType: Int, dims: [Dim]) {
            let tensorType = try m.message(2)?.message(1)
            let dims = try tensorType?.message(2)?.messages(1).map { d -> Dim in
                if let v = d.int(1) { return .value(v) }
                return .param(d.string(2) ?? "")
            } ?? []
            return (m.string(1) ?? "", tensorType?.int(1) ?? 0, dims)
        }
        inputs = try graph.messages(11).map(valueInfo)
        outputs = try graph.messages(12).map(valueInfo)
    }

    /// An INTS attribute's values, or an INT / FLOAT one's.
    static func ints(_ a: ProtoMessage?) -> [Int] { a?.ints(8) ?? [] }
    static func int(_ a: ProtoMessage?) -> Int? { a?.int(3) }
    static func float(_ a: ProtoMessage?) -> Float? { a?.all(2).last.map { Float(bitPattern: $0.fixed32) } }
}
