import AudioSpecNet
import Foundation
import XCTest
import _TestSupport

/// Helpers shared by the infer and eval tests: audio files written at run time, model files, and the CLI
/// run with a standard input.
enum InferTestSupport {
    static let clipsDirectory = Fixtures.path("clips-infer")
    /// ESC-50 clips at 16 kHz (5 s each) and their classes.
    static let clips: [(file: String, label: String)] = [
        ("1-110389-A-0.flac", "dog"), ("1-34119-A-1.flac", "rooster"),
        ("4-188033-A-38.flac", "clock_tick"), ("3-62878-B-42.flac", "siren"),
    ]
    /// The original 44.1 kHz ESC-50 clip and its class.
    static let clip44k = Fixtures.path("clips-infer/4-156843-A-21-44k.flac")
    static let clip44kLabel = "sneezing"
    static func clip(_ i: Int) -> String { clipsDirectory + "/" + clips[i].file }
    /// A PyTorch-written w8 model (50 ESC-50 classes, recipe front end).
    static let pytorchModel = Fixtures.path("model/pytorch_model_w8.safetensors")

    /// Writes interleaved `frames` × `channels` samples as a 16-bit PCM WAV.
    static func writeWAV(_ interleaved: [Float], channels: Int, sampleRate: Int, to path: String) throws {
        var data = Data()
        func u32(_ v: Int) { var x = UInt32(v).littleEndian; data.append(Data(bytes: &x, count: 4)) }
        func u16(_ v: Int) { var x = UInt16(v).littleEndian; data.append(Data(bytes: &x, count: 2)) }
        let bytes = interleaved.count * 2
        data.append(contentsOf: Array("RIFF".utf8)); u32(36 + bytes); data.append(contentsOf: Array("WAVE".utf8))
        data.append(contentsOf: Array("fmt ".utf8)); u32(16); u16(1); u16(channels); u32(sampleRate)
        u32(sampleRate * channels * 2); u16(channels * 2); u16(16)
        data.append(contentsOf: Array("data".utf8)); u32(bytes)
        var pcm = [Int16](repeating: 0, count: interleaved.count)
        for i in interleaved.indices { pcm[i] = Int16(max(-32768, min(32767, (interleaved[i] * 32768).rounded()))) }
        pcm.withUnsafeBytes { data.append(contentsOf: $0) }
        try data.write(to: URL(fileURLWithPath: path))
    }

    /// Mono samples of a fixture clip at its own rate.
    static func samples(_ path: String) throws -> (samples: [Float], rate: Int) {
        let audio = try AudioDecoder.decode(path: path)
        return (audio.samples, audio.sampleRate)
    }

    /// A model file of `config` with fresh weights and the given class names (recipe front end).
    static func writeModel(config: AudioCNNConfig, classes: [String], to path: String, seed: UInt64 = 1, extra: [String: String] = [:]) throws {
        let model = try AudioCNN(config: config, seed: seed)
        try ModelFile.save(model: model, metadata: metadata(config: config, classes: classes, extra: extra), to: path)
    }

    static func metadata(config: AudioCNNConfig, classes: [String], extra: [String: String] = [:]) -> ModelMetadata {
        let frontend = String(decoding: try! JSONEncoder().encode(FrontEndConfig.recipe), as: UTF8.self)
        return ModelMetadata(architecture: config, classes: classes, frontend: frontend, extra: extra)
    }

    /// Runs the CLI with `stdin` as its standard input.
    static func run(_ arguments: [String], stdin: String) throws -> CLI.Result {
        try CLI.run(arguments, stdin: Data(stdin.utf8))
    }

    /// The JSON objects of JSON-lines output.
    static func jsonLines(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> [[String: Any]] {
        text.split(separator: "\n").compactMap { l in
            let object = try? JSONSerialization.jsonObject(with: Data(l.utf8)) as? [String: Any]
            XCTAssertNotNil(object, "not a JSON object: \(l.prefix(200))", file: file, line: line)
            return object
        }
    }
}
