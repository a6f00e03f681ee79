import Foundation

/// What a model file says about itself beyond its weights: enough to rebuild the network, name its
/// outputs and reproduce the front end it was trained with.
public struct ModelMetadata: Equatable, Sendable {
    public var architecture: AudioCNNConfig
    public var classes: [String]
    /// The front end's settings as JSON (sample rate, FFT, mel bands, clip length).
    public var frontend: String
    /// Anything else recorded (training run, version).
    public var extra: [String: String]

    public init(architecture: AudioCNNConfig, classes: [String], frontend: String, extra: [String: String] = [:]) {
        self.architecture = architecture
        self.classes = classes
        self.frontend = frontend
        self.extra = extra
    }
}

extension ModelMetadata {
    /// The model's recorded front end; the recipe when the file records none (a bare PyTorch state_dict).
    /// `path` names the file in the error.
    public func frontEndConfig(path: String) throws -> FrontEndConfig {
        let text = frontend.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { return .recipe }
        guard let config = try? JSONDecoder().decode(FrontEndConfig.self, from: Data(text.utf8)) else {
            throw AudioSpecNetError.format(path: path, reason: "metadata \"frontend\" is not a valid front-end configuration: \(text)")
        }
        do { try config.validate() } catch { throw AudioSpecNetError.format(path: path, reason: "\(error)") }
        return config
    }
}

/// Model files are safetensors whose tensors are the PyTorch state_dict (F32; counters I64) and whose
/// metadata holds `format`, `architecture`, `classes` and `frontend` as JSON strings. Checkpoints add
/// training state under the reserved `__checkpoint__.` prefix, which plain loading ignores.
public enum ModelFile {
    public static let format = "audiospecnet-model"
    public static let checkpointPrefix = "__checkpoint__."

