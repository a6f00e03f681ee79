/// The whole front end: decode → mono → resample to config.sampleRate → fit to the clip → log-mel.
/// Shares one `LogMelSpectrogram`; safe to use from several threads. Each call borrows a
/// `WaveformScratch` (decoded and resampled samples) from a pool, so a worker that transforms file after
/// file reuses the same buffers instead of allocating a few megabytes per file.
public struct FrontEnd: Sendable {
    public let config: FrontEndConfig
    public let spectrogram: LogMelSpectrogram
    public let clip: Clip
    private let scratch = ScratchPool { WaveformScratch() }

    public init(config: FrontEndConfig = .recipe) throws {
        self.config = config
        spectrogram = try LogMelSpectrogram(config: config)
        clip = Clip(config: config)
    }

    /// Decoded, mono, resampled to config.sampleRate, full length.
    public func waveform(path: String) throws -> [Float] {
        try withWaveform(path: path) { Array($0) }
    }

    /// `body` over the file's waveform (decoded, mono, resampled to config.sampleRate, full length) held
    /// in borrowed scratch: valid only inside `body`.
    func withWaveform<R>(path: String, _ body: (UnsafeBufferPointer<Float>) throws -> R) throws -> R {
        try scratch.withItem { work in
            defer { work.trim() }
            let rate = try AudioDecoder.decode(path: path, into: work.decoded)
            if rate == config.sampleRate { return try body(work.decoded.values) }
            try Resampler.resample(work.decoded.values, from: rate, to: config.sampleRate, into: work.resampled)
            return try body(work.resampled.values)
        }
    }

    /// The network's input for one file: [nMels, clipFrames] row-major dB ([128, 216] for the recipe),
    /// the audio zero-padded or cropped at the end to the clip length.
    public func logMel(path: String) throws -> [Float] {
        let values = try withWaveform(path: path) { samples in
            let count = config.nMels * config.frames(forSamples: clip.sampleCount)
            return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                spectrogram.compute(samples, length: clip.sampleCount, into: UnsafeMutableBufferPointer(rebasing: buffer[0..<count]))
                initialized = count
            }
        }
        return try FrontEnd.checkFinite(values, path: path)
    }

    /// The log-mel of the whole file, neither padded nor cropped: [nMels, frames] and frames. The file may
    /// hold at most `AudioDecoder.maxSeconds` of audio.
    public func logMelFull(path: String) throws -> (values: [Float], frames: Int) {
        let (values, frames) = try withWaveform(path: path) { (spectrogram.compute($0), config.frames(forSamples: $0.count)) }
        return (try FrontEnd.checkFinite(values, path: path), frames)
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

/// One caller's decode and resample buffers, kept between files.
final class WaveformScratch {
    let decoded = SampleBuffer(), resampled = SampleBuffer()
    /// Samples kept between files (4 M, 16 MB each: 95 s at 44.1 kHz); larger buffers are freed after use.
    static let keptSamples = 1 << 22

    func trim() {
        decoded.trim(above: WaveformScratch.keptSamples)
        resampled.trim(above: WaveformScratch.keptSamples)
    }
}
