/// Which algorithm computes a convolution. All give the same result up to float32 rounding.
public enum ConvolutionAlgorithm: Sendable, Hashable {
    /// The fastest correct choice for the shape and, for 3×3/1/1, for each call's batch and map size and
    /// pass (see `ConvolutionPolicy.algorithm(batch:height:width:pass:)`).
    case auto
    /// im2col + sgemm: any kernel, stride and padding.
    case im2col
    /// Winograd F(2×2, 3×3): 3×3, stride 1, padding 1 only; 2.25× fewer multiplies, float32-exact-ish.
    case winograd2x2
    /// Winograd F(4×4, 3×3): 3×3, stride 1, padding 1 only; 4× fewer multiplies, ≈ 3× F(2×2)'s rounding error.
    case winograd4x4
}

/// What `.auto` may choose for a 3×3 stride-1 convolution, and the cost model it chooses with. Part of a
/// `ComputeContext`; the defaults are the measured choices documented below.
public struct ConvolutionPolicy: Sendable, Hashable {
    /// Which pass a convolution call is.
    public enum Pass: Sendable, Hashable {
        /// A forward whose result a backward will differentiate (training).
        case trainingForward
        /// A forward nothing will differentiate (inference, validation).
        case evaluationForward
        /// The input- and weight-gradient passes.
        case backward
    }

    /// Whether `.auto` may pick F(4×4, 3×3) for a training forward. Off by default, for accuracy: on the
    /// whole recipe network in training mode at batch 2 (ModelParityTests, width 64), BatchNorm's backward
    /// amplifies the forward's rounding into the gradients by about 10⁴. With F(4×4) for every 3×3/1
    /// forward, Swift's worst gradient error is 0.120 against PyTorch float32's own 0.066 on the same case
    /// (F(2×2): 0.078), over the test's 1.5× bar, even with the better-conditioned points of `WinogradF4`
    /// (the textbook ones: 0.122), whose forward error is still ≈ 3× F(2×2)'s; with F(4×4) at layer1 only
    /// (what this allows at batch 2) 0.092, at layer1–2 0.074: a draw that F(4×4) makes wider, not a
    /// margin to rely on. Turning it on saves another ≈ 6 % of a training step's convolutions (batch 32,
    /// one core: ≈ 2670 ms instead of ≈ 2850–2940).
    public var winograd4x4InTrainingForward = false

    /// Whether `.auto` may pick F(4×4, 3×3) for the input- and weight-gradient passes. On by default:
    /// their rounding is not amplified (it enters the gradients linearly), and with F(4×4) in both backward
    /// passes the recipe network's gradients are as close to float64 as with F(2×2) (ModelParityTests,
    /// width 64: worst 0.078 either way). The backward being two thirds of the convolutions, this takes a
    /// training step's from ≈ 3150 ms (F(2×2)) to ≈ 2850–2940 ms (batch 32, one core, CPU time).
    public var winograd4x4InBackward = true

    /// Whether `.auto` may pick F(4×4, 3×3) for an evaluation-mode forward. On by default: with running
    /// statistics nothing amplifies the forward's rounding (ModelParityTests' eval logits stay within 4e-7
    /// of PyTorch's float64 with F(4×4) everywhere), and batch-1 inference is where the transform's savings
    /// matter most for latency.
    public var winograd4x4InEvaluation = true

    /// Evaluation forwards of at most this many images keep each layer's transformed Winograd filters
    /// between calls (in the layer's `TransformedFilterCache`, keyed by the weights' version) instead of
    /// transforming them on every call, packed for `PackedGEMM` where the CPU runs it (im2col's filters too);
    /// 0 never does. At batch 1 the transform is a third to a half of a Winograd call on the recipe's layer3;
    /// at batch 32 the transform is shared by more images, but the packed GEMMs with no per-call copy still
    /// took a 16 kHz inference's convolutions from 66 to 57 ms per clip on one core of the AVX2 EPYC (`bench
    /// --layers`). The price is memory: the cache holds up to α²/9 × the weights, for the recipe at 16 kHz
    /// ≈ 160 MB at batch 1 (F(4×4) on layers 1–2, F(2×2) on 3–4) and ≈ 320 MB at batch 32 (F(4×4) everywhere),
    /// both when a model runs at both. Training uses `ConvolutionPolicy.training`, which keeps none for its
    /// batch-32 validation passes (the weights change every epoch, and the run's peak memory stays as it was).
    public var cacheTransformedFiltersUpToBatch = 32

    /// The policy of a training run's model: the default, except that its validation passes at batch 32 keep
    /// no transformed filters (see `cacheTransformedFiltersUpToBatch`).
    public static var training: ConvolutionPolicy {
        var policy = ConvolutionPolicy()
        policy.cacheTransformedFiltersUpToBatch = 8
        return policy
    }

    /// Target for the floats of transformed Winograd tiles (V and M) held at once; larger batches are done
    /// in image groups of at least 512 tiles. 1 Mi floats (4 MiB) keeps them in the caches between the
    /// phases, which measured ≈ 1.5× faster at layer1 than whole-batch (8 Mi floats) groups, and bounds the
    /// workspace. Tests lower it to exercise the grouping.
    public var winogradTransformBudget = 1 << 20

