import Foundation

/// Every learnable value of a model in one allocation, and their gradients in a second of the same layout
/// (llm.c's `malloc_and_point_parameters`): zeroing grads, the AdamW update and checkpointing are each one
/// loop. Running statistics live in a separate buffer arena (they are state, not parameters: the
/// optimizer must not touch them), and BatchNorm's `num_batches_tracked` counters in an Int64 array.
/// Entries keep PyTorch `state_dict` order and names, so files move between the two unchanged.
public final class ParameterArena {
    public enum Kind: String, Sendable { case parameter, buffer, counter }

    public struct Entry: Sendable {
        public let name: String
        public let shape: [Int]
        public let kind: Kind
        /// Offset into the arena of its kind (`parameters`, `buffers` or `counters`).
        public let offset: Int
        public var count: Int { shape.reduce(1, *) }
    }

    public let entries: [Entry]
    public let parameterCount: Int
    public let bufferCount: Int
    /// The parameters, for writing: every access counts as a change (`parameterVersion`), so take the
    /// pointer where you write (as AdamW's caller does each step), not once for later. Readers use
    /// `parameterValues`.
    public var parameters: UnsafeMutablePointer<Float> {
        parameterVersion &+= 1
        return parameterStorage
    }
    /// The parameters, read-only: not a change.
    public var parameterValues: UnsafePointer<Float> { UnsafePointer(parameterStorage) }
    /// Counts the mutable pointers to the parameters handed out (`parameters`, `pointer(_:)` of a
    /// parameter, a layer's `weight`) and `parametersChanged()` calls: what caches derived from the weights
    /// (Conv2d's transformed filters) are keyed by. Nobody has to remember to invalidate them: whoever can
    /// write the weights has bumped this by getting the pointer.
    public private(set) var parameterVersion: UInt64 = 0
    private let parameterStorage: UnsafeMutablePointer<Float>
    public let gradients: UnsafeMutablePointer<Float>
    public let buffers: UnsafeMutablePointer<Float>
    public var counters: [Int64]
    private let index: [String: Int]

    public init(spec: [(name: String, shape: [Int], kind: Kind)]) {
        var entries: [Entry] = []
        var sizes: [Kind: Int] = [.parameter: 0, .buffer: 0, .counter: 0]
        for s in spec {
            let count = s.kind == .counter ? 1 : s.shape.reduce(1, *)
            entries.append(Entry(name: s.name, shape: s.shape, kind: s.kind, offset: sizes[s.kind]!))
            sizes[s.kind]! += count
        }
        self.entries = entries
        parameterCount = sizes[.parameter]!
        bufferCount = sizes[.buffer]!
        // calloc: the kernel hands out zero pages lazily, so an inference process never touches (or pays
        // for) the 85 MB of gradients it does not use.
        parameterStorage = ParameterArena.zeroed(parameterCount)
        gradients = ParameterArena.zeroed(parameterCount)
        buffers = ParameterArena.zeroed(bufferCount)
        counters = Array(repeating: 0, count: sizes[.counter]!)
        index = Dictionary(uniqueKeysWithValues: entries.enumerated().map { ($1.name, $0) })
    }

    deinit {
        free(parameterStorage)
        free(gradients)
        free(buffers)
    }

    private static func zeroed(_ count: Int) -> UnsafeMutablePointer<Float> {
        guard let raw = calloc(max(1, count), MemoryLayout<Float>.stride) else {
            fatalError("ParameterArena: out of memory allocating \(count) floats")
        }
        return raw.bindMemory(to: Float.self, capacity: max(1, count))
    }

    public func entry(_ name: String) -> Entry? { index[name].map { entries[$0] } }

    /// The storage of a parameter or buffer, by state_dict name, for writing (for a parameter, a change:
    /// see `parameterVersion`). Layers bind to these once at construction.
    public func pointer(_ name: String) -> UnsafeMutablePointer<Float> {
        guard let e = entry(name), e.kind != .counter else { preconditionFailure("ParameterArena: no tensor \(name)") }
        return (e.kind == .parameter ? parameters : buffers) + e.offset
    }

    /// The storage of a parameter or buffer, by state_dict name, read-only.
    public func values(pointer name: String) -> UnsafePointer<Float> {
        guard let e = entry(name), e.kind != .counter else { preconditionFailure("ParameterArena: no tensor \(name)") }
        return (e.kind == .parameter ? parameterValues : UnsafePointer(buffers)) + e.offset
    }

    /// Marks the parameters changed, for code that writes through a pointer it took before the last
    /// evaluation forward (a finite-difference check holding one pointer, say).
    public func parametersChanged() { parameterVersion &+= 1 }

    public func gradient(_ name: String) -> UnsafeMutablePointer<Float> {
        guard let e = entry(name), e.kind == .parameter else { preconditionFailure("ParameterArena: no parameter \(name)") }
        return gradients + e.offset
    }

    public func counterIndex(_ name: String) -> Int {
        guard let e = entry(name), e.kind == .counter else { preconditionFailure("ParameterArena: no counter \(name)") }
        return e.offset
    }

    public func zeroGradients() { gradients.update(repeating: 0, count: parameterCount) }

    /// The values of one entry as Float (a counter reads as its Int64 value).
    public func values(_ name: String) -> [Float] {
        guard let e = entry(name) else { return [] }
        if e.kind == .counter { return [Float(counters[e.offset])] }
        return Array(UnsafeBufferPointer(start: values(pointer: name), count: e.count))
    }
}
