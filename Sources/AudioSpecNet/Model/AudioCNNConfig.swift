import Foundation

/// The architecture of an AudioCNN: everything needed to rebuild it from a file. `recipe` is the
/// reference network (21 304 050 parameters); smaller widths and block counts make test-sized models.
public struct AudioCNNConfig: Codable, Equatable, Sendable {
    public var width: Int
    public var blocks: [Int]
    public var numClasses: Int
    public var inChannels: Int

    public static let recipe = AudioCNNConfig(width: 64, blocks: [3, 4, 6, 3], numClasses: 50, inChannels: 1)

    public init(width: Int = 64, blocks: [Int] = [3, 4, 6, 3], numClasses: Int = 50, inChannels: Int = 1) {
        self.width = width
        self.blocks = blocks
        self.numClasses = numClasses
        self.inChannels = inChannels
    }

    enum CodingKeys: String, CodingKey {
        case width, blocks
        case numClasses = "num_classes"
        case inChannels = "in_channels"
    }

    public func validate() throws {
        guard width >= 1, width <= 4096 else { throw AudioSpecNetError.invalidArgument("width must be 1…4096, got \(width)") }
        guard !blocks.isEmpty, blocks.allSatisfy({ $0 >= 1 && $0 <= 64 }) else {
            throw AudioSpecNetError.invalidArgument("blocks must be a non-empty list of counts 1…64, got \(blocks)")
        }
        guard numClasses >= 1 else { throw AudioSpecNetError.invalidArgument("num_classes must be ≥ 1, got \(numClasses)") }
        guard inChannels >= 1 else { throw AudioSpecNetError.invalidArgument("in_channels must be ≥ 1, got \(inChannels)") }
    }

    /// Channels of stage `s` (0-based): width · 2ˢ.
    public func stageChannels(_ s: Int) -> Int { width << s }

    /// Every state_dict entry of the PyTorch model, in PyTorch's order.
    public var stateDictSpec: [(name: String, shape: [Int], kind: ParameterArena.Kind)] {
        var spec: [(name: String, shape: [Int], kind: ParameterArena.Kind)] = []
        func batchNorm(_ prefix: String, _ c: Int) {
            spec.append(("\(prefix).weight", [c], .parameter))
            spec.append(("\(prefix).bias", [c], .parameter))
            spec.append(("\(prefix).running_mean", [c], .buffer))
            spec.append(("\(prefix).running_var", [c], .buffer))
            spec.append(("\(prefix).num_batches_tracked", [], .counter))
        }
        spec.append(("conv1.0.weight", [width, inChannels, 7, 7], .parameter))
        batchNorm("conv1.1", width)
        var inC = width
        for (s, count) in blocks.enumerated() {
            let outC = stageChannels(s)
            for b in 0..<count {
                let p = "layer\(s + 1).\(b)"
                let stride = AudioCNNConfig.stride(stage: s, block: b)
                spec.append(("\(p).conv1.weight", [outC, inC, 3, 3], .parameter))
                batchNorm("\(p).bn1", outC)
                spec.append(("\(p).conv2.weight", [outC, outC, 3, 3], .parameter))
                batchNorm("\(p).bn2", outC)
                if stride != 1 || inC != outC {
                    spec.append(("\(p).shortcut.0.weight", [outC, inC, 1, 1], .parameter))
                    batchNorm("\(p).shortcut.1", outC)
                }
                inC = outC
            }
        }
        spec.append(("fc.weight", [numClasses, inC], .parameter))
        spec.append(("fc.bias", [numClasses], .parameter))
        return spec
    }

    public var parameterCount: Int {
        stateDictSpec.filter { $0.kind == .parameter }.reduce(0) { $0 + $1.shape.reduce(1, *) }
    }
}
