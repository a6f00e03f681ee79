/// The whole front end: decode → mono → resample to config.sampleRate → fit to the clip → log-mel.
/// Shares one `LogMelSpectrogram`; safe to use from several threads (each mel sgemm is single-threaded).
public struct FrontEnd: Sendable {
    public let config: FrontEndConfig
    public let spectrogram: LogMelSpectrogram
    public let clip: Clip

    public init(config: FrontEndConfig = .recipe) throws {
        self.config = config
        spectrogram = try LogMelSpectrogram(config: config)
        clip = Clip(config: config)
    }

    /// Decoded, mono, resampled to config.sampleRate, full length.
    public func waveform(path: String) throws -> [Float] {
        let audio = try AudioDecoder.decode(path: path)
        return try Resampler.resample(audio.samples, from: audio.sampleRate, to: config.sampleRate)
    }

    /// The network's input for one file: [nMels, clipFrames] row-major dB ([128, 216] for the recipe),
    /// the audio zero-padded or cropped at the end to the clip length.
    public func logMel(path: String) throws -> [Float] {
        let fitted = clip.fit(try waveform(path: path))
        return try FrontEnd.checkFinite(spectrogram.compute(fitted), path: path)
    }

    /// The log-mel of the whole file, neither padded nor cropped: [nMels, frames] and frames. The file may
    /// hold at most `AudioDecoder.maxSeconds` of audio.
    public func logMelFull(path: String) throws -> (values: [Float], frames: Int) {
        let samples = try waveform(path: path)
        return (try FrontEnd.checkFinite(spectrogram.compute(samples), path: path), config.frames(forSamples: samples.count))
    }

    /// The log-mel of audio held in memory (`AudioDecoder.decode(bytes:)`): decoded, resampled, fitted to
    /// the clip; `name` stands for the path in errors.
    public func logMel(bytes: [UInt8], name: String = "<memory>", maxSeconds: Int = AudioDecoder.maxSeconds) throws -> [Float] {
        let audio = try AudioDecoder.decode(bytes: bytes, name: name, maxSeconds: maxSeconds)
        let samples = try Resampler.resample(audio.samples, from: audio.sampleRate, to: config.sampleRate)
        return try FrontEnd.checkFinite(spectrogram.compute(clip.fit(samples)), path: name)
    }

    /// A spectrogram with NaN or ±Inf is an error naming the file, never an output: the decoder bounds the
    /// samples so this should not happen, and if it does no NaN leaves with exit status 0.
    static func checkFinite(_ values: [Float], path: String) throws -> [Float] {
        if let i = values.firstIndex(where: { !$0.isFinite }) {
            throw AudioSpecNetError.file(path: path, reason: "gives a non-finite spectrogram (\(values[i]) at index \(i))")
        }
        return values
    }

    /// The log-mel of samples already at config.sampleRate, fitted to the clip from `start`.
    public func logMel(samples: [Float], start: Int = 0) -> [Float] {
        spectrogram.compute(clip.fit(samples, start: start))
    }
}
