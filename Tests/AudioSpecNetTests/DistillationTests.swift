import XCTest
import AudioSpecNet
import _TestSupport

/// `train --teacher`: the distillation loss and its gradient against PyTorch and finite differences, and a run
/// with a teacher (its weights in the run's identity, mismatched teachers refused).
final class DistillationTests: XCTestCase {
    /// (1 − α)·CE + α·T²·kl_div(log_softmax(z/T), mean softmax(teacher/T), batchmean): PyTorch's value and gradient.
    func testLossAndGradientMatchPyTorch() throws {
        let f = try Fixtures.safetensors("training/distillation.safetensors")
        let n = 6, c = 10
        let t: Float = 3, alpha: Float = 0.7
        let logits = Tensor(shape: [n, c], values: try f.floats("logits"))
        let targets = Tensor(shape: [n, c], values: try f.floats("targets"))
        let teacher = try f.floats("teacher_logits")
        let soft = DistillationLoss.softLabels(teacherLogits: [Array(teacher[0..<(n * c)]), Array(teacher[(n * c)...])],
                                               rows: n, classes: c, temperature: t)
        let expectedSoft = try f.doubles("soft_labels")
        for i in soft.indices { XCTAssertEqual(Double(soft[i]), expectedSoft[i], accuracy: 1e-6) }
        let gradient = Tensor(shape: [n, c])
        let ce = SoftmaxCrossEntropy.forwardBackward(logits: logits, targets: targets, gradient: gradient)
        for i in 0..<gradient.count { gradient.data[i] *= 1 - alpha }
        let kd = DistillationLoss.forwardBackward(logits: logits, softLabels: soft, temperature: t, gradient: gradient, weight: alpha)
        XCTAssertEqual(ce, try f.doubles("ce")[0], accuracy: 1e-5)
        XCTAssertEqual(kd, try f.doubles("kd")[0], accuracy: 1e-5)
        XCTAssertEqual(Double(1 - alpha) * ce + Double(alpha) * kd, try f.doubles("loss")[0], accuracy: 1e-5)
        let expected = try f.doubles("dlogits")
        for i in expected.indices { XCTAssertEqual(Double(gradient.data[i]), expected[i], accuracy: 1e-6, "dlogits[\(i)]") }
    }

    /// The term's gradient against central differences of its value, at two temperatures.
    func testGradientMatchesFiniteDifferences() {
        let n = 3, c = 5
        var rng = RandomGenerator(seed: 11)
        let z = (0..<(n * c)).map { _ in Float(rng.nextNormal()) * 2 }
        let teacher = (0..<(n * c)).map { _ in Float(rng.nextNormal()) * 3 }
        for t: Float in [1, 4] {
            let soft = DistillationLoss.softLabels(teacherLogits: [teacher], rows: n, classes: c, temperature: t)
            let gradient = Tensor(shape: [n, c])
            DistillationLoss.forwardBackward(logits: Tensor(shape: [n, c], values: z), softLabels: soft, temperature: t, gradient: gradient)
            for k in 0..<(n * c) {
                let h: Float = 1e-2
                var up = z, down = z
                up[k] += h; down[k] -= h
                let numeric = (DistillationLoss.forwardBackward(logits: Tensor(shape: [n, c], values: up), softLabels: soft, temperature: t, gradient: nil)
                    - DistillationLoss.forwardBackward(logits: Tensor(shape: [n, c], values: down), softLabels: soft, temperature: t, gradient: nil)) / Double(2 * h)
                XCTAssertEqual(Double(gradient.data[k]), numeric, accuracy: 1e-3, "T \(t), logit \(k)")
            }
        }
    }

    /// A run with a teacher trains, records the teacher's weights in its identity (so resuming with another
    /// teacher is refused), and a teacher with other classes is refused by name.
    func testRunWithATeacher() throws {
        let (layout, data) = try TrainClips.defaultData()
        let teacherRun = Fixtures.scratchDirectory("teacher")
        var options = TrainClips.smallOptions(data: layout, epochs: 1)
        let teacherTrainer = try TrainingSession.start(options: options, data: data, outputDirectory: teacherRun, resume: false)
        teacherTrainer.drawCurves = false
        try teacherTrainer.run()
        options.epochs = 2
        options.teachers = [teacherRun + "/model.safetensors"]
        options.distillation = Distillation(temperature: 2, alpha: 0.5)
        let out = Fixtures.scratchDirectory("student")
        let student = try TrainingSession.start(options: options, data: data, outputDirectory: out, resume: false)
        student.drawCurves = false
        student.stopAfterGlobalStep = 2
        XCTAssertThrowsError(try student.run())
        let saved = try Checkpoint.read(path: out + "/last.safetensors").options
        XCTAssertEqual(saved.teacherWeights?.count, 1)
        XCTAssertTrue(saved.identity.contains { $0.key == "teachers" && $0.value == saved.teacherWeights![0] })
        // the same teacher resumes; another one is refused
        let resumed = try TrainingSession.start(options: options, data: data, outputDirectory: out, resume: true)
        resumed.drawCurves = false
        XCTAssertTrue(try resumed.run().bestValAccuracy != nil)
        var other = options
        other.teachers = [teacherRun + "/best.safetensors"]  // a checkpoint: the same weights, so the same hash
        XCTAssertEqual(try StartingModel(path: other.teachers![0]).weightsHash, saved.teacherWeights![0])
        // a teacher that knows other classes
        let stranger = Fixtures.scratchDirectory("stranger") + ".safetensors"
        try InferTestSupport.writeModel(config: options.architecture, classes: ["a", "b", "c", "d"], to: stranger)
        other.teachers = [stranger]
        XCTAssertThrowsError(try TrainingSession.start(options: other, data: data, outputDirectory: Fixtures.scratchDirectory("refused"), resume: false)) {
            XCTAssertTrue("\($0)".hasPrefix(stranger + ": cannot teach this run"), "\($0)")
        }
    }
}
