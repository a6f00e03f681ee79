import AudioSpecNet
import Foundation
import XCTest
import _TestSupport

/// float16 conversion against known bit patterns, and model files written as f32/f16 from models and
/// checkpoints: what they hold, what they leave out, and that they load back.
final class ModelExportTests: XCTestCase {
    // MARK: binary16 rounding

    func testHalfPrecisionKnownValues() {
        let cases: [(Float, UInt16)] = [
            (0, 0x0000), (-0.0, 0x8000), (1, 0x3C00), (-2, 0xC000), (0.5, 0x3800), (65504, 0x7BFF), (-65504, 0xFBFF),
            (0.1, 0x2E66), (1.0 / 3, 0x3555), (3.140625, 0x4248),
            // 1 + 2⁻¹¹ is halfway between 1 and 1 + 2⁻¹⁰: ties to the even mantissa (1); 1 + 3·2⁻¹¹ ties up to 1 + 2·2⁻¹⁰.
            (1 + 0x1p-11, 0x3C00), (1 + 3 * 0x1p-11, 0x3C02), (1 + 0x1p-11 + 0x1p-20, 0x3C01),
            // 65 519.99 is below the halfway point to 65 536 and stays finite.
            (65519.996, 0x7BFF),
            // Subnormals: 2⁻¹⁴ is the smallest normal, 2⁻²⁴ the smallest subnormal, 1023·2⁻²⁴ the largest.
            (0x1p-14, 0x0400), (0x1p-24, 0x0001), (1023 * 0x1p-24, 0x03FF), (-3 * 0x1p-24, 0x8003),
            // Halfway cases on the subnormal grid: 2⁻²⁵ ties to 0 (even), 3·2⁻²⁵ to 2·2⁻²⁴ (even), 1.5·2⁻²⁵ rounds up.
            (0x1p-25, 0x0000), (3 * 0x1p-25, 0x0002), (1.5 * 0x1p-25, 0x0001), (0x1p-26, 0x0000), (-0x1p-30, 0x8000),
            // Just under the smallest normal rounds up into it.
            (0x1p-14 - 0x1p-30, 0x0400),
            // Overflow and specials.
            (65520, 0x7C00), (-70000, 0xFC00), (1e10, 0x7C00), (.infinity, 0x7C00), (-.infinity, 0xFC00),
        ]
        for (x, expected) in cases {
            XCTAssertEqual(HalfPrecision.bits(x), expected, "bits(\(x))")
        }
        XCTAssertEqual(HalfPrecision.bits(.nan) & 0x7C00, 0x7C00)
        XCTAssertNotEqual(HalfPrecision.bits(.nan) & 0x03FF, 0)
        XCTAssertFalse(HalfPrecision.isFinite(bits: HalfPrecision.bits(65520)))
        XCTAssertTrue(HalfPrecision.isFinite(bits: HalfPrecision.bits(65504)))
        // Widening is exact, and every finite binary16 value survives a round trip.
        XCTAssertEqual(HalfPrecision.float(0x7BFF), 65504)
        XCTAssertEqual(HalfPrecision.float(0x0001), 0x1p-24)
        XCTAssertEqual(HalfPrecision.float(0x8400), -0x1p-14)
        for h in UInt16.min...UInt16.max where HalfPrecision.isFinite(bits: h) {
            XCTAssertEqual(HalfPrecision.bits(HalfPrecision.float(h)), h, "round trip of \(String(h, radix: 16))")
        }
    }

    /// Against the platform's own Float16 (hardware round-to-nearest-even) on 1/4099 of all floats.
    func testHalfPrecisionMatchesFloat16() {
        #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
        var pattern: UInt32 = 0
        var checked = 0
        while true {
            let x = Float(bitPattern: pattern)
            if !x.isNaN {
                let reference = Float16(x).bitPattern
                if HalfPrecision.bits(x) != reference {
                    XCTFail("bits(\(x)) = \(String(HalfPrecision.bits(x), radix: 16)), Float16 gives \(String(reference, radix: 16))")
                    return
                }
                checked += 1
            }
            let (next, overflow) = pattern.addingReportingOverflow(4099)
            if overflow { break }
            pattern = next
        }
        XCTAssertGreaterThan(checked, 1_000_000)
        #endif
    }

    // MARK: model files

    static let config = AudioCNNConfig(width: 4, blocks: [1, 1], numClasses: 3)
    static let classes = ["dog", "rain", "siren"]

