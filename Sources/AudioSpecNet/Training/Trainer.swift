import Foundation

/// The training loop of the recipe: shuffled epochs of augmented batches (SpecAugment, mixup),
/// AdamW with the OneCycle schedule stepping lr and β₁, validation in eval mode after every epoch,
/// `last.safetensors` and `best.safetensors` written atomically, and the test fold evaluated once at the
/// end with the best checkpoint. A run is deterministic in its seed for a fixed thread count, and a
/// resumed run continues bit for bit.
public final class Trainer {
    public let options: TrainingOptions
    public let data: TrainingData
    public let directory: RunDirectory
    public var outputDirectory: String { directory.path }
    public let model: AudioCNN
    public let optimizer: AdamW
    public let schedule: LearningRateSchedule
    /// The ranks of a data-parallel run (docs/distributed.md); one process alone by default.
    public let group: ProcessGroup
    public private(set) var state = CheckpointState()
    /// Stop after this many optimizer steps in total, as if interrupted (tests).
    public var stopAfterGlobalStep: Int? = nil
    /// Stops the run at the next step boundary, with `last` saved (the CLI cancels it on Ctrl-C/SIGTERM).
    public var cancellation = Cancellation()
    /// Skip writing curves.png (tests that only need numbers).
    public var drawCurves = true
    public var events: (TrainerEvent) -> Void = { _ in }
    /// With `options.initFrom`: what the run kept of the starting model, in a line for the log.
    public private(set) var startingNote: String?

    private let assembler: BatchAssembler
    /// With `options.ema`: the average that is evaluated and saved.
    private let ema: WeightEMA?
    /// With `options.average`: the running mean of the last epochs' weights, the run's model at the end.
    private let average: WeightAverage?
    /// With `options.teachers`: the models whose softened probabilities the student also learns.
    private let teachers: TeacherEnsemble?
    /// With `options.freezeBackbone`: the features computed once (on first use, so after a resume).
    private var frozenFeatures: FrozenBackbone?
    private let logitsGradient = Tensor(shape: [0])
    private let evalInput: Tensor
    private let evalTargets: Tensor

    public var lastPath: String { directory.last }
    public var bestPath: String { directory.best }
    /// The best epoch's weights as a plain model file, written when the run ends.
    public var modelPath: String { directory.model }
    public var stepsPerEpoch: Int { assembler.steps(perEpoch: data.train.count) }

    /// `startingModel`: `options.initFrom` already read (read here when nil).
    public init(options: TrainingOptions, data: TrainingData, outputDirectory: String, startingModel: StartingModel? = nil,
                group: ProcessGroup = SingleProcess()) throws {
        try options.validate()
        var options = options
        options.worldSize = group.size > 1 ? group.size : nil
        try Trainer.check(options, ranks: group.size)
        self.group = group
        options.architecture.numClasses = data.classes.count
        let starting = try options.initFrom.map { path in try startingModel ?? StartingModel(path: path) }
        if let starting {
            try starting.check(architecture: options.architecture, frontEnd: options.frontEnd)
            options.initFromWeights = starting.weightsHash
        }
        if let paths = options.teachers, !paths.isEmpty {
            let ensemble = try TeacherEnsemble(paths: paths, classes: data.classes, frontEnd: options.frontEnd,
                                               context: ComputeContext(threads: options.threads))
            options.teacherWeights = ensemble.hashes
            teachers = ensemble
        } else {
            teachers = nil
        }
        self.options = options
        self.data = data
        directory = RunDirectory(outputDirectory)
        model = try AudioCNN(config: options.architecture, seed: options.seed,
                             context: ComputeContext(threads: options.threads, convolution: .training))
        if let starting {
            // after the seeded initialisation, so that a new fc is the one a run from scratch would start with
            startingNote = starting.describe(try starting.load(into: model, classes: data.classes), classes: data.classes)
        }
        model.dropout.probability = options.dropout
        if group.size > 1 && options.syncBatchNorm == true {
            // the reductions of every BatchNorm of a training step, in the network's order on every rank
            let last = data.train.count % options.batchSize
            guard last == 0 || last >= group.size else {
                throw AudioSpecNetError.invalidArgument("--sync-bn: an epoch's last batch of \(last) clips would leave a rank without a clip among \(group.size); choose a --batch-size that leaves none or at least \(group.size)")
            }
            for bn in model.batchNorms {
                bn.reduceAcrossRanks = { [group] in group.allreduceSum($0, count: $1) }
                bn.addsReducedGradients = group.isRoot
            }
        }
        optimizer = AdamW(parameterCount: model.arena.parameterCount, weightDecay: options.weightDecay)
        assembler = BatchAssembler(data: data, options: options, rank: group.rank, ranks: group.size)
        let arena = model.arena
        ema = options.ema.map { WeightEMA(settings: $0, arena: arena) }
        average = options.average.map { WeightAverage(settings: $0, arena: arena) }
        schedule = LearningRateSchedule(options: options, stepsPerEpoch: (data.train.count + options.batchSize - 1) / options.batchSize)
        let b = max(1, min(options.batchSize, max(data.validation.count, data.test.count)))
        evalInput = Tensor(shape: [b, 1, data.store.mels, data.store.frames])
        evalTargets = Tensor(shape: [b, data.classes.count])
        state.dropoutRNG = CheckpointState.hexWords(model.rng.stateWords)
    }

