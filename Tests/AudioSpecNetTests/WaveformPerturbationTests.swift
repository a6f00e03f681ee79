import XCTest
import AudioSpecNet
import _TestSupport

/// `eval --perturb`'s changes to the audio, each against what it claims: the gain, the peak, the SNR, the
/// filters' responses; deterministic, and leaving the padding silent.
final class WaveformPerturbationTests: XCTestCase {
    let rate = 16_000

    func sine(_ hz: Double, amplitude: Float = 0.5, count: Int = 16_000) -> [Float] {
        (0..<count).map { amplitude * Float(sin(2 * Double.pi * hz * Double($0) / 16_000)) }
    }

    func rms(_ x: ArraySlice<Float>) -> Double {
        (x.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(max(1, x.count))).squareRoot()
    }

    func testParsingAndNames() throws {
        for text in ["gain:-20", "peak:-1", "noise:20", "lowpass:4000", "bandpass:300-3400", "gain:2.5", "mp3:32"] {
            XCTAssertEqual(try WaveformPerturbation(parsing: text).description, text)
        }
        XCTAssertEqual(try WaveformPerturbation(parsing: "GAIN:-6"), .gain(db: -6))
        for bad in ["gain", "gain:", "gain:loud", "peak:3", "noise:nan", "bandpass:3400-300", "bandpass:300", "echo:3", "gain:1e300", "lowpass:0", "mp3:0", "mp3:999", "mp3:32.5"] {
            XCTAssertThrowsError(try WaveformPerturbation(parsing: bad), bad) { XCTAssertTrue("\($0)".contains("--perturb \(bad)"), "\($0)") }
        }
    }

    func testGainAndPeakScaleTheRealSamplesOnly() throws {
        var x = sine(440, count: 1_000) + [Float](repeating: 0, count: 200)
        let original = x
        try WaveformPerturbation.gain(db: -20).apply(&x, valid: 1_000, sampleRate: rate, key: "a")
        for i in 0..<1_000 { XCTAssertEqual(x[i], original[i] * 0.1, accuracy: 1e-7) }
        XCTAssertEqual(Array(x[1_000...]), [Float](repeating: 0, count: 200))
        try WaveformPerturbation.peak(db: -1).apply(&x, valid: 1_000, sampleRate: rate, key: "a")
        XCTAssertEqual(Double(x.map(abs).max()!), pow(10, -1.0 / 20), accuracy: 1e-6)
        var silence = [Float](repeating: 0, count: 100)
        try WaveformPerturbation.peak(db: -1).apply(&silence, valid: 100, sampleRate: rate, key: "a")
        XCTAssertEqual(silence, [Float](repeating: 0, count: 100), "silence stays silence (no division by zero)")
    }

    func testNoiseHasTheStatedSNRAndRepeatsPerFile() throws {
        let clean = sine(440, count: 16_000) + [Float](repeating: 0, count: 4_000)
        var a = clean, b = clean, c = clean
        try WaveformPerturbation.noise(snrDB: 20).apply(&a, valid: 16_000, sampleRate: rate, key: "1-100-A-0.wav@0")
        try WaveformPerturbation.noise(snrDB: 20).apply(&b, valid: 16_000, sampleRate: rate, key: "1-100-A-0.wav@0")
        try WaveformPerturbation.noise(snrDB: 20).apply(&c, valid: 16_000, sampleRate: rate, key: "2-100-A-0.wav@0")
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
        let noise = zip(a, clean).map { $0 - $1 }
        let snr = 20 * log10(rms(clean[0..<16_000]) / rms(noise[0..<16_000]))
        XCTAssertEqual(snr, 20, accuracy: 0.2)
        XCTAssertEqual(Array(a[16_000...]), [Float](repeating: 0, count: 4_000), "the padding stays silent")
    }

