import Foundation

/// The files of a data set worked on by `threads` workers at once (worker w takes files w, w + threads, …):
/// how the spectrogram and waveform stores are built. The first error stops every worker and is thrown;
/// `isCancelled` is asked before each file and stops them with `CancellationError`.
enum FileWorkers {
    static func forEach(count: Int, threads: Int, isCancelled: @escaping @Sendable () -> Bool,
                        _ body: (Int) throws -> Void) throws {
        let lock = NSLock()
        var failure: Error? = nil
        let workers = max(1, min(threads, count))
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            var i = w
            while i < count {
                defer { i += workers }
                lock.lock()
                if failure == nil && isCancelled() { failure = CancellationError() }
                let failed = failure != nil
                lock.unlock()
                if failed { return }
                do { try body(i) } catch {
                    lock.lock(); if failure == nil { failure = error }; lock.unlock()
                    return
                }
            }
        }
        if let failure { throw failure }
    }
}
