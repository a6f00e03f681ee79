import CFFTW
import Foundation

/// torchaudio's `MelSpectrogram(sample_rate, n_fft, hop_length, n_mels, f_min, f_max)` followed by
/// `AmplitudeToDB()`: periodic Hann window of n_fft, centred frames with reflect padding, one-sided power
/// spectrum, HTK mel triangles without normalisation (their non-zero weights only), then
/// 10 · log10(max(x, 1e-10)). Safe to call from several threads at once: each call borrows its own
/// scratch buffers from a pool.
public final class LogMelSpectrogram: @unchecked Sendable {
    public let config: FrontEndConfig
    /// Periodic Hann window, n_fft samples: 0.5 − 0.5 · cos(2πi / n_fft).
    let window: [Float]
    /// [nMels, nFreqs] row-major.
    let filterbank: [Float]
    /// The same weights, zeros left out.
    let projection: MelProjection
    private let plan: OpaquePointer
    private let scratch: ScratchPool<LogMelScratch>

    /// Power floor before the logarithm (AmplitudeToDB's amin): silence reads −100 dB.
    public static let floorPower: Float = 1e-10

    public init(config: FrontEndConfig = .recipe) throws {
        try config.validate()
        self.config = config
        let n = config.nFFT
        window = (0..<n).map { Float(0.5 - 0.5 * cos(2.0 * Double.pi * Double($0) / Double(n))) }
        filterbank = MelFilterbank.weights(config: config)
        projection = MelProjection(filterbank: filterbank, nMels: config.nMels, nFreqs: config.nFreqs)
        plan = FFTPlans.realForward(n)
        let nFreqs = config.nFreqs
        scratch = ScratchPool { LogMelScratch(nFFT: n, nFreqs: nFreqs) }
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
        compute(samples, length: samples.count, into: output)
    }

    /// The log-mel of `samples` fitted to `length` samples (cropped at the end, or zeros appended), as
    /// `compute(clip.fit(samples))` without making the fitted copy. `output` holds
    /// nMels · frames(forSamples: length) values.
    func compute(_ samples: UnsafeBufferPointer<Float>, length: Int, into output: UnsafeMutableBufferPointer<Float>) {
        let nFFT = config.nFFT, hop = config.hopLength, nMels = config.nMels, nFreqs = config.nFreqs
        let frames = frames(forSamples: length)
        precondition(output.count == nMels * frames, "LogMelSpectrogram: output holds \(output.count) values, need \(nMels)×\(frames)")
        scratch.withItem { work in
            // Centre the frames: n_fft/2 reflected samples on each side, as torch.stft(center=True, pad_mode="reflect").
            let pad = nFFT / 2
            let x = work.padded.reserve(length + 2 * pad)
            let kept = min(length, samples.count)
            if kept > 0 { (x + pad).update(from: samples.baseAddress!, count: kept) }
            if kept < length { (x + pad + kept).update(repeating: 0, count: length - kept) }
            Self.reflectPad(UnsafeBufferPointer(start: x + pad, count: length), pad: pad, into: UnsafeMutableBufferPointer(start: x, count: length + 2 * pad))
            window.withUnsafeBufferPointer { w in
                let win = w.baseAddress!, f = work.frame.pointer, s = work.spectrum.pointer, power = work.power
                let block = MelProjection.block
                var t0 = 0
                while t0 < frames {
                    let count = min(block, frames - t0)
                    for j in 0..<count {
                        let start = x + (t0 + j) * hop
                        for i in 0..<nFFT { f[i] = start[i] * win[i] }
                        fftwf_execute_dft_r2c(plan, f, work.spectrum.complex)
                        // Bin-major within the block: the projection reads 8 frames of one bin at once.
                        var to = power + j, from = s
                        for _ in 0..<nFreqs {
                            let re = from[0], im = from[1]
                            to.pointee = re * re + im * im
                            to += block
                            from += 2
                        }
                    }
                    projection.project(power, frames: count, into: output.baseAddress! + t0, stride: frames)
                    t0 += count
                }
            }
            if let level = config.level {
                let g = level.powerGain(UnsafeBufferPointer(start: x + pad, count: kept), length: length)
                if g != 1 { for i in 0..<output.count { output[i] *= g } }
            }
            work.padded.trim(above: LogMelScratch.keptSamples)
        }
        Decibels.fromPower(output.baseAddress!, count: output.count, floor: Self.floorPower)
    }

    /// `samples` with `pad` mirrored samples on each side (edge not repeated, like numpy's "reflect";
    /// reflection repeats for signals shorter than the pad, where torch would refuse).
    /// `samples` may already sit at `out[pad...]` (then it is not copied).
    static func reflectPad(_ samples: UnsafeBufferPointer<Float>, pad: Int, into out: UnsafeMutableBufferPointer<Float>) {
        let n = samples.count
        let o = out.baseAddress!
        guard n > 1 else {
            let v: Float = n == 1 ? samples[0] : 0
            o.update(repeating: v, count: out.count)
            return
        }
        if samples.baseAddress! != o + pad { (o + pad).update(from: samples.baseAddress!, count: n) }
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

/// One caller's buffers for `LogMelSpectrogram.compute`, kept between calls.
final class LogMelScratch {
    /// Padded samples kept between calls (4 M, 16 MB: 95 s at 44.1 kHz); larger buffers are freed after use.
    static let keptSamples = 1 << 22
    /// The reflect-padded signal.
    let padded = SampleBuffer()
    /// One windowed frame and its spectrum (fftwf_malloc'd: FFTW's plan assumes its alignment).
    let frame: FFTBuffer, spectrum: FFTBuffer
    /// Power spectra of one block of frames, bin-major ([nFreqs][MelProjection.block]).
    let power: UnsafeMutablePointer<Float>

    init(nFFT: Int, nFreqs: Int) {
        frame = FFTBuffer(count: nFFT)
        spectrum = FFTBuffer(count: 2 * nFreqs)
        power = .allocate(capacity: nFreqs * MelProjection.block)
        power.initialize(repeating: 0, count: nFreqs * MelProjection.block)
    }

    deinit { power.deallocate() }
}
