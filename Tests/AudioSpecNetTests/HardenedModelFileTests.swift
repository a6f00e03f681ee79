import AudioSpecNet
import Foundation
import XCTest
import _TestSupport

/// Issue 13's crash classes for model files, each from a small generated file: once a trap, an
/// out-of-memory death or garbage with exit 0; now one error naming the key.
final class HardenedModelFileTests: XCTestCase {
    private var dir = ""
    override func setUp() { dir = Fixtures.scratchDirectory("hardened-model") }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    static let small = AudioCNNConfig(width: 2, blocks: [1, 1], numClasses: 3)

    /// A safetensors file from a raw JSON header and data bytes.
    static func raw(header: String, data: [UInt8] = []) -> [UInt8] {
        var json = Array(header.utf8)
        while json.count % 8 != 0 { json.append(0x20) }
        return withUnsafeBytes(of: UInt64(json.count).littleEndian) { Array($0) } + json + data
    }

    /// A valid small model file's bytes with the metadata changed by `edit`.
    static func model(_ edit: (inout [String: String]) -> Void = { _ in }, tensors: (AudioCNN) -> Void = { _ in }) throws -> [UInt8] {
        let model = try AudioCNN(config: small, seed: 1)
        tensors(model)
        var writer = ModelFile.writer(model: model, metadata: InferTestSupport.metadata(config: small, classes: ["a", "b", "c"]))
        edit(&writer.metadata)
        return writer.serialized()
    }

