/// How audio is cut into the windows the network classifies: `windowSamples` long, one every `hopSamples`,
/// at the model's rate. The one place window and hop are checked, for `infer`'s options (its `validate()`
/// and the runner), `eval` and `serve` alike.
public struct WindowPlan: Equatable, Sendable {
    public let sampleRate: Int
    public let windowSamples: Int, hopSamples: Int
    /// The frames of a window's log-mel: the width of every network input.
    public let windowFrames: Int

    /// The bounds, in seconds.
    public static let maxWindowSeconds = 600.0
    /// At least 10 ms: a hop of 1e-300 s would make a window of every sample (millions per minute of audio).
    public static let hopSecondsRange = 0.01...3600.0

    /// The model's clip, one every half clip: `infer`'s and `serve`'s default. A validated front end's clip
    /// (at most `FrontEndConfig.maxClipSeconds`) needs no further check.
    public init(config: FrontEndConfig) {
        self.init(window: config.clipSeconds, hop: config.clipSeconds / 2, config: config)
    }

    /// `windowSeconds` nil: the model's clip; `hopSeconds` nil: half the window. What was given is checked,
    /// and a hop made from a given window: throws naming `--window` or `--hop` when out of bounds.
    public init(windowSeconds: Double?, hopSeconds: Double?, config: FrontEndConfig) throws {
        guard windowSeconds != nil || hopSeconds != nil else { self.init(config: config); return }
        let window = windowSeconds ?? config.clipSeconds
        try Self.check(windowSeconds: window)
        let hop = hopSeconds ?? window / 2
        try Self.check(hopSeconds: hop)
        self.init(window: window, hop: hop, config: config)
    }

    private init(window: Double, hop: Double, config: FrontEndConfig) {
        let sr = Double(config.sampleRate)
        sampleRate = config.sampleRate
        // At least one FFT's half: the front end's reflect padding needs that many samples.
        windowSamples = max(config.nFFT / 2 + 1, Int((window * sr).rounded()))
        hopSamples = max(1, Int((hop * sr).rounded()))
        windowFrames = config.frames(forSamples: windowSamples)
    }

    /// Checks the options before any model is loaded (`infer`'s `validate()`); nil is the default.
    public static func validate(windowSeconds: Double?, hopSeconds: Double?) throws {
        if let windowSeconds { try check(windowSeconds: windowSeconds) }
        if let hopSeconds { try check(hopSeconds: hopSeconds) }
    }

    private static func check(windowSeconds window: Double) throws {
        guard window.isFinite, window > 0, window <= maxWindowSeconds else {
            throw AudioSpecNetError.invalidArgument("--window must be longer than 0 and at most 600 seconds, got \(window)")
        }
    }

    private static func check(hopSeconds hop: Double) throws {
        guard hop.isFinite, hopSecondsRange.contains(hop) else {
            throw AudioSpecNetError.invalidArgument("--hop must be 0.01…3600 seconds, got \(hop)")
        }
    }

    public var windowSeconds: Double { Double(windowSamples) / Double(sampleRate) }
    public var hopSeconds: Double { Double(hopSamples) / Double(sampleRate) }
    /// Seconds from the start of the audio of a sample index.
    public func seconds(_ sample: Int) -> Double { Double(sample) / Double(sampleRate) }
}
