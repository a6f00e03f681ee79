import Foundation

/// The trained model a fine-tuning run starts from (`--init-from`): a model file or a checkpoint. Its
/// weights and BatchNorm statistics replace the run's fresh initialisation; where the run's classes are
/// not the model's, the classifier (`fc`) keeps the run's own seeded initialisation instead.
public struct StartingModel: Sendable {
    /// What became of the model's classifier.
    public enum Head: Equatable, Sendable {
        /// Same classes in the same order: every tensor kept.
        case kept
        /// Same classes in another order: every tensor kept, fc's rows reordered to the run's classes.
        case reordered
        /// Other classes: fc initialised from the run's seed, everything else kept.
        case reinitialised
    }

    public let path: String
    public let metadata: ModelMetadata
    public let frontEnd: FrontEndConfig
    /// FNV-1a of the state_dict tensors (names, dtypes, shapes, bytes; the metadata and a checkpoint's
    /// optimizer state left out): a run's identity, so that a resume refuses another starting model while
    /// a checkpoint and the model file exported from it count as the same start.
    public let weightsHash: String
    let file: SafetensorsFile

    public static let classifierTensors: Set<String> = ["fc.weight", "fc.bias"]

    public init(path: String) throws {
        try ModelFile.checkExists(path, purpose: " (to start from)")
        file = try SafetensorsFile(bytes: try ModelFile.readModelBytes(path), path: path)
        self.path = path
        metadata = try ModelFile.readMetadata(file)
        frontEnd = try metadata.frontEndConfig(path: path)
        var h = FNV1a64()
        for name in file.names.sorted() where !name.hasPrefix(ModelFile.checkpointPrefix) {
            let e = try file.entry(name)
            h.mix("\(name) \(e.dtype.rawValue) \(e.shape)\n".utf8)
            h.mix(try file.rawBytes(name))
        }
        weightsHash = h.hex
    }

    /// Refuses, in one line naming the file and the key, a run whose network or front end differs from the
    /// model's (only the number of classes may differ).
    public func check(architecture: AudioCNNConfig, frontEnd run: FrontEndConfig) throws {
        let a = metadata.architecture
        let network: [(String, String, String)] = [("width", "\(a.width)", "\(architecture.width)"),
                                                    ("blocks", "\(a.blocks)", "\(architecture.blocks)"),
                                                    ("in_channels", "\(a.inChannels)", "\(architecture.inChannels)")]
        let m = frontEnd
        let front: [(String, String, String)] = [
            ("sample_rate", "\(m.sampleRate)", "\(run.sampleRate)"), ("n_fft", "\(m.nFFT)", "\(run.nFFT)"),
            ("hop_length", "\(m.hopLength)", "\(run.hopLength)"), ("n_mels", "\(m.nMels)", "\(run.nMels)"),
            ("f_min", "\(m.fMin)", "\(run.fMin)"), ("f_max", "\(m.fMax)", "\(run.fMax)"),
            ("clip_seconds", "\(m.clipSeconds)", "\(run.clipSeconds)")]
        for (key, model, now) in network where model != now {
            throw AudioSpecNetError.format(path: path, reason: "cannot start from this model: its architecture has \(key) \(model), the run's has \(now) (leave the network to the model)")
        }
        for (key, model, now) in front where model != now {
            throw AudioSpecNetError.format(path: path, reason: "cannot start from this model: its front end has \(key) \(model), the run's has \(now) (a model only knows the spectrograms it was trained on; leave the front end to the model)")
        }
    }

    /// Loads the model's tensors into `model` (built for the run, initialised from the run's seed): all of
    /// them for the same classes, all but fc otherwise (fc's rows reordered when the classes are the same
    /// set in another order). `check` must have passed.
    @discardableResult
    public func load(into model: AudioCNN, classes: [String]) throws -> Head {
        if classes == metadata.classes {
            try ModelFile.loadWeights(into: model, from: file)
            return .kept
        }
        try ModelFile.loadWeights(into: model, from: file, excluding: Self.classifierTensors)
        let row = Dictionary(metadata.classes.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        guard classes.count == metadata.classes.count, row.count == classes.count, classes.allSatisfy({ row[$0] != nil }) else {
            return .reinitialised
        }
        let features = model.fc.inFeatures
        let weight = try file.floats("fc.weight"), bias = try file.floats("fc.bias")
        guard weight.count == classes.count * features, bias.count == classes.count,
              weight.allSatisfy(\.isFinite), bias.allSatisfy(\.isFinite) else {
            throw AudioSpecNetError.format(path: path, reason: "fc does not match the model's \(classes.count) classes and \(features) features, or holds NaN")
        }
        let w = model.arena.pointer("fc.weight"), b = model.arena.pointer("fc.bias")
        for (i, name) in classes.enumerated() {
            let r = row[name]!
            for j in 0..<features { w[i * features + j] = weight[r * features + j] }
            b[i] = bias[r]
        }
        return .reordered
    }

    /// One line for the run's log and config notes.
    public func describe(_ head: Head, classes: [String]) -> String {
        switch head {
        case .kept: return "starting from \(path): every tensor kept (the same \(classes.count) classes)"
        case .reordered: return "starting from \(path): every tensor kept, fc's rows reordered to the run's class order"
        case .reinitialised:
            return "starting from \(path): every tensor but fc kept; fc initialised from the seed for the run's \(classes.count) classes (the model has \(metadata.classes.count))"
        }
    }
}