    /// What a data-parallel run refuses, in one line.
    static func check(_ options: TrainingOptions, ranks: Int) throws {
        guard ranks > 1 else { return }
        guard options.batchSize % ranks == 0 else {
            throw AudioSpecNetError.invalidArgument("--batch-size \(options.batchSize) does not split among \(ranks) ranks: it is the global batch, use a multiple of \(ranks)")
        }
        guard options.freezeBackbone != true else {
            throw AudioSpecNetError.invalidArgument("--freeze-backbone trains in one process: start it without mpirun/srun")
        }
    }

    // MARK: - Resume

    /// Loads `last.safetensors`, after checking that it was made with the same settings and data.
    public func resume() throws {
        let loaded = try Checkpoint.read(path: lastPath)
        if let d = options.firstDifference(from: loaded.options) {
            throw AudioSpecNetError.invalidArgument("cannot resume \(outputDirectory): `\(d.key)` was \(d.saved) in that run and is \(d.now) now")
        }
        for (key, value) in data.identity {
            if let saved = loaded.dataIdentity[key], saved != value {
                throw AudioSpecNetError.invalidArgument("cannot resume \(outputDirectory): the data differ (`\(key)` was \(saved), is \(value) now)")
            }
        }
        try ModelFile.loadWeights(into: model, from: loaded.file)
        if let ema {
            // the file's model tensors are the average; the weights training continues from are stored flat
            let p = try loaded.file.floats(Checkpoint.rawParametersName), b = try loaded.file.floats(Checkpoint.rawBuffersName)
            guard p.count == ema.parameterCount, b.count == ema.bufferCount else {
                throw AudioSpecNetError.format(path: lastPath, reason: "the training weights behind the average have \(p.count) + \(b.count) values for \(ema.parameterCount) + \(ema.bufferCount)")
            }
            ema.load(parameters: p, buffers: b)
            ema.swap(with: model.arena)
        }
        if let average, let count = loaded.state.averagedEpochs, count > 0 {
            let p = try loaded.file.floats(Checkpoint.averageName)
            guard p.count == average.parameterCount else {
                throw AudioSpecNetError.format(path: lastPath, reason: "the running average has \(p.count) values for \(average.parameterCount) parameters")
            }
            average.load(parameters: p, count: count)
        }
        frozenFeatures = nil
        guard let words = CheckpointState.words(loaded.state.dropoutRNG) else {
            throw AudioSpecNetError.format(path: lastPath, reason: "dropout generator state is malformed")
        }
        let m = try loaded.file.floats(Checkpoint.mName), v = try loaded.file.floats(Checkpoint.vName)
        guard m.count == optimizer.count, v.count == optimizer.count else {
            throw AudioSpecNetError.format(path: lastPath, reason: "optimizer state has \(m.count) values for \(optimizer.count) parameters")
        }
        optimizer.restore(step: loaded.state.adamStep, m: m, v: v)
        model.rng = RandomGenerator(state: words)
        state = loaded.state
    }

    // MARK: - The loop

