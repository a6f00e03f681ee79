import Foundation
import Synchronization

/// The service's CPU-bound request work (decoding, resampling, log-mels), owned by the service and bounded:
/// at most `threads` jobs run at once, on a queue of the service's own (off the server's event loops and
/// off the cooperative pool, which must not block); at most `maxQueued` more wait for a turn, and past
/// that a request gets 503 at once rather than memory and threads growing with the load. `stop()` refuses
/// new jobs (the ones admitted finish).
public final class FrontEndWorkers: Sendable {
    public let threads: Int
    public let maxQueued: Int

    private struct State {
        var running = 0
        /// Jobs waiting for a turn, first come first served; each is resumed with the turn handed over.
        var waiting: [CheckedContinuation<Void, any Error>] = []
        var stopping = false
    }

    private let state = Mutex(State())
    private let queue: DispatchQueue

    public init(threads: Int, maxQueued: Int) {
        self.threads = max(1, threads)
        self.maxQueued = max(0, maxQueued)
        queue = DispatchQueue(label: "audiospecnet.front-end", attributes: .concurrent)
    }

    /// Runs `work` when a turn is free; throws `ServiceError.overloaded` when too many already wait, and
    /// `.unavailable` once stopping.
    public func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await acquire()
        defer { release() }
        return try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }

    /// Jobs running and waiting now (for tests and metrics).
    public var load: (running: Int, waiting: Int) { state.withLock { ($0.running, $0.waiting.count) } }

    /// Refuses new jobs from now on.
    public func stop() { state.withLock { $0.stopping = true } }

    private func acquire() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let refusal: ServiceError?? = state.withLock { s in
                if s.stopping { return .some(ServiceError.unavailable("the service is shutting down")) }
                if s.running < threads {
                    s.running += 1
                    return .some(nil)
                }
                if s.waiting.count >= maxQueued {
                    return .some(ServiceError.overloaded("\(s.waiting.count) requests are already waiting for the front end"))
                }
                s.waiting.append(continuation)
                return nil
            }
            switch refusal {
            case .some(.some(let error)): continuation.resume(throwing: error)
            case .some(.none): continuation.resume()
            case .none: break  // resumed by `release` when a turn frees
            }
        }
    }

    private func release() {
        let next = state.withLock { s -> CheckedContinuation<Void, any Error>? in
            if s.waiting.isEmpty {
                s.running -= 1
                return nil
            }
            return s.waiting.removeFirst()  // the turn passes on; `running` stays
        }
        next?.resume()
    }
}
