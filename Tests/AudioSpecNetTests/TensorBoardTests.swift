import Foundation
import XCTest
import AudioSpecNet
import _TestSupport

/// TensorBoard event files: CRC32C against RFC 3720, records of files tensorboardX wrote
/// (Scripts/make_tensorboard_fixture.py) read with their CRCs checked and re-encoded byte for byte, and
/// the event files tiny training runs leave (a fresh run, then an interrupted and resumed one).
final class TensorBoardTests: XCTestCase {

    /// RFC 3720 (iSCSI), appendix B.4: the CRC32C test vectors.
    func testCRC32CMatchesRFC3720Vectors() {
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)), 0x62A8_AB43)
        XCTAssertEqual(CRC32C.checksum((0..<32).map { UInt8($0) }), 0x46DD_794E)
        XCTAssertEqual(CRC32C.checksum((0..<32).reversed().map { UInt8($0) }), 0x113F_DB5C)
        XCTAssertEqual(CRC32C.checksum([UInt8]()), 0)
        // the mask is a rotation plus a constant: undoing it gives the CRC back
        let crc = CRC32C.checksum(Array("brain.Event:2".utf8)), masked = CRC32C.masked(Array("brain.Event:2".utf8))
        let unmasked = masked &- 0xA282_EAD8
        XCTAssertEqual((unmasked >> 17) | (unmasked << 15), crc)
    }

    /// What Scripts/make_tensorboard_fixture.py wrote with tensorboardX: (tag, value, step, wall time).
    private let fixtureScalars: [(String, Float, Int, Double)] = [
        ("train/loss", 2.5, 0, 1_700_000_000.25), ("train/lr", 0.002, 0, 1_700_000_000.25),
        ("val/accuracy", 0, 1, 1_700_000_001.5), ("train/loss", 1.125, 1, 1_700_000_001.75),
        ("train/lr", 1e-7, 123_456, 1_700_000_002),
    ]

    /// tensorboardX's file: every record's two CRCs hold, the events are the script's, and our encoder and
    /// framing, given the same wall times, steps and values, give the same bytes record for record.
    func testTensorboardXScalarFileParsesAndOurRecordsMatchItsBytes() throws {
        let bytes = try fixture("scalars.tfevents")
        let records = try TFRecordFile.records(bytes)
        let events = try records.map { try DecodedEvent($0.data) }
        XCTAssertEqual(events.count, 1 + fixtureScalars.count)
        XCTAssertEqual(events[0].fileVersion, "brain.Event:2")
        for (event, expected) in zip(events.dropFirst(), fixtureScalars) {
            XCTAssertEqual(event.values.map(\.tag), [expected.0])
            XCTAssertEqual(event.values.first?.scalar, expected.1)
            XCTAssertEqual(event.step, expected.2)
            XCTAssertEqual(event.wallTime, expected.3)
        }
        var ours: [UInt8] = []
        for (record, event) in zip(records, events) {
            let mine = try XCTUnwrap(event.reencoded())
            XCTAssertEqual(mine.serialized(), Array(record.data), "event at step \(event.step)")
            XCTAssertEqual(TFRecordWriter.frame(mine.serialized()), Array(record.frame))
            ours += TFRecordWriter.frame(mine.serialized())
        }
        XCTAssertEqual(ours, bytes, "the whole file")
    }

    /// tensorboardX's writer opened with purge_step (its restart): file_version, then file_version and
    /// SessionLog START at the step, then a scalar; our START event is its bytes.
    func testTensorboardXPurgeStepFileHasOurSessionStartBytes() throws {
        let records = try TFRecordFile.records(try fixture("resumed.tfevents"))
        let events = try records.map { try DecodedEvent($0.data) }
        XCTAssertEqual(events.map(\.step), [0, 5, 5, 5])
        XCTAssertEqual(events[2].sessionStatus, 1)
        XCTAssertEqual(TensorBoardEvent(wallTime: events[2].wallTime, step: 5, .sessionStart).serialized(), Array(records[2].data))
        for (record, event) in zip(records, events) {
            XCTAssertEqual(try XCTUnwrap(event.reencoded()).serialized(), Array(record.data))
        }
    }

    /// The writer: a file of framed records, written at flush; it never opens a file that exists.
    func testRecordWriterFramesFlushesAndRefusesAnExistingFile() throws {
        let path = Fixtures.scratchDirectory("tfrecord") + "/records"
        let writer = try TFRecordWriter(creating: path)
        writer.append([1, 2, 3])
        XCTAssertEqual(FileManager.default.contents(atPath: path)?.count, 0, "queued until flush")
        try writer.flush()
        writer.append([])
        try writer.close()
        let bytes = try XCTUnwrap(FileManager.default.contents(atPath: path))
        XCTAssertEqual(Array(bytes), TFRecordWriter.frame([1, 2, 3]) + TFRecordWriter.frame([]))
        XCTAssertEqual(try TFRecordFile.records(Array(bytes)).map { Array($0.data) }, [[1, 2, 3], []])
        XCTAssertThrowsError(try TFRecordWriter(creating: path))
        var torn = Array(bytes)
        torn[14] ^= 1
        XCTAssertThrowsError(try TFRecordFile.records(torn), "a flipped data bit fails the data CRC")
    }

    /// A tiny run (width 4, 2 epochs of 2 steps) leaves one event file at the top of its folder: the file
    /// version, the config text, per-step loss and lr at steps 0–3, per-epoch figures at steps 1 and 3 equal
    /// to metrics.csv's (macro-F1 that of the last epoch's weights), and with the last epoch curves.png and the
    /// validation confusion matrix as images.
    func testTrainingRunWritesTheEventFile() throws {
        let (layout, data) = try TrainClips.defaultData()
        let out = Fixtures.scratchDirectory("tb-run")
        let t = try TrainingSession.start(options: TrainClips.smallOptions(data: layout, epochs: 2), data: data, outputDirectory: out, resume: false)
        try t.run()
        let files = try eventFiles(out)
        XCTAssertEqual(files.count, 1, "\(files)")
        // events.out.tfevents.<unix time, 10 digits>.<host>
        let time = files[0].split(separator: ".")[3]
        XCTAssertEqual(time.count, 10, files[0])
        XCTAssertEqual(Double(time) ?? 0, Date().timeIntervalSince1970, accuracy: 600, files[0])
        let events = try readEvents(out + "/" + files[0])
        XCTAssertEqual(events.first?.fileVersion, "brain.Event:2")
        XCTAssertNil(events.first { $0.sessionStatus != nil }, "a fresh run has no SessionLog")
        let config = try XCTUnwrap(events.first { $0.values.first?.tag == "config" }?.values.first)
        XCTAssertEqual(config.plugin, "text")
        XCTAssertTrue(config.text?.contains("\"epochs\" : 2") == true, config.text ?? "")

        XCTAssertEqual(steps(events, "train/loss"), [0, 1, 2, 3])
        XCTAssertEqual(steps(events, "train/lr"), [0, 1, 2, 3])
        XCTAssertEqual(scalars(events, "train/lr"), (0..<4).map { Float(t.schedule.at($0).lr) })
        XCTAssertTrue(scalars(events, "train/loss").allSatisfy { $0.isFinite && $0 > 0 })
        for tag in TensorBoardLog.epochTags { XCTAssertEqual(steps(events, tag), [1, 3], tag) }
        XCTAssertEqual(scalars(events, "train/epoch_loss"), t.state.history.map { Float($0.trainLoss) })
        XCTAssertEqual(scalars(events, "train/accuracy"), t.state.history.map { Float($0.trainAccuracy) })
        XCTAssertEqual(scalars(events, "val/loss"), t.state.history.map { Float($0.valLoss!) })
        XCTAssertEqual(scalars(events, "val/accuracy"), t.state.history.map { Float($0.valAccuracy!) })
        XCTAssertEqual(scalars(events, "val/macro_f1"), t.state.history.map { Float($0.valMacroF1!) })
        // the last epoch's macro-F1 and confusion matrix are those of its weights (last.safetensors; the
        // run ends with the best epoch's loaded) on the validation clips
        try ModelFile.loadWeights(into: t.model, from: try SafetensorsFile(path: out + "/last.safetensors"))
        let validation = t.evaluate(t.data.validation)
        XCTAssertEqual(validation.scores.macroF1, t.state.history.last!.valMacroF1!, accuracy: 1e-12)
        XCTAssertEqual(validation.scores.correct, Int((validation.accuracy * Double(t.data.validation.count)).rounded()))
        let confusion = try XCTUnwrap(events.first { $0.values.first?.tag == "val/confusion" })
        XCTAssertEqual(confusion.step, 3)
        XCTAssertEqual(confusion.values.first?.image?.png, try ConfusionPicture.render(validation.scores).pngData())
        let curves = try XCTUnwrap(events.first { $0.values.first?.tag == "curves" })
        XCTAssertEqual(curves.step, 3)
        let image = try XCTUnwrap(curves.values.first?.image)
        XCTAssertEqual(image.png, FileManager.default.contents(atPath: out + "/curves.png").map(Array.init))
        XCTAssertGreaterThan(image.width, 0)
        XCTAssertGreaterThan(image.height, 0)
        XCTAssertEqual(image.colorspace, 3, "curves.png is RGB")
        XCTAssertEqual(Set(events.flatMap { $0.values.map(\.tag) }),
                       Set(TensorBoardLog.stepTags + TensorBoardLog.epochTags + ["config", "curves", "val/confusion"]))
    }

    /// Interrupted in epoch 2 after 3 steps, then resumed: a second file, after the first in name order,
    /// begins with the file version and SessionLog START at step 3; the two files together hold every
    /// step once, as an uninterrupted run's file does.
    func testResumedRunWritesASecondFileStartingWithSessionStart() throws {
        let (layout, data) = try TrainClips.defaultData()
        let options = TrainClips.smallOptions(data: layout, epochs: 2)
        let out = Fixtures.scratchDirectory("tb-resume")
        try {
            let t = try TrainingSession.start(options: options, data: data, outputDirectory: out, resume: false)
            t.drawCurves = false
            t.stopAfterGlobalStep = 3
            XCTAssertThrowsError(try t.run())
        }()  // the trainer and its log are released here: the queued step 2 is written
        let resumed = try TrainingSession.start(options: options, data: data, outputDirectory: out, resume: true)
        resumed.drawCurves = false
        try resumed.run()
        let files = try eventFiles(out)
        XCTAssertEqual(files.count, 2, "\(files)")
        let first = try readEvents(out + "/" + files[0]), second = try readEvents(out + "/" + files[1])
        XCTAssertEqual(steps(first, "train/loss"), [0, 1, 2])
        XCTAssertEqual(steps(first, "val/loss"), [1])
        XCTAssertEqual(second.first?.fileVersion, "brain.Event:2")
        XCTAssertEqual(second.dropFirst().first?.sessionStatus, 1, "SessionLog START right after the file version")
        XCTAssertEqual(second.dropFirst().first?.step, 3)
        XCTAssertTrue(second.first { $0.values.first?.tag == "config" }?.values.first?.text?.contains("Resumed after global step 3") == true)
        XCTAssertEqual(steps(second, "train/loss"), [3])
        XCTAssertEqual(steps(second, "val/loss"), [3])
        XCTAssertEqual(scalars(first, "val/loss") + scalars(second, "val/loss"), resumed.state.history.map { Float($0.valLoss!) })
    }

    // MARK: - Reading event files

    private func fixture(_ name: String) throws -> [UInt8] {
        Array(try XCTUnwrap(FileManager.default.contents(atPath: Fixtures.path("tensorboard/" + name)), name))
    }

    private func eventFiles(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix("events.out.tfevents.") }.sorted()
    }

    private func readEvents(_ path: String) throws -> [DecodedEvent] {
        let bytes = Array(try XCTUnwrap(FileManager.default.contents(atPath: path)))
        return try TFRecordFile.records(bytes).map { try DecodedEvent($0.data) }
    }

    private func steps(_ events: [DecodedEvent], _ tag: String) -> [Int] {
        events.filter { $0.values.contains { $0.tag == tag } }.map(\.step)
    }

    private func scalars(_ events: [DecodedEvent], _ tag: String) -> [Float] {
        events.flatMap { $0.values.filter { $0.tag == tag }.compactMap(\.scalar) }
    }
}

