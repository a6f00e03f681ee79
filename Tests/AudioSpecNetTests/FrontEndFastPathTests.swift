import AudioSpecNet
import Foundation
import XCTest
import _TestSupport

/// The front end's fast path (per-worker scratch buffers, the mel projection over non-zero weights only,
/// frames projected eight at a time) against references that share none of it.
final class FrontEndFastPathTests: XCTestCase {
    /// Against a float64 naive DFT with the dense filterbank, on configurations whose frame counts are not
    /// multiples of the 8-frame block and whose filterbanks have empty bands (more mels than bins reach).
    func testLogMelMatchesNaiveDenseReference() throws {
        let configs = [
            FrontEndConfig(sampleRate: 16_000, nFFT: 256, hopLength: 100, nMels: 64, fMin: 0, fMax: 8_000, clipSeconds: 0.23),
            FrontEndConfig(sampleRate: 8_000, nFFT: 128, hopLength: 128, nMels: 40, fMin: 100, fMax: 3_000, clipSeconds: 0.52),
            FrontEndConfig(sampleRate: 22_050, nFFT: 1024, hopLength: 512, nMels: 128, fMin: 0, fMax: 11_025, clipSeconds: 0.3),
        ]
        for config in configs {
            let spectrogram = try LogMelSpectrogram(config: config)
            let n = Int((config.clipSeconds * Double(config.sampleRate)).rounded())
            let signal = (0..<n).map { i -> Float in
                let t = Double(i) / Double(config.sampleRate)
                return Float(0.5 * sin(2 * .pi * 440 * t) + 0.25 * sin(2 * .pi * 1_234.5 * t * (1 + t)) + 0.01 * cos(Double(i * i % 977)))
            }
            let frames = spectrogram.frames(forSamples: n)
            let actual = spectrogram.compute(signal)
            let expected = Self.naiveLogMel(signal, config: config)
            XCTAssertEqual(actual.count, config.nMels * frames)
            let weights = MelFilterbank.weights(config: config)
            let emptyBands = (0..<config.nMels).filter { m in weights[(m * config.nFreqs)..<((m + 1) * config.nFreqs)].allSatisfy { $0 == 0 } }.count
            let c = DecibelComparison(actual, expected)
            print(String(format: "fast path, %d Hz n_fft %d, %d frames, %d empty bands: worst %.2e dB within 60 dB, %.2e within 100 dB",
                         config.sampleRate, config.nFFT, frames, emptyBands, c.worstWithin60, c.worstWithin100))
            XCTAssertLessThanOrEqual(c.worstWithin60, 1e-3, "\(config)")
            XCTAssertLessThanOrEqual(c.worstWithin100, 0.02, "\(config)")
            // Empty bands read the floor, −100 dB, as in torchaudio.
            for m in 0..<config.nMels where weights[(m * config.nFreqs)..<((m + 1) * config.nFreqs)].allSatisfy({ $0 == 0 }) {
                XCTAssertTrue(actual[(m * frames)..<((m + 1) * frames)].allSatisfy { abs($0 + 100) < 1e-4 }, "band \(m)")
            }
        }
    }

    /// `FrontEnd.logMel(path:)` (decode and resample into reused buffers, fit without a copy) gives the
    /// same bits as the public array functions chained by hand, call after call and from several threads.
    func testPooledPathEqualsArrayPath() throws {
        let frontEnd = try FrontEnd()
        let names = ["esc50_44k_4-182395-A-0", "tones_48000_6ch_pcm16", "tone1k_22050_pcm16", "chirp_8000_long_flac", "chirp_16000_stereo_pcm24"]
        var expected: [String: [Float]] = [:]
        for name in names {
            let path = FrontendFixture.audioPath(name)
            let audio = try AudioDecoder.decode(path: path)
            let samples = try Resampler.resample(audio.samples, from: audio.sampleRate, to: frontEnd.config.sampleRate)
            expected[name] = frontEnd.spectrogram.compute(frontEnd.clip.fit(samples))
            XCTAssertEqual(try frontEnd.waveform(path: path), samples, name)
            let full = try frontEnd.logMelFull(path: path)
            XCTAssertEqual(full.values, frontEnd.spectrogram.compute(samples), name)
            XCTAssertEqual(full.frames, frontEnd.config.frames(forSamples: samples.count), name)
        }
        for name in names + names {
            XCTAssertEqual(try frontEnd.logMel(path: FrontendFixture.audioPath(name)), expected[name], name)
        }
        let lock = NSLock()
        var mismatches: [String] = []
        DispatchQueue.concurrentPerform(iterations: names.count * 4) { i in
            let name = names[i % names.count]
            let values = try? frontEnd.logMel(path: FrontendFixture.audioPath(name))
            if values != expected[name] { lock.lock(); mismatches.append(name); lock.unlock() }
        }
        XCTAssertEqual(mismatches, [])
    }

    /// torchaudio's MelSpectrogram + AmplitudeToDB written out in Double: reflect padding, periodic Hann,
    /// a naive DFT, the dense filterbank, 10·log10(max(x, 1e-10)).
    static func naiveLogMel(_ x: [Float], config: FrontEndConfig) -> [Double] {
        let nFFT = config.nFFT, hop = config.hopLength, nFreqs = config.nFreqs, nMels = config.nMels
        let pad = nFFT / 2, n = x.count
        func sample(_ j: Int) -> Double {  // reflect, edge not repeated
            var i = j
            while i < 0 || i >= n { i = i < 0 ? -i : 2 * (n - 1) - i }
            return Double(x[i])
        }
        let frames = n / hop + 1
        let window = (0..<nFFT).map { 0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(nFFT)) }
        let weights = MelFilterbank.weights(config: config)
        var out = [Double](repeating: 0, count: nMels * frames)
        var power = [Double](repeating: 0, count: nFreqs)
        for t in 0..<frames {
            let frame = (0..<nFFT).map { sample(t * hop + $0 - pad) * window[$0] }
            for k in 0..<nFreqs {
                var re = 0.0, im = 0.0
                for i in 0..<nFFT {
                    let a = -2 * Double.pi * Double(k * i % nFFT) / Double(nFFT)
                    re += frame[i] * cos(a)
                    im += frame[i] * sin(a)
                }
                power[k] = re * re + im * im
            }
            for m in 0..<nMels {
                var s = 0.0
                for k in 0..<nFreqs { s += Double(weights[m * nFreqs + k]) * power[k] }
                out[m * frames + t] = 10 * log10(max(s, 1e-10))
            }
        }
        return out
    }
}
