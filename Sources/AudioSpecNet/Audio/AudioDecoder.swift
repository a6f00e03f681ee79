/// Decodes whole files with libsndfile: WAV (PCM 8/16/24/32, float), FLAC, OGG/Vorbis, Opus, MP3, and
/// whatever else the installed libsndfile reads. For files too long to hold, use `AudioStream`.
public enum AudioDecoder {
    /// Frames read per libsndfile call: large enough to amortise the call, small enough to stay in cache.
    static let blockFrames = 16_384

    /// Decodes `path` to mono at the file's own rate.
    /// Throws `AudioSpecNetError.file` naming the file when it is missing, not a regular file, empty, not
    /// audio, has no frames, or holds NaN/Inf samples.
    public static func decode(path: String) throws -> DecodedAudio {
        let file = try SoundFile(path: path)
        var samples: [Float] = []
        if file.frames < Int.max { samples.reserveCapacity(file.frames) }
        while try file.readMono(maxFrames: blockFrames, into: &samples) > 0 {}
        guard !samples.isEmpty else { throw AudioSpecNetError.file(path: path, reason: "contains no audio (0 frames decoded)") }
        return DecodedAudio(samples: samples, sampleRate: file.sampleRate, channels: file.channels, frames: samples.count)
    }

    /// The file's rate, channel count, frame count and format name, without decoding.
    public static func info(path: String) throws -> (sampleRate: Int, channels: Int, frames: Int, format: String) {
        let file = try SoundFile(path: path)
        return (file.sampleRate, file.channels, file.frames, file.formatName)
    }
}
