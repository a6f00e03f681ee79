/// Scratch memory shared by every convolution of one model (it lives in the model's `ComputeContext`).
/// Layers run one after another, so one buffer grown to the largest need serves them all; per-layer
/// buffers would multiply the peak memory of a training step by the number of layers. Kernels carve
/// their own regions (including per-thread slices) out of it at each call.
///
/// Not reentrant: two convolutions must not run concurrently on the same workspace. Models that run at
/// the same time (different threads) each have a context with its own workspace.
public final class ConvolutionWorkspace: @unchecked Sendable {

    private var storage: UnsafeMutablePointer<Float>?
    public private(set) var capacity: Int = 0

    public init() {}

    deinit { storage?.deallocate() }

    /// At least `count` floats, 64-byte aligned; contents are undefined. Grows (never shrinks) on demand,
    /// so a pointer is valid only until the next call.
    public func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count > capacity || storage == nil {
            storage?.deallocate()
            let grown = max(count, capacity + capacity / 4, 1024)
            let raw = UnsafeMutableRawPointer.allocate(byteCount: grown * 4 + 64, alignment: 64)
            storage = raw.bindMemory(to: Float.self, capacity: grown + 16)
            capacity = grown
        }
        return storage!
    }

    /// Frees the memory (e.g. after training, before inference at batch 1).
    public func release() {
        storage?.deallocate()
        storage = nil
        capacity = 0
    }
}

/// Carves consecutive, 16-float-aligned regions out of a workspace buffer.
struct WorkspaceLayout {
    private(set) var total = 0
    mutating func reserve(_ count: Int) -> Int {
        let offset = total
        total += (count + 15) & ~15
        return offset
    }
}
