import Foundation

/// Splits independent work over a fixed number of workers. Every kernel and layer parallelises through
/// a `Parallel` value taken from its `ComputeContext`, so the thread count is one setting (`--threads`)
/// and one worker means truly serial, bit-reproducible execution. A value, not a process-wide switch:
/// two models with different thread counts can run side by side.
public struct Parallel: Sendable, Hashable {
    /// Workers a call splits its work over (at least 1).
    public let threads: Int

    public init(threads: Int) { self.threads = max(1, threads) }

    /// Everything inline on the calling thread: what a worker that already owns a core passes on, so a
    /// kernel can hand whole independent jobs to each core without nesting.
    public static let serial = Parallel(threads: 1)

    /// Runs `body(i)` for i in 0..<count, spread over `threads` workers; serial when one thread or one item.
    @inline(__always)
    public func forEach(_ count: Int, _ body: (Int) -> Void) {
        if threads <= 1 || count <= 1 {
            for i in 0..<count { body(i) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: count, execute: body)
    }

    /// Splits 0..<count into `threads` contiguous chunks and runs `body(range, worker)` on each: for work
    /// whose items are too small to dispatch one by one, or that needs a per-worker accumulator.
    @inline(__always)
    public func chunks(_ count: Int, minimumChunk: Int = 1, _ body: (Range<Int>, Int) -> Void) {
        let workers = max(1, min(threads, count / max(1, minimumChunk)))
        if workers <= 1 {
            if count > 0 { body(0..<count, 0) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let lo = count * w / workers, hi = count * (w + 1) / workers
            if lo < hi { body(lo..<hi, w) }
        }
    }
}
