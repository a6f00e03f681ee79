import XCTest
import AudioSpecNet
import _TestSupport

/// `--level-norm`: the front end brings each clip to a loudness before the log-mel, so a quieter or louder copy
/// gives the same input; recorded in the model's front end, absent from the JSON when off.
final class LevelNormalizationTests: XCTestCase {
    func frontEnd(_ level: LevelNormalization?) throws -> FrontEnd {
        var config = TrainingOptions.frontEnd(sampleRate: 16_000)
        config.level = level
        return try FrontEnd(config: config)
    }

    /// The normalised log-mel of a clip equals the plain log-mel of the clip scaled to the target by hand, and a
    /// copy 20 dB quieter or peak-normalised gives the same input (bins at the −100 dB floor aside).
    func testGainInvarianceAndTheTarget() throws {
        let plain = try frontEnd(nil)
        let samples = Array(try plain.waveform(path: Fixtures.path("clips-infer/1-110389-A-0.flac")).prefix(4 * 16_000))
        for level in [LevelNormalization(measure: .rms, targetDB: -20), LevelNormalization(measure: .peak, targetDB: -1)] {
            let normalised = try frontEnd(level)
            let measured: Double
            switch level.measure {
            // over the 5-s clip the network sees: the padding counts as silence
            case .rms: measured = 10 * log10(samples.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(normalised.config.clipSamples))
            case .peak: measured = 20 * log10(Double(samples.map(abs).max()!))
            }
            let scale = Float(pow(10, (level.targetDB - measured) / 20))
            let byHand = plain.logMel(samples: samples.map { $0 * scale })
            let got = normalised.logMel(samples: samples)
            XCTAssertLessThan(zip(byHand, got).map { abs($0 - $1) }.max()!, 2e-3, "\(level)")
            for copy in [samples.map { $0 * 0.1 }, samples.map { $0 * 3 }] {
                let other = normalised.logMel(samples: copy)
                var worst: Float = 0
                for i in got.indices where got[i] > -99 && other[i] > -99 { worst = max(worst, abs(got[i] - other[i])) }
                XCTAssertLessThan(worst, 2e-3, "\(level)")
            }
        }
    }

    /// Silence stays silent; nothing is amplified past the cap.
    func testSilenceAndTheCap() throws {
        let normalised = try frontEnd(LevelNormalization(measure: .rms, targetDB: -20))
        XCTAssertTrue(normalised.logMel(samples: [Float](repeating: 0, count: 16_000)).allSatisfy { $0 == -100 })
        let hiss = (0..<16_000).map { Float(sin(Double($0))) * 1e-5 }  // −103 dBFS RMS: below the silence line
        XCTAssertEqual(normalised.logMel(samples: hiss), try frontEnd(nil).logMel(samples: hiss))
        let level = LevelNormalization(measure: .rms, targetDB: -20)
        let faint = [Float](repeating: 1e-4, count: 100)  // −80 dBFS: 60 dB to the target, the cap
        XCTAssertEqual(faint.withUnsafeBufferPointer { level.powerGain($0, length: 100) }, 1e6, accuracy: 1)
        // the same sound, padded: the same level (training pads by the clip fit, inference by the window)
        let tone = (0..<1_000).map { Float(sin(Double($0) / 5)) * 0.3 }
        XCTAssertEqual(tone.withUnsafeBufferPointer { level.powerGain($0, length: 4_000) },
                       (tone + [Float](repeating: 0, count: 3_000)).withUnsafeBufferPointer { level.powerGain($0, length: 4_000) }, accuracy: 1e-3)
    }

    /// Off, the front end's JSON (model files, cache keys, run identities) is what it was; on, it round-trips,
    /// and bad settings are refused.
    func testConfigurationJSON() throws {
        let off = TrainingOptions.frontEnd(sampleRate: 16_000)
        XCTAssertFalse(jsonString(off).contains("level"))
        var on = off
        on.level = try LevelNormalization(parsing: "rms:-20")
        XCTAssertTrue(jsonString(on).contains("\"level_normalization\""))
        XCTAssertEqual(try JSONDecoder().decode(FrontEndConfig.self, from: Data(jsonString(on).utf8)), on)
        XCTAssertEqual(on.level?.description, "rms:-20")
        for bad in ["rms", "loud:-20", "rms:5", "peak:-200", "rms:nan"] {
            XCTAssertThrowsError(try LevelNormalization(parsing: bad), bad)
        }
    }
}
