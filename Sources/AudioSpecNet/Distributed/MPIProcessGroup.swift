import Foundation

/// The ranks of `MPI_COMM_WORLD`, over Open MPI loaded at run time. Errors stay MPI's default,
/// `MPI_ERRORS_ARE_FATAL` (set again here, whatever the launcher's settings): a rank that dies or fails a
/// collective takes the whole job down instead of leaving the others waiting for ever.
public final class MPIProcessGroup: ProcessGroup {
    public let rank: Int
    public let size: Int
    private let mpi: MPILibrary
    private var finished = false

    init(library: MPILibrary) throws {
        mpi = library
        var provided: Int32 = 0
        // MPI_THREAD_SERIALIZED (2): only the training loop's thread calls MPI, one call at a time
        guard mpi.initThread(nil, nil, 2, &provided) == 0 else {
            throw AudioSpecNetError.invalidArgument("MPI_Init_thread failed")
        }
        _ = mpi.setErrhandler(mpi.commWorld, mpi.errorsAreFatal)
        var r: Int32 = 0, s: Int32 = 0
        _ = mpi.commRank(mpi.commWorld, &r)
        _ = mpi.commSize(mpi.commWorld, &s)
        rank = Int(r)
        size = Int(s)
    }

    /// MPI's count is a C int: long buffers go in pieces of at most 2^30 values.
    private static let piece = 1 << 30

    public func allreduceSum(_ values: UnsafeMutablePointer<Float>, count: Int) {
        var lo = 0
        while lo < count {
            let n = Swift.min(Self.piece, count - lo)
            _ = mpi.allreduce(MPILibrary.inPlace, values + lo, Int32(n), mpi.float, mpi.sum, mpi.commWorld)
            lo += n
        }
    }

    public func allreduceSum(_ values: UnsafeMutablePointer<Double>, count: Int) {
        _ = mpi.allreduce(MPILibrary.inPlace, values, Int32(count), mpi.double, mpi.sum, mpi.commWorld)
    }

    public func allreduceMinMax(_ value: Int64) -> (min: Int64, max: Int64) {
        var lo = value, hi = value
        _ = mpi.allreduce(MPILibrary.inPlace, &lo, 1, mpi.int64, mpi.min, mpi.commWorld)
        _ = mpi.allreduce(MPILibrary.inPlace, &hi, 1, mpi.int64, mpi.max, mpi.commWorld)
        return (lo, hi)
    }

    public func broadcast(_ values: UnsafeMutablePointer<Float>, count: Int, root: Int) {
        var lo = 0
        while lo < count {
            let n = Swift.min(Self.piece, count - lo)
            _ = mpi.bcast(values + lo, Int32(n), mpi.float, Int32(root), mpi.commWorld)
            lo += n
        }
    }

    /// Ends MPI: `MPI_Finalize` when every rank ends the same way (done, or a stop they agreed on);
    /// `MPI_Abort` when this rank failed alone, which ends every rank (a finalize would wait for the others,
    /// which wait in the next collective: a hang). The CLI calls it once, last; the library never does.
    public func finish(failed: Bool, code: Int32) {
        guard !finished else { return }
        finished = true
        if failed { _ = mpi.abort(mpi.commWorld, code) } else { _ = mpi.finalize() }
    }
}
