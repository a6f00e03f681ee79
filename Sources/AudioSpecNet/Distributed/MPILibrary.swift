import Foundation

/// Open MPI's C entry points and predefined handles, found in `libmpi` at run time (dlopen/dlsym) rather
/// than linked: the default build needs no MPI headers, and one binary trains alone or under a launcher.
/// MPI's handles (`MPI_COMM_WORLD`, `MPI_FLOAT`, `MPI_SUM`, …) are macros; in Open MPI each is the address
/// of an exported global (`&ompi_mpi_comm_world`, …) and `MPI_IN_PLACE` is `(void *)1` (mpi.h), so this
/// ties the tool to Open MPI's ABI (libmpi.so.40, Open MPI 3–5); MPICH's handles are integers and would not load.
public final class MPILibrary {
    typealias Allreduce = @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, UnsafeMutableRawPointer?,
                                          UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Int32
    typealias Bcast = @convention(c) (UnsafeMutableRawPointer?, Int32, UnsafeMutableRawPointer?, Int32, UnsafeMutableRawPointer?) -> Int32
    typealias InitThread = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, Int32, UnsafeMutablePointer<Int32>?) -> Int32
    typealias CommQuery = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<Int32>?) -> Int32
    typealias SetErrhandler = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Int32
    typealias Finalize = @convention(c) () -> Int32
    typealias Abort = @convention(c) (UnsafeMutableRawPointer?, Int32) -> Int32

    /// The names tried, in order.
    public static let names = ["libmpi.so.40", "libmpi.so"]
    static let inPlace = UnsafeRawPointer(bitPattern: 1)

    let allreduce: Allreduce, bcast: Bcast, initThread: InitThread, commRank: CommQuery, commSize: CommQuery
    let setErrhandler: SetErrhandler, finalize: Finalize, abort: Abort
    let commWorld: UnsafeMutableRawPointer, float: UnsafeMutableRawPointer, double: UnsafeMutableRawPointer
    let int64: UnsafeMutableRawPointer, sum: UnsafeMutableRawPointer, min: UnsafeMutableRawPointer, max: UnsafeMutableRawPointer
    let errorsAreFatal: UnsafeMutableRawPointer

    /// nil with the reason when no name loads or a symbol is missing.
    static func load(_ names: [String] = names) -> Result<MPILibrary, AudioSpecNetError> {
        var tried: [String] = []
        for name in names {
            // RTLD_GLOBAL: Open MPI's own plugins (mca_*.so) resolve libmpi's symbols through the global scope
            guard let handle = dlopen(name, RTLD_NOW | RTLD_GLOBAL) else {
                tried.append("\(name) (\(dlerror().map { String(cString: $0) } ?? "not found"))")
                continue
            }
            do { return .success(try MPILibrary(handle)) } catch let e as AudioSpecNetError { return .failure(e) } catch {}
        }
        return .failure(.invalidArgument("started by an MPI launcher but Open MPI's library could not be loaded (tried \(tried.joined(separator: ", "))); install Open MPI (Debian: openmpi-bin libopenmpi3) or start one process without mpirun/srun"))
    }

    private init(_ handle: UnsafeMutableRawPointer) throws {
        func symbol(_ name: String) throws -> UnsafeMutableRawPointer {
            guard let p = dlsym(handle, name) else {
                throw AudioSpecNetError.invalidArgument("the loaded libmpi lacks \(name): this tool needs Open MPI (its ABI), not another MPI")
            }
            return p
        }
        allreduce = unsafeBitCast(try symbol("MPI_Allreduce"), to: Allreduce.self)
        bcast = unsafeBitCast(try symbol("MPI_Bcast"), to: Bcast.self)
        initThread = unsafeBitCast(try symbol("MPI_Init_thread"), to: InitThread.self)
        commRank = unsafeBitCast(try symbol("MPI_Comm_rank"), to: CommQuery.self)
        commSize = unsafeBitCast(try symbol("MPI_Comm_size"), to: CommQuery.self)
        setErrhandler = unsafeBitCast(try symbol("MPI_Comm_set_errhandler"), to: SetErrhandler.self)
        finalize = unsafeBitCast(try symbol("MPI_Finalize"), to: Finalize.self)
        abort = unsafeBitCast(try symbol("MPI_Abort"), to: Abort.self)
        commWorld = try symbol("ompi_mpi_comm_world")
        float = try symbol("ompi_mpi_float")
        double = try symbol("ompi_mpi_double")
        int64 = try symbol("ompi_mpi_int64_t")
        sum = try symbol("ompi_mpi_op_sum")
        min = try symbol("ompi_mpi_op_min")
        max = try symbol("ompi_mpi_op_max")
        errorsAreFatal = try symbol("ompi_mpi_errors_are_fatal")
    }
}
