import Foundation

/// Loudness normalisation of a clip before its log-mel (`train --level-norm rms:-20`): the clip or window the
/// network sees is scaled so that its RMS, or its peak, sits at `targetDB` dBFS. The RMS is over the whole clip
/// length, zero padding included, so a short recording reads the same in training (padded by the clip fit) and
/// in inference (a padded window). Part
/// of the front end, so it is recorded in the model file and `infer`, `eval` and `serve` repeat it; an ONNX
/// graph starts at the log-mel, so its users apply it themselves (the gain is `targetDB − level(x)` dB).
/// Applied to the mel power as g², which equals scaling the waveform by g (the STFT and the mel projection are
/// linear in the samples, the power quadratic). Audio below `silenceDB` is left alone (silence stays silent),
/// and the gain is capped at `maxGainDB` so that dither or hiss is not blown up to full scale.
public struct LevelNormalization: Codable, Equatable, Sendable, CustomStringConvertible {
    public enum Measure: String, Codable, Sendable { case rms, peak }
    public var measure: Measure
    public var targetDB: Double

    public static let silenceDB = -100.0, maxGainDB = 60.0

    public init(measure: Measure, targetDB: Double) {
        self.measure = measure
        self.targetDB = targetDB
    }

    enum CodingKeys: String, CodingKey { case measure, targetDB = "target_db" }

    public var description: String { "\(measure.rawValue):\(targetDB == targetDB.rounded() ? String(Int(targetDB)) : String(targetDB))" }

    /// Parses `rms:DB` or `peak:DB`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, let measure = Measure(rawValue: parts[0].lowercased()), let db = Double(parts[1]) else {
            throw AudioSpecNetError.invalidArgument("level normalisation must be rms:DB or peak:DB (e.g. rms:-20), got \(text)")
        }
        self.init(measure: measure, targetDB: db)
        try validate()
    }

    public func validate() throws {
        guard targetDB.isFinite, targetDB >= -80, targetDB <= 0 else {
            throw AudioSpecNetError.invalidArgument("level normalisation: the target must be −80…0 dBFS, got \(targetDB)")
        }
    }

    /// The factor on the power (g²) that brings `samples`, zero-padded to `length`, to the target; 1 for silence.
    public func powerGain(_ samples: UnsafeBufferPointer<Float>, length: Int) -> Float {
        guard !samples.isEmpty, length > 0 else { return 1 }
        let level: Double
        switch measure {
        case .rms:
            var sum = 0.0
            for x in samples { sum += Double(x) * Double(x) }
            level = 10 * log10(max(sum / Double(max(length, samples.count)), 1e-300))
        case .peak:
            var peak: Float = 0
            for x in samples { peak = max(peak, abs(x)) }
            level = 20 * log10(max(Double(peak), 1e-300))
        }
        guard level > Self.silenceDB else { return 1 }
        let gainDB = min(targetDB - level, Self.maxGainDB)
        return Float(pow(10, gainDB / 10))
    }
}
