import Foundation

/// An exponential moving average of a model's parameters and BatchNorm running statistics (`--ema DECAY`),
/// updated after every optimizer step: ema ← d·ema + (1 − d)·θ. The decay warms up as timm's `ModelEmaV3`
/// with `use_warmup` (γ = 1): after t + 1 updates d = min(DECAY, 1 − (1 + t)^(−power)), the first update
/// copying the weights. At ESC-50's 38 steps an epoch a run is a few thousand steps, where that warm-up
/// still rules: with power 3/4, 950 steps (25 epochs) reach 0.9942 and 3 800 (100 epochs) 0.9979, so any
/// DECAY above those behaves the same; `--ema-warmup-power` changes the ramp (0: none, DECAY from the
/// second step). `num_batches_tracked` is not averaged (it counts, and the model's own is kept).
public struct EMASettings: Codable, Equatable, Sendable {
    public var decay: Double
    public var warmupPower: Double = 0.75

    public init(decay: Double, warmupPower: Double = 0.75) {
        self.decay = decay
        self.warmupPower = warmupPower
    }

    enum CodingKeys: String, CodingKey { case decay, warmupPower = "warmup_power" }

    public func validate() throws {
        guard decay > 0, decay < 1 else { throw AudioSpecNetError.invalidArgument("the EMA decay must be in (0, 1), got \(decay)") }
        guard warmupPower >= 0, warmupPower <= 10 else {
            throw AudioSpecNetError.invalidArgument("the EMA warm-up power must be 0…10 (0: no warm-up), got \(warmupPower)")
        }
    }

    /// The decay used by update number `updates` (1-based): 0 for the first (a copy).
    public func decay(afterUpdates updates: Int) -> Double {
        let t = Double(updates - 1)
        guard t > 0 else { return 0 }
        guard warmupPower > 0 else { return decay }
        return min(decay, 1 - pow(1 + t, -warmupPower))
    }
}

/// The averaged copy itself: arrays of the arena's parameter and buffer layout.
public final class WeightEMA {
    public let settings: EMASettings
    public let parameters: UnsafeMutablePointer<Float>
    public let buffers: UnsafeMutablePointer<Float>
    public let parameterCount: Int, bufferCount: Int
    /// The decay of the last update (for the log).
    public private(set) var lastDecay = 0.0

    public init(settings: EMASettings, arena: ParameterArena) {
        self.settings = settings
        parameterCount = arena.parameterCount
        bufferCount = arena.bufferCount
        parameters = .allocate(capacity: max(1, parameterCount))
        buffers = .allocate(capacity: max(1, bufferCount))
        parameters.update(from: arena.parameterValues, count: parameterCount)
        buffers.update(from: arena.buffers, count: bufferCount)
    }

    deinit {
        parameters.deallocate()
        buffers.deallocate()
    }

    /// Folds the arena's current weights in, as update number `updates` (1-based).
    public func update(from arena: ParameterArena, updates: Int, parallel: Parallel) {
        let d = Float(settings.decay(afterUpdates: updates))
        lastDecay = Double(d)
        let a = 1 - d
        for (ema, model, count) in [(parameters, UnsafeMutablePointer(mutating: arena.parameterValues), parameterCount),
                                    (buffers, arena.buffers, bufferCount)] {
            parallel.chunks(count, minimumChunk: 1 << 16) { range, _ in
                for i in range { ema[i] = d * ema[i] + a * model[i] }
            }
        }
    }

    /// Exchanges the averaged weights with the arena's (twice restores both): to evaluate or save the average
    /// without a third copy. Marks the arena's parameters changed (cached filter transforms are rebuilt).
    public func swap(with arena: ParameterArena) {
        let p = arena.parameters, b = arena.buffers
        for (x, y, count) in [(parameters, p, parameterCount), (buffers, b, bufferCount)] {
            for i in 0..<count { let t = x[i]; x[i] = y[i]; y[i] = t }
        }
    }

    /// Overwrites the average with these values (a resume).
    public func load(parameters p: [Float], buffers b: [Float]) {
        precondition(p.count == parameterCount && b.count == bufferCount)
        parameters.update(from: p, count: parameterCount)
        buffers.update(from: b, count: bufferCount)
    }
}
