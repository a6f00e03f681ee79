import Foundation
import XCTest
import AudioSpecNet
import _TestSupport

/// A model's configuration travels in its `ComputeContext`, not in process-wide switches: two models with
/// different contexts (thread counts, convolution policies, workspaces) run at the same time in one
/// process and each gives exactly what it gives alone.
final class ComputeContextTests: XCTestCase {
    /// A training step (forward, loss, backward) and an evaluation forward: the logits and every gradient.
    private func pass(_ model: AudioCNN, input: Tensor, labels: [Int]) -> [Float] {
        model.arena.zeroGradients()
        let logits = model.forward(input, training: true)
        let g = Tensor(shape: [0])
        let targets = SoftmaxCrossEntropy.targets(labels: labels, classes: model.config.numClasses, smoothing: 0.1)
        SoftmaxCrossEntropy.forwardBackward(logits: logits, targets: targets, gradient: g)
        var out = logits.array
        model.backward(logitsGradient: g)
        out += Array(UnsafeBufferPointer(start: model.arena.gradients, count: model.arena.parameterCount))
        out += model.forward(input, training: false).array
        return out
    }

    func testTwoModelsWithDifferentContextsConcurrentlyEqualTheirSerialRuns() throws {
        let config = AudioCNNConfig(width: 8, blocks: [1, 1, 1], numClasses: 6)
        var f4 = ConvolutionPolicy()
        f4.winograd4x4InTrainingForward = true
        f4.winogradTransformBudget = 1  // small image groups: a different code path as well
        let contexts = [ComputeContext(threads: 1), ComputeContext(threads: 2, convolution: f4)]
        let inputs = (0..<2).map { i in randomTensor([3, 1, 40, 52], seed: UInt64(10 + i), scale: 20) }
        let labels = [[0, 3, 5], [1, 2, 4]]
        func model(_ i: Int) throws -> AudioCNN {
            let m = try AudioCNN(config: config, seed: UInt64(7 + i), context: contexts[i])
            m.dropout.probability = 0  // the masks would differ with the number of draws; not the point here
            return m
        }
        // Serial: one after the other, fresh models.
        let serial = try (0..<2).map { i in pass(try model(i), input: inputs[i], labels: labels[i]) }
        // Concurrent: both at once, several rounds, each on its own thread.
        let models = try (0..<2).map(model)
        for round in 0..<3 {
            let results = LockedBox<[Int: [Float]]>([:])
            DispatchQueue.concurrentPerform(iterations: 2) { i in
                // Same starting state for every round: BatchNorm's running statistics move in training.
                let fresh = try! model(i)
                memcpy(models[i].arena.buffers, fresh.arena.buffers, models[i].arena.bufferCount * 4)
                models[i].arena.counters = fresh.arena.counters
                let r = pass(models[i], input: inputs[i], labels: labels[i])
                results.update { $0[i] = r }
            }
            for i in 0..<2 {
                XCTAssertEqual(results.value[i]!, serial[i], "round \(round), model \(i) (threads \(contexts[i].threads))")
            }
        }
        // The two contexts do compute differently: F(4×4) in the training forward moves the rounding.
        let swapped = try AudioCNN(config: config, seed: 7, context: contexts[1])
        swapped.dropout.probability = 0
        XCTAssertNotEqual(pass(swapped, input: inputs[0], labels: labels[0]), serial[0])
    }
}

/// A value several threads update under a lock.
final class LockedBox<T>: @unchecked Sendable {
    private var stored: T
    private let lock = NSLock()
    init(_ value: T) { stored = value }
    var value: T { lock.lock(); defer { lock.unlock() }; return stored }
    func update(_ body: (inout T) -> Void) { lock.lock(); body(&stored); lock.unlock() }
}
