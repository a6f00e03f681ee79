import Foundation

/// Splits independent work over the cores. Every kernel parallelises through here so that the thread
/// count is one setting (`Parallel.threads`, the `--threads` option) and one thread means truly serial,
/// bit-reproducible execution.
public enum Parallel {
    nonisolated(unsafe) public static var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    /// Runs `body(i)` for i in 0..<count, spread over `threads` workers; serial when one thread or one item.
    @inline(__always)
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        if threads <= 1 || count <= 1 {
            for i in 0..<count { body(i) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: count, execute: body)
    }

    /// Splits 0..<count into `threads` contiguous chunks and runs `body(range, worker)` on each: for work
    /// whose items are too small to dispatch one by one, or that needs a per-worker accumulator.
    @inline(__always)
    public static func chunks(_ count: Int, minimumChunk: Int = 1, _ body: (Range<Int>, Int) -> Void) {
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
