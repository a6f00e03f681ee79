import Foundation

/// A growable Float buffer that keeps its memory between uses: the front end's per-worker scratch
/// (decoded samples, resampled samples). Reusing it means no large allocation per clip; glibc serves
/// those with mmap/munmap, whose page faults and TLB shootdowns cost more than the copy and slow every
/// other thread of the process.
final class SampleBuffer {
    private(set) var pointer: UnsafeMutablePointer<Float>
    private(set) var capacity: Int
    /// Values in use, from `pointer`.
    var count = 0

    init(capacity: Int = 0) {
        self.capacity = max(16, capacity)
        pointer = .allocate(capacity: self.capacity)
    }

    deinit { pointer.deallocate() }

    /// Makes room for `extra` more values after `count` (keeping the first `count`) and returns where they go.
    func reserveTail(_ extra: Int) -> UnsafeMutablePointer<Float> {
        let (needed, overflow) = count.addingReportingOverflow(extra)
        precondition(!overflow, "SampleBuffer: size overflow")
        if needed > capacity {
            let grown = max(needed, capacity + capacity / 2)
            let p = UnsafeMutablePointer<Float>.allocate(capacity: grown)
            p.update(from: pointer, count: count)
            pointer.deallocate()
            pointer = p
            capacity = grown
        }
        return pointer + count
    }

    /// Room for `n` values, the old contents dropped; `count` becomes `n`.
    func reserve(_ n: Int) -> UnsafeMutablePointer<Float> {
        count = 0
        let p = reserveTail(n)
        count = n
        return p
    }

    /// The values in use.
    var values: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: pointer, count: count) }

    /// Gives back memory above `limit` values (a 10-minute file should not pin 100 MB to a worker).
    func trim(above limit: Int) {
        guard capacity > limit else { return }
        pointer.deallocate()
        capacity = max(16, limit)
        pointer = .allocate(capacity: capacity)
        count = 0
    }
}

/// Scratch objects lent to one caller at a time: each thread that runs the front end borrows one, so
/// concurrent callers never share buffers and a sequential caller reuses the same one. Holds at most
/// `maxIdle` idle objects.
final class ScratchPool<Item: AnyObject>: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [Item] = []
    private let make: () -> Item
    private let maxIdle: Int

    init(maxIdle: Int = 64, make: @escaping () -> Item) {
        self.make = make
        self.maxIdle = maxIdle
    }

    func withItem<R>(_ body: (Item) throws -> R) rethrows -> R {
        lock.lock()
        let item = idle.popLast()
        lock.unlock()
        let scratch = item ?? make()
        defer {
            lock.lock()
            if idle.count < maxIdle { idle.append(scratch) }
            lock.unlock()
        }
        return try body(scratch)
    }
}
