/// The fixed-length policy: the network sees `sampleCount` samples (5 s at 22 050 Hz = 110 250). Shorter
/// audio gets zeros appended; longer audio is cropped from `start` (0 for evaluation, random offsets in
/// training) or cut into windows (sliding-window inference), the last one zero-padded.
public struct Clip: Sendable, Equatable {
    /// Samples in one clip.
    public let sampleCount: Int
    /// The sample rate the counts refer to (Hz).
    public let sampleRate: Int

    public init(seconds: Double, sampleRate: Int) {
        self.sampleRate = sampleRate
        sampleCount = Int((seconds * Double(sampleRate)).rounded())
    }

    /// `samples[start ..< start + sampleCount]`, zero-padded at the end where the audio runs out.
    public func fit(_ samples: UnsafeBufferPointer<Float>, start: Int = 0) -> [Float] {
        var out = [Float](repeating: 0, count: sampleCount)
        let from = max(0, min(start, samples.count))
        let n = min(sampleCount, samples.count - from)
        if n > 0 {
            out.withUnsafeMutableBufferPointer { dst in
                dst.baseAddress!.update(from: samples.baseAddress! + from, count: n)
            }
        }
        return out
    }

    /// Array variant of `fit(_:start:)`.
    public func fit(_ samples: [Float], start: Int = 0) -> [Float] {
        samples.withUnsafeBufferPointer { fit($0, start: start) }
    }

    /// Largest start offset that still gives a full clip (0 when the audio is no longer than a clip):
    /// random crops draw from 0...maxStart(totalSamples:).
    public func maxStart(totalSamples: Int) -> Int { max(0, totalSamples - sampleCount) }

    /// Start offsets of sliding windows of one clip each, `hopSeconds` apart, covering all
    /// `totalSamples`: windows start at 0, hop, 2·hop, … until one reaches the end (that one is
    /// zero-padded by `fit`). Audio no longer than a clip gives one window at 0.
    public func windowStarts(totalSamples: Int, hopSeconds: Double) -> [Int] {
        let hop = max(1, Int((hopSeconds * Double(sampleRate)).rounded()))
        var starts: [Int] = []
        var start = 0
        while true {
            starts.append(start)
            if start + sampleCount >= totalSamples { break }
            start += hop
        }
        return starts
    }

    /// The windows themselves (each `sampleCount` samples; see `windowStarts`).
    public func windows(_ samples: [Float], hopSeconds: Double) -> [[Float]] {
        windowStarts(totalSamples: samples.count, hopSeconds: hopSeconds).map { fit(samples, start: $0) }
    }
}
