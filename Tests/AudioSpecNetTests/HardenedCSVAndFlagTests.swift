import AudioSpecNet
import Foundation
import XCTest
import _TestSupport

/// RFC 4180 through `CSVReader`, the ESC-50 metadata's refusals, and the bounds on flags and on a resumed
/// checkpoint's counters (issue 13).
final class HardenedCSVAndFlagTests: XCTestCase {
    private func fields(_ text: String) throws -> [[String]] { try CSVReader.parse(Array(text.utf8)).map(\.fields) }

    func testReaderFollowsRFC4180() throws {
        XCTAssertEqual(try fields("a,b\r\n1,2\r\n"), [["a", "b"], ["1", "2"]])
        XCTAssertEqual(try fields("a,b\n1,2"), [["a", "b"], ["1", "2"]])
        XCTAssertEqual(try fields("a,b\r1,2\r"), [["a", "b"], ["1", "2"]])
        XCTAssertEqual(try fields("\u{FEFF}filename,x\n"), [["filename", "x"]])
        XCTAssertEqual(try fields("\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\n"), [["a,b", "say \"hi\"", "two\nlines", ""]])
        XCTAssertEqual(try fields("\n\n,\n\"\"\n\nx\n"), [["", ""], [""], ["x"]])
        XCTAssertEqual(try CSVReader.parse(Array("a\n\"b\nc\"\nd\n".utf8)).map(\.line), [1, 2, 4])
        XCTAssertThrowsError(try fields("a,\"b\n")) { XCTAssertEqual("\($0)", "line 1: a quoted field is never closed") }
        XCTAssertThrowsError(try fields("a\n\"b\"c\n")) { XCTAssertTrue("\($0)".hasPrefix("line 2: text after a closing quote"), "\($0)") }
        XCTAssertEqual(try fields(""), [])
    }

    private let header = "filename,fold,target,category\n"

    private func refused(_ csv: String, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try ESC50Metadata(csv: csv, path: "m.csv"), file: file, line: line) {
            XCTAssertEqual("\($0)", message, file: file, line: line)
        }
    }

    func testMetadataRefusals() {
        // target Int.max once trapped in `max + 1`.
        refused(header + "a.wav,1,9223372036854775807,dog\n", "m.csv: line 2: target 9223372036854775807 is not 0…9999")
        refused(header + "a.wav,1,99999999999999999999,dog\n", "m.csv: line 2: fold and target must be integers")
        refused(header + "a.wav,-1,0,dog\n", "m.csv: line 2: fold -1 is not 0…1000")
        refused(header + "a.wav,1,0,dog\na.wav,1,0,dog\n", "m.csv: line 3: a.wav is listed twice (also line 2)")
        refused(header + "a.wav,1,0,dog\nb.wav,2,1,cat\na.wav,3,1,cat\n",
                "m.csv: line 4: a.wav conflicts with line 2 (fold 1, target 0 there; fold 3, target 1 here)")
        refused(header + "../../etc/passwd,1,0,dog\n", "m.csv: line 2: filename \"../../etc/passwd\" is not a plain file name")
        refused(header + "a.wav,1,\"0\n", "m.csv: line 2: a quoted field is never closed")
    }

    func testMetadataWithBOMCRLFAndQuotedCommas() throws {
        let csv = "\u{FEFF}filename,fold,target,category\r\n\"a,1.wav\",1,0,\"dog, barking\"\r\nb.wav,2,1,\"cat\"\r\n"
        let meta = try ESC50Metadata(csv: csv, path: "m.csv")
        XCTAssertEqual(meta.clips.map(\.filename), ["a,1.wav", "b.wav"])
        XCTAssertEqual(meta.classes, ["dog, barking", "cat"])
    }

    func testTrainingFlagsAreBounded() {
        func refusal(_ edit: (inout TrainingOptions) -> Void) -> String {
            var o = TrainingOptions()
            o.dataDirectory = "/nonexistent"
            edit(&o)
            do { try o.validate(); return "" } catch { return "\(error)" }
        }
        XCTAssertEqual(refusal { _ in }, "")
        XCTAssertEqual(refusal { $0.epochs = Int.max }, "epochs must be 1…100000, got 9223372036854775807")
        XCTAssertEqual(refusal { $0.batchSize = Int.max }, "the batch size must be 1…4096, got 9223372036854775807")
        XCTAssertEqual(refusal { $0.threads = Int.max }, "threads must be 1…1024, got 9223372036854775807")
        XCTAssertEqual(refusal { $0.architecture.width = 4096 }, "architecture: width must be 1…1024, got 4096")
        XCTAssertTrue(refusal { $0.architecture.width = 512 }.contains("parameters"))
        XCTAssertTrue(refusal { $0.frontEnd = TrainingOptions.frontEnd(sampleRate: 10) }.contains("sample_rate 10"))
        XCTAssertTrue(refusal { $0.maxLR = .infinity }.hasPrefix("the peak learning rate"))
        XCTAssertTrue(refusal { $0.testFold = Int.max }.hasPrefix("folds must be"))
    }

    /// The flags through the CLI: exit status 1 or 64 with one line, never a trap.
    func testHugeFlagsThroughTheCommandLine() throws {
        let dir = Fixtures.scratchDirectory("hardened-flags")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for args in [["--epochs", "9223372036854775807"], ["--batch-size", "9223372036854775807"], ["--width", "4096"]] {
            let result = try CLI.run(["train", "--data", "/nonexistent", "--out", dir + "/run"] + args, timeout: 60)
            XCTAssertTrue([1, 2, 64].contains(result.status), result.description)
            XCTAssertEqual(result.stderrLines.count, 1, result.description)
        }
    }

    /// A checkpoint whose state says epoch −1 once trapped on resume.
    func testCheckpointWithNegativeEpochIsRefused() throws {
        let dir = Fixtures.scratchDirectory("hardened-checkpoint")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var state = CheckpointState()
        state.epoch = -1
        let encoder = JSONEncoder()
        var writer = SafetensorsWriter(metadata: [
            "checkpoint": String(decoding: try encoder.encode(state), as: UTF8.self),
            "training_options": String(decoding: try encoder.encode(TrainingOptions()), as: UTF8.self),
        ])
        writer.add(Checkpoint.mName, shape: [1], floats: [0])
        writer.add(Checkpoint.vName, shape: [1], floats: [0])
        try writer.write(to: dir + "/last.safetensors")
        XCTAssertThrowsError(try Checkpoint.read(path: dir + "/last.safetensors")) {
            XCTAssertEqual("\($0)", "\(dir)/last.safetensors: checkpoint state: epoch is -1, must be 0…100000")
        }
        state.epoch = 3
        writer.metadata["checkpoint"] = String(decoding: try encoder.encode(state), as: UTF8.self)
        try writer.write(to: dir + "/last.safetensors")
        XCTAssertNoThrow(try Checkpoint.read(path: dir + "/last.safetensors"))
    }
}