    /// Trains until `options.epochs` are complete (or a stop), then tests the best checkpoint.
    @discardableResult
    public func run() throws -> TrainingSummary {
        if group.isRoot { try directory.create() }
        try joinRanks()
        let wall = Stopwatch(offset: state.wallSeconds)
        defer { assembler.drain() }
        while state.epoch < options.epochs {
            let epoch = state.epoch + 1
            let (trainSeconds, lr) = try trainEpoch(epoch, wall: wall)
            try endEpoch(epoch, trainSeconds: trainSeconds, lr: lr, wall: wall)
        }
        return try finish(wall: wall)
    }

    /// World size > 1: the ranks check that they run the same thing (settings, data, resume point), then take
    /// rank 0's weights and buffers, so that every rank starts from the same model whatever its files held.
    private func joinRanks() throws {
        guard group.size > 1 else { return }
        var h = FNV1a64()
        for (k, v) in options.identity { h.mix(Array("\(k)=\(v);".utf8)) }
        for (k, v) in data.identity.sorted(by: { $0.key < $1.key }) { h.mix(Array("\(k)=\(v);".utf8)) }
        h.mix(Array("train=\(data.train.count) step=\(state.globalStep) params=\(model.arena.parameterCount)".utf8))
        try group.requireAgreement(h.value, on: "the run (settings, data, world size or resume point)")
        group.broadcast(model.arena.parameters, count: model.arena.parameterCount, root: 0)
        group.broadcast(model.arena.buffers, count: model.arena.bufferCount, root: 0)
    }

    /// The remaining steps of epoch `epoch` (all of them, or those after a resume point); returns the
    /// epoch's training seconds and its last learning rate. A stop request saves `last` and throws.
    private func trainEpoch(_ epoch: Int, wall: Stopwatch) throws -> (seconds: Double, lr: Double) {
        let steps = stepsPerEpoch
        let order = SeedDerivation.shuffle(count: data.train.count, seed: options.seed, epoch: epoch)
        let clock = Stopwatch(offset: state.partialSeconds)
        var lr = 0.0
        while state.stepInEpoch < steps {
            let step = state.stepInEpoch
            // agreed by every rank (a reduction), so that all stop at this step and rank 0's checkpoint is everyone's
            if group.agreeToStop(cancellation.isCancelled || stopAfterGlobalStep.map({ state.globalStep >= $0 }) == true) {
                state.partialSeconds = clock.seconds
                state.wallSeconds = wall.seconds
                events(.stopping(globalStep: state.globalStep))  // logs write what they hold before the checkpoint
                try saveLast()
                throw TrainingStop.interrupted(epoch: epoch, step: step, checkpoint: lastPath)
            }
            let result: (loss: Double, correct: Int, lr: Double), count: Int
            if let frozen = try frozen() {
                let lo = step * options.batchSize, hi = min(order.count, lo + options.batchSize)
                count = hi - lo
                result = try frozenStep(frozen, clips: order[lo..<hi], epoch: epoch, step: step)
            } else {
                let wait = Stopwatch()
                let batch = assembler.batch(order: order, epoch: epoch, step: step, prefetchNext: step + 1 < steps ? step + 1 : nil)
                state.partialDataWait += wait.seconds
                count = batch.globalCount
                result = try self.step(batch, epoch: epoch, step: step)
            }
            lr = result.lr
            state.globalStep += 1
            state.stepInEpoch += 1
            state.partialLoss += result.loss * Double(count)
            state.partialCorrect += result.correct
            state.partialSeen += count
            let rate = Double(state.partialSeen) / max(clock.seconds, 1e-9)
            events(.step(StepProgress(epoch: epoch, epochs: options.epochs, step: state.stepInEpoch, steps: steps,
                                      loss: state.partialLoss / Double(state.partialSeen),
                                      accuracy: Double(state.partialCorrect) / Double(state.partialSeen),
                                      samplesPerSecond: rate,
                                      etaSeconds: Double(data.train.count - state.partialSeen) / max(rate, 1e-9), batchLoss: result.loss, lr: result.lr)))
        }
        if lr == 0 { lr = schedule.at(max(0, state.globalStep - 1)).lr }
        return (clock.seconds, lr)
    }

