/// One convolution layer's filters in Winograd form (and, where `PackedGEMM` runs, packed for it; im2col's
/// filters too), kept between evaluation forwards so that inference transforms and packs each filter once per
/// model instead of once per call. Each entry is tagged with the weights'
/// version (`ParameterArena.parameterVersion`, bumped by every mutable access to the weights) and used
/// only while the version (and the thread count that made it, which sets how the transform's sgemm is
/// split) is unchanged; one entry per transform (F(2×2), F(4×4)), since batch 1 and a larger batch may
/// pick different ones. Training forwards and backwards never read it (their weights
/// change every step), so training numerics do not depend on it. One pass at a time, as the layer's.
public final class TransformedFilterCache {
    private struct Entry {
        let algorithm: ConvolutionAlgorithm
        let packed: Bool
        var version: UInt64
        var threads: Int
        let storage: UnsafeMutablePointer<Float>
        let count: Int
    }
    private var entries: [Entry] = []

    public init() {}

    deinit { for e in entries { e.storage.deallocate() } }

    /// Floats held (for memory accounting).
    public var floatCount: Int { entries.reduce(0) { $0 + $1.count } }

    /// Drops every entry and its memory.
    public func removeAll() {
        for e in entries { e.storage.deallocate() }
        entries = []
    }

    /// The `count` transformed floats for `algorithm` at weights `version`: the kept ones when they were made
    /// from this version on as many threads, otherwise written by `make` into the entry (allocated on first
    /// use) first; so a result is the same bits as with the transform made in the call.
    /// `packed`: the entry holds the filters packed for `PackedGEMM` (im2col's as they are, Winograd's transformed).
    func filters(algorithm: ConvolutionAlgorithm, packed: Bool = false, version: UInt64, threads: Int, count: Int,
                 make: (UnsafeMutablePointer<Float>) -> Void) -> UnsafePointer<Float> {
        if let i = entries.firstIndex(where: { $0.algorithm == algorithm && $0.packed == packed && $0.count == count }) {
            if entries[i].version != version || entries[i].threads != threads {
                make(entries[i].storage)
                entries[i].version = version
                entries[i].threads = threads
            }
            return UnsafePointer(entries[i].storage)
        }
        let storage = UnsafeMutablePointer<Float>.allocate(capacity: max(1, count))
        make(storage)
        entries.append(Entry(algorithm: algorithm, packed: packed, version: version, threads: threads, storage: storage, count: count))
        return UnsafePointer(storage)
    }
}

/// What a layer hands its kernel so that an evaluation forward may reuse transformed filters.
public struct FilterCacheKey {
    public let cache: TransformedFilterCache
    /// The version of the weights passed with it (`ParameterArena.parameterVersion`).
    public let version: UInt64
    public init(cache: TransformedFilterCache, version: UInt64) {
        self.cache = cache
        self.version = version
    }
}
