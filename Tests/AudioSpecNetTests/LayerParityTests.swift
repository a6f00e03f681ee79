import XCTest
import AudioSpecNet
import _TestSupport

/// Every layer against PyTorch's float64 forward and backward (Tests/Fixtures/layers, made by
/// Scripts/make_fixtures.py network). Tolerance: 1e-4 of the largest expected magnitude.
final class LayerParityTests: XCTestCase {
    let tolerance = 1e-4

    /// Two threads, whatever the machine.
    let context = ComputeContext(threads: 2)

    private func check(_ name: String, _ actual: [Float], _ expected: [Double], file: StaticString = #filePath, line: UInt = #line) {
        let c = assertClose(actual, expected, rel: tolerance, name, file: file, line: line)
        print("parity \(name): \(c)")
    }

    private func tensor(_ f: SafetensorsFile, _ name: String) throws -> Tensor {
        Tensor(shape: try f.shape(name), values: try f.floats(name))
    }

    /// An arena holding `names` (with the fixture's shapes) under `prefix.`; parameters and buffers by
    /// their PyTorch role.
    private func arena(_ f: SafetensorsFile, prefix: String, _ names: [String]) throws -> ParameterArena {
        var spec: [(name: String, shape: [Int], kind: ParameterArena.Kind)] = []
        for n in names {
            let leaf = n.split(separator: ".").last!
            if leaf == "running_mean" || leaf == "running_var" {
                spec.append(("\(prefix).\(n)", try f.shape(n), .buffer))
            } else if leaf == "num_batches_tracked" {
                spec.append(("\(prefix).\(n)", [], .counter))
            } else {
                spec.append(("\(prefix).\(n)", try f.shape(n), .parameter))
            }
        }
        let a = ParameterArena(spec: spec)
        for n in names where !n.hasSuffix("num_batches_tracked") {
            a.pointer("\(prefix).\(n)").update(from: try f.floats(n), count: a.entry("\(prefix).\(n)")!.count)
        }
        return a
    }

    func testConvolutions() throws {
        for name in ["conv2d_3x3_s1_p1", "conv2d_3x3_s2_p1", "conv2d_7x7_s2_p3", "conv2d_1x1_s2_p0", "conv2d_3x3_s1_p1_wide"] {
            let f = try Fixtures.safetensors("layers/\(name).safetensors")
            let config = try JSONSerialization.jsonObject(with: Data(f.metadata["config"]!.utf8)) as! [String: Any]
            let w = try f.shape("weight")
            let a = try arena(f, prefix: "c", ["weight"])
            let conv = Conv2d(arena: a, name: "c", inChannels: w[1], outChannels: w[0], kernel: w[2],
                              stride: (config["stride"] as! [Int])[0], padding: (config["padding"] as! [Int])[0])
            let x = try tensor(f, "x"), y = Tensor(shape: [0]), dx = Tensor(shape: [0])
            conv.forward(x, into: y, context: context)
            check("\(name) y", y.array, try f.doubles("y"))
            conv.backward(input: x, outputGradient: try tensor(f, "dy"), inputGradient: dx, context: context)
            check("\(name) dx", dx.array, try f.doubles("dx"))
            check("\(name) dW", gradient(a, "c.weight"), try f.doubles("grad.weight"))
        }
    }

