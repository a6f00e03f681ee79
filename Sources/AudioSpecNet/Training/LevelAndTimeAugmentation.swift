import Foundation

/// A random gain per training clip, drawn uniformly in decibels from `[lowDB, highDB]` (`--gain-db`), applied
/// to the cached log-mel instead of the waveform. The two are the same: a gain g scales every power bin by
/// 10^(g/10), so 10·log10(max(P, floor)) becomes max(dB + g, −100) — except that bins already at the floor
/// (digital silence, the zero padding) stay at the floor, as silence does under any gain, and a louder copy
/// cannot lift bins that were below the floor (they stay at −100 dB instead of rising by up to g). Doing it here keeps
/// the spectrogram cache (a waveform lever would pay the front end at every step).
public struct RandomGain: Codable, Equatable, Sendable {
    public var lowDB: Float
    public var highDB: Float

    public init(lowDB: Float, highDB: Float) {
        self.lowDB = lowDB
        self.highDB = highDB
    }

    enum CodingKeys: String, CodingKey { case lowDB = "low_db", highDB = "high_db" }

    /// The floor of the log-mel (10·log10 of `LogMelSpectrogram.floorPower`).
    public static let floorDB: Float = -100

    /// Bounds a flag or a saved config may ask for: far beyond any recording level.
    public static let maxMagnitudeDB: Float = 60

    public func validate() throws {
        guard lowDB.isFinite, highDB.isFinite, lowDB <= highDB,
              abs(lowDB) <= Self.maxMagnitudeDB, abs(highDB) <= Self.maxMagnitudeDB else {
            throw AudioSpecNetError.invalidArgument("the gain range must be LOW:HIGH dB with LOW ≤ HIGH within ±\(Int(Self.maxMagnitudeDB)) dB, got \(lowDB):\(highDB)")
        }
    }

    public func draw(rng: inout RandomGenerator) -> Float { lowDB + (highDB - lowDB) * rng.nextFloat() }

    /// `count` log-mel values (dB) as if their waveform had been scaled by `gainDB`.
    public static func apply(_ gainDB: Float, to x: UnsafeMutablePointer<Float>, count: Int) {
        let floor = floorDB
        for i in 0..<count where x[i] > floor { x[i] = max(x[i] + gainDB, floor) }
    }
}

/// A random circular shift of each training clip in time by up to `maxSeconds` either way (`--time-shift`),
/// as whole frames of the cached log-mel: rolling the waveform by k hops rolls the STFT's frames by k, apart
/// from the frames near the clip's ends (the centred STFT's reflect padding) and those that wrap around
/// (a clip is rarely a whole number of hops, so a waveform roll would land them a fraction of a hop off).
public struct TimeShift: Codable, Equatable, Sendable {
    public var maxSeconds: Double

    public init(maxSeconds: Double) { self.maxSeconds = maxSeconds }

    enum CodingKeys: String, CodingKey { case maxSeconds = "max_seconds" }

    public func validate() throws {
        guard maxSeconds.isFinite, maxSeconds >= 0, maxSeconds <= FrontEndConfig.maxClipSeconds else {
            throw AudioSpecNetError.invalidArgument("the time shift must be 0…\(Int(FrontEndConfig.maxClipSeconds)) seconds, got \(maxSeconds)")
        }
    }

    /// The largest shift in frames for a front end (at most the clip's frames − 1).
    public func maxFrames(_ frontEnd: FrontEndConfig) -> Int {
        min(frontEnd.clipFrames - 1, Int((maxSeconds * Double(frontEnd.sampleRate) / Double(frontEnd.hopLength)).rounded()))
    }

    /// A shift in −maxFrames…maxFrames, uniform.
    public static func draw(maxFrames: Int, rng: inout RandomGenerator) -> Int {
        maxFrames == 0 ? 0 : rng.nextInt(below: 2 * maxFrames + 1) - maxFrames
    }
}

/// White noise added to a share of the training clips (`--noise-snr LO:HI`, `--noise-p P`): each clip, with
/// probability `probability`, gets white Gaussian noise at an SNR uniform in [lowDB, highDB] (`WhiteNoise`, as
/// `eval --perturb noise:SNR` adds it) on its waveform, before the front end — so those clips pay the log-mel
/// at every step, from the training clips' waveforms kept in memory.
public struct NoiseAugmentation: Codable, Equatable, Sendable {
    public var lowDB: Double
    public var highDB: Double
    public var probability: Double

    public init(lowDB: Double, highDB: Double, probability: Double = 0.5) {
        self.lowDB = lowDB
        self.highDB = highDB
        self.probability = probability
    }

    enum CodingKeys: String, CodingKey { case lowDB = "low_db", highDB = "high_db", probability }

    public func validate() throws {
        guard lowDB.isFinite, highDB.isFinite, lowDB <= highDB, lowDB >= -40, highDB <= 120 else {
            throw AudioSpecNetError.invalidArgument("the noise SNR range must be LOW:HIGH dB with LOW ≤ HIGH within −40…120 dB, got \(lowDB):\(highDB)")
        }
        guard probability >= 0, probability <= 1 else {
            throw AudioSpecNetError.invalidArgument("the noise probability must be in [0, 1], got \(probability)")
        }
    }

    /// One clip's draw: nil (clean) or the SNR and the seed of its noise.
    public func draw(rng: inout RandomGenerator) -> (snrDB: Double, seed: UInt64)? {
        let noisy = rng.nextDouble() < probability
        let snr = lowDB + (highDB - lowDB) * rng.nextDouble()
        let seed = rng.next()
        return noisy ? (snr, seed) : nil
    }
}
