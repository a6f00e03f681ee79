import AudioSpecNet
import XCTest
import _TestSupport

/// Decoding against python-soundfile (same libsndfile family) and resampling against python-soxr at HQ.
final class AudioDecodeResampleTests: XCTestCase {
    func testDecodeMatchesSoundfileHeadAndMetadata() throws {
        for name in FrontendFixture.names {
            let ref = try FrontendFixture.reference(name)
            let audio = try AudioDecoder.decode(path: FrontendFixture.audioPath(name))
            XCTAssertEqual(audio.sampleRate, Int(ref.metadata["sample_rate"] ?? ""), name)
            XCTAssertEqual(audio.channels, Int(ref.metadata["channels"] ?? ""), name)
            XCTAssertEqual(audio.frames, Int(ref.metadata["frames"] ?? ""), name)
            XCTAssertEqual(audio.samples.count, audio.frames, name)
            let head = try ref.floats("decoded_head")
            let c = compare(Array(audio.samples.prefix(head.count)), head)
            print("decode \(name): \(c)")
            // Lossless formats decode bit-exactly (and the mono mix uses the fixture's summation order).
            XCTAssertLessThanOrEqual(c.maxAbsoluteError, FrontendFixture.isLossy(name) ? 1e-4 : 0, name)
        }
    }

    /// Same libsoxr (0.1.3 from Debian here, python-soxr bundles 0.1.3 plus a few commits), same HQ recipe,
    /// same streaming-then-flush use: bit-identical on this machine (max diff 0). The tolerance, 1e-6 on
    /// samples of amplitude ≤ 1, leaves room for another SIMD path of the same algorithm elsewhere.
    func testResampleMatchesPythonSoxrHQ() throws {
        for name in FrontendFixture.names where !FrontendFixture.isLossy(name) {
            let ref = try FrontendFixture.reference(name)
            let audio = try AudioDecoder.decode(path: FrontendFixture.audioPath(name))
            let expected = try ref.floats("resampled")
            let actual = try Resampler.resample(audio.samples, from: audio.sampleRate, to: 22_050)
            XCTAssertEqual(actual.count, expected.count, name)
            guard actual.count == expected.count else { continue }
            let c = compare(actual, expected)
            print("resample \(name) \(audio.sampleRate) Hz -> 22050 Hz: \(c)")
            XCTAssertLessThanOrEqual(c.maxAbsoluteError, 1e-6, name)
            if audio.sampleRate == 22_050 { XCTAssertEqual(actual, audio.samples, "22 050 Hz must pass through untouched") }
        }
    }

    func testLossyOggAgreesLoosely() throws {
        let name = "chirp_44100_ogg"
        let expected = try FrontendFixture.reference(name).floats("resampled")
        let actual = try FrontEnd().waveform(path: FrontendFixture.audioPath(name))
        XCTAssertEqual(actual.count, expected.count)
        let c = compare(actual, expected)
        print("resample \(name) (lossy decode): \(c)")
        XCTAssertLessThanOrEqual(c.maxAbsoluteError, 1e-3)
    }

    /// Decode + resample + fit + log-mel from the file, against the float64 reference of Python's waveform.
    func testWholeFrontEndMatchesReference() throws {
        let frontEnd = try FrontEnd()
        for name in FrontendFixture.names where !FrontendFixture.isLossy(name) {
            let actual = try frontEnd.logMel(path: FrontendFixture.audioPath(name))
            let c = DecibelComparison(actual, try FrontendFixture.reference(name).doubles("logmel"))
            print(String(format: "frontend %@: worst %.2e dB within 60 dB, %.2e dB within 100 dB", name, c.worstWithin60, c.worstWithin100))
            XCTAssertLessThanOrEqual(c.worstWithin60, 1e-3, name)
            XCTAssertLessThanOrEqual(c.worstWithin100, 0.05, name)
        }
    }

    func testStreamEqualsOneShot() throws {
        for name in ["esc50_44k_4-182395-A-0", "tones_48000_6ch_pcm16", "tone1k_22050_pcm16", "chirp_8000_long_flac"] {
            let path = FrontendFixture.audioPath(name)
            let oneShot = try FrontEnd().waveform(path: path)
            let stream = try AudioStream(path: path, sampleRate: 22_050, blockFrames: 7_919)
            var streamed: [Float] = []
            var blocks = 0
            while let block = try stream.next() { streamed += block; blocks += 1 }
            XCTAssertGreaterThan(blocks, 1, name)
            XCTAssertEqual(streamed.count, oneShot.count, name)
            if streamed.count == oneShot.count {
                XCTAssertLessThanOrEqual(compare(streamed, oneShot).maxAbsoluteError, 1e-6, name)
            }
        }
    }

    func testResamplerRejectsNonPositiveRates() {
        XCTAssertThrowsError(try Resampler.resample([1, 2, 3], from: 0, to: 22_050))
    }
}
