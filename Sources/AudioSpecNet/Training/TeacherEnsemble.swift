import Foundation

/// The teachers of a distillation run (`train --teacher MODEL`, repeatable): models read once, run in
/// evaluation mode on the student's own augmented batch, their softened probabilities averaged. They must
/// know the run's classes in its order and share its front end (they see the same spectrograms).
public final class TeacherEnsemble {
    public let paths: [String]
    /// Each teacher's weights hash (`StartingModel.weightsHash`): what the run's identity records.
    public let hashes: [String]
    private let models: [AudioCNN]

    public init(paths: [String], classes: [String], frontEnd: FrontEndConfig, context: ComputeContext) throws {
        var models: [AudioCNN] = [], hashes: [String] = []
        for path in paths {
            let teacher = try StartingModel(path: path)
            guard teacher.metadata.classes == classes else {
                throw AudioSpecNetError.format(path: path, reason: "cannot teach this run: its classes (\(teacher.metadata.classes.count)) are not the run's \(classes.count), in the same order")
            }
            guard teacher.frontEnd == frontEnd else {
                throw AudioSpecNetError.format(path: path, reason: "cannot teach this run: its front end differs from the run's (a teacher must see the same spectrograms)")
            }
            let model = try AudioCNN(config: teacher.metadata.architecture, seed: 0, context: context)
            try ModelFile.loadWeights(into: model, from: teacher.file)
            models.append(model)
            hashes.append(teacher.weightsHash)
        }
        self.paths = paths
        self.hashes = hashes
        self.models = models
    }

    /// The teachers' soft labels for `input` (N, 1, mels, frames) at `temperature`.
    public func softLabels(_ input: Tensor, classes: Int, temperature: Float) -> [Float] {
        let n = input.shape[0]
        var logits: [[Float]] = []
        for model in models {
            let out = model.forward(input, training: false)
            logits.append(Array(UnsafeBufferPointer(start: out.data, count: n * classes)))
        }
        return DistillationLoss.softLabels(teacherLogits: logits, rows: n, classes: classes, temperature: temperature)
    }
}
