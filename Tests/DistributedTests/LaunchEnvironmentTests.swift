import XCTest
@testable import Distributed

/// Which processes join an MPI job: those that mpirun or an MPI srun started, read from the
/// launcher's environment; nothing else (a plain run must never load MPI).
final class LaunchEnvironmentTests: XCTestCase {
    func testMpirunsVariables() {
        let launch = LaunchEnvironment.detect([
            "OMPI_COMM_WORLD_SIZE": "4", "OMPI_COMM_WORLD_RANK": "3",
            "OMPI_COMM_WORLD_LOCAL_SIZE": "2", "OMPI_COMM_WORLD_LOCAL_RANK": "1",
        ])
        XCTAssertEqual(launch, LaunchEnvironment(launcher: "mpirun", size: 4, rank: 3, localSize: 2, localRank: 1))
    }

    func testSrunWithPMIx() {
        let launch = LaunchEnvironment.detect([
            "SLURM_NTASKS": "8", "SLURM_PROCID": "5", "SLURM_LOCALID": "1",
            "SLURM_TASKS_PER_NODE": "4(x2)", "PMIX_RANK": "5",
        ])
        XCTAssertEqual(launch, LaunchEnvironment(launcher: "srun", size: 8, rank: 5, localSize: 4, localRank: 1))
    }

    /// MPICH's mpiexec: detected, so that joining fails with Open MPI's name instead of N copies
    /// training alone.
    func testMPICHsMpiexecIsSeen() {
        let launch = LaunchEnvironment.detect(["PMI_SIZE": "2", "PMI_RANK": "1", "MPI_LOCALNRANKS": "2", "MPI_LOCALRANKID": "1"])
        XCTAssertEqual(launch, LaunchEnvironment(launcher: "mpiexec", size: 2, rank: 1, localSize: 2, localRank: 1))
    }

    func testNoLauncherMeansNoJob() {
        XCTAssertNil(LaunchEnvironment.detect([:]))
        XCTAssertNil(LaunchEnvironment.detect(["PATH": "/usr/bin", "HOME": "/root"]))
        // a Slurm allocation running bertkit as a plain task (no PMI offered) is one process
        XCTAssertNil(LaunchEnvironment.detect(["SLURM_NTASKS": "2", "SLURM_PROCID": "0"]))
        // a rank without a size is not a job either
        XCTAssertNil(LaunchEnvironment.detect(["OMPI_COMM_WORLD_RANK": "0"]))
    }

    func testSlurmTaskCounts() {
        XCTAssertEqual(LaunchEnvironment.firstTaskCount("4(x2),3"), 4)
        XCTAssertEqual(LaunchEnvironment.firstTaskCount("2"), 2)
        XCTAssertNil(LaunchEnvironment.firstTaskCount("x"))
    }
}
