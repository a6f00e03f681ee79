import Foundation

/// Waveforms of a set of clips at the model's rate, fitted to the clip as the front end fits them (zero-padded
/// or cropped at the end), each with its sound level: what waveform mixing (`--mixup-domain waveform`) mixes
/// and `--noise-snr` adds noise to, before the log-mel. One allocation (1 200 clips of 5 s at 16 kHz: 384 MB); no disk cache, since decoding
/// a clip costs about what reading a cached spectrogram does.
public final class WaveformStore: @unchecked Sendable {
    public let samplesPerClip: Int
    public let count: Int
    public let data: UnsafeMutablePointer<Float>
    /// Each clip's sound level in dB (`WaveformStore.level`).
    public private(set) var levels: [Double]
    /// How many of each clip's samples are audio (the rest is the fitting's zero padding).
    public private(set) var validCounts: [Int]

    init(samplesPerClip: Int, count: Int) {
        self.samplesPerClip = samplesPerClip
        self.count = count
        data = .allocate(capacity: max(1, samplesPerClip * count))
        data.initialize(repeating: 0, count: max(1, samplesPerClip * count))
        levels = Array(repeating: 0, count: count)
        validCounts = Array(repeating: samplesPerClip, count: count)
    }

    deinit { data.deallocate() }

    public func pointer(_ index: Int) -> UnsafeMutablePointer<Float> { data + index * samplesPerClip }

    /// A store of the given waveforms, each already `samplesPerClip` long (tests, synthetic data).
    public convenience init(waveforms: [[Float]], frontEnd: FrontEndConfig) {
        let n = waveforms.first?.count ?? 0
        self.init(samplesPerClip: n, count: waveforms.count)
        for (i, w) in waveforms.enumerated() {
            precondition(w.count == n)
            pointer(i).update(from: w, count: n)
            levels[i] = WaveformStore.level(UnsafeBufferPointer(start: pointer(i), count: n), frontEnd: frontEnd)
        }
    }

    /// Decodes, resamples and fits every file (in parallel over `threads` workers). The first failing file's
    /// error is thrown; `CancellationError` once `isCancelled` (asked before each file) returns true.
    public static func build(paths: [String], frontEnd: FrontEnd, threads: Int,
                             isCancelled: @escaping @Sendable () -> Bool = { false }) throws -> WaveformStore {
        let store = WaveformStore(samplesPerClip: frontEnd.clip.sampleCount, count: paths.count)
        let lock = NSLock()
        try FileWorkers.forEach(count: paths.count, threads: threads, isCancelled: isCancelled) { i in
            let samples = try frontEnd.waveform(path: paths[i])
            let fitted = frontEnd.clip.fit(samples)
            store.pointer(i).update(from: fitted, count: store.samplesPerClip)
            let level = fitted.withUnsafeBufferPointer { WaveformStore.level($0, frontEnd: frontEnd.config) }
            lock.lock(); store.levels[i] = level; store.validCounts[i] = min(samples.count, store.samplesPerClip); lock.unlock()
        }
        return store
    }

    /// A clip's sound level, EnvNet-v2's `compute_gain` in its RMSE mode: the loudest frame's mean square in
    /// dB, over frames of the front end's n_fft every hop (EnvNet uses 2 048 samples at 44.1 kHz), floored at
    /// −80 dB (10 log₁₀ 1e-8) so that silence has a level.
    public static func level(_ samples: UnsafeBufferPointer<Float>, frontEnd: FrontEndConfig) -> Double {
        let frame = min(frontEnd.nFFT, samples.count), hop = max(1, frontEnd.hopLength)
        var loudest = 1e-8
        guard frame > 0 else { return 10 * log10(loudest) }
        // every whole frame, as EnvNet's range(0, len − n_fft + 1, stride)
        for start in stride(from: 0, through: samples.count - frame, by: hop) {
            var sum = 0.0
            for i in start..<(start + frame) { sum += Double(samples[i]) * Double(samples[i]) }
            loudest = max(loudest, sum / Double(frame))
        }
        return 10 * log10(loudest)
    }
}
