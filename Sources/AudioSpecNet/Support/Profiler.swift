import Foundation

/// Wall-clock (or CPU) time per named region, for the benchmark's "where does the time go" table. Given to
/// a model through its `ComputeContext`; without one, a layer's `measure` is one branch and a call.
/// Not thread-safe: one profiler per context, used by one computation at a time.
public final class Profiler {
    public struct Entry { public var seconds: Double = 0; public var calls: Int = 0; public var flops: Double = 0 }
    public private(set) var entries: [String: Entry] = [:]
    public private(set) var order: [String] = []
    public let clock: Clock

    public init(clock: Clock = .wall) { self.clock = clock }

    /// Which clock timings read: wall time, or the process's CPU time (all threads summed). On a machine
    /// shared with other work, CPU time of a one-thread run is the figure that does not move with the load.
    public enum Clock: String, Sendable {
        case wall, cpu

        /// Seconds on this clock, from an arbitrary origin.
        public func now() -> Double {
            var ts = timespec()
            clock_gettime(self == .cpu ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &ts)
            return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
        }
    }

    @inline(__always)
    public func measure<T>(_ name: String, flops: Double = 0, _ body: () -> T) -> T {
        let start = clock.now()
        let result = body()
        add(name, seconds: clock.now() - start, flops: flops)
        return result
    }

    func add(_ name: String, seconds: Double, flops: Double) {
        if entries[name] == nil { order.append(name) }
        entries[name, default: Entry()].seconds += seconds
        entries[name, default: Entry()].calls += 1
        entries[name, default: Entry()].flops += flops
    }

    public func reset() { entries = [:]; order = [] }
}

/// Peak resident memory of this process so far, in MiB (Linux reports ru_maxrss in KiB).
public func peakResidentMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}
