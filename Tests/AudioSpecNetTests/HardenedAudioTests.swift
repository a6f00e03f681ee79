import AudioSpecNet
import Foundation
import XCTest
import _TestSupport

/// Issue 13's crash classes for audio, each from a small generated file, and decoding from memory.
final class HardenedAudioTests: XCTestCase {
    private var dir = ""
    override func setUp() { dir = Fixtures.scratchDirectory("hardened-audio") }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    private func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let path = dir + "/" + name
        try AtomicFile.write(bytes, to: path)
        return path
    }

    /// A header saying 1 Hz once made `infer` grow to gigabytes and segfault.
    func testSampleRateBelowTheMinimumIsRefused() throws {
        for rate in [1, 10, 999] {
            let path = try write(WAV.pcm16(samples: [Int16](repeating: 100, count: 50), sampleRate: rate), "rate\(rate).wav")
            XCTAssertThrowsError(try AudioDecoder.decode(path: path)) {
                XCTAssertEqual("\($0)", "\(path): has a sample rate of \(rate) Hz; AudioSpecNet reads 1000…768000 Hz")
            }
            XCTAssertThrowsError(try AudioStream(path: path))
        }
        XCTAssertNoThrow(try AudioDecoder.decode(path: try write(WAV.pcm16(samples: [1, 2, 3], sampleRate: 1000), "rate1000.wav")))
    }

    /// A FLAC whose STREAMINFO claims 2^36 − 1 frames once made `spectrogram` allocate hundreds of GB.
    func testFlacHeaderClaimingTrillionsOfFramesIsRefusedWithoutAllocating() throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: InferTestSupport.clip(0))))
        XCTAssertEqual(Array(bytes[0..<4]), Array("fLaC".utf8))
        XCTAssertEqual(bytes[4] & 0x7F, 0, "first metadata block is STREAMINFO")
        // STREAMINFO starts at 8; its total-samples field is the low 36 bits of the big-endian 64 bits at 18.
        bytes[21] |= 0x0F
        for i in 22..<26 { bytes[i] = 0xFF }
        let path = try write(bytes, "claims-2^36.flac")
        XCTAssertThrowsError(try AudioDecoder.decode(path: path)) {
            XCTAssertTrue("\($0)".contains("the header says 68719476735"), "\($0)")
        }
        let result = try CLI.run(["spectrogram", path, "--full", "--out", dir + "/out.npy"], timeout: 60)
        XCTAssertEqual(result.status, 2, result.description)  // nothing could run: the one input is bad
        XCTAssertEqual(result.stderrLines.count, 1, result.description)
        XCTAssertTrue(result.stderr.contains(path), result.description)
    }

    /// Whole-file decoding stops at the documented length, whatever the header says.
    func testLongestAudioDecodedWhole() throws {
        let path = try write(WAV.pcm16(samples: [Int16](repeating: 100, count: 2_500), sampleRate: 1_000), "2.5s.wav")
        XCTAssertEqual(try AudioDecoder.decode(path: path, maxSeconds: 3).samples.count, 2_500)
        XCTAssertThrowsError(try AudioDecoder.decode(path: path, maxSeconds: 2)) {
            XCTAssertTrue("\($0)".hasPrefix("\(path): is longer than the 2000 frames (2 s at 1000 Hz)"), "\($0)")
        }
        XCTAssertEqual(AudioDecoder.maxSeconds, 600)
    }

    /// Finite but huge samples (3.4e38) once gave an all-NaN spectrogram and 25 % on every class, exit 0.
    func testHugeFiniteSamplesAreAnError() throws {
        var samples = [Float](repeating: 0.1, count: 4_000)
        samples[1_234] = 3.4e38
        let path = try write(WAV.float32(samples: samples, sampleRate: 22_050), "huge.wav")
        XCTAssertThrowsError(try FrontEnd().logMel(path: path)) {
            XCTAssertTrue("\($0)".hasPrefix(path) && "\($0)".contains("frame 1234"), "\($0)")
        }
        let result = try CLI.run(["spectrogram", path, "--out", dir + "/out.npy"], timeout: 60)
        XCTAssertEqual(result.status, 2, result.description)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/out.npy"))
        // Loud but plausible float audio (±8, 18 dB over full scale) still decodes.
        samples[1_234] = 8
        XCTAssertNoThrow(try FrontEnd().logMel(path: try write(WAV.float32(samples: samples, sampleRate: 22_050), "loud.wav")))
    }

    /// One bad file in a directory is an error row; the rest are classified, exit status 1.
    func testOneBadFileNeverTakesDownAnInferBatch() throws {
        let model = dir + "/model.safetensors"
        try InferTestSupport.writeModel(config: AudioCNNConfig(width: 4, blocks: [1, 1], numClasses: 3), classes: ["a", "b", "c"], to: model)
        let inputs = dir + "/inputs"
        try FileManager.default.createDirectory(atPath: inputs, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: InferTestSupport.clip(0), toPath: inputs + "/good.flac")
        try AtomicFile.write(WAV.pcm16(samples: [Int16](repeating: 100, count: 50), sampleRate: 1), to: inputs + "/one-hertz.wav")
        var huge = [Float](repeating: 0.1, count: 500)
        huge[7] = 3.4e38
        try AtomicFile.write(WAV.float32(samples: huge, sampleRate: 22_050), to: inputs + "/huge.wav")
        let result = try CLI.run(["infer", "--model", model, "--json", inputs], timeout: 120)
        XCTAssertEqual(result.status, 1, result.description)
        let rows = InferTestSupport.jsonLines(result.stdout)
        XCTAssertEqual(rows.count, 3, result.description)
        for row in rows {
            let file = row["file"] as? String ?? ""
            if file.hasSuffix("good.flac") { XCTAssertNotNil(row["predictions"], "\(row)") } else { XCTAssertNotNil(row["error"], "\(row)") }
        }
    }

    /// libsndfile's virtual I/O gives exactly what the file path gives, for every format the fixtures have.
    func testDecodingFromMemoryEqualsDecodingTheFile() throws {
        let frontEnd = try FrontEnd()
        for path in [InferTestSupport.clip(0), InferTestSupport.clip44k] {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            let fromFile = try AudioDecoder.decode(path: path), fromMemory = try AudioDecoder.decode(bytes: bytes, name: "upload")
            XCTAssertEqual(fromMemory, fromFile)
            XCTAssertEqual(try frontEnd.logMel(bytes: bytes), try frontEnd.logMel(path: path))
        }
        let wav = WAV.pcm16(samples: (0..<3_000).map { Int16($0 % 200) }, sampleRate: 16_000)
        XCTAssertEqual(try AudioDecoder.decode(bytes: wav).samples, try AudioDecoder.decode(path: try write(wav, "x.wav")).samples)
        XCTAssertThrowsError(try AudioDecoder.decode(bytes: [], name: "upload")) { XCTAssertEqual("\($0)", "upload: is empty (0 bytes)") }
        XCTAssertThrowsError(try AudioDecoder.decode(bytes: Array("not audio at all".utf8), name: "upload")) {
            XCTAssertTrue("\($0)".hasPrefix("upload: not a readable audio file"), "\($0)")
        }
        XCTAssertThrowsError(try AudioDecoder.decode(bytes: Array(wav.prefix(30)), name: "upload"))
    }
}