/// TFRecord framing read back independently of the writer: each record's length, its masked CRC, the
/// data and the data's masked CRC, both CRCs checked.
enum TFRecordFile {
    struct Malformed: Error, CustomStringConvertible { let description: String }

    static func records(_ bytes: [UInt8]) throws -> [(frame: ArraySlice<UInt8>, data: ArraySlice<UInt8>)] {
        func le<T: FixedWidthInteger>(_ at: Int, _: T.Type) -> T {
            (0..<MemoryLayout<T>.size).reduce(T(0)) { $0 | T(bytes[at + $1]) << (8 * $1) }
        }
        var out: [(ArraySlice<UInt8>, ArraySlice<UInt8>)] = []
        var i = 0
        while i < bytes.count {
            guard i + 12 <= bytes.count else { throw Malformed(description: "torn header at \(i)") }
            let n = Int(le(i, UInt64.self))
            guard le(i + 8, UInt32.self) == CRC32C.masked(bytes[i..<(i + 8)]) else { throw Malformed(description: "length CRC at \(i)") }
            guard i + 16 + n <= bytes.count else { throw Malformed(description: "torn record at \(i)") }
            let data = bytes[(i + 12)..<(i + 12 + n)]
            guard le(i + 12 + n, UInt32.self) == CRC32C.masked(data) else { throw Malformed(description: "data CRC at \(i)") }
            out.append((bytes[i..<(i + 16 + n)], data))
            i += 16 + n
        }
        return out
    }
}

