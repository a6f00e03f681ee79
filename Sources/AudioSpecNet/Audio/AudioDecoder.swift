/// Decodes whole files with libsndfile: WAV (PCM 8/16/24/32, float), FLAC, OGG/Vorbis, Opus, MP3, and
/// whatever else the installed libsndfile reads. For files too long to hold, use `AudioStream`.
public enum AudioDecoder {
    /// Frames read per libsndfile call: large enough to amortise the call, small enough to stay in cache.
    static let blockFrames = 16_384
    /// The longest audio decoded whole (`spectrogram --full`, training clips): 10 minutes, and at most
    /// `maxFrames` frames (10 minutes at 48 kHz, 115 MB of samples; shorter at higher rates). Longer files
    /// go through `AudioStream` (`infer` windows them).
    public static let maxSeconds = 600, maxFrames = 28_800_000
    /// Sample rates a file may have (Hz); others are refused when the file is opened.
    public static var sampleRates: ClosedRange<Int> { SoundFile.sampleRates }

    /// Decodes `path` to mono at the file's own rate.
    /// Throws `AudioSpecNetError.file` naming the file when it is missing, not a regular file, empty, not
    /// audio, has no frames, a sample rate outside `sampleRates`, more than `maxSeconds` of audio, or
    /// holds NaN/Inf samples.
    public static func decode(path: String, maxSeconds: Int = maxSeconds) throws -> DecodedAudio {
        try decode(try SoundFile(path: path), maxSeconds: maxSeconds)
    }

    /// Decodes audio held in memory (an uploaded file, a fuzzer's input) through libsndfile's virtual I/O;
    /// `name` stands for the path in errors. Same checks and result as `decode(path:)`.
    public static func decode(bytes: [UInt8], name: String = "<memory>", maxSeconds: Int = maxSeconds) throws -> DecodedAudio {
        try decode(try SoundFile(bytes: bytes, name: name), maxSeconds: maxSeconds)
    }

    private static func decode(_ file: SoundFile, maxSeconds: Int) throws -> DecodedAudio {
        let maxFrames = frameLimit(file, maxSeconds: maxSeconds)
        if file.frames != Int.max && file.frames > maxFrames { throw tooLong(file, maxFrames, file.frames) }
        var samples: [Float] = []
        samples.reserveCapacity(min(file.frames, maxFrames, 1 << 22))
        while try file.readMono(maxFrames: blockFrames, into: &samples) > 0 {
            if samples.count > maxFrames { throw tooLong(file, maxFrames, Int.max) }
        }
        guard !samples.isEmpty else { throw AudioSpecNetError.file(path: file.path, reason: "contains no audio (0 frames decoded)") }
        return DecodedAudio(samples: samples, sampleRate: file.sampleRate, channels: file.channels, frames: samples.count)
    }

    /// `decode(path:)` into a reused buffer (the front end's per-worker scratch): same checks, same
    /// samples; returns the file's rate.
    static func decode(path: String, into buffer: SampleBuffer, maxSeconds: Int = maxSeconds) throws -> Int {
        let file = try SoundFile(path: path)
        let maxFrames = frameLimit(file, maxSeconds: maxSeconds)
        if file.frames != Int.max && file.frames > maxFrames { throw tooLong(file, maxFrames, file.frames) }
        buffer.count = 0
        // The header's count only sizes the first block; the buffer grows as frames arrive.
        let block = file.frames == Int.max ? blockFrames : min(max(file.frames + 1, blockFrames), maxFrames + 1)
        while try file.readMono(maxFrames: block, into: buffer) > 0 {
            if buffer.count > maxFrames { throw tooLong(file, maxFrames, Int.max) }
        }
        guard buffer.count > 0 else { throw AudioSpecNetError.file(path: file.path, reason: "contains no audio (0 frames decoded)") }
        return file.sampleRate
    }

    /// The header's frame count may lie (a FLAC claiming 2^36 frames): it may refuse, never size a buffer
    /// beyond this limit.
    private static func frameLimit(_ file: SoundFile, maxSeconds: Int) -> Int {
        let limit = maxSeconds.multipliedReportingOverflow(by: file.sampleRate)
        return min(limit.overflow ? Int.max : limit.partialValue, AudioDecoder.maxFrames)
    }

    private static func tooLong(_ file: SoundFile, _ maxFrames: Int, _ frames: Int) -> AudioSpecNetError {
        .file(path: file.path, reason: "is longer than the \(maxFrames) frames (\(maxFrames / file.sampleRate) s at \(file.sampleRate) Hz) decoded at once (\(frames == Int.max ? "more decoded" : "the header says \(frames)")); `infer` reads longer files window by window")
    }

    /// The file's rate, channel count, frame count and format name, without decoding.
    public static func info(path: String) throws -> (sampleRate: Int, channels: Int, frames: Int, format: String) {
        let file = try SoundFile(path: path)
        return (file.sampleRate, file.channels, file.frames, file.formatName)
    }
}
