import Foundation

/// Which process group this process belongs to, from the environment its launcher set.
public enum Launcher {
    /// The world size a launcher announced: Open MPI's `mpirun` sets OMPI_COMM_WORLD_SIZE; `srun --mpi=pmix`
    /// sets PMIX_RANK and Slurm's PMI_SIZE/SLURM_NTASKS. nil when no launcher started this process.
    public static func announcedSize(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Int? {
        for key in ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE"] {
            if let v = environment[key] { return Int(v) ?? 0 }
        }
        if environment["PMIX_RANK"] != nil { return environment["SLURM_NTASKS"].flatMap { Int($0) } ?? 0 }
        return nil
    }

    /// One process alone unless a launcher started more than one (or an unknown number): then Open MPI's
    /// library (the first of `libraries` that loads) is loaded and initialised. Throws, rather than training
    /// N independent copies, when it cannot be, or when MPI's world is not the size the launcher announced
    /// (`srun` without `--mpi=pmix` starts N singletons).
    public static func processGroup(_ environment: [String: String] = ProcessInfo.processInfo.environment,
                                    libraries: [String] = MPILibrary.names) throws -> ProcessGroup {
        // A plain `srun -n N` (MpiDefault=none) sets no PMI variable: N tasks that would each train alone into
        // the same run folder. Slurm sets SLURM_STEP_NUM_TASKS in an srun step only, not in the batch shell.
        if announcedSize(environment) == nil, let tasks = environment["SLURM_STEP_NUM_TASKS"].flatMap({ Int($0) }), tasks > 1 {
            throw AudioSpecNetError.invalidArgument("srun started \(tasks) tasks without an MPI plugin: each would train alone into the same run folder; start them with `srun --mpi=pmix`")
        }
        guard let announced = announcedSize(environment), announced != 1 else { return SingleProcess() }
        let group: MPIProcessGroup
        switch MPILibrary.load(libraries) {
        case .failure(let error): throw error
        case .success(let library): group = try MPIProcessGroup(library: library)
        }
        if announced > 1 && group.size != announced {
            let size = group.size
            group.finish(failed: false, code: 0)
            throw AudioSpecNetError.invalidArgument("the launcher started \(announced) processes but MPI's world has \(size): each would train alone (under Slurm use `srun --mpi=pmix`)")
        }
        return group
    }
}
