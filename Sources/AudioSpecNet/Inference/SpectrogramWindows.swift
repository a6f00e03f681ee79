import Foundation

/// What the front end learned about one audio beside its windows: its length at the model's rate, the
/// source file's rate and channels, and (when asked for) a decimated waveform for drawing.
public struct AudioSummary: Sendable {
    public var totalSamples = 0
    public var sourceSampleRate = 0, channels = 0
    /// At most `waveformPoints` evenly spaced samples of the whole audio, as decoded (not yet made finite).
    public var waveform: [Float] = []
    public init() {}
}

/// The inference front end of one audio (a file, or bytes in memory): its windows as a `WindowPlan` cuts
/// them, each changed by a perturbation when one is given (`eval --perturb`), then turned into the
/// model's log-mel. The one window loop behind `infer`, `eval`, `serve` and `export`'s checks; streamed,
/// so memory stays one window plus one decoded block.
public final class SpectrogramWindows {
    /// One window: its first sample (at the model's rate) and its log-mel [nMels, frames].
    public struct Window: Sendable {
        public let start: Int
        public let spectrogram: [Float]
    }

    public let reader: WindowReader
    private let frontEnd: FrontEnd
    private let perturbation: WaveformPerturbation?
    /// The file name the perturbation's noise is seeded with (with the window's start).
    private let key: String

    /// Windows over an open stream; `waveformPoints` > 0 also collects the waveform.
    public init(stream: AudioStream, plan: WindowPlan, frontEnd: FrontEnd, perturbation: WaveformPerturbation? = nil,
                waveformPoints: Int = 0) {
        precondition(stream.sampleRate == frontEnd.config.sampleRate && plan.sampleRate == stream.sampleRate,
                     "SpectrogramWindows: the stream, the plan and the front end must share a rate")
        reader = WindowReader(stream: stream, windowSamples: plan.windowSamples, hopSamples: plan.hopSamples, waveformPoints: waveformPoints)
        self.frontEnd = frontEnd
        self.perturbation = perturbation
        key = (stream.path as NSString).lastPathComponent
    }

    /// Windows of the audio file at `path` (decoded in blocks of 65 536 frames).
    public convenience init(path: String, plan: WindowPlan, frontEnd: FrontEnd, perturbation: WaveformPerturbation? = nil,
                            waveformPoints: Int = 0) throws {
        let stream = try AudioStream(path: path, sampleRate: frontEnd.config.sampleRate, blockFrames: 65_536)
        self.init(stream: stream, plan: plan, frontEnd: frontEnd, perturbation: perturbation, waveformPoints: waveformPoints)
    }

    /// The next window's log-mel, or nil after the last. Throws on decode errors (naming the file).
    public func next() throws -> Window? {
        guard let window = try reader.next() else { return nil }
        var samples = window.samples
        try perturbation?.apply(&samples, valid: window.valid, sampleRate: frontEnd.config.sampleRate, key: "\(key)@\(window.start)")
        return Window(start: window.start, spectrogram: frontEnd.spectrogram.compute(samples))
    }

    /// The audio as read so far: all of it once `next()` has returned nil.
    public var audio: AudioSummary {
        var summary = AudioSummary()
        summary.totalSamples = reader.totalSamples
        summary.sourceSampleRate = reader.sourceSampleRate
        summary.channels = reader.channels
        summary.waveform = reader.waveform
        return summary
    }
}
