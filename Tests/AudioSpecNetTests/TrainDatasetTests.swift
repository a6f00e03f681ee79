import Foundation
import XCTest
import AudioSpecNet
import _TestSupport

/// `train --data` reads what `eval --data` reads: class folders, CSVs with and without folds, ESC-50 subsets
/// with non-contiguous targets and `.flac` clips; splits without folds are stratified and seeded.
final class TrainDatasetTests: XCTestCase {
    private func options(_ data: String) -> TrainingOptions {
        var o = TrainClips.smallOptions(data: data)
        o.testFold = nil
        o.valFold = nil
        return o
    }

    private func load(_ o: TrainingOptions) throws -> TrainingData { try TrainingData.load(options: o, cacheDirectory: nil) }

    /// The message of the error `body` throws, checked to be one line.
    private func refusal(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> String {
        do { try body() } catch {
            let text = "\(error)"
            XCTAssertFalse(text.contains("\n"), "one line: \(text)", file: file, line: line)
            return text
        }
        XCTFail("expected a refusal", file: file, line: line)
        return ""
    }

    private func classFolders() throws -> String {
        let dir = Fixtures.scratchDirectory("folders")
        for c in TrainClips.clips {
            try FileManager.default.createDirectory(atPath: dir + "/" + c.category, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: Fixtures.path("clips/" + c.file), toPath: dir + "/" + c.category + "/" + c.file)
        }
        return dir
    }

    /// A CSV beside the committed clips (paths relative to it), with the given extra column text per clip.
    private func csv(_ text: String) throws -> String {
        let dir = Fixtures.scratchDirectory("csv")
        for c in TrainClips.clips { try FileManager.default.copyItem(atPath: Fixtures.path("clips/" + c.file), toPath: dir + "/" + c.file) }
        try text.write(toFile: dir + "/labels.csv", atomically: true, encoding: .utf8)
        return dir + "/labels.csv"
    }

    /// An ESC-50 layout whose metadata uses the real (non-contiguous) targets and lists `.wav` names for
    /// clips stored as `.flac`.
    private func realTargetsLayout(esc10: Set<String> = []) throws -> String {
        let dir = Fixtures.scratchDirectory("esc-subset")
        try FileManager.default.createDirectory(atPath: dir + "/audio", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/meta", withIntermediateDirectories: true)
        var text = "filename,fold,target,category,esc10,src_file,take\n"
        for (i, c) in TrainClips.clips.enumerated() {
            try FileManager.default.copyItem(atPath: Fixtures.path("clips/" + c.file), toPath: dir + "/audio/" + c.file)
            let target = c.file.split(separator: "-").last!.split(separator: ".").first!
            let wav = c.file.replacingOccurrences(of: ".flac", with: ".wav")
            text += "\(wav),\(TrainClips.defaultFolds[i]),\(target),\(c.category),\(esc10.contains(c.category) ? "True" : "False"),0,A\n"
        }
        try text.write(toFile: dir + "/meta/esc50.csv", atomically: true, encoding: .utf8)
        return dir
    }

    func testClassFoldersWithAStratifiedValidationSplit() throws {
        var o = options(try classFolders())
        o.valSplit = 0.5
        let data = try load(o)
        XCTAssertEqual(data.classes, ["chainsaw", "clock_tick", "dog", "rooster"])
        XCTAssertEqual(data.train.count, 4)
        XCTAssertEqual(data.validation.count, 4)
        XCTAssertEqual(data.test.count, 0)
        XCTAssertEqual(data.train.labels.sorted(), [0, 1, 2, 3], "one training clip per class")
        XCTAssertEqual(data.validation.labels.sorted(), [0, 1, 2, 3])
        for (name, label) in zip(data.train.names, data.train.labels) {
            XCTAssertTrue(name.contains("/" + data.classes[label] + "/"), name)
        }
        XCTAssertTrue(data.splitCSV.hasPrefix("path,label,split\n"))
        XCTAssertEqual(data.splitCSV.split(separator: "\n").count, 9)
        XCTAssertEqual(data.classCountLines.count, 5)
    }

    func testValSplitIsReproducibleFromItsSeed() throws {
        let labels = (0..<300).map { $0 % 7 }
        let a = TrainingData.stratifiedSplit(labels: labels, classCount: 7, val: 0.2, test: 0.1, seed: 3)
        XCTAssertEqual(a, TrainingData.stratifiedSplit(labels: labels, classCount: 7, val: 0.2, test: 0.1, seed: 3))
        XCTAssertNotEqual(a, TrainingData.stratifiedSplit(labels: labels, classCount: 7, val: 0.2, test: 0.1, seed: 4))
        for c in 0..<7 {
            let roles = labels.indices.filter { labels[$0] == c }.map { a[$0] }
            let n = roles.count
            XCTAssertEqual(roles.filter { $0 == 1 }.count, Int((Double(n) * 0.2).rounded()))
            XCTAssertEqual(roles.filter { $0 == 2 }.count, Int((Double(n) * 0.1).rounded()))
        }
        // the same data and seed give the same files in each set; another seed another split
        let folders = try classFolders()
        var o = options(folders)
        o.valSplit = 0.5
        let first = try load(o), again = try load(o)
        XCTAssertEqual(first.splitCSV, again.splitCSV)
        XCTAssertEqual(first.identity.map(\.value), again.identity.map(\.value))
        let splits = Set((0..<8).map { seed -> String in
            o.seed = UInt64(seed)
            return TrainingData.stratifiedSplit(labels: first.train.labels + first.validation.labels, classCount: 4, val: 0.5, test: 0, seed: o.seed).map(String.init).joined()
        })
        XCTAssertGreaterThan(splits.count, 1, "the seed picks the split")
    }

    func testCSVWithoutFoldsAndWithFolds() throws {
        var rows = "path,label\n"
        for c in TrainClips.clips { rows += "\(c.file),\(c.category)\n" }
        var o = options(try csv(rows))
        o.valSplit = 0.5
        let data = try load(o)
        XCTAssertEqual(data.classes, ["chainsaw", "clock_tick", "dog", "rooster"])
        XCTAssertEqual([data.train.count, data.validation.count], [4, 4])

        var folded = "\u{FEFF}label,fold,path\r\n"
        for (i, c) in TrainClips.clips.enumerated() { folded += "\"\(c.category)\",\(TrainClips.defaultFolds[i]),\(c.file)\r\n" }
        var f = TrainClips.smallOptions(data: try csv(folded))
        f.testFold = 3
        f.valFold = 2
        let byFold = try load(f)
        XCTAssertEqual([byFold.train.count, byFold.validation.count, byFold.test.count], [6, 1, 1])
        XCTAssertEqual(byFold.trainFolds, [1])
        XCTAssertEqual(byFold.classes[byFold.test.labels[0]], "clock_tick")
        f.valSplit = 0.2
        XCTAssertTrue(refusal { _ = try load(f) }.contains("fold column"))
    }

    func testNonContiguousESC50SubsetOfFlacClips() throws {
        let layout = try realTargetsLayout()
        let data = try load(TrainClips.smallOptions(data: layout))
        XCTAssertEqual(data.classes, ["dog", "rooster", "clock_tick", "chainsaw"], "ordered by target 0, 1, 38, 41")
        XCTAssertEqual([data.train.count, data.validation.count, data.test.count], [6, 1, 1])
        XCTAssertEqual(data.test.names, ["1-21935-A-38.wav"])
        XCTAssertEqual(data.test.labels, [2])
        XCTAssertEqual(data.validation.labels, [1])
        XCTAssertTrue(data.notes.allSatisfy { !$0.contains("ignoring") }, "the .flac files are the listed clips: \(data.notes)")

        let esc10 = try realTargetsLayout(esc10: ["dog", "chainsaw"])
        var o = TrainClips.smallOptions(data: esc10)
        o.esc10 = true
        o.testFold = nil
        o.valFold = nil
        let subset = try load(o)
        XCTAssertEqual(subset.classes, ["dog", "chainsaw"])
        XCTAssertEqual(subset.train.count, 4)
        XCTAssertEqual(subset.train.labels.sorted(), [0, 0, 1, 1])
    }

    func testBadCSVsAreRefusedInOneLine() throws {
        XCTAssertTrue(refusal { _ = try load(self.options(try self.csv("path,label\n1-30226-A-0.flac\n"))) }.contains("line 2"))
        XCTAssertTrue(refusal { _ = try load(self.options(try self.csv("path,label\nnot-there.wav,dog\n1-30226-A-0.flac,dog\n"))) }.contains("not-there.wav"))
        var rows = "path,label,fold\n"
        for c in TrainClips.clips { rows += "\(c.file),\(c.category),\(c.category == "rooster" ? 3 : 1)\n" }
        var o = options(try csv(rows))
        o.testFold = 3
        let empty = refusal { _ = try load(o) }
        XCTAssertTrue(empty.contains("\"rooster\" has no training clip"), empty)
        o.testFold = nil
        XCTAssertTrue(refusal { _ = try load(self.options(try self.csv("path,label,fold\n1-30226-A-0.flac,dog,x\n"))) }.contains("fold"))
        var folderOptions = options(try classFolders())
        folderOptions.valFold = 2
        XCTAssertTrue(refusal { _ = try load(folderOptions) }.contains("no folds"))
    }

    /// Runs started before these options existed resume: their saved JSON decodes, and the identity is
    /// the same keys with the same values.
    func testOldRunsKeepTheirIdentity() throws {
        var o = TrainingOptions()
        o.testFold = nil
        o.valFold = nil
        o.frontEnd = TrainingOptions.frontEnd(sampleRate: 16_000)
        o.threads = 1
        let json = String(decoding: try JSONEncoder().encode(o), as: UTF8.self)
        XCTAssertFalse(json.contains("val_split") || json.contains("esc10"), "unset options are not written")
        let old = try JSONDecoder().decode(TrainingOptions.self, from: Data(json.utf8))
        XCTAssertNil(old.valSplit)
        XCTAssertEqual(o.identity.map(\.key), ["test-fold", "val-fold", "train-folds", "epochs", "batch-size", "max-lr", "pct-start",
                                               "weight-decay", "label-smoothing", "dropout", "spec-augment", "mixup", "seed", "width",
                                               "architecture", "sample-rate", "frontend"])
        XCTAssertNil(o.firstDifference(from: old))
        var split = o
        split.valSplit = 0.2
        XCTAssertEqual(split.firstDifference(from: old)?.key, "val-split")
        // an ESC-50 layout's data identity: the same formula as before (classes, counts, metadata hash, clip list)
        let layout = try TrainClips.makeLayout(label: "identity")
        let data = try load(TrainClips.smallOptions(data: layout))
        let list = (data.train.names + ["|"] + data.validation.names + ["|"] + data.test.names).joined(separator: "\n")
        let csvHash = fnv1a64Hex(FileManager.default.contents(atPath: layout + "/meta/esc50.csv")!)
        XCTAssertEqual(data.identity.map(\.key), ["classes", "train-clips", "val-clips", "test-clips", "metadata-hash", "clip-list"])
        XCTAssertEqual(data.identity.map(\.value), ["4", "6", "1", "1", csvHash, fnv1a64Hex(Data(list.utf8))])
        XCTAssertEqual(data.train.names, ["1-30226-A-0.flac", "1-30344-A-0.flac", "2-71162-A-1.flac", "1-21934-A-38.flac", "1-116765-A-41.flac", "1-19898-A-41.flac"])
    }

    /// `--cv` on a CSV with a fold column: every fold is the test fold once; data without folds is refused.
    func testCrossValidationOverACSVsFolds() throws {
        var rows = "path,label,fold\n"
        var seen = Set<String>()
        for c in TrainClips.clips { rows += "\(c.file),\(c.category),\(seen.insert(c.category).inserted ? 1 : 2)\n" }
        var o = options(try csv(rows))
        o.epochs = 1
        XCTAssertEqual(try CrossValidation.foldsWithAudio(o), [1, 2])
        var tested: [Int] = []
        let result = try CrossValidation.run(options: o, outputDirectory: Fixtures.scratchDirectory("csv-cv"), resume: false) { fold, dir, resume in
            tested.append(fold.testFold!)
            XCTAssertNil(fold.valFold)
            let t = try TrainingSession.start(options: fold, outputDirectory: dir, resume: resume, cacheDirectory: nil)
            XCTAssertEqual([t.data.train.count, t.data.test.count], [4, 4])
            t.drawCurves = false
            return try t.run()
        }
        XCTAssertEqual(tested, [1, 2])
        XCTAssertEqual(result.folds.count, 2)
        o.dataDirectory = try classFolders()
        XCTAssertTrue(refusal { _ = try CrossValidation.foldsWithAudio(o) }.contains("no folds to cross-validate"))
    }

    func testTrainCommandOnClassFoldersWritesTheSplitAndTheClassNames() throws {
        guard FileManager.default.isExecutableFile(atPath: CLI.binaryPath) else { throw XCTSkip("audiospecnet executable not built") }
        let folders = try classFolders()
        let out = Fixtures.scratchDirectory("folders-run")
        let r = try CLI.run(["train", "--data", folders, "--val-split", "0.5", "--epochs", "1", "--width", "4", "--batch-size", "4",
                             "--seed", "5", "--out", out, "--cache", "none", "--threads", "1"])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertTrue(r.stdout.contains("clips per class (train/val/test):") && r.stdout.contains("dog: 1/1/0"), r.stdout)
        let split = String(decoding: FileManager.default.contents(atPath: out + "/split.csv") ?? Data(), as: UTF8.self)
        XCTAssertEqual(split.split(separator: "\n").filter { $0.hasSuffix(",val") }.count, 4, split)
        var o = TrainClips.smallOptions(data: folders)
        (o.testFold, o.valFold, o.valSplit, o.seed) = (nil, nil, 0.5, 5)
        XCTAssertEqual(split, try load(o).splitCSV, "the split is reproduced from the seed")
        XCTAssertEqual(try ModelFile.load(path: out + "/model.safetensors").metadata.classes, ["chainsaw", "clock_tick", "dog", "rooster"])
        let bad = try CLI.run(["train", "--data", folders, "--val-fold", "2", "--out", out + "-bad", "--cache", "none"])
        XCTAssertEqual(bad.status, 2, "\(bad)")
        XCTAssertEqual(bad.stderr.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count, 1, bad.stderr)
    }
}
