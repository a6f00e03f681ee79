import ArgumentParser
import AudioSpecNet
import Foundation

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a model as a plain model file (float32 or float16 safetensors) or as ONNX.",
        discussion: """
        MODEL is any model file or training checkpoint this tool writes (best.safetensors, last.safetensors, \
        a model file, a float16 one) or a file from convert_checkpoint.py.

        safetensors: the weights and BatchNorm statistics under their PyTorch state_dict names, counters as \
        I64, and the metadata (architecture, classes, front end, training options, a finished run's \
        training_summary, and from a checkpoint a checkpoint_summary: the epoch and its figures); no optimizer state. --dtype f16 stores every float \
        tensor as IEEE float16 (rounded to nearest even; PyTorch's safetensors loader reads it as \
        torch.float16), half the size; this tool widens it to float32 on load. A value outside float16's range \
        (|x| ≥ 65520) is refused, not clamped: use --dtype f32 for such a model.

        onnx: the network in evaluation mode (opset 17), input "log_mel" [N, 1, n_mels, frames] in dB with N \
        and frames dynamic, output "logits" [N, classes]; metadata_props "classes" and "frontend" hold the \
        same JSON as the safetensors metadata. BatchNorm is written as BatchNormalization nodes, or folded \
        into the convolutions with --fold-batchnorm. Float32 only.

        --check CLIP... classifies real clips (files or directories) with MODEL as this tool computes it; for \
        safetensors the written file is loaded back and compared (top-1 changes, largest logit difference: \
        the effect of float16 storage); --test-data DIR writes those clips' log-mels and MODEL's logits \
        (input.npy, logits.npy, files.txt) for Scripts/check_onnx.py.

        Exit status: 0 when written (and every check clip decoded); 1 when some check clips failed; 2 when \
        nothing was written (bad model, bad options, a value float16 cannot hold).
        """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case safetensors, onnx }

    @Argument(help: ArgumentHelp("The model file or checkpoint to export.", valueName: "MODEL"))
    var model: String

    @Option(name: .long, help: ArgumentHelp("The file to write.", valueName: "FILE"))
    var out: String

    @Option(name: .long, help: ArgumentHelp("Float storage: f32 or f16 (safetensors only).", valueName: "f32|f16"))
    var dtype: String = "f32"

    @Option(name: .long, help: ArgumentHelp("safetensors or onnx (default: onnx when FILE ends in .onnx).", valueName: "FORMAT"))
    var format: Format?

    @Option(name: .long, help: ArgumentHelp("A name for the model, recorded as metadata model_name (shown by --version for the shipped model).", valueName: "NAME"))
    var name: String?

    @Flag(name: .customLong("fold-batchnorm"), help: "ONNX: fold each BatchNorm into the convolution before it.")
    var foldBatchNorm = false

    @Option(name: .long, parsing: .upToNextOption, help: ArgumentHelp("Audio files or directories to check the export on.", valueName: "CLIP"))
    var check: [String] = []

    @Option(name: .customLong("test-data"), help: ArgumentHelp("Write the --check clips' log-mels and logits here (for Scripts/check_onnx.py).", valueName: "DIR"))
    var testData: String?

    @OptionGroup var compute: ThreadOptions

    func validate() throws {
        guard ModelStorage(rawValue: dtype.lowercased()) != nil else { throw ValidationError("--dtype must be f32 or f16, got \"\(dtype)\"") }
        if resolvedFormat == .onnx && dtype.lowercased() != "f32" { throw ValidationError("ONNX export is float32 only; drop --dtype f16") }
        if let name, name.isEmpty || name.count > 200 || name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw ValidationError("--name must be 1–200 printable characters")
        }
        if foldBatchNorm && resolvedFormat != .onnx { throw ValidationError("--fold-batchnorm applies to --format onnx only") }
        if testData != nil && check.isEmpty { throw ValidationError("--test-data needs clips: pass --check CLIP...") }
        guard (out as NSString).standardizingPath != (model as NSString).standardizingPath else {
            throw ValidationError("--out is the model file itself; write to another file")
        }
    }

    func run() throws { try export() }

    private var resolvedFormat: Format { format ?? (out.lowercased().hasSuffix(".onnx") ? .onnx : .safetensors) }

    private func export() throws {
        let storage = ModelStorage(rawValue: dtype.lowercased()) ?? .f32  // checked in validate()
        let format = resolvedFormat
        let source = try Classifier(modelPath: model, context: compute.context)
        var metadata = ModelExport.modelMetadata(source.metadata)
        if let name { metadata.extra["model_name"] = name }
        let origin = source.metadata.extra["checkpoint"] != nil ? "checkpoint" : "model file"

        switch format {
        case .safetensors:
            let report = try ModelExport.save(model: source.model, metadata: metadata, storage: storage, to: out)
            print("wrote \(out): \(storage.dtype.rawValue), \(source.model.arena.entries.count) tensors, \(megabytes(out)) (from the \(origin) \(model))")
            if storage == .f16 {
                print(String(format: "float16 rounding: largest change %.3g (relative, in float16's normal range: %.3g) over %d values; %d subnormal, %d non-zero values became 0",
                             report.maxAbsoluteError, report.maxRelativeError, report.values, report.subnormal, report.flushedToZero))
            }
        case .onnx:
            // A protobuf message (the whole ONNX file here: no external data) cannot exceed 2 GiB.
            let weightBytes = 4 * (source.model.arena.parameterCount + source.model.arena.bufferCount)
            guard weightBytes < 2_000_000_000 else {
                throw AudioSpecNetError.invalidArgument("the weights take \(weightBytes) bytes; an ONNX file holds at most 2 GB (protobuf's limit)")
            }
            let onnx = ONNXExport.model(source.model, metadata: metadata, nMels: source.config.nMels, foldBatchNorm: foldBatchNorm)
            try AtomicFile.write(onnx.serialized(), to: out)
            print("wrote \(out): ONNX opset \(onnx.opsetVersion), \(onnx.nodes.count) nodes, \(onnx.initializers.count) initializers, \(megabytes(out))"
                  + (foldBatchNorm ? ", BatchNorm folded" : "") + " (from the \(origin) \(model))")
            if let level = source.config.level {
                // the graph starts at the log-mel: the loudness normalisation is the caller's to apply
                print("note: the model normalises each clip's loudness (\(level), frontend.level_normalization) before the log-mel; the ONNX graph starts at the log-mel, so scale each clip's audio to that level before computing it")
            }
        }
        if !check.isEmpty { try runCheck(source: source, format: format) }
    }

    private func runCheck(source: Classifier, format: Format) throws {
        let (files, inputErrors) = InputExpansion.expand(check)
        for e in inputErrors { printError("\(e.path): \(e.error ?? "unreadable")") }
        guard !files.isEmpty else { throw AudioSpecNetError.invalidArgument("--check found no audio files") }
        let reference = ReferenceClips(classifier: source, files: files)
        for f in reference.failures { printError("\(f.path): \(f.error)") }
        if let testData {
            let written = try reference.writeTestData(to: testData)
            print("wrote " + written.joined(separator: ", ") + " (\(reference.files.count) clips)")
        }
        if format == .safetensors {
            let exported = try Classifier(modelPath: out, context: compute.context)
            let agreement = PredictionAgreement(reference: reference.logits, other: reference.logits(of: exported), files: reference.files)
            print(String(format: "check: top-1 changed on %d of %d clips; largest logit difference %.3g (relative %.3g)",
                         agreement.changes.count, agreement.clips, agreement.maxAbsoluteDifference, agreement.maxRelativeDifference))
            for c in agreement.changes {
                print("  \(c.file): \(source.classes[c.from]) -> \(source.classes[c.to])")
            }
        }
        let failed = inputErrors.count + reference.failures.count
        if failed > 0 {
            printError("\(failed) check clips could not be read (see above)")
            throw ExitStatus.someFailed
        }
    }

    private func megabytes(_ path: String) -> String {
        let size = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.doubleValue ?? 0
        return String(format: "%.1f MB", size / 1e6)
    }
}