    /// A small model whose BatchNorm statistics are not the defaults: a few training-mode forwards on
    /// dB-like inputs move them as training would.
    static func trainedLikeModel() throws -> AudioCNN {
        let model = try AudioCNN(config: config, seed: 3)
        var generator = RandomGenerator(seed: 11)
        let x = Tensor(shape: [2, 1, 32, 40])
        for _ in 0..<5 {
            for i in 0..<x.count { x.data[i] = -60 + 40 * generator.nextFloat() }
            _ = model.forward(x, training: true)
        }
        return model
    }

    func testFloat32ExportIsBitIdenticalAndCarriesMetadata() throws {
        let dir = Fixtures.scratchDirectory("export-f32")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = try Self.trainedLikeModel()
        let metadata = ModelExport.modelMetadata(InferTestSupport.metadata(config: Self.config, classes: Self.classes, extra: ["training_options": "{\"test_fold\":4}"]))
        try ModelExport.save(model: model, metadata: metadata, storage: .f32, to: dir + "/m.safetensors")
        let loaded = try ModelFile.load(path: dir + "/m.safetensors")
        XCTAssertEqual(loaded.metadata.classes, Self.classes)
        XCTAssertEqual(loaded.metadata.architecture, Self.config)
        XCTAssertEqual(loaded.metadata.extra["training_options"], "{\"test_fold\":4}")
        for e in model.arena.entries {
            XCTAssertEqual(loaded.model.arena.values(e.name), model.arena.values(e.name), e.name)
            XCTAssertEqual(try loaded.file.entry(e.name).dtype, e.kind == .counter ? .i64 : .f32, e.name)
        }
    }

    func testFloat16ExportRoundsEveryValueAndLoadsWidened() throws {
        let dir = Fixtures.scratchDirectory("export-f16")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = try Self.trainedLikeModel()
        // Values that exercise the edges: a subnormal, one that flushes to zero, the largest finite.
        let fc = model.arena.pointer("fc.weight")
        fc[0] = 3e-6; fc[1] = 1e-9; fc[2] = -65504
        let metadata = ModelExport.modelMetadata(InferTestSupport.metadata(config: Self.config, classes: Self.classes))
        try ModelExport.save(model: model, metadata: metadata, storage: .f32, to: dir + "/m32.safetensors")
        let report = try ModelExport.save(model: model, metadata: metadata, storage: .f16, to: dir + "/m16.safetensors")
        XCTAssertEqual(report.flushedToZero, 1)
        XCTAssertGreaterThanOrEqual(report.subnormal, 1)
        XCTAssertEqual(report.values, model.arena.entries.filter { $0.kind != .counter }.reduce(0) { $0 + $1.count })
        XCTAssertLessThanOrEqual(report.maxRelativeError, 0x1p-11, "round to nearest: half an ulp of 2⁻¹⁰")
        XCTAssertGreaterThan(report.maxRelativeError, 0)
        let loaded = try ModelFile.load(path: dir + "/m16.safetensors")
        for e in model.arena.entries {
            let entry = try loaded.file.entry(e.name)
            if e.kind == .counter {
                XCTAssertEqual(entry.dtype, .i64, e.name)
                XCTAssertEqual(loaded.model.arena.values(e.name), model.arena.values(e.name), e.name)
                continue
            }
            XCTAssertEqual(entry.dtype, .f16, e.name)
            XCTAssertEqual(entry.shape, e.shape, e.name)
            let expected = model.arena.values(e.name).map { HalfPrecision.float(HalfPrecision.bits($0)) }
            XCTAssertEqual(loaded.model.arena.values(e.name), expected, e.name)
        }
        XCTAssertEqual(loaded.model.arena.values("fc.weight")[1], 0)
        XCTAssertEqual(loaded.model.arena.values("fc.weight")[2], -65504)
        XCTAssertEqual(loaded.metadata, try ModelFile.load(path: dir + "/m32.safetensors").metadata)
        // The same network up to float16 rounding: logits close, from the same input.
        var generator = RandomGenerator(seed: 5)
        let x = Tensor(shape: [3, 1, 32, 40])
        for i in 0..<x.count { x.data[i] = -60 + 40 * generator.nextFloat() }
        fc[1] = 0  // what the f16 file holds, so only rounding differs below
        let a = Array(UnsafeBufferPointer(start: model.forward(x, training: false).data, count: 9))
        let b = Array(UnsafeBufferPointer(start: loaded.model.forward(x, training: false).data, count: 9))
        let c = compare(b, a)
        XCTAssertLessThan(c.relativeError, 1e-2, "\(c)")
    }