    private func expectError(_ bytes: [UInt8], _ fragments: String..., file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try ModelFile.load(bytes: bytes, path: "m.safetensors"), file: file, line: line) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("m.safetensors: "), text, file: file, line: line)
            XCTAssertFalse(text.contains("\n"), "one line: \(text)", file: file, line: line)
            for f in fragments { XCTAssertTrue(text.contains(f), "want '\(f)' in: \(text)", file: file, line: line) }
            print("refused: \(text)")
        }
    }

    func testTheUnchangedFileLoads() throws {
        XCTAssertNoThrow(try ModelFile.load(bytes: try Self.model(), path: "m.safetensors"))
    }

    func testShapeWhoseElementCountOverflows() {
        let bytes = Self.raw(header: #"{"x":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,16]}}"#, data: [UInt8](repeating: 0, count: 16))
        XCTAssertThrowsError(try SafetensorsFile(bytes: bytes, path: "m.safetensors")) { XCTAssertTrue("\($0)".contains("overflows"), "\($0)") }
        let huge = Self.raw(header: #"{"x":{"dtype":"F32","shape":[1e30],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])
        XCTAssertThrowsError(try SafetensorsFile(bytes: huge, path: "m.safetensors")) { XCTAssertTrue("\($0)".contains("bad shape"), "\($0)") }
        let offsets = Self.raw(header: #"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,18446744073709551615]}}"#, data: [0, 0, 0, 0])
        XCTAssertThrowsError(try SafetensorsFile(bytes: offsets, path: "m.safetensors")) { XCTAssertTrue("\($0)".contains("data_offsets"), "\($0)") }
    }

    func testOverlappingTensorsAreRefused() {
        let bytes = Self.raw(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
                             data: [UInt8](repeating: 0, count: 12))
        XCTAssertThrowsError(try SafetensorsFile(bytes: bytes, path: "m.safetensors")) { XCTAssertTrue("\($0)".contains("a and b overlap"), "\($0)") }
        // Zero-length tensors and adjacent ranges are fine.
        let fine = Self.raw(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[0],"data_offsets":[8,8]},"c":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#,
                            data: [UInt8](repeating: 0, count: 12))
        XCTAssertNoThrow(try SafetensorsFile(bytes: fine, path: "m.safetensors"))
    }

    func testAbsurdArchitectureMetadataNamesTheKey() throws {
        for (architecture, key) in [(#"{"width":2,"blocks":[1,1],"num_classes":3,"in_channels":1152921504606846976}"#, "in_channels"),
                                    (#"{"width":2,"blocks":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1],"num_classes":3,"in_channels":1}"#, "blocks"),
                                    (#"{"width":4096,"blocks":[1,1],"num_classes":3,"in_channels":1}"#, "width"),
                                    (#"{"width":512,"blocks":[3,4,6,3],"num_classes":3,"in_channels":1}"#, "parameters")] {
            expectError(try Self.model { $0["architecture"] = architecture }, "metadata \"architecture\"", key)
        }
        // num_classes Int.max without class names: once `(0..<Int.max).map`, which grows without bound.
        expectError(try Self.model {
            $0["architecture"] = #"{"width":2,"blocks":[1,1],"num_classes":9223372036854775807,"in_channels":1}"#
            $0["classes"] = nil
        }, "num_classes")
        expectError(try Self.model { $0["classes"] = #"["a","b"]"# }, "2 class names", "3 outputs")
    }

    func testAbsurdFrontEndMetadataNamesTheKey() throws {
        let base = #"{"sample_rate":22050,"n_fft":1024,"hop_length":512,"n_mels":128,"f_min":0,"f_max":11025,"clip_seconds":5}"#
        let cases = [("\"clip_seconds\":5", "\"clip_seconds\":1e30", "clip_seconds"),
                     ("\"sample_rate\":22050", "\"sample_rate\":4611686018427387904", "sample_rate"),
                     ("\"sample_rate\":22050", "\"sample_rate\":1000000000", "sample_rate"),
                     ("\"n_fft\":1024", "\"n_fft\":1099511627776", "n_fft"),
                     ("\"n_mels\":128", "\"n_mels\":100000", "n_mels")]
        for (from, to, key) in cases {
            let path = dir + "/frontend-\(key).safetensors"
            try AtomicFile.write(try Self.model { $0["frontend"] = base.replacingOccurrences(of: from, with: to) }, to: path)
            XCTAssertThrowsError(try Classifier(modelPath: path)) { error in
                XCTAssertTrue("\(error)".hasPrefix(path), "\(error)")
                XCTAssertTrue("\(error)".contains(key), "want \(key): \(error)")
            }
        }
    }

    func testNegativeRunningVarianceAndNonFiniteTensorsAreRefused() throws {
        expectError(try Self.model(tensors: { $0.arena.pointer("layer1.0.bn1.running_var")[1] = -0.5 }), "layer1.0.bn1.running_var", "negative variance")
        expectError(try Self.model(tensors: { $0.arena.pointer("fc.bias")[0] = .nan }), "fc.bias", "NaN or infinite")
        expectError(try Self.model(tensors: { $0.arena.pointer("conv1.0.weight")[3] = .infinity }), "conv1.0.weight", "NaN or infinite")
    }

    /// A counter stored as F32 NaN once trapped in Int64(_:).
    func testNonFiniteCounterIsRefused() throws {
        let good = try SafetensorsFile(bytes: try Self.model(), path: "m")
        var writer = SafetensorsWriter(metadata: good.metadata)
        for name in good.names {
            if name == "conv1.1.num_batches_tracked" { writer.add(name, shape: [], floats: [Float.nan]) } else { writer.add(name, shape: try good.shape(name), floats: try good.floats(name)) }
        }
        expectError(writer.serialized(), "conv1.1.num_batches_tracked", "count")
    }

    func testPyTorchCheckpointSaysHowToConvert() throws {
        let zip: [UInt8] = [0x50, 0x4B, 0x03, 0x04] + [UInt8](repeating: 0, count: 60)
        let pickle: [UInt8] = [0x80, 0x02, 0x7D, 0x71, 0x00] + [UInt8](repeating: 0, count: 20)
        for bytes in [zip, pickle] { expectError(bytes, "PyTorch checkpoint", "Scripts/convert_checkpoint.py to-safetensors") }
        let path = dir + "/model.pth"
        try AtomicFile.write(zip, to: path)
        let result = try CLI.run(["infer", "--model", path, InferTestSupport.clip(0)], timeout: 60)
        XCTAssertEqual(result.status, 2, result.description)
        XCTAssertEqual(result.stderrLines.count, 1, result.description)
        XCTAssertTrue(result.stderr.contains("PyTorch checkpoint") && result.stderr.contains("convert_checkpoint.py"), result.description)
    }

    /// Through the CLI: the overflowing shape as a model file is exit 2 with one line, not a trap.
    func testOverflowingModelFileThroughTheCommandLine() throws {
        let path = dir + "/overflow.safetensors"
        try AtomicFile.write(Self.raw(header: #"{"conv1.0.weight":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,16]}}"#,
                                      data: [UInt8](repeating: 0, count: 16)), to: path)
        let result = try CLI.run(["infer", "--model", path, InferTestSupport.clip(0)], timeout: 60)
        XCTAssertEqual(result.status, 2, result.description)
        XCTAssertEqual(result.stderrLines.count, 1, result.description)
        XCTAssertTrue(result.stderr.contains(path) && result.stderr.contains("overflows"), result.description)
    }
}
