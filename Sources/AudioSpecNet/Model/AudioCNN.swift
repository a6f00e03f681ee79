import Foundation

/// The recipe's network: conv 7×7/2 + BN + ReLU + maxpool 3×3/2, residual stages, global average pool,
/// dropout, linear. Parameters live in `arena` under PyTorch's state_dict names; activations live in the
/// layers and are reused across steps (grown when a batch is larger than any before). The model runs
/// under its `context` (threads, convolution workspace and policy, profiler), which it passes to every
/// layer; one model runs one pass at a time, two models with their own contexts may run concurrently.
public final class AudioCNN {
    public let config: AudioCNNConfig
    public let arena: ParameterArena
    public let stem: Conv2d
    public let stemBN: BatchNorm2d
    public let pool = MaxPool2d(kernel: 3, stride: 2, padding: 1)
    /// blocks[s][b] is `layer{s+1}.{b}`.
    public let blocks: [[ResidualBlock]]
    public let dropout = Dropout(probability: 0.5)
    public let fc: Linear
    /// Draws dropout masks; part of a checkpoint so a resumed run repeats the same masks.
    public var rng: RandomGenerator
    /// How the passes compute; may be replaced between passes (e.g. another thread count).
    public var context: ComputeContext

    private var input = Tensor(shape: [0])
    private let stemOut = Tensor(shape: [0]), stemAct = Tensor(shape: [0]), pooled = Tensor(shape: [0])
    private let features = Tensor(shape: [0]), dropped = Tensor(shape: [0]), logits = Tensor(shape: [0])
    private let gradA = Tensor(shape: [0]), gradB = Tensor(shape: [0]), gradStem = Tensor(shape: [0])
    private let scratch = BackwardScratch()

    /// A freshly initialised model, weights as PyTorch's defaults from `seed`.
    public convenience init(config: AudioCNNConfig = .recipe, seed: UInt64, context: ComputeContext = ComputeContext()) throws {
        try self.init(config: config, context: context)
        initialize(seed: seed)
    }

    /// A model with zeroed parameters, ready to be loaded from a file.
    public init(config: AudioCNNConfig, context: ComputeContext = ComputeContext()) throws {
        try config.validate()
        self.config = config
        self.context = context
        arena = ParameterArena(spec: config.stateDictSpec)
        stem = Conv2d(arena: arena, name: "conv1.0", inChannels: config.inChannels, outChannels: config.width, kernel: 7, stride: 2, padding: 3)
        stemBN = BatchNorm2d(arena: arena, name: "conv1.1", channels: config.width)
        var stages: [[ResidualBlock]] = []
        var inC = config.width
        let parameters = arena
        for (s, count) in config.blocks.enumerated() {
            let outC = config.stageChannels(s)
            var stage: [ResidualBlock] = []
            for b in 0..<count {
                stage.append(ResidualBlock(arena: parameters, name: "layer\(s + 1).\(b)", inChannels: inC, outChannels: outC,
                                           stride: AudioCNNConfig.stride(stage: s, block: b)))
                inC = outC
            }
            stages.append(stage)
        }
        blocks = stages
        fc = Linear(arena: arena, name: "fc", inFeatures: inC, outFeatures: config.numClasses)
        rng = RandomGenerator(seed: 0)
    }

    /// The global average pool's output of the last forward, (N, channels): the features the classifier
    /// reads (512 per input for the recipe), i.e. the embedding. Valid until the next forward.
    public var pooledFeatures: Tensor { features }

    public var batchNorms: [BatchNorm2d] { [stemBN] + blocks.flatMap { $0.flatMap(\.batchNorms) } }

    /// PyTorch's default initialisation: conv and linear weights Kaiming-uniform with a = √5, which is
    /// U(±1/√fan_in); linear bias U(±1/√fan_in); BatchNorm γ = 1, β = 0. Deterministic in `seed`.
    public func initialize(seed: UInt64) {
        var generator = RandomGenerator(seed: seed)
        for e in arena.entries where e.kind == .parameter {
            let p = arena.pointer(e.name)
            if e.name.hasSuffix(".weight") && e.shape.count >= 2 {
                let bound = 1 / Float(e.shape.dropFirst().reduce(1, *)).squareRoot()
                for i in 0..<e.count { p[i] = (2 * generator.nextFloat() - 1) * bound }
            } else if e.name == "fc.bias" {
                let bound = 1 / Float(fc.inFeatures).squareRoot()
                for i in 0..<e.count { p[i] = (2 * generator.nextFloat() - 1) * bound }
            }
        }
        for bn in batchNorms { bn.resetToDefaults() }
        rng = RandomGenerator(seed: seed ^ 0xD50F_D50F)
    }

    /// x is (N, 1, mels, frames) → logits (N, classes), valid until the next forward. `observe` receives the
    /// reference's feature maps: "conv1", "layerS.blockB.conv", "layerS.blockB.relu", "layerS".
    public func forward(_ x: Tensor, training: Bool, observe: ((String, Tensor) -> Void)? = nil) -> Tensor {
        precondition(x.shape.count == 4 && x.shape[1] == config.inChannels, "AudioCNN: input \(x.shape)")
        input = x
        let context = self.context
        stem.forward(x, into: stemOut, training: training, context: context)
        if training {
            stemBN.forward(stemOut, output: stemAct, training: training, relu: true, context: context)
        } else {
            stemBN.inferenceForward(stemOut, output: stemAct, relu: true, context: context)  // no backward follows
        }
        pool.forward(stemAct, into: pooled, context: context)
        observe?("conv1", pooled)
        var h = pooled
        for (s, stage) in blocks.enumerated() {
            for (b, block) in stage.enumerated() {
                h = block.forward(h, training: training, context: context, observe: observe.map { o in { o("layer\(s + 1).block\(b).\($0)", $1) } })
            }
            observe?("layer\(s + 1)", h)
        }
        GlobalAveragePool.forward(h, into: features)
        dropout.forward(features, into: dropped, training: training, rng: &rng)
        fc.forward(dropped, into: logits)
        return logits
    }

    /// Accumulates every parameter's gradient from ∂L/∂logits (N, classes), after a training forward.
    public func backward(logitsGradient: Tensor) {
        let context = self.context
        fc.backward(input: dropped, outputGradient: logitsGradient, inputGradient: gradA)
        dropout.backward(outputGradient: gradA, inputGradient: gradA)
        let last = blocks.last!.last!
        GlobalAveragePool.backward(outputGradient: gradA, inputShape: last.out.shape, inputGradient: gradB)
        var dOut = gradB, dIn = gradA
        for (s, stage) in blocks.enumerated().reversed() {
            for b in stage.indices.reversed() {
                let blockInput = b > 0 ? stage[b - 1].out : (s > 0 ? blocks[s - 1].last!.out : pooled)
                stage[b].backward(input: blockInput, outputGradient: dOut, inputGradient: dIn, scratch: scratch, context: context)
                swap(&dOut, &dIn)
            }
        }
        pool.backward(outputGradient: dOut, inputShape: stemAct.shape, inputGradient: gradStem, context: context)
        stemBN.backward(outputGradient: gradStem, output: stemAct, normalized: stemOut, relu: true, inputGradient: gradStem, context: context)
        stem.backward(input: input, outputGradient: gradStem, inputGradient: nil, context: context)
    }
}

extension AudioCNNConfig {
    /// Where the network strides: the first block of every stage after the first halves the map (and has
    /// the 1×1 shortcut); every other block keeps it. The one rule the layers and the state_dict follow.
    public static func stride(stage: Int, block: Int) -> Int { stage > 0 && block == 0 ? 2 : 1 }
}
