import Foundation

/// The model that ships with the tool, as a SwiftPM resource of this library: `DefaultModel/model.safetensors`
/// in the bundle `AudioSpecNet_AudioSpecNet.resources`, which `swift build` places beside the executable.
///
/// Found through the bundle beside the running executable, never through the working directory. The bundle's
/// presence is checked before `Bundle.module` is touched, because SwiftPM's generated accessor stops the
/// process (fatalError) when the bundle is missing — a binary copied without its bundle must get an error.
public enum DefaultModel {
    public static let bundleName = "AudioSpecNet_AudioSpecNet.resources"
    public static let folder = "DefaultModel"
    public static let fileName = "model.safetensors"

    /// The default model file's path, looked up in `executableDirectory` (the running executable's folder
    /// unless a caller, such as a test, names another).
    public static func path(executableDirectory: URL = Bundle.main.bundleURL) throws -> String {
        let bundle = executableDirectory.appendingPathComponent(bundleName, isDirectory: true)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: bundle.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw AudioSpecNetError.file(path: bundle.path, reason: "no default model: the resource bundle is not beside the executable (install the folder \(bundleName) with the binary, or name a model file)")
        }
        // Bundle.module would find the same folder (it looks beside the executable first); reading the
        // path directly keeps a caller-chosen directory meaningful.
        let file = bundle.appendingPathComponent(folder).appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw AudioSpecNetError.file(path: file.path, reason: "no default model in this build's resource bundle (name a model file)")
        }
        return file.path
    }

    /// What `--version` and `--help` say about the default model: its name (the `model_name` metadata that
    /// `export --name` records), classes and sample rate; or why there is none. Never throws: a version line
    /// must print even when the bundle is missing or damaged.
    public static func summary(executableDirectory: URL = Bundle.main.bundleURL) -> String {
        do {
            let path = try path(executableDirectory: executableDirectory)
            let metadata = try SafetensorsFile.metadata(path: path)
            let name = metadata["model_name"] ?? (path as NSString).lastPathComponent
            let classes = metadata["classes"].flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) }
            let rate = metadata["frontend"].flatMap { try? JSONDecoder().decode(FrontEndConfig.self, from: Data($0.utf8)) }
            return "\(name) (\(classes.map { "\($0.count) classes" } ?? "classes unnamed")\(rate.map { ", \($0.sampleRate) Hz" } ?? ""))"
        } catch AudioSpecNetError.file(_, let reason), AudioSpecNetError.format(_, let reason) {
            return "none (" + reason.prefix { $0 != "(" }.trimmingCharacters(in: .whitespaces) + ")"
        } catch {
            return "none (\(error))"
        }
    }
}