    /// One optimizer step: forward in training mode, the soft-target loss, backward, AdamW at the
    /// schedule's lr and β₁ for the current global step. Returns the loss, the batch's correct
    /// predictions and the lr used; a non-finite loss stops the run before the update.
    private func step(_ batch: TrainingBatch, epoch: Int, step: Int) throws -> (loss: Double, correct: Int, lr: Double) {
        let classes = data.classes.count
        model.arena.zeroGradients()
        // a rank can hold no clip of an epoch's short last batch: it adds zero gradients to the reduction
        var loss = 0.0, correct = 0
        if batch.count > 0 {
            // the teachers see the student's own batch (augmented, mixed), before the student's forward reuses nothing of theirs
            let soft = teachers.map { $0.softLabels(batch.input, classes: classes, temperature: options.distillation!.temperature) }
            model.dropout.rowKeys = batch.positions.map { SeedDerivation.dropoutKey(seed: options.seed, epoch: epoch, step: step, position: $0) }
            let logits = model.forward(batch.input, training: true)
            model.dropout.rowKeys = nil
            loss = SoftmaxCrossEntropy.forwardBackward(logits: logits, targets: batch.targets, gradient: logitsGradient)
            if let soft, let d = options.distillation {
                // (1 − α)·CE + α·T²·KL: scale the cross-entropy's gradient, then add the distillation term's
                for i in 0..<logitsGradient.count { logitsGradient.data[i] *= 1 - d.alpha }
                let kd = DistillationLoss.forwardBackward(logits: logits, softLabels: soft, temperature: d.temperature,
                                                          gradient: logitsGradient, weight: d.alpha)
                loss = Double(1 - d.alpha) * loss + Double(d.alpha) * kd
            }
            for i in 0..<batch.count where argmax(logits.data + i * classes, classes) == batch.labels[i] { correct += 1 }
            if batch.count != batch.globalCount {
                // this rank's mean weighted by its share of the global batch (1/N when it divides evenly), on the
                // logits' gradient so that --sync-bn's sums see every rank in the same units: the sum over the
                // ranks is then the global batch's mean gradient
                let share = Float(batch.count) / Float(batch.globalCount)
                for i in 0..<logitsGradient.count { logitsGradient.data[i] *= share }
            }
        }
        if group.size > 1 {
            // the global batch's mean loss and correct count, known to every rank before any of them decides to stop
            var sums = [loss * Double(batch.count), Double(correct)]
            group.allreduceSum(&sums, count: 2)
            loss = sums[0] / Double(batch.globalCount)
            correct = Int(sums[1].rounded())
        }
        guard loss.isFinite else {
            throw TrainingStop.nonFinite(epoch: epoch, step: step + 1, loss: loss,
                                         lastGood: FileManager.default.fileExists(atPath: lastPath) ? lastPath : nil)
        }
        if batch.count > 0 { model.backward(logitsGradient: logitsGradient) }
        if group.size > 1 { reduceGradients() }
        let (stepLR, beta1) = schedule.at(state.globalStep)
        optimizer.beta1 = beta1
        optimizer.update(parameters: model.arena.parameters, gradients: model.arena.gradients, lr: stepLR,
                         parallel: model.context.parallel)
        ema?.update(from: model.arena, updates: state.globalStep + 1, parallel: model.context.parallel)
        // BatchNorm's running statistics are rank 0's on every rank after each step (as DDP's
        // broadcast_buffers), so that validation, checkpoints and a resume see one model
        if group.size > 1 { group.broadcast(model.arena.buffers, count: model.arena.bufferCount, root: 0) }
        return (loss, correct, stepLR)
    }

    /// The global batch's mean gradient on every rank: one in-place sum over the whole gradient arena of the
    /// ranks' gradients (each already weighted by its share of the batch).
    private func reduceGradients() {
        group.allreduceSum(model.arena.gradients, count: model.arena.parameterCount)
    }

    /// The frozen backbone's features, computed on first use.
    private func frozen() throws -> FrozenBackbone? {
        guard options.freezeBackbone == true else { return nil }
        if let frozenFeatures { return frozenFeatures }
        let computed = try FrozenBackbone(model: model, store: data.store, batch: options.batchSize, isCancelled: { [cancellation] in cancellation.isCancelled })
        frozenFeatures = computed
        return computed
    }

