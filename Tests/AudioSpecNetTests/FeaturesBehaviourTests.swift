import AudioSpecNet
import Foundation
import XCTest

/// What the log-mel must do regardless of PyTorch: tones in the right band, silence at the floor,
/// shapes, the stored configuration, and the same answer from many threads at once.
final class FeaturesBehaviourTests: XCTestCase {
    func testOneKilohertzToneLandsInTheBandCentredNearestToIt() throws {
        let config = FrontEndConfig.recipe
        let samples = (0..<config.clipSamples).map { Float(0.5 * sin(2 * Double.pi * 1000 * Double($0) / 22_050)) }
        let logMel = try LogMelSpectrogram(config: config).compute(samples)
        // Band m is centred on mel (m + 1) · mel(f_max) / (n_mels + 1).
        let step = MelFilterbank.hzToMel(config.fMax) / Double(config.nMels + 1)
        let expected = (0..<config.nMels).min { abs(Double($0 + 1) * step - MelFilterbank.hzToMel(1000)) < abs(Double($1 + 1) * step - MelFilterbank.hzToMel(1000)) }!
        let frames = config.clipFrames
        for t in stride(from: 2, to: frames - 2, by: 17) {
            let column = (0..<config.nMels).map { logMel[$0 * frames + t] }
            let loudest = column.indices.max { column[$0] < column[$1] }!
            XCTAssertEqual(loudest, expected, "frame \(t)")
            XCTAssertGreaterThan(column[loudest] - column[expected + 10], 40, "frame \(t): the tone must stand out")
        }
        print("tone 1 kHz: loudest band \(expected) (centre \(String(format: "%.1f", MelFilterbank.melToHz(Double(expected + 1) * step))) Hz)")
    }

    func testSilenceIsMinus100DecibelsEverywhere() throws {
        let logMel = try LogMelSpectrogram().compute([Float](repeating: 0, count: 110_250))
        XCTAssertEqual(logMel.count, 128 * 216)
        XCTAssertTrue(logMel.allSatisfy { $0 == -100 })
        let short = try LogMelSpectrogram().compute([Float]())  // degenerate input still yields one finite frame
        XCTAssertEqual(short.count, 128)
        XCTAssertTrue(short.allSatisfy { $0.isFinite })
    }

    func testFrameCountsFollowTheCentredSTFT() throws {
        let config = FrontEndConfig.recipe
        XCTAssertEqual(config.frames(forSamples: 110_250), 216)
        XCTAssertEqual(config.frames(forSamples: 512), 2)
        XCTAssertEqual(config.frames(forSamples: 511), 1)
        XCTAssertEqual(try LogMelSpectrogram().compute([Float](repeating: 0.1, count: 300)).count, 128)
    }

    func testConfigEncodesWithSnakeCaseKeys() throws {
        let data = try JSONEncoder().encode(FrontEndConfig.recipe)
        let object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        XCTAssertEqual(Set(object.keys), ["sample_rate", "n_fft", "hop_length", "n_mels", "f_min", "f_max", "clip_seconds"])
        XCTAssertEqual(object["sample_rate"] as? Int, 22_050)
        XCTAssertEqual(try JSONDecoder().decode(FrontEndConfig.self, from: data), .recipe)
        XCTAssertThrowsError(try LogMelSpectrogram(config: FrontEndConfig(fMax: 20_000)))
    }

    func testConcurrentComputeGivesIdenticalResults() throws {
        let spectrogram = try LogMelSpectrogram()
        let signals = (0..<8).map { k in (0..<110_250).map { Float(sin(Double($0) * 0.01 * Double(k + 1))) } }
        let serial = signals.map { spectrogram.compute($0) }
        var parallel = [[Float]](repeating: [], count: signals.count)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: signals.count * 4) { i in
            let result = spectrogram.compute(signals[i % signals.count])
            lock.lock(); defer { lock.unlock() }
            if parallel[i % signals.count].isEmpty { parallel[i % signals.count] = result } else {
                XCTAssertEqual(parallel[i % signals.count], result)
            }
        }
        XCTAssertEqual(serial, parallel)
    }

    func testFastDecibelsAgreeWithLog10() {
        var values: [Float] = [0, -1, 1e-12, 1e-10, 1, 2, 0.5, 1.414_213_6, 1.414_213_4, .infinity, 3e38]
        var x: Float = 1e-10
        while x < 1e10 { values.append(x); x *= 1.000_37 }
        var fast = values
        fast.withUnsafeMutableBufferPointer { Decibels.fromPower($0.baseAddress!, count: $0.count, floor: 1e-10) }
        var worst = 0.0
        for (v, f) in zip(values, fast) {
            let exact = 10 * log10(Double(max(v, 1e-10)))
            if exact.isFinite { worst = max(worst, abs(Double(f) - exact)) } else { XCTAssertEqual(f, .infinity) }
        }
        print("decibels: worst |fast − exact| = \(worst) dB over \(values.count) values")
        XCTAssertLessThan(worst, 3e-5)
        XCTAssertEqual(fast[0], -100, accuracy: 1e-5)
        XCTAssertEqual(fast[4], 0)
    }

    func testFilterbankTrianglesPeakAtOneAndStayNonNegative() {
        let w = MelFilterbank.weights(config: .recipe)
        XCTAssertEqual(w.count, 128 * 513)
        XCTAssertTrue(w.allSatisfy { $0 >= 0 && $0 <= 1 })
        for m in 0..<128 { XCTAssertGreaterThan(w[(m * 513)..<((m + 1) * 513)].max()!, 0, "band \(m) is empty") }
    }
}