    func testFloat16RefusesValuesOutsideItsRange() throws {
        let dir = Fixtures.scratchDirectory("export-f16-overflow")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = try Self.trainedLikeModel()
        model.arena.pointer("layer2.0.bn1.running_var")[2] = 70000
        let metadata = ModelExport.modelMetadata(InferTestSupport.metadata(config: Self.config, classes: Self.classes))
        XCTAssertThrowsError(try ModelExport.save(model: model, metadata: metadata, storage: .f16, to: dir + "/m.safetensors")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("layer2.0.bn1.running_var") && text.contains("70000") && text.contains("--dtype f32"), text)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/m.safetensors"), "nothing is written")
        // 65 519.99 rounds to 65 504 and is kept.
        model.arena.pointer("layer2.0.bn1.running_var")[2] = 65519.99
        XCTAssertNoThrow(try ModelExport.save(model: model, metadata: metadata, storage: .f16, to: dir + "/m.safetensors"))
    }

    func testCheckpointExportDropsOptimizerStateAndKeepsASummary() throws {
        let dir = Fixtures.scratchDirectory("export-checkpoint")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = try Self.trainedLikeModel()
        var options = TrainClips.smallOptions(data: dir)
        options.architecture = Self.config
        let optimizer = AdamW(parameterCount: model.arena.parameterCount)
        var state = CheckpointState()
        state.epoch = 2
        state.bestEpoch = 2
        state.bestValAccuracy = 0.5
        // EpochMetrics rows as train writes them (metrics.jsonl's keys).
        let rows = """
        [{"epoch":1,"train_loss":1.2,"train_acc":0.3,"val_loss":1.1,"val_acc":0.4,"lr":0.001,"seconds":1,"samples_per_s":9,"best":true,"data_wait_s":0},
         {"epoch":2,"train_loss":1.0,"train_acc":0.45,"val_loss":0.9,"val_acc":0.5,"lr":0.0005,"seconds":1,"samples_per_s":9,"best":true,"data_wait_s":0}]
        """
        state.history = try JSONDecoder().decode([EpochMetrics].self, from: Data(rows.utf8))
        try Checkpoint.write(to: dir + "/best.safetensors", model: model, optimizer: optimizer, state: state, options: options,
                             dataIdentity: [("csv", "abc")], classes: Self.classes)
        let source = try ModelFile.load(path: dir + "/best.safetensors")
        let metadata = ModelExport.modelMetadata(source.metadata)
        try ModelExport.save(model: source.model, metadata: metadata, storage: .f16, to: dir + "/model.safetensors")
        let file = try SafetensorsFile(path: dir + "/model.safetensors")
        XCTAssertEqual(Set(file.names), Set(model.arena.entries.map(\.name)), "exactly the state_dict")
        XCTAssertNil(file.metadata["checkpoint"])
        XCTAssertNotNil(file.metadata["training_options"])
        XCTAssertEqual(file.metadata["classes"], "[\"dog\",\"rain\",\"siren\"]")
        let summary = try JSONDecoder().decode(CheckpointSummary.self, from: Data(try XCTUnwrap(file.metadata["checkpoint_summary"]).utf8))
        XCTAssertEqual(summary.epoch, 2)
        XCTAssertEqual(summary.bestValAccuracy, 0.5)
        XCTAssertEqual(summary.metrics?.trainAccuracy, 0.45)
        XCTAssertThrowsError(try Checkpoint.read(path: dir + "/model.safetensors"), "a model file is not resumable")
    }

    /// A finished run leaves model.safetensors beside its checkpoints: best.safetensors' weights and BatchNorm
    /// statistics, no optimizer state, the run's summary.
    func testTrainingWritesAModelFileOfTheBestEpoch() throws {
        let (layout, data) = try TrainClips.defaultData()
        let out = Fixtures.scratchDirectory("model-file-run")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let t = try TrainingSession.start(options: TrainClips.smallOptions(data: layout, epochs: 2), data: data, outputDirectory: out, resume: false)
        t.drawCurves = false
        let summary = try t.run()
        let model = try ModelFile.load(path: out + "/model.safetensors")
        let best = try ModelFile.load(path: t.bestPath)
        XCTAssertFalse(model.file.names.contains { $0.hasPrefix(ModelFile.checkpointPrefix) })
        for e in best.model.arena.entries {
            XCTAssertEqual(model.model.arena.values(e.name), best.model.arena.values(e.name), e.name)
        }
        XCTAssertEqual(model.metadata.classes, best.metadata.classes)
        XCTAssertEqual(model.metadata.frontend, best.metadata.frontend)
        XCTAssertNil(model.metadata.extra["checkpoint"])
        let recorded = try JSONDecoder().decode(TrainingSummary.self, from: Data(try XCTUnwrap(model.metadata.extra["training_summary"]).utf8))
        XCTAssertEqual(recorded, summary)
        XCTAssertEqual(LabelledClips.recordedTestFolds(model.metadata), [3], "eval still finds the test fold")
    }
}
