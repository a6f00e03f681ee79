import AudioSpecNet
import Foundation

/// One function per entry point that reads bytes from outside, shared by the libFuzzer driver
/// (`audiospecnet-fuzz`, built by `Scripts/fuzz.sh`) and the regression tests that replay the seed corpora
/// and every input that ever crashed (`Tests/Fixtures/fuzz/`). Each returns normally on bad input (the
/// library threw an error, as it should) and traps only on a real finding: a crash inside, or an invariant
/// broken (a NaN that escaped as a result).
public enum FuzzTargets {
    public static let names = ["audio", "safetensors", "csv"]

    public static func run(_ name: String, _ bytes: [UInt8]) {
        switch name {
        case "audio": audio(bytes)
        case "safetensors": safetensors(bytes)
        case "csv": csv(bytes)
        default: preconditionFailure("no fuzz target named \(name); targets: \(names.joined(separator: ", "))")
        }
    }

    /// The recipe's front end, made once: FFT plans and the filterbank are not what is being fuzzed.
    static let frontEnd = try! FrontEnd(config: .recipe)

    /// Audio bytes → decode (libsndfile virtual I/O) → resample → clip → log-mel. At most 60 s of audio,
    /// so that one input stays well under the fuzzer's time limit.
    public static func audio(_ bytes: [UInt8]) {
        guard let values = try? frontEnd.logMel(bytes: bytes, name: "fuzz-input", maxSeconds: 60) else { return }
        precondition(values.count == frontEnd.config.nMels * frontEnd.config.clipFrames, "log-mel has \(values.count) values")
        precondition(values.allSatisfy(\.isFinite), "a non-finite log-mel escaped as a result")
    }

    /// Safetensors bytes → header, metadata, architecture, front end and, for networks small enough to
    /// build quickly, the whole model load (names, shapes, dtypes, finiteness, variances).
    public static func safetensors(_ bytes: [UInt8]) {
        guard let file = try? SafetensorsFile(bytes: bytes, path: "fuzz-input") else { return }
        for name in file.names {
            guard let entry = try? file.entry(name) else { preconditionFailure("listed tensor \(name) has no entry") }
            if entry.count <= 1 << 16 { _ = try? file.doubles(name) }
        }
        guard let metadata = try? ModelFile.readMetadata(file) else { return }
        precondition(metadata.classes.count == metadata.architecture.numClasses)
        if let text = file.metadata["frontend"], let config = try? JSONDecoder().decode(FrontEndConfig.self, from: Data(text.utf8)),
           (try? config.validate()) != nil, config.nFFT <= 4096, config.nMels <= 256 {
            _ = try? FrontEnd(config: config)
        }
        guard metadata.architecture.parameterCount <= 1_000_000 else { return }
        guard let loaded = try? ModelFile.load(bytes: bytes, path: "fuzz-input") else { return }
        let arena = loaded.model.arena
        for e in arena.entries where e.kind != .counter {
            let p = arena.pointer(e.name)
            precondition((0..<e.count).allSatisfy { p[$0].isFinite }, "a non-finite \(e.name) was loaded")
        }
    }

    /// CSV bytes → the RFC 4180 reader and the ESC-50 metadata built from it.
    public static func csv(_ bytes: [UInt8]) {
        guard let records = try? CSVReader.parse(bytes) else { return }
        precondition(zip(records, records.dropFirst()).allSatisfy { $0.line < $1.line }, "record lines out of order")
        guard let metadata = try? ESC50Metadata(bytes: bytes, path: "fuzz-input") else { return }
        precondition(Set(metadata.clips.map(\.filename)).count == metadata.clips.count, "a duplicate file was accepted")
        // targets need not be contiguous: every row's target names one class, and each class has a row
        precondition(metadata.clips.allSatisfy { metadata.classIndex[$0.target].map { metadata.classes.indices.contains($0) } ?? false })
        precondition(Set(metadata.clips.map(\.target)).count == metadata.classes.count)
    }
}
