/// The processes of a data-parallel run, as the trainer needs them: who this process is among how many, and
/// the few collective operations a step uses. Every process calls each operation in the same order; a
/// collective that one process never reaches is a hang, so the trainer calls them unconditionally.
public protocol ProcessGroup: AnyObject {
    /// This process's index, 0..<size; rank 0 writes the run folder.
    var rank: Int { get }
    /// The number of processes (the world size).
    var size: Int { get }
    /// values[i] ← Σ over the ranks of values[i], in place; every rank ends with the same sums.
    func allreduceSum(_ values: UnsafeMutablePointer<Float>, count: Int)
    /// As above, in double precision (the step's loss and counts).
    func allreduceSum(_ values: UnsafeMutablePointer<Double>, count: Int)
    /// The smallest and the largest of `value` over the ranks (agreement checks, the stop flag).
    func allreduceMinMax(_ value: Int64) -> (min: Int64, max: Int64)
    /// values ← rank `root`'s values, on every rank.
    func broadcast(_ values: UnsafeMutablePointer<Float>, count: Int, root: Int)
}

extension ProcessGroup {
    public var isRoot: Bool { rank == 0 }

    /// Whether any rank asks to stop: all ranks get the same answer at the same step, so they stop together.
    public func agreeToStop(_ local: Bool) -> Bool {
        size == 1 ? local : allreduceMinMax(local ? 1 : 0).max != 0
    }

    /// Throws (the same error on every rank) unless every rank holds the same `value`: what each rank read
    /// from its own files and flags is checked before any step depends on it, rather than trusted.
    public func requireAgreement(_ value: UInt64, on what: String) throws {
        guard size > 1 else { return }
        let r = allreduceMinMax(Int64(bitPattern: value))
        guard r.min == r.max else {
            throw AudioSpecNetError.invalidArgument("the \(size) ranks disagree on \(what): start every rank with the same command, data and files")
        }
    }
}

/// One process alone: every collective leaves the values as they are.
public final class SingleProcess: ProcessGroup {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func allreduceSum(_ values: UnsafeMutablePointer<Float>, count: Int) {}
    public func allreduceSum(_ values: UnsafeMutablePointer<Double>, count: Int) {}
    public func allreduceMinMax(_ value: Int64) -> (min: Int64, max: Int64) { (value, value) }
    public func broadcast(_ values: UnsafeMutablePointer<Float>, count: Int, root: Int) {}
}
