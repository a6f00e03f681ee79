import Foundation

/// A change to a recording of the kind real recordings differ by, applied to a window of samples at the
/// model's rate before the front end (`eval --perturb`): to measure how a model copes with them. Written
/// `KIND:VALUE`:
/// - `gain:DB` scales by DB decibels (−20: twenty dB quieter);
/// - `peak:DB` scales so that the largest |sample| is DB dBFS (−1: peak-normalised to −1 dBFS);
/// - `noise:SNR` adds white Gaussian noise SNR dB below the audio's mean power (over the real samples, not
///   the padding), drawn from a generator seeded by the file's name, so a run repeats itself;
/// - `lowpass:HZ` and `bandpass:LO-HI` filter with second-order Butterworth sections (RBJ biquads, sox's
///   `lowpass`/`highpass` default), bandpass as a high-pass at LO then a low-pass at HI (the telephone
///   band is `bandpass:300-3400`);
/// - `mp3:KBPS` codes the audio as MP3 at KBPS kbit/s, constant rate, and decodes it again (`MP3RoundTrip`).
/// Each window is perturbed on its own (a whole ESC-50 clip is one window).
public enum WaveformPerturbation: Equatable, Sendable, CustomStringConvertible {
    case gain(db: Double)
    case peak(db: Double)
    case noise(snrDB: Double)
    case lowpass(hz: Double)
    case bandpass(low: Double, high: Double)
    case mp3(kbps: Int)

    public var description: String {
        func n(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : String(x) }
        switch self {
        case .gain(let db): return "gain:\(n(db))"
        case .peak(let db): return "peak:\(n(db))"
        case .noise(let snr): return "noise:\(n(snr))"
        case .lowpass(let hz): return "lowpass:\(n(hz))"
        case .bandpass(let lo, let hi): return "bandpass:\(n(lo))-\(n(hi))"
        case .mp3(let kbps): return "mp3:\(kbps)"
        }
    }

    /// Parses `KIND:VALUE`; throws `invalidArgument` naming what is wrong.
    public init(parsing text: String) throws {
        func bad(_ why: String) -> AudioSpecNetError { .invalidArgument("--perturb \(text): \(why)") }
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { throw bad("expected KIND:VALUE, e.g. gain:-20, peak:-1, noise:20, lowpass:4000, bandpass:300-3400, mp3:32") }
        func number(_ s: String, _ range: ClosedRange<Double>, _ unit: String) throws -> Double {
            guard let x = Double(s), range.contains(x) else {
                throw bad("\(s) is not a number within \(n(range.lowerBound))…\(n(range.upperBound)) \(unit)")
            }
            return x
        }
        func n(_ x: Double) -> String { String(Int(x)) }
        switch parts[0].lowercased() {
        case "gain": self = .gain(db: try number(parts[1], -120...60, "dB"))
        case "peak": self = .peak(db: try number(parts[1], -120...0, "dBFS"))
        case "noise": self = .noise(snrDB: try number(parts[1], -40...120, "dB SNR"))
        case "lowpass": self = .lowpass(hz: try number(parts[1], 1...1_000_000, "Hz"))
        case "bandpass":
            let band = parts[1].split(separator: "-").map(String.init)
            guard band.count == 2 else { throw bad("expected bandpass:LOW-HIGH in Hz, e.g. bandpass:300-3400") }
            let lo = try number(band[0], 1...1_000_000, "Hz"), hi = try number(band[1], 1...1_000_000, "Hz")
            guard lo < hi else { throw bad("the band's low edge \(lo) Hz is not below its high edge \(hi) Hz") }
            self = .bandpass(low: lo, high: hi)
        case "mp3":
            guard let kbps = Int(parts[1]), (8...320).contains(kbps) else { throw bad("\(parts[1]) is not a bit rate within 8…320 kbit/s") }
            self = .mp3(kbps: kbps)
        default: throw bad("unknown kind \(parts[0]) (gain, peak, noise, lowpass, bandpass, mp3)")
        }
    }