    func testBatchNormTrainAndEval() throws {
        for (name, training) in [("batchnorm2d_train", true), ("batchnorm2d_eval", false)] {
            let f = try Fixtures.safetensors("layers/\(name).safetensors")
            let c = try f.shape("weight")[0]
            let a = try arena(f, prefix: "bn", ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"])
            let bn = BatchNorm2d(arena: a, name: "bn", channels: c)
            let x = try tensor(f, "x"), y = Tensor(shape: [0]), dx = Tensor(shape: [0])
            bn.forward(x, output: y, training: training, relu: false, context: context)
            check("\(name) y", y.array, try f.doubles("y"))
            bn.backward(outputGradient: try tensor(f, "dy"), output: y, normalized: x, relu: false, inputGradient: dx, context: context)
            check("\(name) dx", dx.array, try f.doubles("dx"))
            check("\(name) dγ", gradient(a, "bn.weight"), try f.doubles("grad.weight"))
            check("\(name) dβ", gradient(a, "bn.bias"), try f.doubles("grad.bias"))
            if training {
                check("\(name) running_mean", a.values("bn.running_mean"), try f.doubles("running_mean.after"))
                check("\(name) running_var", a.values("bn.running_var"), try f.doubles("running_var.after"))
            }
        }
    }

    func testReLUMaxPoolAveragePoolLinear() throws {
        do {
            let f = try Fixtures.safetensors("layers/relu.safetensors")
            let x = try tensor(f, "x"), y = Tensor(shape: [0]), dx = Tensor(shape: [0])
            ReLU.forward(x, into: y, context: context)
            check("relu y", y.array, try f.doubles("y"))
            ReLU.backward(outputGradient: try tensor(f, "dy"), output: y, inputGradient: dx, context: context)
            check("relu dx", dx.array, try f.doubles("dx"))
        }
        for name in ["maxpool2d_odd", "maxpool2d_even"] {
            let f = try Fixtures.safetensors("layers/\(name).safetensors")
            let pool = MaxPool2d(kernel: 3, stride: 2, padding: 1)
            let x = try tensor(f, "x"), y = Tensor(shape: [0]), dx = Tensor(shape: [0])
            pool.forward(x, into: y, context: context)
            check("\(name) y", y.array, try f.doubles("y"))
            pool.backward(outputGradient: try tensor(f, "dy"), inputShape: x.shape, inputGradient: dx, context: context)
            check("\(name) dx", dx.array, try f.doubles("dx"))
        }
        do {
            let f = try Fixtures.safetensors("layers/adaptive_avgpool.safetensors")
            let x = try tensor(f, "x"), y = Tensor(shape: [0]), dx = Tensor(shape: [0])
            GlobalAveragePool.forward(x, into: y)
            check("avgpool y", y.array, try f.doubles("y"))
            GlobalAveragePool.backward(outputGradient: try tensor(f, "dy"), inputShape: x.shape, inputGradient: dx)
            check("avgpool dx", dx.array, try f.doubles("dx"))
        }
        do {
            let f = try Fixtures.safetensors("layers/linear.safetensors")
            let w = try f.shape("weight")
            let a = try arena(f, prefix: "fc", ["weight", "bias"])
            let fc = Linear(arena: a, name: "fc", inFeatures: w[1], outFeatures: w[0])
            let x = try tensor(f, "x"), y = Tensor(shape: [0]), dx = Tensor(shape: [0])
            fc.forward(x, into: y)
            check("linear y", y.array, try f.doubles("y"))
            a.zeroGradients()
            fc.backward(input: x, outputGradient: try tensor(f, "dy"), inputGradient: dx)
            check("linear dx", dx.array, try f.doubles("dx"))
            check("linear dW", gradient(a, "fc.weight"), try f.doubles("grad.weight"))
            check("linear db", gradient(a, "fc.bias"), try f.doubles("grad.bias"))
        }
    }

    func testCrossEntropyWithSmoothingAndMixup() throws {
        for name in ["cross_entropy", "cross_entropy_mixup"] {
            let f = try Fixtures.safetensors("layers/\(name).safetensors")
            let x = try tensor(f, "x"), g = Tensor(shape: [0])
            let classes = x.shape[1]
            let targets: Tensor
            if name == "cross_entropy" {
                targets = SoftmaxCrossEntropy.targets(labels: try f.doubles("targets").map { Int($0) }, classes: classes, smoothing: 0.1)
            } else {
                targets = SoftmaxCrossEntropy.targets(labels: try f.doubles("targets_a").map { Int($0) }, classes: classes, smoothing: 0.1,
                                                      mix: (try f.doubles("targets_b").map { Int($0) }, Float(try f.doubles("lambda")[0])))
            }
            let loss = SoftmaxCrossEntropy.forwardBackward(logits: x, targets: targets, gradient: g)
            let expected = try f.doubles("loss")[0]
            print("parity \(name) loss: \(loss) vs \(expected)")
            XCTAssertEqual(loss, expected, accuracy: 1e-6 * abs(expected))
            check("\(name) dlogits", g.array, try f.doubles("dx"))
        }
    }

    func testResidualBlocks() throws {
        for (name, stride, shortcut) in [("block_identity", 1, false), ("block_downsample", 2, true)] {
            let f = try Fixtures.safetensors("layers/\(name).safetensors")
            var names = ["conv1.weight"] + bn("bn1") + ["conv2.weight"] + bn("bn2")
            if shortcut { names += ["shortcut.0.weight"] + bn("shortcut.1") }
            let a = try arena(f, prefix: "b", names)
            let w = try f.shape("conv1.weight")
            let block = ResidualBlock(arena: a, name: "b", inChannels: w[1], outChannels: w[0], stride: stride)
            let x = try tensor(f, "x"), dx = Tensor(shape: [0])
            let y = block.forward(x, training: true, context: context)
            check("\(name) y", y.array, try f.doubles("y"))
            a.zeroGradients()
            block.backward(input: x, outputGradient: try tensor(f, "dy"), inputGradient: dx, scratch: BackwardScratch(), context: context)
            check("\(name) dx", dx.array, try f.doubles("dx"))
            for n in names where f.entries["grad.\(n)"] != nil {
                check("\(name) d\(n)", gradient(a, "b.\(n)"), try f.doubles("grad.\(n)"))
            }
            for n in names where f.entries["\(n).after"] != nil {
                check("\(name) \(n)", a.values("b.\(n)"), try f.doubles("\(n).after"))
            }
        }
    }

    private func gradient(_ a: ParameterArena, _ name: String) -> [Float] {
        Array(UnsafeBufferPointer(start: a.gradient(name), count: a.entry(name)!.count))
    }

    private func bn(_ p: String) -> [String] {
        ["\(p).weight", "\(p).bias", "\(p).running_mean", "\(p).running_var", "\(p).num_batches_tracked"]
    }
}
