import Foundation

/// Wall-clock time per named region, for the benchmark's "where does the time go" table. Off by default:
/// when disabled `measure` is one branch and a call.
public final class Profiler {
    nonisolated(unsafe) public static var shared: Profiler? = nil

    public struct Entry { public var seconds: Double = 0; public var calls: Int = 0; public var flops: Double = 0 }
    public private(set) var entries: [String: Entry] = [:]
    public private(set) var order: [String] = []

    public init() {}

    @inline(__always)
    public static func measure<T>(_ name: @autoclosure () -> String, flops: Double = 0, _ body: () -> T) -> T {
        guard let profiler = shared else { return body() }
        let start = DispatchTime.now().uptimeNanoseconds
        let result = body()
        profiler.add(name(), seconds: Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9, flops: flops)
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