    /// The machine constants `.auto` weighs the algorithms with. Fitted by hand to single-core measurements
    /// on the development machine (an AMD EPYC core with OpenBLAS; `audiospecnet bench convolutions` at
    /// batch 1 and 32): Winograd F(m×m) costs α²·K·C·(P + fixedColumns)
    /// multiply-adds at `winogradGFLOPS`, P being the tiles of the whole batch and the fixed columns
    /// standing for the filter transform and the thin-GEMM overhead that do not shrink with the batch;
    /// im2col costs 9·K·C·(N·H·W) at `im2colGFLOPS`. Only their ratios matter.
    ///
    /// With the filters already transformed (an evaluation forward reusing `TransformedFilterCache`) the
    /// fixed columns drop to `winogradFixedColumnsCached`, what is left being the thin GEMMs' packing of U
    /// (OpenBLAS copies its A operand on every call). Fitted at batch 1 on one core (`bench convolutions
    /// --batch-size 1 --clock cpu`, loaded machine), where it must put F(4×4) on layer1 (32×54; measured
    /// 1.8 ms vs F(2×2) 2.9), F(2×2) on layer2 (16×27; 2.4 vs F(4×4) 3.1) and layer3 (8×14; 2.8 vs
    /// im2col 5.0, F(4×4) 3.2), and im2col on layer4 (4×7; 5.2 vs F(2×2) 7.1): any value from 40 to 70 does.
    ///
    /// Where the CPU runs `PackedGEMM` (AVX2 + FMA), a cached evaluation forward multiplies pre-packed filters
    /// with no per-call copy, which makes both its Winograd and its im2col GEMMs cheaper, im2col's most: the
    /// packed constants apply. Fitted at batch 1 on one core of the 2-core AVX2 EPYC (`bench convolutions
    /// --batch-size 1 --sample-rate 16000 --clock cpu`, eval column, ms): layer1 (32×40) F(4×4) 1.20, F(2×2)
    /// 1.95, im2col 3.49; layer2 (16×20) F(4×4) 1.19, F(2×2) 1.50, im2col 3.14; layer3 (8×10) F(2×2) 1.74,
    /// F(4×4) 1.84, im2col 3.05; layer4 (4×5) F(2×2) 2.67, im2col 3.44, F(4×4) 3.83. In the whole network
    /// (`bench --layers`) layer3's 11 convolutions took 18.8 ms under F(2×2) and 20.4 under F(4×4), whose
    /// transformed filters (2.25× F(2×2)'s) no longer fit the caches between calls. Six fixed columns and
    /// im2col at 0.87× Winograd's rate pick F(4×4) for layers 1–2 and F(2×2) for layers 3–4.
    public struct CostModel: Sendable, Hashable {
        public var winogradGFLOPS = 150.0
        public var winogradFixedColumns = 100.0
        public var winogradFixedColumnsCached = 50.0
        public var im2colGFLOPS = 95.0
        public var winogradFixedColumnsPacked = 6.0
        public var im2colGFLOPSPacked = 130.0
        public init() {}
    }
    public var costModel = CostModel()

    public init() {}

    /// The algorithm `.auto` runs for a 3×3/1/1 call with this batch and input size (never `.auto`): Winograd
    /// for the large maps and batches (F(4×4) where allowed, except where its GEMMs get thin: layer4, 4×7,
    /// at batch 32), and im2col at batch 1 on the small maps (layer3/4), where the filter transform would
    /// outweigh the convolution itself.
    /// `filtersCached`: the Winograd filters are already transformed (see `cachesTransformedFilters`).
    public func algorithm(batch: Int, height: Int, width: Int, pass: Pass, filtersCached: Bool = false) -> ConvolutionAlgorithm {
        let n = Double(batch), cost = costModel
        let packed = filtersCached && PackedGEMM.isAvailable
        let fixed = packed ? cost.winogradFixedColumnsPacked : filtersCached ? cost.winogradFixedColumnsCached : cost.winogradFixedColumns
        func tiles(_ m: Int) -> Double { n * Double(((height + m - 1) / m) * ((width + m - 1) / m)) }
        let allowsF4: Bool
        switch pass {
        case .trainingForward: allowsF4 = winograd4x4InTrainingForward
        case .evaluationForward: allowsF4 = winograd4x4InTrainingForward || winograd4x4InEvaluation
        case .backward: allowsF4 = winograd4x4InTrainingForward || winograd4x4InBackward
        }
        let f4 = allowsF4 ? 36 * (tiles(4) + fixed) / cost.winogradGFLOPS : .infinity
        let f2 = 16 * (tiles(2) + fixed) / cost.winogradGFLOPS
        let direct = 9 * n * Double(height * width) / (packed ? cost.im2colGFLOPSPacked : cost.im2colGFLOPS)
        if direct <= min(f4, f2) { return .im2col }
        return f4 < f2 ? .winograd4x4 : .winograd2x2
    }

    /// Whether an evaluation forward of `batch` images keeps and reuses transformed filters.
    public func cachesTransformedFilters(batch: Int) -> Bool { batch <= cacheTransformedFiltersUpToBatch }
}
