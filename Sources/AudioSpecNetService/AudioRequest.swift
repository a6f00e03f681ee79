import AudioSpecNet
import Foundation

/// An audio file from a request body, decoded in memory and cut into the windows the model classifies,
/// with what the JSON reports about it. Limits are checked before the work they bound: the header's
/// length before decoding, the decoded length while decoding.
public struct AudioRequest: Sendable {
    public var spectrograms: [[Float]] = []
    /// Window starts in samples at the model's rate.
    public var starts: [Int] = []
    public var totalSamples = 0
    public var sourceSampleRate = 0, channels = 0
    /// At most 8 000 evenly spaced samples of the whole audio (only when features are asked for).
    public var waveform: [Float] = []

    /// Decodes `bytes` (the sample-rate and sample-value bounds are the decoder's own) and computes the log-mel of every window (`windowSamples` long, every `hopSamples`,
    /// at the front end's rate). Throws `ServiceError` for anything the client sent wrong.
    public static func prepare(bytes: Data, frontEnd: FrontEnd, windowSamples: Int, hopSamples: Int, maxSeconds: Double,
                               waveformPoints: Int) throws -> AudioRequest {
        guard !bytes.isEmpty else { throw ServiceError.badRequest("the audio is empty (0 bytes)") }
        let rate = frontEnd.config.sampleRate
        let stream: AudioStream
        do {
            stream = try AudioStream(bytes: [UInt8](bytes), name: "request audio", sampleRate: rate)
        } catch {
            throw ServiceError.unsupportedAudio(oneLine(error))
        }
        if stream.sourceFrames < Int.max, Double(stream.sourceFrames) / Double(stream.sourceSampleRate) > maxSeconds {
            throw ServiceError.tooLarge(String(format: "the audio lasts %.1f s; this service accepts at most %g s",
                                               Double(stream.sourceFrames) / Double(stream.sourceSampleRate), maxSeconds))
        }
        let reader = WindowReader(stream: stream, windowSamples: windowSamples, hopSamples: hopSamples, waveformPoints: waveformPoints)
        let limit = Int(maxSeconds * Double(rate)) + windowSamples
        var request = AudioRequest(sourceSampleRate: stream.sourceSampleRate, channels: stream.channels)
        do {
            while let window = try reader.next() {
                // A header can understate the length; the decoded audio is what counts.
                if reader.totalSamples > limit {
                    throw ServiceError.tooLarge(String(format: "the audio lasts more than %g s, the most this service accepts", maxSeconds))
                }
                request.starts.append(window.start)
                request.spectrograms.append(frontEnd.spectrogram.compute(window.samples))
            }
        } catch let error as ServiceError {
            throw error
        } catch {
            throw ServiceError.unsupportedAudio(oneLine(error))
        }
        request.totalSamples = reader.totalSamples
        request.waveform = reader.waveform.map(finite)
        return request
    }

    static func oneLine(_ error: any Error) -> String {
        "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
