// Open MPI, loaded at run time (dlopen), for data-parallel training: a build needs no MPI
// headers and a run without mpirun never touches the library. BertKit declares the few calls it
// makes itself, in Open MPI's ABI (handles are addresses of the library's predefined objects,
// MPI_IN_PLACE is 1), so it binds to libmpi.so.40 of Open MPI 4.x (Debian's openmpi-bin).
// Every function here is called from one thread only, the one that called bk_mpi_init
// (MPI_THREAD_FUNNELED): Sources/Distributed funnels all communication through that thread.
#ifndef BERTKIT_CMPI_H
#define BERTKIT_CMPI_H
#include <stddef.h>
#include <stdint.h>

enum {
    BK_MPI_OK = 0,
    BK_MPI_LIBRARY_NOT_FOUND = 1,
    BK_MPI_MISSING_SYMBOL = 2,
    BK_MPI_CALL_FAILED = 3,
};

/// dlopens libmpi (RTLD_GLOBAL: Open MPI's own plugins resolve their symbols against it) and
/// looks up every function and predefined handle. Once per process; later calls return the
/// first outcome. On failure `bk_mpi_load_error()` says why.
int bk_mpi_load(void);
const char *bk_mpi_load_error(void);

/// MPI_Init_thread(MPI_THREAD_FUNNELED); the rank and size of MPI_COMM_WORLD.
int bk_mpi_init(int *rank, int *size);
int bk_mpi_finalize(void);
/// MPI_Abort on MPI_COMM_WORLD: the launcher stops every rank.
void bk_mpi_abort(int code);

/// In-place sums over all ranks (counts above INT_MAX are split into several calls).
int bk_mpi_allreduce_sum_float(float *values, size_t count);
int bk_mpi_allreduce_sum_double(double *values, size_t count);
/// In-place maximum over all ranks.
int bk_mpi_allreduce_max_double(double *values, size_t count);
/// `bytes` from `root` to every rank.
int bk_mpi_broadcast(void *bytes, size_t count, int root);
/// Every rank's `value` to every rank: `values` has one slot per rank.
int bk_mpi_allgather_int64(int64_t value, int64_t *values);
/// Rank r's `count` bytes into `received` at `offsets[r]` on every rank (`counts[r]` bytes).
int bk_mpi_allgatherv_bytes(const void *bytes, int count, void *received, const int *counts, const int *offsets);
int bk_mpi_barrier(void);
/// The text of an MPI error code.
void bk_mpi_error_string(int code, char *text, int capacity);

#endif