    /// One optimizer step of fc alone on the features of the training clips `clips` (positions in
    /// `data.train`): dropout, fc, the label-smoothed loss (no mixup), AdamW on fc's parameters.
    private func frozenStep(_ frozen: FrozenBackbone, clips: ArraySlice<Int>, epoch: Int, step: Int) throws -> (loss: Double, correct: Int, lr: Double) {
        let classes = data.classes.count
        let labels = clips.map { data.train.labels[$0] }
        let targets = Tensor(shape: [labels.count, classes])
        SoftmaxCrossEntropy.writeTargets(labels: labels, classes: classes, smoothing: options.labelSmoothing, mix: nil, into: targets.data)
        frozen.zeroGradients(model: model)
        let logits = frozen.logits(model: model, clips: ArraySlice(clips.map { data.train.indices[$0] }), training: true, rng: &model.rng)
        let loss = SoftmaxCrossEntropy.forwardBackward(logits: logits, targets: targets, gradient: logitsGradient)
        guard loss.isFinite else {
            throw TrainingStop.nonFinite(epoch: epoch, step: step + 1, loss: loss,
                                         lastGood: FileManager.default.fileExists(atPath: lastPath) ? lastPath : nil)
        }
        var correct = 0
        for i in labels.indices where argmax(logits.data + i * classes, classes) == labels[i] { correct += 1 }
        frozen.backward(model: model, logitsGradient: logitsGradient)
        let (stepLR, beta1) = schedule.at(state.globalStep)
        optimizer.beta1 = beta1
        optimizer.update(parameters: model.arena.parameters, gradients: model.arena.gradients, lr: stepLR,
                         parallel: model.context.parallel, range: frozen.fcRange)
        return (loss, correct, stepLR)
    }

    /// After an epoch's steps: validation, the epoch's metrics, the best epoch, checkpoints and metric files.
    private func endEpoch(_ epoch: Int, trainSeconds: Double, lr: Double, wall: Stopwatch) throws {
        let steps = stepsPerEpoch
        let evalClock = Stopwatch()
        // Without a held-out split every epoch is "best": the model is the last epoch (OneCycle ends near lr 0).
        let heldOut = data.validation.count > 0
        // with --ema the average is what is evaluated (and saved)
        ema?.swap(with: model.arena)
        // rank 0 alone validates (the model is the same on every rank); the others go on to the next step's reduction
        let validation = heldOut && group.isRoot ? evaluate(data.validation) : nil
        let (valLoss, valAcc) = validation.map { ($0.loss, $0.accuracy) } ?? (0, 0)
        ema?.swap(with: model.arena)
        guard valLoss.isFinite else {
            throw TrainingStop.nonFinite(epoch: epoch, step: steps, loss: valLoss,
                                         lastGood: FileManager.default.fileExists(atPath: lastPath) ? lastPath : nil)
        }
        let evalSeconds = evalClock.seconds
        let isBest = !heldOut || valAcc > state.bestValAccuracy
        let metrics = EpochMetrics(epoch: epoch, trainLoss: state.partialLoss / Double(max(1, state.partialSeen)),
                                   trainAccuracy: Double(state.partialCorrect) / Double(max(1, state.partialSeen)),
                                   valLoss: heldOut ? valLoss : nil, valAccuracy: heldOut ? valAcc : nil, lr: lr, seconds: trainSeconds + evalSeconds,
                                   samplesPerSecond: Double(state.partialSeen) / max(trainSeconds, 1e-9), best: isBest,
                                   dataWaitSeconds: state.partialDataWait)
        var row = metrics
        row.emaDecay = ema?.lastDecay
        row.valMacroF1 = validation?.scores.macroF1
        state.history.append(row)
        state.epoch = epoch
        state.stepInEpoch = 0
        // every rank folds in its (identical) weights, so that any rank's state is the run's
        if let average, epoch >= average.settings.firstEpoch(epochs: options.epochs) {
            average.add(model.arena, parallel: model.context.parallel)
            state.averagedEpochs = average.count
        }
        state.partialLoss = 0; state.partialCorrect = 0; state.partialSeen = 0; state.partialSeconds = 0; state.partialDataWait = 0
        if isBest {
            state.bestEpoch = epoch
            state.bestValAccuracy = valAcc
            state.bestValLoss = valLoss
        }
        state.wallSeconds = wall.seconds
        // The epoch's figures reach their files (metrics, TensorBoard) before the checkpoint that ends it: a
        // run killed after the checkpoint has everything up to it on disk, and one killed before redoes the
        // epoch from the previous checkpoint (the files are rewritten from the history; TensorBoard drops
        // the redone steps at the resume's SessionLog START).
        guard group.isRoot else { return }
        try writeMetrics()
        if let validation { events(.validated(validation.scores, epoch: epoch)) }
        events(.epoch(row, epochs: options.epochs))
        // best first: a kill between the two leaves `last` at the previous epoch, which a resume redoes
        // deterministically (and rewrites the same best).
        // When both are due they hold the same bytes: `last` becomes a second name of `best` (an atomic
        // rename of a hard link; the next write of either replaces it with a new file), half the writing,
        // which is most of a frozen backbone's epoch.
        if isBest {
            try saveCheckpoint(to: bestPath)
            if !AtomicFile.link(bestPath, to: lastPath) { try saveLast() }
        } else {
            try saveLast()
        }
    }

