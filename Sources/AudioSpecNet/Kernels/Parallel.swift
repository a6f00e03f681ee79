import Foundation

/// Splits independent work over the cores. Every kernel parallelises through here so that the thread
/// count is one setting (`Parallel.threads`, the `--threads` option) and one thread means truly serial,
/// bit-reproducible execution.
public enum Parallel {
    nonisolated(unsafe) public static var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    /// Marks the calling thread as a worker that already owns a core: Parallel calls made from it run
    /// inline (worker 0), so a kernel can hand whole independent jobs to each core without nesting.
    nonisolated(unsafe) private static let serialKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    private static var onSerialWorker: Bool { pthread_getspecific(serialKey) != nil }

    /// Runs `body` with every Parallel call on this thread made inline.
    public static func serially<T>(_ body: () -> T) -> T {
        let previous = pthread_getspecific(serialKey)
        pthread_setspecific(serialKey, UnsafeRawPointer(bitPattern: 1))
        defer { pthread_setspecific(serialKey, previous) }
        return body()
    }

    /// Workers a Parallel call from this thread would use: `threads`, or 1 inside `serially`.
    public static var available: Int { onSerialWorker ? 1 : max(1, threads) }

    /// Runs `body(i)` for i in 0..<count, spread over `threads` workers; serial when one thread or one item.
    @inline(__always)
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        if available <= 1 || count <= 1 {
            for i in 0..<count { body(i) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: count, execute: body)
    }

    /// Splits 0..<count into `threads` contiguous chunks and runs `body(range, worker)` on each: for work
    /// whose items are too small to dispatch one by one, or that needs a per-worker accumulator.
    @inline(__always)
    public static func chunks(_ count: Int, minimumChunk: Int = 1, _ body: (Range<Int>, Int) -> Void) {
        let workers = max(1, min(available, count / max(1, minimumChunk)))
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
