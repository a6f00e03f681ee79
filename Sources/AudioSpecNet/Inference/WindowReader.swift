import Foundation

/// Cuts a file of any length into fixed-length windows while streaming it: decode → mono → resample,
/// block by block, holding at most one window plus one block in memory (an hour-long file runs in a few
/// megabytes). Windows start at 0, hop, 2·hop, … until one reaches the end of the audio; that last one, or
/// the only one of audio shorter than a window, is zero-padded (as `Clip.windowStarts` describes).
public final class WindowReader {
    public struct Window {
        /// First sample (at the model's rate) and how many samples are real audio (the rest is padding).
        public let start: Int, valid: Int
        public let samples: [Float]
    }

    public let path: String
    public let sampleRate: Int, windowSamples: Int, hopSamples: Int
    /// Rate and channels of the source file.
    public var sourceSampleRate: Int { stream.sourceSampleRate }
    public var channels: Int { stream.channels }
    /// Resampled samples read so far; the audio's length once `next()` has returned nil.
    public private(set) var totalSamples = 0
    /// At most `waveformPoints` evenly spaced samples of the whole file (every `waveformStep`-th), for
    /// drawing; collected while streaming. Empty unless `waveformPoints` > 0.
    public private(set) var waveform: [Float] = []
    public let waveformStep: Int
    private let waveformPoints: Int

    private let stream: AudioStream
    private var buffer: [Float] = []
    private var bufferStart = 0
    private var nextStart = 0
    private var lastStart = -1
    private var ended = false, done = false

    public convenience init(path: String, sampleRate: Int, windowSamples: Int, hopSamples: Int, waveformPoints: Int = 0) throws {
        try self.init(stream: try AudioStream(path: path, sampleRate: sampleRate, blockFrames: 65_536),
                      windowSamples: windowSamples, hopSamples: hopSamples, waveformPoints: waveformPoints)
    }

    /// Windows over an open stream (a file, or bytes in memory); the windows are at the stream's rate.
    public init(stream: AudioStream, windowSamples: Int, hopSamples: Int, waveformPoints: Int = 0) {
        precondition(windowSamples > 0 && hopSamples > 0)
        self.path = stream.path
        self.sampleRate = stream.sampleRate
        self.windowSamples = windowSamples
        self.hopSamples = hopSamples
        self.stream = stream
        let sampleRate = stream.sampleRate
        // The header's frame count tells the length ahead of decoding, so the waveform can be decimated on the fly.
        let estimate = stream.sourceFrames > 0 && stream.sourceFrames < Int.max / max(1, sampleRate)
            ? Int((Double(stream.sourceFrames) * Double(sampleRate) / Double(max(1, stream.sourceSampleRate))).rounded(.up)) : 0
        self.waveformPoints = waveformPoints
        waveformStep = waveformPoints > 0 ? max(1, (estimate + waveformPoints - 1) / waveformPoints) : 1
    }

    /// The next window, or nil after the last one. Throws on decode errors (naming the file).
    public func next() throws -> Window? {
        while !done {
            let bufferEnd = bufferStart + buffer.count
            if nextStart + windowSamples <= bufferEnd {
                let from = nextStart - bufferStart
                let window = Window(start: nextStart, valid: windowSamples, samples: Array(buffer[from..<(from + windowSamples)]))
                advance()
                return window
            }
            if ended {
                done = true
                guard totalSamples > 0 else { throw AudioSpecNetError.file(path: path, reason: "contains no audio (0 frames decoded)") }
                // A last, padded window unless the previous one already reached the end.
                // (With gaps between windows, hop > window, a window starting at or after the end holds no
                // audio and is skipped.)
                if lastStart < 0 || (lastStart + windowSamples < totalSamples && nextStart < totalSamples) {
                    let from = max(0, min(nextStart - bufferStart, buffer.count))
                    var samples = [Float](repeating: 0, count: windowSamples)
                    let n = buffer.count - from
                    if n > 0 { samples.replaceSubrange(0..<n, with: buffer[from...]) }
                    return Window(start: nextStart, valid: max(0, n), samples: samples)
                }
                return nil
            }
            guard let block = try stream.next() else { ended = true; continue }
            if waveformPoints > 0 { tapWaveform(block) }
            buffer += block
            totalSamples += block.count
            dropConsumed()
        }
        return nil
    }

    private func advance() {
        lastStart = nextStart
        nextStart += hopSamples
        dropConsumed()
    }

    /// Forgets samples before the next window's start.
    private func dropConsumed() {
        let drop = min(nextStart - bufferStart, buffer.count)
        if drop > 0 {
            buffer.removeFirst(drop)
            bufferStart += drop
        }
    }

    private func tapWaveform(_ block: [Float]) {
        let step = waveformStep
        var i = (step - totalSamples % step) % step
        while i < block.count && waveform.count < waveformPoints {
            waveform.append(block[i])
            i += step
        }
    }
}