/// An `Event` decoded with the field numbers of tensorboard/compat/proto/event.proto and summary.proto.
struct DecodedEvent {
    struct Value {
        var tag: String
        var scalar: Float?
        var image: (height: Int, width: Int, colorspace: Int, png: [UInt8])?
        var text: String?
        var plugin: String?
    }

    var wallTime: Double
    var step: Int
    var fileVersion: String?
    var sessionStatus: Int?
    var values: [Value] = []

    init(_ bytes: ArraySlice<UInt8>) throws {
        let event = try ProtoMessage(bytes)
        wallTime = Double(bitPattern: event.all(1).last?.fixed64 ?? 0)
        step = event.int(2) ?? 0
        fileVersion = event.string(3)
        sessionStatus = try event.message(7).map { $0.int(1) ?? 0 }
        for value in try event.message(5)?.messages(1) ?? [] {
            var v = Value(tag: value.string(1) ?? "")
            v.scalar = value.all(2).last.map { Float(bitPattern: $0.fixed32) }
            if let image = try value.message(4) {
                v.image = (image.int(1) ?? 0, image.int(2) ?? 0, image.int(3) ?? 0, Array(image.all(4).last?.bytes ?? []))
            }
            if let tensor = try value.message(8) {
                XCTAssertEqual(tensor.int(1), 7, "DT_STRING")
                v.text = tensor.string(8)
            }
            v.plugin = try value.message(9)?.message(1)?.string(1)
            values.append(v)
        }
    }

    /// The same event built with our encoder (scalars, file versions and SessionLog START only).
    func reencoded() -> TensorBoardEvent? {
        if let fileVersion { return TensorBoardEvent(wallTime: wallTime, step: step, .fileVersion(fileVersion)) }
        if sessionStatus == 1 { return TensorBoardEvent(wallTime: wallTime, step: step, .sessionStart) }
        let scalars = values.compactMap { v in v.scalar.map { TensorBoardEvent.SummaryValue(tag: v.tag, .scalar($0)) } }
        guard !values.isEmpty, scalars.count == values.count else { return nil }
        return TensorBoardEvent(wallTime: wallTime, step: step, .summary(scalars))
    }
}
