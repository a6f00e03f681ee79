import AudioSpecNetService
import Foundation
import XCTest

/// The service's front-end work is bounded: at most `threads` jobs run, at most `maxQueued` wait, and the
/// next one is refused with 503 at once; a stopped pool refuses everything.
final class FrontEndWorkersTests: XCTestCase {
    func testAtMostThreadsRunAndAtMostMaxQueuedWait() async throws {
        let workers = FrontEndWorkers(threads: 1, maxQueued: 1)
        let gate = DispatchSemaphore(value: 0)
        let first = Task { try await workers.run { gate.wait(); return 1 } }
        try await waitFor { workers.load == (1, 0) }
        let second = Task { try await workers.run { 2 } }
        try await waitFor { workers.load == (1, 1) }
        do {
            _ = try await workers.run { 3 }
            XCTFail("a third job while one runs and one waits must be refused")
        } catch let error as ServiceError {
            XCTAssertEqual(error.status, 503, "\(error)")
        }
        gate.signal()
        let results = try await (first.value, second.value)
        XCTAssertEqual(results.0, 1)
        XCTAssertEqual(results.1, 2)
        XCTAssertTrue(workers.load == (0, 0))
        workers.stop()
        do {
            _ = try await workers.run { 4 }
            XCTFail("a stopped pool takes no work")
        } catch let error as ServiceError {
            XCTAssertEqual(error.status, 503, "\(error)")
        }
    }

    /// Many jobs at once never run more than `threads` at a time, and all finish.
    func testConcurrencyStaysWithinThreads() async throws {
        let workers = FrontEndWorkers(threads: 2, maxQueued: 64)
        let counter = ConcurrencyCounter()
        let sum = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<32 {
                group.addTask { try await workers.run { counter.enter(); usleep(2_000); counter.leave(); return i } }
            }
            return try await group.reduce(0, +)
        }
        XCTAssertEqual(sum, (0..<32).reduce(0, +))
        XCTAssertLessThanOrEqual(counter.peak, 2)
        XCTAssertGreaterThanOrEqual(counter.peak, 1)
    }

    private func waitFor(_ condition: () -> Bool) async throws {
        for _ in 0..<2_000 where !condition() { try await Task.sleep(for: .milliseconds(5)) }
        XCTAssertTrue(condition(), "timed out")
    }
}

/// How many jobs are inside at once, and the most ever.
private final class ConcurrencyCounter: @unchecked Sendable {  // its state is behind `lock`
    private let lock = NSLock()
    private var now = 0
    private(set) var peak = 0
    func enter() { lock.withLock { now += 1; peak = max(peak, now) } }
    func leave() { lock.withLock { now -= 1 } }
}
