/// The front end's parameters: torchaudio's `MelSpectrogram(sample_rate, n_fft, hop_length, n_mels, f_min,
/// f_max)` plus the clip length. Stored in model files (snake_case JSON) so that inference reproduces the
/// front end a model was trained with.
public struct FrontEndConfig: Codable, Equatable, Sendable {
    /// Rate everything is resampled to (Hz).
    public var sampleRate: Int
    /// FFT and window length (samples).
    public var nFFT: Int
    /// Frame step (samples).
    public var hopLength: Int
    /// Mel bands (rows of the log-mel).
    public var nMels: Int
    /// Lowest and highest filterbank frequencies (Hz).
    public var fMin: Double
    public var fMax: Double
    /// Clip length the network sees (seconds).
    public var clipSeconds: Double
    /// Loudness normalisation of each clip or window before the log-mel (nil: none, the recipe; left out of
    /// the JSON then, so older model files and spectrogram caches keep their keys).
    public var level: LevelNormalization?

    enum CodingKeys: String, CodingKey {
        case sampleRate = "sample_rate", nFFT = "n_fft", hopLength = "hop_length", nMels = "n_mels"
        case fMin = "f_min", fMax = "f_max", clipSeconds = "clip_seconds", level = "level_normalization"
    }

    public init(sampleRate: Int = 22_050, nFFT: Int = 1024, hopLength: Int = 512, nMels: Int = 128,
                fMin: Double = 0, fMax: Double = 11_025, clipSeconds: Double = 5) {
        self.sampleRate = sampleRate
        self.nFFT = nFFT
        self.hopLength = hopLength
        self.nMels = nMels
        self.fMin = fMin
        self.fMax = fMax
        self.clipSeconds = clipSeconds
    }

    /// The recipe: 22 050 Hz, n_fft 1024, hop 512, 128 mels over 0–11 025 Hz, 5-s clips ([128, 216]).
    public static let recipe = FrontEndConfig()

    /// One-sided spectrum bins (n_fft / 2 + 1).
    public var nFreqs: Int { nFFT / 2 + 1 }
    /// Samples in one clip (110 250 for the recipe).
    public var clipSamples: Int { Clip(config: self).sampleCount }
    /// Frames of a centred STFT over `n` samples: 1 + n / hop (216 for a 5-s clip).
    public func frames(forSamples n: Int) -> Int { n / hopLength + 1 }
    /// Frames of one clip.
    public var clipFrames: Int { frames(forSamples: clipSamples) }

    /// Bounds a model file or a flag may ask for: enough for any sensible front end, small enough that a
    /// clip's buffers stay bounded (the longest clip, 60 s at 192 kHz, is 11.5 M samples).
    public static let sampleRates = 1_000...192_000, maxNFFT = 65_536, maxMels = 1_024, maxClipSeconds = 60.0

    /// Throws `invalidArgument` naming the key whose value the front end cannot compute with.
    public func validate() throws {
        func bad(_ why: String) -> AudioSpecNetError { .invalidArgument("front-end configuration: \(why)") }
        guard Self.sampleRates.contains(sampleRate) else {
            throw bad("sample_rate \(sampleRate) must be \(Self.sampleRates.lowerBound)…\(Self.sampleRates.upperBound) Hz")
        }
        guard nFFT >= 2, nFFT <= Self.maxNFFT, nFFT % 2 == 0 else { throw bad("n_fft \(nFFT) must be even, 2…\(Self.maxNFFT)") }
        guard hopLength > 0, hopLength <= nFFT else { throw bad("hop_length \(hopLength) must be 1…n_fft (\(nFFT))") }
        guard nMels > 0, nMels <= Self.maxMels else { throw bad("n_mels \(nMels) must be 1…\(Self.maxMels)") }
        guard fMin.isFinite, fMax.isFinite, fMin >= 0, fMin < fMax, fMax <= Double(sampleRate) / 2 else {
            throw bad("need 0 ≤ f_min < f_max ≤ sample_rate/2, got f_min \(fMin), f_max \(fMax)")
        }
        guard clipSeconds > 0, clipSeconds <= Self.maxClipSeconds else {
            throw bad("clip_seconds \(clipSeconds) must be positive and at most \(Int(Self.maxClipSeconds))")
        }
        guard clipSamples >= 1 else { throw bad("clip_seconds \(clipSeconds) is less than one sample at \(sampleRate) Hz") }
        do { try level?.validate() } catch { throw bad("\(error)") }
    }
}

extension Clip {
    /// The clip of a front-end configuration (5 s at 22 050 Hz for the recipe).
    public init(config: FrontEndConfig = .recipe) {
        self.init(seconds: config.clipSeconds, sampleRate: config.sampleRate)
    }
}
