/// Process-wide compute settings, set once by each command from `--threads`.
public enum Runtime {
    /// The network's kernels split work over `Parallel.threads` workers themselves and call BLAS inside
    /// each, so BLAS runs single-threaded whenever we do the threading.
    public static func configureThreads(_ threads: Int) {
        let n = max(1, threads)
        Parallel.threads = n
        BLASThreads.set(1)
    }
}
