import Foundation

/// Reads a file of any length in bounded memory: yields blocks of mono audio already resampled to
/// `sampleRate`. Concatenated, the blocks equal `Resampler.resample(AudioDecoder.decode(path).samples, …)`.
/// Used for hour-long recordings (`infer` slides windows over the stream).
public final class AudioStream {
    public let path: String
    /// Rate of the source file, and of the blocks this stream returns (Hz).
    public let sourceSampleRate: Int, sampleRate: Int
    /// Channels in the source (blocks are mono), and its frame count as the file header says.
    public let channels: Int, sourceFrames: Int
    private let file: SoundFile
    private let resampler: StreamingResampler?
    private let blockFrames: Int
    private var finished = false
    private var buffer: [Float] = []

    /// The recipe's rate (`FrontEndConfig.recipe`, which sits above Audio in the stages).
    public static let defaultSampleRate = 22_050

    /// Opens `path`; each `next()` decodes about `blockFrames` source frames.
    public convenience init(path: String, sampleRate: Int = defaultSampleRate, blockFrames: Int = 65_536) throws {
        try self.init(file: try SoundFile(path: path), sampleRate: sampleRate, blockFrames: blockFrames)
    }

    /// A stream over an audio file held in memory (`name` stands for it in messages).
    public convenience init(bytes: [UInt8], name: String, sampleRate: Int = defaultSampleRate, blockFrames: Int = 65_536) throws {
        try self.init(file: try SoundFile(bytes: bytes, name: name), sampleRate: sampleRate, blockFrames: blockFrames)
    }

    private init(file: SoundFile, sampleRate: Int, blockFrames: Int) throws {
        self.path = file.path
        self.file = file
        self.sampleRate = sampleRate
        sourceSampleRate = file.sampleRate
        channels = file.channels
        sourceFrames = file.frames
        self.blockFrames = max(1, blockFrames)
        resampler = file.sampleRate == sampleRate ? nil : try StreamingResampler(from: file.sampleRate, to: sampleRate)
    }

    /// The next block of mono samples at `sampleRate`, or nil at the end. A block may be empty while the
    /// resampler fills its delay line. Throws on decode errors and NaN/Inf samples.
    public func next() throws -> [Float]? {
        if finished { return nil }
        buffer.removeAll(keepingCapacity: true)
        let n = try file.readMono(maxFrames: blockFrames, into: &buffer)
        guard let resampler else {
            if n == 0 { finished = true; return nil }
            return buffer
        }
        if n == 0 {
            finished = true
            let tail = try resampler.flush()
            return tail.isEmpty ? nil : tail
        }
        return try buffer.withUnsafeBufferPointer { try resampler.process($0) }
    }
}
