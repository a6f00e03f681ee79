import Foundation

/// The log-mel spectrograms of a set of clips, computed once per run and kept in memory in one
/// allocation (2 000 recipe clips ≈ 220 MB). Building decodes and transforms the clips in parallel; with a
/// cache directory each spectrogram is also kept on disk under a key made of the audio file's content
/// hash and the front-end configuration, so a second run (or a second fold of `--cv`) reads instead of
/// recomputing. A cache entry is trusted only when its header matches the expected shape and size.
public final class SpectrogramStore: @unchecked Sendable {
    public let mels: Int
    public let frames: Int
    public let count: Int
    public var valuesPerClip: Int { mels * frames }
    public let data: UnsafeMutablePointer<Float>

    public struct Statistics: Sendable {
        public var computed = 0
        public var fromCache = 0
        public var seconds = 0.0
    }
    public private(set) var statistics = Statistics()

    init(mels: Int, frames: Int, count: Int) {
        self.mels = mels
        self.frames = frames
        self.count = count
        data = .allocate(capacity: max(1, mels * frames * count))
        data.initialize(repeating: 0, count: max(1, mels * frames * count))
    }

    /// A store holding the given spectrograms (tests, synthetic data).
    public convenience init(mels: Int, frames: Int, spectrograms: [[Float]]) {
        self.init(mels: mels, frames: frames, count: spectrograms.count)
        for (i, s) in spectrograms.enumerated() {
            precondition(s.count == mels * frames)
            pointer(i).update(from: s, count: s.count)
        }
    }

    deinit { data.deallocate() }

    public func pointer(_ index: Int) -> UnsafeMutablePointer<Float> { data + index * valuesPerClip }

    /// The default on-disk cache: `$XDG_CACHE_HOME/audiospecnet/spectrograms` or
    /// `~/.cache/audiospecnet/spectrograms`.
    public static var defaultCacheDirectory: String {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.cache")
        return base + "/audiospecnet/spectrograms"
    }

    /// Decodes and transforms every file (in parallel over `threads` workers), reading from and writing to
    /// `cacheDirectory` when given. `progress(done, total)` is called from worker threads, serialised. The
    /// first failing file's error is thrown; `CancellationError` once `isCancelled` (asked before each file)
    /// returns true.
    public static func build(paths: [String], frontEnd: FrontEnd, threads: Int, cacheDirectory: String?,
                             isCancelled: @escaping @Sendable () -> Bool = { false },
                             progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) throws -> SpectrogramStore {
        let start = DispatchTime.now().uptimeNanoseconds
        let config = frontEnd.config
        let store = SpectrogramStore(mels: config.nMels, frames: config.clipFrames, count: paths.count)
        let configKey = fnv1a64Hex(Data(("logmel-v1 " + jsonString(config)).utf8))
        let directory = cacheDirectory.map { $0 + "/" + configKey }
        if let directory { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let lock = NSLock()
        var done = 0, computed = 0, cached = 0
        let perClip = store.valuesPerClip
        try FileWorkers.forEach(count: paths.count, threads: threads, isCancelled: isCancelled) { i in
            let path = paths[i]
            var fromCache = false
            var cachePath: String? = nil
            if let directory {
                guard let bytes = FileManager.default.contents(atPath: path) else {
                    throw AudioSpecNetError.file(path: path, reason: FileManager.default.fileExists(atPath: path) ? "cannot read" : "no such file")
                }
                cachePath = directory + "/" + fnv1a64Hex(bytes) + ".logmel"
                fromCache = readCache(cachePath!, mels: store.mels, frames: store.frames, into: store.pointer(i))
            }
            if !fromCache {
                let values = try frontEnd.logMel(path: path)
                guard values.count == perClip else {
                    throw AudioSpecNetError.format(path: path, reason: "front end gave \(values.count) values, expected \(perClip)")
                }
                store.pointer(i).update(from: values, count: perClip)
                if let cachePath { writeCache(cachePath, mels: store.mels, frames: store.frames, values: values) }
            }
            lock.lock()
            done += 1
            if fromCache { cached += 1 } else { computed += 1 }
            progress(done, paths.count)
            lock.unlock()
        }
        store.statistics = Statistics(computed: computed, fromCache: cached,
                                      seconds: Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
        return store
    }

    private static let magic: [UInt8] = Array("ASNLOGM1".utf8)

    static func readCache(_ path: String, mels: Int, frames: Int, into destination: UnsafeMutablePointer<Float>) -> Bool {
        guard let data = FileManager.default.contents(atPath: path), data.count == 16 + 4 * mels * frames else { return false }
        return data.withUnsafeBytes { raw -> Bool in
            guard Array(raw.prefix(8)) == magic,
                  Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self))) == mels,
                  Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 12, as: UInt32.self))) == frames else { return false }
            UnsafeMutableRawPointer(destination).copyMemory(from: raw.baseAddress! + 16, byteCount: 4 * mels * frames)
            for k in 0..<(mels * frames) where !destination[k].isFinite { return false }
            return true
        }
    }

    /// temp + rename (no fsync: a cache needs atomicity, not durability; a torn entry fails the size check).
    static func writeCache(_ path: String, mels: Int, frames: Int, values: [Float]) {
        var bytes = magic
        withUnsafeBytes(of: UInt32(mels).littleEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(frames).littleEndian) { bytes.append(contentsOf: $0) }
        values.withUnsafeBytes { bytes.append(contentsOf: $0) }
        let temporary = path + ".tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(bytes)) else { return }
        if rename(temporary, path) != 0 { unlink(temporary) }
    }
}
