/// A decoded file, mixed to mono: what the rest of the front end starts from.
public struct DecodedAudio: Sendable, Equatable {
    /// Mono samples in [-1, 1] (float files may exceed it), at `sampleRate`. Channels are averaged.
    public var samples: [Float]
    /// Samples per second of `samples` (the file's own rate for `AudioDecoder.decode`).
    public var sampleRate: Int
    /// Channels in the source file, before mixing.
    public var channels: Int
    /// Frames (samples per channel) in the source file.
    public var frames: Int

    public init(samples: [Float], sampleRate: Int, channels: Int, frames: Int) {
        self.samples = samples
        self.sampleRate = sampleRate
        self.channels = channels
        self.frames = frames
    }

    /// Length in seconds.
    public var duration: Double { Double(samples.count) / Double(sampleRate) }
}