    /// Applies the change to `samples[0..<count]`, of which the first `valid` are audio (the rest padding,
    /// left silent), at `sampleRate`; `key` seeds the noise.
    public func apply(_ samples: inout [Float], valid: Int, sampleRate: Int, key: String) throws {
        let valid = min(valid, samples.count)
        guard valid > 0 else { return }
        switch self {
        case .gain(let db):
            Self.scale(&samples, valid: valid, by: Float(pow(10, db / 20)))
        case .peak(let db):
            var peak: Float = 0
            for i in 0..<valid { peak = max(peak, abs(samples[i])) }
            if peak > 0 { Self.scale(&samples, valid: valid, by: Float(pow(10, db / 20)) / peak) }
        case .noise(let snr):
            var rng = RandomGenerator(seed: fnv1a64(Data(key.utf8)))
            samples.withUnsafeMutableBufferPointer { WhiteNoise.add(to: $0.baseAddress!, valid: valid, snrDB: snr, rng: &rng) }
        case .lowpass(let hz):
            Biquad.lowpass(cutoff: hz, sampleRate: Double(sampleRate)).filter(&samples, count: valid)
        case .bandpass(let lo, let hi):
            Biquad.highpass(cutoff: lo, sampleRate: Double(sampleRate)).filter(&samples, count: valid)
            Biquad.lowpass(cutoff: hi, sampleRate: Double(sampleRate)).filter(&samples, count: valid)
        case .mp3(let kbps):
            let coded = try MP3RoundTrip.apply(Array(samples[0..<valid]), sampleRate: sampleRate, kbps: kbps).samples
            samples.replaceSubrange(0..<valid, with: coded)
        }
    }

    /// Refuses, before any clip is read, a change that cannot be made at the model's `sampleRate` (an MP3
    /// bit rate its MPEG version lacks, a rate MP3 does not code).
    public func check(sampleRate: Int) throws {
        guard case .mp3(let kbps) = self else { return }
        do {
            _ = try MP3RoundTrip.apply([Float](repeating: 0, count: 1_152), sampleRate: sampleRate, kbps: kbps)
        } catch {
            throw AudioSpecNetError.invalidArgument("--perturb \(description): \(error)")
        }
    }

    private static func scale(_ samples: inout [Float], valid: Int, by g: Float) {
        for i in 0..<valid { samples[i] *= g }
    }
}

/// A second-order IIR section in direct form I, from Robert Bristow-Johnson's audio EQ cookbook with
/// Q = 1/√2 (Butterworth). A cutoff at or above the Nyquist frequency leaves the audio as it is.
struct Biquad {
    var b0 = 1.0, b1 = 0.0, b2 = 0.0, a1 = 0.0, a2 = 0.0

    static func lowpass(cutoff: Double, sampleRate: Double) -> Biquad {
        guard cutoff < sampleRate / 2 else { return Biquad() }
        let (cosw, alpha) = terms(cutoff, sampleRate)
        let a0 = 1 + alpha
        return Biquad(b0: (1 - cosw) / 2 / a0, b1: (1 - cosw) / a0, b2: (1 - cosw) / 2 / a0, a1: -2 * cosw / a0, a2: (1 - alpha) / a0)
    }

    static func highpass(cutoff: Double, sampleRate: Double) -> Biquad {
        guard cutoff < sampleRate / 2 else { return Biquad(b0: 0) }
        let (cosw, alpha) = terms(cutoff, sampleRate)
        let a0 = 1 + alpha
        return Biquad(b0: (1 + cosw) / 2 / a0, b1: -(1 + cosw) / a0, b2: (1 + cosw) / 2 / a0, a1: -2 * cosw / a0, a2: (1 - alpha) / a0)
    }

    private static func terms(_ cutoff: Double, _ sampleRate: Double) -> (cosw: Double, alpha: Double) {
        let w = 2 * Double.pi * cutoff / sampleRate
        return (cos(w), sin(w) / (2 * 0.5.squareRoot()))
    }

    func filter(_ x: inout [Float], count: Int) {
        var x1 = 0.0, x2 = 0.0, y1 = 0.0, y2 = 0.0
        for i in 0..<count {
            let x0 = Double(x[i])
            let y0 = b0 * x0 + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2
            x2 = x1; x1 = x0; y2 = y1; y1 = y0
            x[i] = Float(y0)
        }
    }
}