    /// Tests the best checkpoint (with `--average-last`: the averaged model) on the test fold once and
    /// writes summary.json.
    private func finish(wall: Stopwatch) throws -> TrainingSummary {
        assembler.drain()
        // rank 0 tests and writes; the others end with what they know (their summary is not written)
        guard group.isRoot else {
            return TrainingSummary(epochs: options.epochs, bestEpoch: state.bestEpoch, bestValAccuracy: nil, bestValLoss: nil,
                                   testAccuracy: nil, testLoss: nil, testFold: options.testFold, valFold: options.valFold,
                                   selection: "rank \(group.rank) of \(group.size): rank 0 selects and tests",
                                   trainClips: data.train.count, valClips: data.validation.count, testClips: data.test.count,
                                   meanSamplesPerSecond: 0, wallSeconds: wall.seconds, note: nil)
        }
        let best = try SafetensorsFile(path: bestPath)
        let averaged = average.map(finishAverage)
        if averaged == nil { try ModelFile.loadWeights(into: model, from: best) }
        let tested = data.test.count > 0
        let (testLoss, testAcc) = tested ? { let r = evaluate(data.test); return (r.loss, r.accuracy) }() : (0, 0)
        let heldOut = data.validation.count > 0
        let optimistic = options.valFold == nil && (options.valSplit ?? 0) == 0 && tested
        let picked = !heldOut ? "nothing held out: the model is the last epoch"
            : optimistic ? "best epoch picked on the test fold (no validation fold)"
            : options.valFold.map { "best epoch picked on validation fold \($0)" } ?? "best epoch picked on the validation split"
        let selection = averaged.map { "the model is the average of epochs \($0.firstEpoch)–\($0.lastEpoch), BatchNorm statistics recomputed over the training clips" } ?? picked
        let rates = state.history.map(\.samplesPerSecond)
        var summary = TrainingSummary(
            epochs: options.epochs, bestEpoch: state.bestEpoch, bestValAccuracy: heldOut ? state.bestValAccuracy : nil,
            bestValLoss: heldOut ? state.bestValLoss : nil, testAccuracy: tested ? testAcc : nil, testLoss: tested ? testLoss : nil,
            testFold: options.testFold, valFold: options.valFold, selection: selection,
            trainClips: data.train.count, valClips: data.validation.count, testClips: data.test.count,
            meanSamplesPerSecond: rates.isEmpty ? 0 : rates.reduce(0, +) / Double(rates.count), wallSeconds: wall.seconds,
            note: optimistic && averaged == nil ? "the best epoch was selected on the test fold itself, so the test accuracy is optimistic (biased upward); use a validation fold for an honest estimate" : nil)
        summary.averaged = averaged
        try AtomicFile.write(prettyJSON(summary) + "\n", to: directory.summary)
        // The model alone (no optimizer state: a third of the checkpoint), with the run's summary.
        var metadata = ModelExport.modelMetadata(try ModelFile.readMetadata(best))
        metadata.extra["training_summary"] = jsonString(summary)
        try ModelExport.save(model: model, metadata: metadata, storage: .f32, to: modelPath)
        return summary
    }

