import AudioSpecNet
import Foundation
import XCTest
import _TestSupport

/// The shipped model's lookup: the resource bundle SwiftPM places beside the executable, never the working
/// directory; an install without its bundle gets one line and exit 2, never a crash; `--model` overrides;
/// `--version` and `--help` name the default model.
final class DefaultModelTests: XCTestCase {
    typealias S = InferTestSupport

    func testSwiftPMPlacesTheResourceBundleBesideTheExecutable() {
        let folder = Bundle.main.bundleURL.appendingPathComponent(DefaultModel.bundleName).appendingPathComponent(DefaultModel.folder)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("README.md").path), folder.path)
    }

    /// The committed model itself, found in the bundle beside the built executable as a clean clone builds it,
    /// run from an unrelated working directory: it classifies the committed clips (five ESC-50 clips of five
    /// classes, one of them a 44.1 kHz original) correctly, and `--version` names it. These clips are among
    /// the 1 600 it trained on: this checks the shipped file and its lookup, not the model's accuracy (the
    /// model card, docs/model-card.md, gives that, measured on clips a model never saw).
    func testTheShippedModelClassifiesTheCommittedClips() throws {
        let path = try DefaultModel.path()
        let metadata = try SafetensorsFile.metadata(path: path)
        XCTAssertTrue(metadata["model_name"]?.hasPrefix("esc50-16k-") == true, "\(metadata["model_name"] ?? "no name")")
        let r = try CLI.run(["infer", "--json", "--top", "3", S.clipsDirectory], currentDirectory: "/")
        XCTAssertEqual(r.status, 0, "\(r)")
        var expected = Dictionary(uniqueKeysWithValues: S.clips.map { ($0.file, $0.label) })
        expected[(S.clip44k as NSString).lastPathComponent] = S.clip44kLabel
        let lines = S.jsonLines(r.stdout)
        XCTAssertEqual(lines.count, expected.count, r.stdout)
        for line in lines {
            let file = ((line["file"] as? String ?? "") as NSString).lastPathComponent
            let predictions = line["predictions"] as? [[String: Any]] ?? []
            XCTAssertEqual(predictions.count, 3, file)
            XCTAssertEqual(predictions.first?["class"] as? String, expected[file], "\(file): \(predictions)")
        }
        let version = try CLI.run(["--version"])
        XCTAssertTrue(version.stdout.contains("default model: " + metadata["model_name"]! + " (50 classes, 16000 Hz)"), version.stdout)
    }

    func testLookupNamesWhatIsMissing() throws {
        let dir = Fixtures.scratchDirectory("default-model-lookup")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let url = URL(fileURLWithPath: dir)
        XCTAssertThrowsError(try DefaultModel.path(executableDirectory: url)) { error in
            XCTAssertTrue("\(error)".contains("the resource bundle is not beside the executable"), "\(error)")
        }
        XCTAssertTrue(DefaultModel.summary(executableDirectory: url).hasPrefix("none ("))
        let folder = url.appendingPathComponent(DefaultModel.bundleName).appendingPathComponent(DefaultModel.folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        XCTAssertThrowsError(try DefaultModel.path(executableDirectory: url)) { error in
            XCTAssertTrue("\(error)".contains("no default model in this build's resource bundle"), "\(error)")
        }
        try S.writeModel(config: AudioCNNConfig(width: 8, blocks: [1, 1, 1, 1], numClasses: 3), classes: ["a", "b", "c"],
                         to: folder.appendingPathComponent(DefaultModel.fileName).path, extra: ["model_name": "tiny-test"])
        XCTAssertEqual(try DefaultModel.path(executableDirectory: url), folder.appendingPathComponent(DefaultModel.fileName).path)
        XCTAssertEqual(DefaultModel.summary(executableDirectory: url), "tiny-test (3 classes, 22050 Hz)")
    }

    /// A copy of the binary in a folder of its own, as `install` would put it, with or without a bundle whose
    /// model is the committed width-8 model exported under a name.
    private func install(in dir: String, withModel: Bool) throws -> String {
        let binary = dir + "/bin/audiospecnet"
        try FileManager.default.createDirectory(atPath: dir + "/bin", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: CLI.binaryPath, toPath: binary)
        if withModel {
            let folder = dir + "/bin/\(DefaultModel.bundleName)/\(DefaultModel.folder)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let r = try CLI.run(["export", S.pytorchModel, "--out", folder + "/" + DefaultModel.fileName, "--dtype", "f16", "--name", "w8-fixture"])
            XCTAssertEqual(r.status, 0, "\(r)")
        }
        return binary
    }

    func testAnInstallWithItsBundleClassifiesWithoutModel() throws {
        let dir = Fixtures.scratchDirectory("default-model-install")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let binary = try install(in: dir, withModel: true)
        // Run from an unrelated working directory: the lookup must not depend on it.
        let implicit = try CLI.run(["infer", "--json", "--top", "2", S.clipsDirectory], currentDirectory: "/", executable: binary)
        let explicit = try CLI.run(["infer", "--json", "--top", "2", "--model", dir + "/bin/\(DefaultModel.bundleName)/\(DefaultModel.folder)/\(DefaultModel.fileName)", S.clipsDirectory],
                                   executable: binary)
        XCTAssertEqual(implicit.status, 0, "\(implicit)")
        XCTAssertEqual(implicit.stdout, explicit.stdout)
        XCTAssertEqual(S.jsonLines(implicit.stdout).count, 5)
        let version = try CLI.run(["--version"], executable: binary)
        XCTAssertEqual(version.status, 0, "\(version)")
        XCTAssertTrue(version.stdout.contains(audioSpecNetVersion), version.stdout)
        XCTAssertTrue(version.stdout.contains("default model: w8-fixture (50 classes, 22050 Hz)"), version.stdout)
        for command in ["infer", "eval", "serve"] {
            let help = try CLI.run([command, "--help"], executable: binary)
            XCTAssertTrue(help.stdout.contains("w8-fixture"), "\(command): \(help)")
        }
        // Fine-tuning starts from it with --init-from default: four classes of the fifty, so fc is new.
        let folders = dir + "/folders"
        for c in TrainClips.clips {
            try FileManager.default.createDirectory(atPath: folders + "/" + c.category, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: Fixtures.path("clips/" + c.file), toPath: folders + "/" + c.category + "/" + c.file)
        }
        let tune = try CLI.run(["train", "--data", folders, "--val-split", "0.5", "--epochs", "1", "--batch-size", "4", "--cache", "none",
                                "--threads", "1", "--init-from", "default", "--freeze-backbone", "--out", dir + "/tuned"], executable: binary)
        XCTAssertEqual(tune.status, 0, "\(tune)")
        XCTAssertTrue(tune.stdout.contains("starting from " + dir + "/bin/\(DefaultModel.bundleName)"), tune.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/tuned/model.safetensors"))
        // --model overrides the shipped one.
        let other = try CLI.run(["infer", "--json", "--model", dir + "/absent.safetensors", S.clip(0)], executable: binary)
        CLIContract.assertCouldNotRun(other, contains: "absent.safetensors")
    }

    func testAnInstallWithoutItsBundleSaysSoInOneLine() throws {
        let dir = Fixtures.scratchDirectory("default-model-no-bundle")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let binary = try install(in: dir, withModel: false)
        for arguments in [["infer", S.clip(0)], ["eval", "--data", S.clipsDirectory]] {
            let r = try CLI.run(arguments, executable: binary)
            CLIContract.assertCouldNotRun(r, contains: "resource bundle is not beside the executable")
        }
        let version = try CLI.run(["--version"], executable: binary)
        XCTAssertEqual(version.status, 0, "\(version)")
        XCTAssertTrue(version.stdout.contains("default model: none"), version.stdout)
    }
}
