import AudioSpecNet
import Foundation
import XCTest
import _TestSupport

/// `audiospecnet infer` end to end on real ESC-50 clips, with the PyTorch-written w8 model.
final class InferCommandTests: XCTestCase {
    typealias S = InferTestSupport
    var scratch = ""

    override func setUp() { scratch = Fixtures.scratchDirectory("infer") }
    override func tearDown() { try? FileManager.default.removeItem(atPath: scratch) }

    private func predictions(_ object: [String: Any]) -> [(String, Double)] {
        ((object["predictions"] as? [[String: Any]]) ?? []).map { ($0["class"] as? String ?? "", $0["confidence"] as? Double ?? -1) }
    }

    /// WAV, FLAC (16 kHz and 44.1 kHz), stereo 48 kHz, a 1-s clip (padded) and a 40-s file (windows), in one run.
    func testFormatsShortAndLongAudio() throws {
        let dog = try S.samples(S.clip(0))
        XCTAssertEqual(dog.rate, 16_000)
        let wav = scratch + "/dog.wav"
        try S.writeWAV(dog.samples, channels: 1, sampleRate: dog.rate, to: wav)
        // Stereo 48 kHz: the dog clip resampled, on two channels at different gains.
        let up = try Resampler.resample(dog.samples, from: 16_000, to: 48_000)
        let stereo = scratch + "/dog-stereo-48k.wav"
        try S.writeWAV(up.flatMap { [0.9 * $0, 0.5 * $0] }, channels: 2, sampleRate: 48_000, to: stereo)
        let short = scratch + "/one-second.wav"
        try S.writeWAV(Array(dog.samples.prefix(16_000)), channels: 1, sampleRate: 16_000, to: short)
        // 40 s: the four 5-s clips, twice.
        var long: [Float] = []
        for _ in 0..<2 { for i in 0..<4 { long += try S.samples(S.clip(i)).samples } }
        XCTAssertEqual(long.count, 640_000)
        let longPath = scratch + "/forty-seconds.wav"
        try S.writeWAV(long, channels: 1, sampleRate: 16_000, to: longPath)

        let r = try CLI.run(["infer", "--model", S.pytorchModel, "--json", "--top", "5", wav, S.clip(0), stereo, short, longPath, S.clip44k])
        XCTAssertEqual(r.status, 0, "\(r)")
        let objects = S.jsonLines(r.stdout)
        XCTAssertEqual(objects.count, 6, r.stdout)
        guard objects.count == 6 else { return }
        for o in objects {
            XCTAssertNil(o["error"], "\(o)")
            let p = predictions(o)
            XCTAssertEqual(p.count, 5)
            XCTAssertEqual(p.map(\.1), p.map(\.1).sorted(by: >), "predictions most likely first")
            XCTAssertTrue(p.allSatisfy { $0.1 > 0 && $0.1 <= 1 })
        }
        XCTAssertEqual(objects.map { $0["file"] as? String }, [wav, S.clip(0), stereo, short, longPath, S.clip44k])
        // The WAV holds the FLAC's samples (16-bit both), so the predictions are the same.
        XCTAssertEqual(predictions(objects[0]).map(\.0), predictions(objects[1]).map(\.0))
        for (a, b) in zip(predictions(objects[0]), predictions(objects[1])) { XCTAssertEqual(a.1, b.1, accuracy: 1e-6) }
        XCTAssertEqual(objects[1]["sample_rate"] as? Int, 16_000)
        XCTAssertEqual(objects[2]["sample_rate"] as? Int, 48_000)
        XCTAssertEqual(objects[2]["channels"] as? Int, 2)
        XCTAssertEqual(objects[2]["duration"] as? Double ?? 0, 5, accuracy: 0.01)
        XCTAssertEqual(objects[5]["sample_rate"] as? Int, 44_100)
        // 1 s: padded to one 5-s window, and it says so.
        XCTAssertEqual(objects[3]["padded"] as? Bool, true)
        XCTAssertEqual(objects[3]["duration"] as? Double ?? 0, 1, accuracy: 0.01)
        XCTAssertNil(objects[3]["windows"])
        XCTAssertEqual(objects[1]["padded"] as? Bool, false)
        // 40 s: windows of 5 s every 2.5 s, 0…35 (the one at 35 reaches the end): 15 of them.
        let windows = objects[4]["windows"] as? [[String: Any]] ?? []
        XCTAssertEqual(windows.count, 15)
        XCTAssertEqual(windows.map { $0["start"] as? Double ?? -1 }, (0..<15).map { Double($0) * 2.5 })
        XCTAssertEqual(windows.last?["end"] as? Double, 40)
        XCTAssertTrue(windows.allSatisfy { ($0["predictions"] as? [Any])?.count == 5 })
        XCTAssertEqual(objects[4]["duration"] as? Double ?? 0, 40, accuracy: 0.01)
        // Windows of 3 s every 4 s (gaps): 0, 4, …, 36 and the last padded.
        let custom = try CLI.run(["infer", "--model", S.pytorchModel, "--json", "--window", "3", "--hop", "4", longPath])
        XCTAssertEqual(custom.status, 0, "\(custom)")
        let w = S.jsonLines(custom.stdout).first?["windows"] as? [[String: Any]] ?? []
        XCTAssertEqual(w.map { $0["start"] as? Double ?? -1 }, (0..<10).map { Double($0) * 4 })
    }

