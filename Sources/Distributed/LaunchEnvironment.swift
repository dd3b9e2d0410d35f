import Foundation

/// What the launcher says about this process's place in the job, read from its environment
/// before MPI is loaded: Open MPI's `mpirun` sets OMPI_COMM_WORLD_*, Slurm's `srun` sets
/// SLURM_* (and PMIx's PMIX_RANK when it starts an MPI job), MPICH's `mpiexec` PMI_SIZE and
/// PMI_RANK. No launcher, no world: the process
/// runs alone, exactly as without MPI.
public struct LaunchEnvironment: Equatable, Sendable {
    public var launcher: String
    public var size: Int
    public var rank: Int
    /// How many ranks share this host, and this one's index among them: a rank's default thread
    /// count is the host's cores divided by `localSize`.
    public var localSize: Int
    public var localRank: Int

    /// nil when no launcher started this process as part of a job.
    public static func detect(_ environment: [String: String]) -> LaunchEnvironment? {
        func number(_ key: String) -> Int? { environment[key].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } }
        if let size = number("OMPI_COMM_WORLD_SIZE"), let rank = number("OMPI_COMM_WORLD_RANK") {
            return LaunchEnvironment(launcher: "mpirun", size: size, rank: rank,
                                     localSize: number("OMPI_COMM_WORLD_LOCAL_SIZE") ?? 1,
                                     localRank: number("OMPI_COMM_WORLD_LOCAL_RANK") ?? 0)
        }
        // srun: an MPI job only when PMIx (or PMI-2) is offered to it; a plain `srun bertkit`
        // of one task is a single process
        if let size = number("SLURM_NTASKS"), let rank = number("SLURM_PROCID"),
           environment["PMIX_RANK"] != nil || environment["PMI_RANK"] != nil {
            let localSize = environment["SLURM_TASKS_PER_NODE"].flatMap(Self.firstTaskCount) ?? 1
            return LaunchEnvironment(launcher: "srun", size: size, rank: rank, localSize: localSize,
                                     localRank: number("SLURM_LOCALID") ?? 0)
        }
        // MPICH's and Intel MPI's mpiexec (Hydra): BertKit cannot join their jobs (it binds to
        // Open MPI's ABI), but it must know it is in one, to refuse rather than run N copies
        // that each train alone into the same output folder
        if let size = number("PMI_SIZE"), let rank = number("PMI_RANK") {
            return LaunchEnvironment(launcher: "mpiexec", size: size, rank: rank,
                                     localSize: number("MPI_LOCALNRANKS") ?? 1, localRank: number("MPI_LOCALRANKID") ?? 0)
        }
        return nil
    }

    /// Slurm writes tasks per node as "4(x2),3": the first node's count is enough for a job
    /// whose nodes all run as many ranks (what docs/distributed.md asks for).
    static func firstTaskCount(_ text: String) -> Int? {
        let first = text.split(separator: ",").first.map { $0.split(separator: "(").first.map(String.init) ?? "" } ?? ""
        return Int(first)
    }
}
