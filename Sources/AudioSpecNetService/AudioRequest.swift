import AudioSpecNet
import Foundation

/// An audio file from a request body, decoded in memory and cut into the windows the model classifies
/// (by the same `SpectrogramWindows` as `infer`). Limits are checked before the work they bound: the
/// header's length before decoding, the decoded length while decoding.
public struct AudioRequest: Sendable {
    public var windows: [SpectrogramWindows.Window] = []
    public var audio = AudioSummary()

    public var spectrograms: [[Float]] { windows.map(\.spectrogram) }

    /// Decodes `bytes` (the sample-rate and sample-value bounds are the decoder's own) and computes the
    /// log-mel of every window of `plan` at the front end's rate. Throws `ServiceError` for anything the
    /// client sent wrong.
    public static func prepare(bytes: Data, frontEnd: FrontEnd, plan: WindowPlan, maxSeconds: Double,
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
        let windows = SpectrogramWindows(stream: stream, plan: plan, frontEnd: frontEnd, waveformPoints: waveformPoints)
        let limit = Int(maxSeconds * Double(rate)) + plan.windowSamples
        var request = AudioRequest()
        do {
            while let window = try windows.next() {
                // A header can understate the length; the decoded audio is what counts.
                if windows.reader.totalSamples > limit {
                    throw ServiceError.tooLarge(String(format: "the audio lasts more than %g s, the most this service accepts", maxSeconds))
                }
                request.windows.append(window)
            }
        } catch let error as ServiceError {
            throw error
        } catch {
            throw ServiceError.unsupportedAudio(oneLine(error))
        }
        request.audio = windows.audio
        return request
    }

    static func oneLine(_ error: any Error) -> String {
        "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
