/// An ONNX model as this tool writes it: one graph of float32 tensors, its weights as initializers, string
/// metadata. `serialized()` gives the `ModelProto` bytes; field numbers are those of onnx/onnx.proto
/// (noted beside each use), which have been stable since ONNX 1.0.
public struct ONNXModel {
    public enum Dimension: Equatable, Sendable {
        case fixed(Int)
        /// A named dynamic dimension (`dim_param`), such as the batch.
        case symbolic(String)
    }

    public enum Attribute: Equatable, Sendable {
        case int(String, Int)
        case ints(String, [Int])
        case float(String, Float)
    }

    public struct Node: Equatable, Sendable {
        public var opType: String
        public var name: String
        public var inputs: [String]
        public var outputs: [String]
        public var attributes: [Attribute]
    }

    public struct Initializer: Equatable, Sendable {
        public var name: String
        public var shape: [Int]
        public var values: [Float]
    }

    public struct ValueInfo: Equatable, Sendable {
        public var name: String
        public var dimensions: [Dimension]
    }

    /// IR version 8 with opset 17: read by onnxruntime ≥ 1.13 and every current ONNX tool.
    public var irVersion = 8
    public var opsetVersion = 17
    public var producerName = "audiospecnet"
    public var producerVersion = audioSpecNetVersion
    public var graphName = "graph"
    public var docString = ""
    public var nodes: [Node] = []
    public var initializers: [Initializer] = []
    public var inputs: [ValueInfo] = []
    public var outputs: [ValueInfo] = []
    /// `metadata_props`, in order.
    public var metadata: [(key: String, value: String)] = []

    public init() {}

    /// TensorProto.DataType.FLOAT.
    static let floatType = 1

    public func serialized() -> [UInt8] {
        var model = ProtobufWriter()
        model.int(1, irVersion)                                  // ModelProto.ir_version
        model.string(2, producerName)                            // producer_name
        model.string(3, producerVersion)                         // producer_version
        model.message(8) { opset in                              // opset_import: OperatorSetIdProto
            opset.string(1, "")                                  //   domain: the default ai.onnx
            opset.int(2, opsetVersion)                           //   version
        }
        model.message(7) { graph in                              // graph: GraphProto
            for node in nodes { graph.message(1) { encode(node, into: &$0) } }   // node
            graph.string(2, graphName)                           // name
            for initializer in initializers {                    // initializer: TensorProto
                graph.message(5) { tensor in
                    for d in initializer.shape { tensor.int(1, d) }  // dims
                    tensor.int(2, Self.floatType)                    // data_type
                    tensor.string(8, initializer.name)               // name
                    initializer.values.withUnsafeBufferPointer { tensor.floatBytes(9, $0) }  // raw_data
                }
            }
            if !docString.isEmpty { graph.string(10, docString) } // doc_string
            for input in inputs { graph.message(11) { encode(input, into: &$0) } }     // input
            for output in outputs { graph.message(12) { encode(output, into: &$0) } }  // output
        }
        for (key, value) in metadata {                           // metadata_props: StringStringEntryProto
            model.message(14) { entry in
                entry.string(1, key)
                entry.string(2, value)
            }
        }
        return model.bytes
    }

    private func encode(_ node: Node, into w: inout ProtobufWriter) {
        for input in node.inputs { w.string(1, input) }          // NodeProto.input
        for output in node.outputs { w.string(2, output) }       // output
        w.string(3, node.name)                                   // name
        w.string(4, node.opType)                                 // op_type
        for attribute in node.attributes {                       // attribute: AttributeProto
            w.message(5) { a in
                switch attribute {
                case let .int(name, value):
                    a.string(1, name); a.int(20, 2); a.int(3, value)           // name, type INT, i
                case let .ints(name, values):
                    a.string(1, name); a.int(20, 7); for v in values { a.int(8, v) }  // type INTS, ints
                case let .float(name, value):
                    a.string(1, name); a.int(20, 1); a.float(2, value)         // type FLOAT, f
                }
            }
        }
    }

    private func encode(_ value: ValueInfo, into w: inout ProtobufWriter) {
        w.string(1, value.name)                                  // ValueInfoProto.name
        w.message(2) { type in                                   // type: TypeProto
            type.message(1) { tensor in                          //   tensor_type: TypeProto.Tensor
                tensor.int(1, Self.floatType)                    //     elem_type
                tensor.message(2) { shape in                     //     shape: TensorShapeProto
                    for d in value.dimensions {
                        shape.message(1) { dim in                //       dim: Dimension
                            switch d {
                            case .fixed(let n): dim.int(1, n)    //         dim_value
                            case .symbolic(let s): dim.string(2, s)  //     dim_param
                            }
                        }
                    }
                }
            }
        }
    }
}