    /// The model becomes the average of the last epochs, its BatchNorm statistics recomputed over every
    /// training clip (rank 0 alone: the others hold no output); validated when a split is held out.
    private func finishAverage(_ average: WeightAverage) -> AveragedModelSummary {
        average.copy(into: model.arena)
        let batches = BatchNormRecompute.run(model: model, store: data.store, clips: data.train.indices, batchSize: options.batchSize)
        let validation = data.validation.count > 0 ? evaluate(data.validation) : nil
        let result = AveragedModelSummary(firstEpoch: average.settings.firstEpoch(epochs: options.epochs), lastEpoch: options.epochs,
                                          averagedEpochs: average.count, batchNormBatches: batches, valAccuracy: validation?.accuracy,
                                          valLoss: validation?.loss, valMacroF1: validation?.scores.macroF1)
        events(.message(result.line))
        return result
    }

    /// Mean loss (with the run's label smoothing, as the reference's criterion), accuracy and the scores
    /// behind macro-F1 and the confusion matrix, eval mode.
    public func evaluate(_ split: TrainingData.Split) -> (loss: Double, accuracy: Double, scores: EvalMetrics) {
        let per = data.store.valuesPerClip, classes = data.classes.count
        let frozenBackbone = try? frozen()
        var lossSum = 0.0, correct = 0
        var ranked: [[Int]] = []
        ranked.reserveCapacity(split.count)
        var lo = 0
        while lo < split.count {
            let n = min(evalInput.capacity / per, split.count - lo)
            evalInput.reshape([n, 1, data.store.mels, data.store.frames])
            evalTargets.reshape([n, classes])
            evalTargets.zero()
            for i in 0..<n {
                if frozenBackbone == nil { (evalInput.data + i * per).update(from: data.store.pointer(split.indices[lo + i]), count: per) }
                SoftmaxCrossEntropy.addTarget(label: split.labels[lo + i], classes: classes, smoothing: options.labelSmoothing, weight: 1,
                                              into: evalTargets.data + i * classes)
            }
            // a frozen backbone's features are the eval-mode network's up to the pool: only fc is left to run
            let logits = frozenBackbone.map { $0.logits(model: model, clips: split.indices[lo..<(lo + n)], training: false, rng: &model.rng) }
                ?? model.forward(evalInput, training: false)
            lossSum += SoftmaxCrossEntropy.forwardBackward(logits: logits, targets: evalTargets, gradient: nil) * Double(n)
            for i in 0..<n {
                let order = topIndices(Array(UnsafeBufferPointer(start: logits.data + i * classes, count: classes)), k: 5)
                if order[0] == split.labels[lo + i] { correct += 1 }
                ranked.append(order)
            }
            lo += n
        }
        let scores = EvalMetrics(classes: data.classes, labels: Array(split.labels), ranked: ranked)
        return (lossSum / Double(max(1, split.count)), Double(correct) / Double(max(1, split.count)), scores)
    }

    // MARK: - Files

    private func saveCheckpoint(to path: String) throws {
        guard group.isRoot else { return }  // rank 0 alone writes the run folder
        // never replace a good checkpoint with non-finite weights (an update can overflow after the loss
        // of its step was finite)
        let p = model.arena.parameters
        var finite = true
        for i in 0..<model.arena.parameterCount where !p[i].isFinite { finite = false; break }
        guard finite else {
            throw TrainingStop.nonFinite(epoch: state.epoch + (state.stepInEpoch > 0 ? 1 : 0), step: state.stepInEpoch, loss: .nan,
                                         lastGood: FileManager.default.fileExists(atPath: lastPath) ? lastPath : nil)
        }
        state.adamStep = optimizer.step
        state.dropoutRNG = CheckpointState.hexWords(model.rng.stateWords)
        try Checkpoint.write(to: path, model: model, optimizer: optimizer, state: state, options: options,
                             dataIdentity: data.identity, classes: data.classes, ema: ema, average: average)
    }

    private func saveLast() throws { try saveCheckpoint(to: lastPath) }

    /// metrics.jsonl and metrics.csv rewritten from the history (so a resume never leaves extra rows),
    /// and the curves.
    public func writeMetrics() throws {
        let lines = state.history.map(jsonString)
        try AtomicFile.write(lines.map { $0 + "\n" }.joined(), to: directory.metricsJSONL)
        try AtomicFile.write(([EpochMetrics.csvHeader] + state.history.map(\.csvRow)).joined(separator: "\n") + "\n",
                             to: directory.metricsCSV)
        if drawCurves {
            try LineChart.learningCurves(state.history, validationLabel: options.valFold == nil ? "test (selects)" : "val").writePNG(to: directory.curves)
        }
    }
}