    /// Directories are searched recursively; `-` reads paths from stdin; the table is aligned.
    func testDirectoryStdinAndTable() throws {
        let nested = scratch + "/a/b"
        try FileManager.default.createDirectory(atPath: nested, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: S.clip(0), toPath: scratch + "/a/dog.flac")
        try FileManager.default.copyItem(atPath: S.clip(1), toPath: nested + "/rooster.flac")
        try Data("not audio".utf8).write(to: URL(fileURLWithPath: scratch + "/a/notes.txt"))  // not an audio extension: skipped
        try FileManager.default.createSymbolicLink(atPath: nested + "/linked-siren.flac", withDestinationPath: S.clip(3))  // links are followed

        let dir = try CLI.run(["infer", "--model", S.pytorchModel, "--json", scratch + "/a"])
        XCTAssertEqual(dir.status, 0, "\(dir)")
        XCTAssertEqual(S.jsonLines(dir.stdout).map { $0["file"] as? String }, [scratch + "/a/b/linked-siren.flac", scratch + "/a/b/rooster.flac", scratch + "/a/dog.flac"])

        let piped = try S.run(["infer", "--model", S.pytorchModel, "--json", "-"], stdin: "\(S.clip(2))\n\n\(S.clip(3))\n")
        XCTAssertEqual(piped.status, 0, piped.stderr)
        XCTAssertEqual(S.jsonLines(piped.stdout).map { $0["file"] as? String }, [S.clip(2), S.clip(3)])

        let table = try CLI.run(["infer", "--model", S.pytorchModel, S.clip(0), S.clip(1), S.clip(3)])
        XCTAssertEqual(table.status, 0, "\(table)")
        let lines = table.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 4, table.stdout)
        XCTAssertTrue(lines[0].hasPrefix("FILE"))
        // Every column starts at the same offset on every line: the header's TOP-k positions.
        for k in 1...3 {
            guard let column = lines[0].range(of: "TOP-\(k)")?.lowerBound else { return XCTFail("no TOP-\(k)") }
            let offset = lines[0].distance(from: lines[0].startIndex, to: column)
            for line in lines.dropFirst() {
                let chars = Array(line)
                XCTAssertTrue(offset < chars.count && chars[offset] != " " && chars[offset - 1] == " ", "column \(k) misaligned: \(line)")
            }
        }
    }

    /// --features gives the reference service's response shape: 37 maps for the recipe network.
    func testFeaturesOfRecipeModel() throws {
        let model = scratch + "/recipe.safetensors"
        try S.writeModel(config: .recipe, classes: (0..<50).map { "class\($0)" }, to: model)
        let pictures = scratch + "/png"
        let r = try CLI.run(["infer", "--model", model, "--features", "--png", pictures, S.clip(0)])
        XCTAssertEqual(r.status, 0, "\(r)")
        guard let o = S.jsonLines(r.stdout).first else { return XCTFail("no output") }
        XCTAssertEqual(predictions(o).count, 3)
        let viz = o["visualization"] as? [String: [String: Any]] ?? [:]
        XCTAssertEqual(viz.count, 37)
        var expected = ["conv1": [32, 54], "layer1": [32, 54], "layer2": [16, 27], "layer3": [8, 14], "layer4": [4, 7]]
        for (s, blocks) in [3, 4, 6, 3].enumerated() {
            for b in 0..<blocks {
                expected["layer\(s + 1).block\(b).conv"] = expected["layer\(s + 1)"]
                expected["layer\(s + 1).block\(b).relu"] = expected["layer\(s + 1)"]
            }
        }
        XCTAssertEqual(Set(viz.keys), Set(expected.keys))
        for (name, map) in viz {
            let shape = map["shape"] as? [Int] ?? []
            XCTAssertEqual(shape, expected[name], name)
            let values = map["values"] as? [[Double]] ?? []
            XCTAssertEqual(values.count, shape.first ?? -1, name)
            XCTAssertTrue(values.allSatisfy { $0.count == shape.last }, name)
            if name.hasSuffix(".relu") || name.hasPrefix("layer") && !name.contains(".") {
                XCTAssertTrue(values.joined().allSatisfy { $0 >= 0 }, "\(name) follows a ReLU")
            }
        }
        let spec = o["input_spectrogram"] as? [String: Any] ?? [:]
        XCTAssertEqual(spec["shape"] as? [Int], [128, 216])
        XCTAssertEqual((spec["values"] as? [[Double]])?.count, 128)
        XCTAssertEqual((spec["values"] as? [[Double]])?.first?.count, 216)
        let wave = o["waveform"] as? [String: Any] ?? [:]
        let values = wave["values"] as? [Double] ?? []
        XCTAssertTrue(values.count > 7000 && values.count <= 8000, "\(values.count) waveform points")
        XCTAssertEqual(wave["sample_rate"] as? Int, 22_050)
        XCTAssertEqual(wave["duration"] as? Double ?? 0, 5, accuracy: 0.01)
        // --png: the spectrogram and every map as pictures.
        let stem = "1-110389-A-0"
        let written = (try? FileManager.default.contentsOfDirectory(atPath: pictures + "/" + stem)) ?? []
        XCTAssertEqual(written.filter { $0.hasSuffix(".png") }.count, 38, "\(written)")
        XCTAssertEqual((o["png"] as? [String: String])?.count, 38)
    }

    /// A model trained with another front end (16 kHz, 64 mels up to 8 kHz, 4-s clips) is fed exactly that.
    func testModelFrontEndDrivesInference() throws {
        let config = AudioCNNConfig(width: 4, blocks: [1, 1], numClasses: 3)
        let model = try AudioCNN(config: config, seed: 3)
        let frontEnd = FrontEndConfig(sampleRate: 16_000, nFFT: 512, hopLength: 256, nMels: 64, fMin: 0, fMax: 8_000, clipSeconds: 4)
        let path = scratch + "/sixteen.safetensors"
        try ModelFile.save(model: model, metadata: ModelMetadata(architecture: config, classes: ["a", "b", "c"],
                                                                 frontend: String(decoding: try JSONEncoder().encode(frontEnd), as: UTF8.self)), to: path)
        let r = try CLI.run(["infer", "--model", path, "--features", S.clip44k])
        XCTAssertEqual(r.status, 0, "\(r)")
        guard let o = S.jsonLines(r.stdout).first else { return XCTFail("no output") }
        XCTAssertEqual((o["input_spectrogram"] as? [String: Any])?["shape"] as? [Int], [64, 16_000 * 4 / 256 + 1])
        XCTAssertEqual((o["waveform"] as? [String: Any])?["sample_rate"] as? Int, 16_000)
        XCTAssertEqual(o["window"] as? Double, 4)
        XCTAssertEqual((o["windows"] as? [Any])?.count, 2)  // 5 s in 4-s windows every 2 s: 0, 2 (reaches 6 ≥ 5)
        XCTAssertEqual((o["visualization"] as? [String: Any])?.count, 1 + 2 * 2 + 2)
    }

    /// Bad input: one line on stderr, the right exit status, never a crash or a hang.
    func testBadInput() throws {
        func oneLine(_ r: CLI.Result, status: Int32, contains text: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertEqual(r.status, status, "\(r)", file: file, line: line)
            XCTAssertFalse(r.timedOut, file: file, line: line)
            XCTAssertEqual(r.stderrLines.count, 1, "\(r)", file: file, line: line)
            XCTAssertTrue(r.stderr.contains(text), "\(r)", file: file, line: line)
        }
        // Without --model, infer uses the shipped model (DefaultModelTests covers installs with and without one).
        oneLine(try CLI.run(["infer", "--model", scratch + "/missing.safetensors", S.clip(0)]), status: 2, contains: "no such model file")
        // Another architecture than the metadata says: every mismatch named, on one line.
        let model = try AudioCNN(config: AudioCNNConfig(width: 4, blocks: [1, 1, 1, 1]), seed: 1)
        let wrongArchitecture = scratch + "/wrong-arch.safetensors"
        try ModelFile.save(model: model, metadata: S.metadata(config: AudioCNNConfig(width: 8, blocks: [1, 1, 1, 1]), classes: (0..<50).map { "c\($0)" }), to: wrongArchitecture)
        oneLine(try CLI.run(["infer", "--model", wrongArchitecture, S.clip(0)]), status: 2, contains: "does not match the model")
        // Class names that do not match the class count.
        let wrongClasses = scratch + "/wrong-classes.safetensors"
        try ModelFile.save(model: model, metadata: S.metadata(config: model.config, classes: ["dog", "cat"]), to: wrongClasses)
        oneLine(try CLI.run(["infer", "--model", wrongClasses, S.clip(0)]), status: 2, contains: "2 class names")
        // Corrupt: a truncated model file, and bytes that are no model at all.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: S.pytorchModel))
        let truncated = scratch + "/truncated.safetensors"
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: truncated))
        oneLine(try CLI.run(["infer", "--model", truncated, S.clip(0)]), status: 2, contains: truncated)
        let garbage = scratch + "/garbage.safetensors"
        try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 37) }).write(to: URL(fileURLWithPath: garbage))
        oneLine(try CLI.run(["infer", "--model", garbage, S.clip(0)]), status: 2, contains: garbage)
        // An empty directory.
        let empty = scratch + "/empty"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        oneLine(try CLI.run(["infer", "--model", S.pytorchModel, empty]), status: 2, contains: "no audio files")
        // A non-audio file among good ones: the good ones are classified, the bad one reported, exit 1.
        let fake = scratch + "/fake.wav"
        try Data("RIFF this is not a wave file".utf8).write(to: URL(fileURLWithPath: fake))
        let mixed = try CLI.run(["infer", "--model", S.pytorchModel, "--json", S.clip(0), fake, S.clip(1)])
        XCTAssertEqual(mixed.status, 1, "\(mixed)")
        let objects = S.jsonLines(mixed.stdout)
        XCTAssertEqual(objects.count, 3)
        XCTAssertEqual(objects.map { $0["file"] as? String }, [S.clip(0), fake, S.clip(1)])
        XCTAssertNotNil(objects[0]["predictions"])
        XCTAssertNil(objects[1]["predictions"])
        XCTAssertTrue((objects[1]["error"] as? String ?? "").contains(fake))
        XCTAssertNotNil(objects[2]["predictions"])
        XCTAssertEqual(mixed.stderrLines.count, 1, mixed.stderr)
        // The same in a table: the error is a row of its own.
        let table = try CLI.run(["infer", "--model", S.pytorchModel, S.clip(0), fake])
        XCTAssertEqual(table.status, 1)
        XCTAssertTrue(table.stdout.contains("error: "), table.stdout)
        // Bad options.
        CLIContract.assertCouldNotRun(try CLI.run(["infer", "--model", S.pytorchModel, "--window", "0", S.clip(0)]), contains: "--window", usage: true)
        CLIContract.assertCouldNotRun(try CLI.run(["infer", "--model", S.pytorchModel, "--top", "0", S.clip(0)]), contains: "--top", usage: true)
    }
}