    /// Second-order Butterworth: −3 dB at the cutoff, flat well inside the pass band, −12 dB an octave into the
    /// stop band and beyond (measured on steady sines after the filter settles).
    func testFiltersHaveButterworthResponses() throws {
        func gainDB(_ p: WaveformPerturbation, _ hz: Double) throws -> Double {
            var x = sine(hz)
            try p.apply(&x, valid: x.count, sampleRate: rate, key: "")
            return 20 * log10(rms(x[8_000...]) / rms(sine(hz)[8_000...]))
        }
        let low = WaveformPerturbation.lowpass(hz: 2_000)
        XCTAssertEqual(try gainDB(low, 200), 0, accuracy: 0.1)
        XCTAssertEqual(try gainDB(low, 2_000), -3.01, accuracy: 0.1)
        XCTAssertLessThan(try gainDB(low, 4_000), -9)
        XCTAssertLessThan(try gainDB(low, 7_000), -20)
        let phone = WaveformPerturbation.bandpass(low: 300, high: 3_400)
        XCTAssertEqual(try gainDB(phone, 1_000), 0, accuracy: 0.5)
        XCTAssertLessThan(try gainDB(phone, 75), -20)
        XCTAssertLessThan(try gainDB(phone, 7_000), -12)
        // at or above the Nyquist frequency the low-pass leaves the audio as it is
        var x = sine(1_000), y = x
        try WaveformPerturbation.lowpass(hz: 9_000).apply(&y, valid: y.count, sampleRate: rate, key: "")
        XCTAssertEqual(x, y)
        x = []
        try WaveformPerturbation.noise(snrDB: 0).apply(&x, valid: 0, sampleRate: rate, key: "")
        XCTAssertEqual(x, [])
    }

    /// MP3 at a constant bit rate and back, on a real clip: as long as the input and lined up with it (the
    /// SNR against the input is far above what a misaligned copy gives), the bytes written are the bit rate
    /// asked for, a lower rate is a worse copy, and the padding stays silent.
    func testMP3RoundTripCodesAtTheBitRateAndStaysAligned() throws {
        let clip = try InferTestSupport.samples(InferTestSupport.clip(0))
        XCTAssertEqual(clip.rate, rate)
        let seconds = Double(clip.samples.count) / Double(rate)
        func snrDB(_ y: [Float]) -> Double {
            var signal = 0.0, error = 0.0
            for (a, b) in zip(clip.samples, y) { signal += Double(a) * Double(a); error += Double(a - b) * Double(a - b) }
            return 10 * log10(signal / error)
        }
        var snr: [Int: Double] = [:]
        for kbps in [32, 128] {
            let r = try MP3RoundTrip.apply(clip.samples, sampleRate: rate, kbps: kbps)
            XCTAssertEqual(r.samples.count, clip.samples.count)
            XCTAssertEqual(Double(r.encodedBytes) * 8 / seconds / 1000, Double(kbps), accuracy: 0.1 * Double(kbps), "kbit/s")
            snr[kbps] = snrDB(r.samples)
            // one sample off the alignment found is a much worse copy
            XCTAssertGreaterThan(snr[kbps]!, snrDB([0] + r.samples.dropLast()) + 3, "\(kbps) kbit/s")
        }
        print("mp3 round trip of \(InferTestSupport.clips[0].file): SNR \(snr)")
        XCTAssertGreaterThan(snr[32]!, 5)
        XCTAssertGreaterThan(snr[128]!, snr[32]! + 3)
        var padded = clip.samples + [Float](repeating: 0, count: 4_000)
        try WaveformPerturbation.mp3(kbps: 32).apply(&padded, valid: clip.samples.count, sampleRate: rate, key: "")
        XCTAssertEqual(padded[clip.samples.count...].filter { $0 != 0 }.count, 0)
        XCTAssertNotEqual(Array(padded[..<clip.samples.count]), clip.samples)
        // bit rates and sample rates MP3 does not have are refused before any clip is read
        XCTAssertNoThrow(try WaveformPerturbation.mp3(kbps: 32).check(sampleRate: 16_000))
        XCTAssertNoThrow(try WaveformPerturbation.mp3(kbps: 320).check(sampleRate: 44_100))
        XCTAssertThrowsError(try WaveformPerturbation.mp3(kbps: 320).check(sampleRate: 16_000)) { XCTAssertTrue("\($0)".contains("8–160"), "\($0)") }
        XCTAssertThrowsError(try WaveformPerturbation.mp3(kbps: 32).check(sampleRate: 20_000)) { XCTAssertTrue("\($0)".contains("20000 Hz"), "\($0)") }
    }
}
