import XCTest
import AudioSpecNet
import _TestSupport

/// The optimizer, the schedule and the mixup loss against PyTorch (Tests/Fixtures/training, made by
/// Scripts/make_fixtures.py): ≤ 1e-6 relative.
final class TrainFixtureTests: XCTestCase {
    func testOneCycleMatchesPyTorchEveryStep() throws {
        let f = try Fixtures.safetensors("training/onecycle.safetensors")
        for (prefix, total) in [("", 21), ("recipe.", 3800)] {
            let lrs = try f.doubles(prefix + "lr"), b1s = try f.doubles(prefix + "beta1")
            let schedule = OneCycleLR(maxLR: 0.002, totalSteps: total, pctStart: 0.1)
            var worstLR = 0.0, worstB1 = 0.0
            for i in 0..<min(total, lrs.count) {
                let (lr, b1) = schedule.at(i)
                worstLR = max(worstLR, abs(lr - lrs[i]) / abs(lrs[i]))
                worstB1 = max(worstB1, abs(b1 - b1s[i]) / abs(b1s[i]))
            }
            print("OneCycle \(prefix.isEmpty ? "3x7" : "recipe 100x38"): worst relative lr \(worstLR), beta1 \(worstB1)")
            XCTAssertLessThanOrEqual(worstLR, 1e-6)
            XCTAssertLessThanOrEqual(worstB1, 1e-6)
        }
    }

    /// Every schedule length gives finite rates within [min, max]; where the warm-up has no length (10 steps at
    /// pct_start 0.1, on which PyTorch raises ZeroDivisionError) the first step is at the peak, and the rest
    /// anneal as PyTorch's second phase does.
    func testOneCycleIsFiniteForEveryLength() {
        for total in 1...200 {
            let schedule = OneCycleLR(maxLR: 0.002, totalSteps: total, pctStart: 0.1)
            for step in 0..<total {
                let (lr, b1) = schedule.at(step)
                XCTAssertTrue(lr.isFinite && b1.isFinite && lr >= schedule.minLR * 0.999_999 && lr <= 0.002 * 1.000_001,
                              "\(total) steps, step \(step): lr \(lr), β₁ \(b1)")
            }
        }
        let ten = OneCycleLR(maxLR: 0.002, totalSteps: 10, pctStart: 0.1)
        XCTAssertEqual(ten.at(0).lr, 0.002)
        XCTAssertEqual(ten.at(0).beta1, 0.85)
        XCTAssertEqual(ten.at(9).lr, ten.minLR, accuracy: 1e-15)
    }

    func testAdamWMatchesPyTorchOverFiveScheduledSteps() throws {
        let f = try Fixtures.safetensors("training/adamw.safetensors")
        var param = try f.floats("param")
        let lrs = try f.doubles("lr"), b1s = try f.doubles("beta1")
        let adam = AdamW(parameterCount: param.count, weightDecay: 0.01)
        for i in 0..<5 {
            let g = try f.floats("grad.\(i)")
            adam.beta1 = b1s[i]
            param.withUnsafeMutableBufferPointer { adam.update(parameters: $0.baseAddress!, gradients: g, lr: lrs[i], parallel: Parallel(threads: 2)) }
            let c = assertClose(param, try f.doubles("param.after.\(i)"), rel: 1e-6, "step \(i)")
            print("AdamW step \(i): \(c)")
        }
        XCTAssertEqual(adam.step, 5)
    }

    func testMixupLossWithLabelSmoothingMatchesPyTorch() throws {
        let f = try Fixtures.safetensors("training/mixup_loss.safetensors")
        let logits = Tensor(shape: [8, 50], values: try f.floats("logits"))
        let a = try f.doubles("targets_a").map { Int($0) }, b = try f.doubles("targets_b").map { Int($0) }
        let perm = try f.doubles("perm").map { Int($0) }
        XCTAssertEqual(perm.map { a[$0] }, b)
        let lambda = Float(try f.doubles("lambda")[0])
        let targets = SoftmaxCrossEntropy.targets(labels: a, classes: 50, smoothing: 0.1, mix: (perm.map { a[$0] }, lambda))
        let grad = Tensor(shape: [0])
        let loss = SoftmaxCrossEntropy.forwardBackward(logits: logits, targets: targets, gradient: grad)
        let expected = try f.doubles("loss")[0]
        print("mixup loss \(loss) vs PyTorch \(expected) (λ = \(lambda))")
        XCTAssertLessThanOrEqual(abs(loss - expected) / abs(expected), 1e-6)
        let c = assertClose(grad.array, try f.doubles("dlogits"), rel: 1e-6)
    }
}