    /// Refuses, in one line, a path that names no file or a directory; `purpose` ends the first message.
    public static func checkExists(_ path: String, purpose: String = "") throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw AudioSpecNetError.file(path: path, reason: "no such model file" + purpose)
        }
        guard !isDirectory.boolValue else { throw AudioSpecNetError.file(path: path, reason: "is a directory, not a model file") }
    }

    /// The safetensors `__metadata__` of a model file: `extra`, then the keys this format defines.
    public static func headerMetadata(_ metadata: ModelMetadata) -> [String: String] {
        var meta = metadata.extra
        meta["format"] = format
        meta["format_version"] = "1"
        meta["tool_version"] = audioSpecNetVersion
        meta["architecture"] = jsonString(metadata.architecture)
        meta["classes"] = jsonString(metadata.classes)
        meta["frontend"] = metadata.frontend
        return meta
    }

    public static func writer(model: AudioCNN, metadata: ModelMetadata) -> SafetensorsWriter {
        var writer = SafetensorsWriter(metadata: headerMetadata(metadata))
        let arena = model.arena
        for e in arena.entries {
            if e.kind == .counter {
                writer.add(e.name, shape: [], int64s: [arena.counters[e.offset]])
            } else {
                writer.add(e.name, shape: e.shape, floats: UnsafeBufferPointer(start: arena.values(pointer: e.name), count: e.count))
            }
        }
        return writer
    }

    public static func save(model: AudioCNN, metadata: ModelMetadata, to path: String) throws {
        try writer(model: model, metadata: metadata).write(to: path)
    }

    /// Reads the file, rebuilds the architecture it names (or infers it from the tensor shapes of a file
    /// without metadata) and loads every tensor, checking names, shapes and dtypes.
    public static func load(path: String, allowingExtraTensors: Bool = false) throws -> (model: AudioCNN, metadata: ModelMetadata, file: SafetensorsFile) {
        try load(bytes: try readModelBytes(path), path: path, allowingExtraTensors: allowingExtraTensors)
    }

    /// `load(path:)` for a file already in memory (an upload, a fuzzer's input); `path` names it in errors.
    public static func load(bytes: [UInt8], path: String = "<memory>", allowingExtraTensors: Bool = false) throws -> (model: AudioCNN, metadata: ModelMetadata, file: SafetensorsFile) {
        if isPyTorchCheckpoint(bytes) { throw pyTorchCheckpoint(path) }
        let file = try SafetensorsFile(bytes: bytes, path: path)
        let metadata = try readMetadata(file)
        let model = try AudioCNN(config: metadata.architecture)
        try loadWeights(into: model, from: file, allowingExtraTensors: allowingExtraTensors)
        return (model, metadata, file)
    }

    /// The largest model or checkpoint file read (a checkpoint holds the weights three times: weights,
    /// AdamW m and v; the largest network, `AudioCNNConfig.maxParameters`, makes a 1.2 GB checkpoint).
    public static let maxFileBytes = 2 << 30

    /// The file's bytes, after refusing what is too large to be a model and what is a PyTorch checkpoint.
    static func readModelBytes(_ path: String) throws -> [UInt8] {
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber, size.int64Value > Int64(maxFileBytes) {
            throw AudioSpecNetError.format(path: path, reason: "is \(size.int64Value) bytes, larger than the largest model file (\(maxFileBytes) bytes)")
        }
        let bytes = try readWholeFile(path)
        if isPyTorchCheckpoint(bytes) { throw pyTorchCheckpoint(path) }
        return bytes
    }

    static func pyTorchCheckpoint(_ path: String) -> AudioSpecNetError {
        .format(path: path, reason: "is a PyTorch checkpoint (.pth), not a safetensors model: convert it with `python3 Scripts/convert_checkpoint.py to-safetensors \(path) model.safetensors`")
    }

    /// torch.save writes a zip archive (PyTorch ≥ 1.6) or, before that, a pickle (protocol 2–5).
    static func isPyTorchCheckpoint(_ bytes: [UInt8]) -> Bool {
        if bytes.count >= 4, bytes[0] == 0x50, bytes[1] == 0x4B, bytes[2] == 0x03, bytes[3] == 0x04 { return true }
        return bytes.count >= 2 && bytes[0] == 0x80 && (2...5).contains(bytes[1])
    }

    public static func readMetadata(_ file: SafetensorsFile) throws -> ModelMetadata {
        func bad(_ reason: String) -> AudioSpecNetError { .format(path: file.path, reason: reason) }
        if let f = file.metadata["format"], f != format { throw bad("not an AudioSpecNet model (format \"\(f)\")") }
        var architecture: AudioCNNConfig
        if let text = file.metadata["architecture"] {
            guard let a = try? JSONDecoder().decode(AudioCNNConfig.self, from: Data(text.utf8)) else {
                throw bad("metadata \"architecture\" is not a valid architecture: \(text)")
            }
            architecture = a
        } else {
            architecture = try inferArchitecture(file)
        }
        do { try architecture.validate() } catch { throw bad("metadata \"architecture\": \(error)") }
        var classes: [String]
        if let text = file.metadata["classes"] {
            guard let c = try? JSONDecoder().decode([String].self, from: Data(text.utf8)) else { throw bad("metadata \"classes\" is not a list of names") }
            classes = c
        } else {
            classes = (0..<architecture.numClasses).map { "class_\($0)" }
        }
        guard classes.count == architecture.numClasses else {
            throw bad("lists \(classes.count) class names for a network with \(architecture.numClasses) outputs")
        }
        let extra = file.metadata.filter { !["format", "architecture", "classes", "frontend"].contains($0.key) }
        return ModelMetadata(architecture: architecture, classes: classes, frontend: file.metadata["frontend"] ?? "", extra: extra)
    }

    /// Width, block counts and classes from a bare state_dict's shapes (a PyTorch file without metadata).
    static func inferArchitecture(_ file: SafetensorsFile) throws -> AudioCNNConfig {
        guard let stem = try? file.shape("conv1.0.weight"), stem.count == 4, let fc = try? file.shape("fc.weight"), fc.count == 2 else {
            throw AudioSpecNetError.format(path: file.path, reason: "not an AudioCNN state_dict (no conv1.0.weight / fc.weight)")
        }
        var blocks: [Int] = []
        while true {
            let s = blocks.count + 1
            var count = 0
            while file.entries["layer\(s).\(count).conv1.weight"] != nil { count += 1 }
            if count == 0 { break }
            blocks.append(count)
        }
        return AudioCNNConfig(width: stem[0], blocks: blocks, numClasses: fc[0], inChannels: stem[1])
    }

    /// Copies every state_dict tensor of `file` into the model, after checking that the file has exactly
    /// the model's names with the right shapes and dtypes; the error lists every mismatch.
    /// `allowingExtraTensors` lets a fixture or bundle carry other tensors beside the state_dict.
    /// `excluding` names tensors left as they are in the model, whatever the file holds under those names
    /// (fine-tuning for other classes keeps everything but the new classifier).
    public static func loadWeights(into model: AudioCNN, from file: SafetensorsFile, allowingExtraTensors: Bool = false,
                                   excluding: Set<String> = []) throws {
        let arena = model.arena
        var problems: [String] = []
        let expected = Set(arena.entries.map(\.name))
        let entries = arena.entries.filter { !excluding.contains($0.name) }
        let missing = entries.map(\.name).filter { file.entries[$0] == nil }
        if !missing.isEmpty { problems.append("missing \(list(missing))") }
        let unexpected = file.names.filter { !expected.contains($0) && !$0.hasPrefix(checkpointPrefix) }
        if !unexpected.isEmpty && !allowingExtraTensors { problems.append("unexpected \(list(unexpected))") }
        for e in entries {
            guard let f = file.entries[e.name] else { continue }
            if e.kind == .counter {
                if f.count != 1 || (f.dtype != .i64 && f.dtype != .f32) { problems.append("\(e.name) should be one I64 value, is \(f.dtype.rawValue) \(f.shape)") }
            } else if f.shape != e.shape {
                problems.append("\(e.name) has shape \(f.shape), the model needs \(e.shape)")
            } else if f.dtype != .f32 && f.dtype != .f64 && f.dtype != .f16 {
                problems.append("\(e.name) has dtype \(f.dtype.rawValue), expected F32")
            }
        }
        guard problems.isEmpty else {
            throw AudioSpecNetError.format(path: file.path, reason: "does not match the model: " + problems.joined(separator: "; "))
        }
        for e in entries {
            if e.kind == .counter {
                // A counter stored as F32 may hold NaN or 1e30, which Int64(_:) would trap on.
                let value = try file.doubles(e.name)[0]
                guard value.isFinite, value >= 0, value < 0x1p62, value == value.rounded() else {
                    throw AudioSpecNetError.format(path: file.path, reason: "tensor \(e.name) should be a count ≥ 0, is \(value)")
                }
                arena.counters[e.offset] = Int64(value)
            } else {
                let destination = arena.pointer(e.name)
                try file.copyFloats(e.name, into: destination)
                for i in 0..<e.count where !destination[i].isFinite {
                    throw AudioSpecNetError.format(path: file.path, reason: "tensor \(e.name) contains NaN or infinite values")
                }
                // A negative variance makes BatchNorm's 1/sqrt(var + eps) NaN: garbage predictions with exit 0.
                if e.name.hasSuffix(".running_var") {
                    for i in 0..<e.count where destination[i] < 0 {
                        throw AudioSpecNetError.format(path: file.path, reason: "tensor \(e.name) holds a negative variance (\(destination[i]) at index \(i))")
                    }
                }
            }
        }
    }

    private static func list(_ names: [String]) -> String {
        names.count <= 4 ? names.joined(separator: ", ") : names.prefix(4).joined(separator: ", ") + " and \(names.count - 4) more"
    }
}
