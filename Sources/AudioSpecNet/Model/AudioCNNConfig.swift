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

    /// Bounds a file or a flag may ask for. The largest model holds `maxParameters` (400 MB of F32
    /// weights; the recipe has 21 304 050): anything bigger is refused before a byte is allocated.
    public static let maxWidth = 1024, maxStages = 8, maxBlocksPerStage = 64, maxInChannels = 64
    public static let maxClasses = 100_000, maxParameters = 100_000_000

    /// Throws `invalidArgument` naming the key (`width`, `blocks`, `num_classes`, `in_channels`) whose value
    /// is out of bounds, or the parameter count when the whole network is too large.
    public func validate() throws {
        func bad(_ s: String) -> AudioSpecNetError { .invalidArgument(s) }
        guard width >= 1, width <= Self.maxWidth else { throw bad("width must be 1…\(Self.maxWidth), got \(width)") }
        guard (1...Self.maxStages).contains(blocks.count), blocks.allSatisfy({ $0 >= 1 && $0 <= Self.maxBlocksPerStage }) else {
            throw bad("blocks must be a list of 1…\(Self.maxStages) counts, each 1…\(Self.maxBlocksPerStage), got \(blocks.count > 16 ? "\(blocks.count) stages" : "\(blocks)")")
        }
        guard numClasses >= 1, numClasses <= Self.maxClasses else { throw bad("num_classes must be 1…\(Self.maxClasses), got \(numClasses)") }
        guard inChannels >= 1, inChannels <= Self.maxInChannels else { throw bad("in_channels must be 1…\(Self.maxInChannels), got \(inChannels)") }
        // With the bounds above no product overflows, but the sum is still checked: it is the one that matters.
        var total = 0
        for entry in stateDictSpec where entry.kind == .parameter {
            guard let n = checkedByteCount(shape: entry.shape, elementSize: 1) else { throw bad("the network's size overflows") }
            let (sum, overflow) = total.addingReportingOverflow(n)
            guard !overflow else { throw bad("the network's size overflows") }
            total = sum
        }
        guard total <= Self.maxParameters else {
            throw bad("the network would have \(total) parameters, more than the \(Self.maxParameters) allowed (width \(width), blocks \(blocks))")
        }
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
