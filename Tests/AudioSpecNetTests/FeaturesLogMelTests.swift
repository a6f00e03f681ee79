import AudioSpecNet
import XCTest
import _TestSupport

/// The Swift log-mel against float64 PyTorch (torch.stft + the HTK filterbank, Scripts/fixtures/frontend.py),
/// computed from the same waveform so that only the log-mel is under test.
final class FeaturesLogMelTests: XCTestCase {
    func testLogMelMatchesFloat64PyTorchOnEveryFixture() throws {
        let spectrogram = try LogMelSpectrogram(config: .recipe)
        let clip = Clip(config: .recipe)
        for name in FrontendFixture.names {
            let ref = try FrontendFixture.reference(name)
            let resampled = try ref.floats("resampled")
            XCTAssertEqual(try ref.shape("logmel"), [128, 216], name)
            let actual = spectrogram.compute(clip.fit(resampled))
            check(name, actual, try ref.doubles("logmel"))
            if ref.entries["logmel_full"] != nil {
                let full = spectrogram.compute(resampled)
                XCTAssertEqual(try ref.shape("logmel_full"), [128, spectrogram.frames(forSamples: resampled.count)], name)
                check(name + " (full)", full, try ref.doubles("logmel_full"))
            }
        }
    }

    private func check(_ name: String, _ actual: [Float], _ expected: [Double]) {
        XCTAssertEqual(actual.count, expected.count, name)
        guard actual.count == expected.count else { return }
        let c = DecibelComparison(actual, expected)
        print(String(format: "logmel %@: worst %.2e dB within 60 dB of max (%d bins), %.2e dB within 100 dB (%d bins), %.2e dB overall",
                     name, c.worstWithin60, c.binsWithin60, c.worstWithin100, c.binsWithin100, c.worstAll))
        XCTAssertLessThanOrEqual(c.worstWithin60, 1e-3, "\(name): bins within 60 dB of the maximum")
        XCTAssertLessThanOrEqual(c.worstWithin100, 0.02, "\(name): bins within 100 dB of the maximum")
    }
}
