import CFFTW
import Foundation

/// torchaudio's `MelSpectrogram(sample_rate, n_fft, hop_length, n_mels, f_min, f_max)` followed by
/// `AmplitudeToDB()`: periodic Hann window of n_fft, centred frames with reflect padding, one-sided power
/// spectrum, HTK mel triangles without normalisation (one sgemm), then 10 · log10(max(x, 1e-10)).
/// Immutable after init and safe to call from several threads at once.
public final class LogMelSpectrogram: @unchecked Sendable {
    public let config: FrontEndConfig
    /// Periodic Hann window, n_fft samples: 0.5 − 0.5 · cos(2πi / n_fft).
    let window: [Float]
    /// [nMels, nFreqs] row-major.
    let filterbank: [Float]
    private let plan: OpaquePointer

    /// Power floor before the logarithm (AmplitudeToDB's amin): silence reads −100 dB.
    public static let floorPower: Float = 1e-10

    public init(config: FrontEndConfig = .recipe) throws {
        try config.validate()
        self.config = config
        let n = config.nFFT
        window = (0..<n).map { Float(0.5 - 0.5 * cos(2.0 * Double.pi * Double($0) / Double(n))) }
        filterbank = MelFilterbank.weights(config: config)
        plan = FFTPlans.realForward(n)
    }

    /// Frames for `sampleCount` samples (1 + n / hop).
    public func frames(forSamples sampleCount: Int) -> Int { config.frames(forSamples: sampleCount) }

    /// The log-mel of `samples` (mono, at config.sampleRate): row-major [nMels, frames] in dB.
    public func compute(_ samples: UnsafeBufferPointer<Float>) -> [Float] {
        let count = config.nMels * frames(forSamples: samples.count)
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            compute(samples, into: UnsafeMutableBufferPointer(rebasing: buffer[0..<count]))
            initialized = count
        }
    }

    /// Array variant of `compute(_:)`.
    public func compute(_ samples: [Float]) -> [Float] {
        samples.withUnsafeBufferPointer { compute($0) }
    }

    /// Writes the [nMels, frames] log-mel of `samples` into `output`, which must hold exactly
    /// nMels · frames(forSamples: samples.count) values.
    public func compute(_ samples: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>) {
        let nFFT = config.nFFT, hop = config.hopLength, nFreqs = config.nFreqs, nMels = config.nMels
        let frames = frames(forSamples: samples.count)
        precondition(output.count == nMels * frames, "LogMelSpectrogram: output holds \(output.count) values, need \(nMels)×\(frames)")

        // Centre the frames: n_fft/2 reflected samples on each side, as torch.stft(center=True, pad_mode="reflect").
        let pad = nFFT / 2
        let padded = UnsafeMutableBufferPointer<Float>.allocate(capacity: samples.count + 2 * pad)
        defer { padded.deallocate() }
        Self.reflectPad(samples, pad: pad, into: padded)

        let frame = FFTBuffer(count: nFFT)
        let spectrum = FFTBuffer(count: 2 * nFreqs)
        let power = UnsafeMutablePointer<Float>.allocate(capacity: frames * nFreqs)
        defer { power.deallocate() }
        window.withUnsafeBufferPointer { w in
            let win = w.baseAddress!, x = padded.baseAddress!, f = frame.pointer, s = spectrum.pointer
            for t in 0..<frames {
                let start = x + t * hop
                for i in 0..<nFFT { f[i] = start[i] * win[i] }
                fftwf_execute_dft_r2c(plan, f, spectrum.complex)
                let row = power + t * nFreqs
                for k in 0..<nFreqs {
                    let re = s[2 * k], im = s[2 * k + 1]
                    row[k] = re * re + im * im
                }
            }
        }
        // [nMels, nFreqs] · [frames, nFreqs]ᵀ = [nMels, frames]: the orientation PyTorch has.
        filterbank.withUnsafeBufferPointer { fb in
            sgemm(transB: true, m: nMels, n: frames, k: nFreqs, a: fb.baseAddress!, b: power, c: output.baseAddress!)
        }
        Decibels.fromPower(output.baseAddress!, count: output.count, floor: Self.floorPower)
    }

    /// `samples` with `pad` mirrored samples on each side (edge not repeated, like numpy's "reflect";
    /// reflection repeats for signals shorter than the pad, where torch would refuse).
    static func reflectPad(_ samples: UnsafeBufferPointer<Float>, pad: Int, into out: UnsafeMutableBufferPointer<Float>) {
        let n = samples.count
        let o = out.baseAddress!
        guard n > 1 else {
            let v: Float = n == 1 ? samples[0] : 0
            o.initialize(repeating: v, count: out.count)
            return
        }
        (o + pad).initialize(from: samples.baseAddress!, count: n)
        let period = 2 * (n - 1)
        func mirrored(_ j: Int) -> Float {  // sample at signal index j, reflected into 0..<n
            var m = j % period
            if m < 0 { m += period }
            return samples[m < n ? m : period - m]
        }
        for j in 0..<pad {
            o[j] = mirrored(j - pad)
            o[pad + n + j] = mirrored(n + j)
        }
    }
}
