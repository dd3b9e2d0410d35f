// Binding to Open MPI at run time: dlopen, then dlsym of the functions BertKit calls and of the
// predefined objects whose addresses are Open MPI's handles (MPI_COMM_WORLD is
// &ompi_mpi_comm_world, MPI_FLOAT is &ompi_mpi_float, ...).
#include "CMPI.h"
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

typedef void *handle_t;   // MPI_Comm, MPI_Datatype, MPI_Op: pointers in Open MPI's ABI
#define BK_IN_PLACE ((void *)1)
#define BK_THREAD_FUNNELED 1

static struct {
    int (*init_thread)(int *, char ***, int, int *);
    int (*finalize)(void);
    int (*abort)(handle_t, int);
    int (*comm_rank)(handle_t, int *);
    int (*comm_size)(handle_t, int *);
    int (*allreduce)(const void *, void *, int, handle_t, handle_t, handle_t);
    int (*bcast)(void *, int, handle_t, int, handle_t);
    int (*allgather)(const void *, int, handle_t, void *, int, handle_t, handle_t);
    int (*allgatherv)(const void *, int, handle_t, void *, const int *, const int *, handle_t, handle_t);
    int (*barrier)(handle_t);
    int (*error_string)(int, char *, int *);
} mpi;

static handle_t comm_world, type_float, type_double, type_byte, type_int64, op_sum, op_max;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static int load_result = BK_MPI_LIBRARY_NOT_FOUND;
static char load_error[512] = "";

// Open MPI 4.x's soname first, then the development link (libopenmpi-dev).
static const char *const library_names[] = {"libmpi.so.40", "libmpi.so"};

static void load(void) {
    void *library = NULL;
    const char *name = NULL;
    for (size_t i = 0; i < sizeof library_names / sizeof library_names[0] && library == NULL; i++) {
        name = library_names[i];
        library = dlopen(name, RTLD_NOW | RTLD_GLOBAL);
        if (library == NULL && i == 0) snprintf(load_error, sizeof load_error, "%s", dlerror());
    }
    if (library == NULL) { load_result = BK_MPI_LIBRARY_NOT_FOUND; return; }

#define LOOKUP(target, symbol) \
    { \
        void *address = dlsym(library, symbol); \
        if (address == NULL) { \
            snprintf(load_error, sizeof load_error, "%s has no %s; BertKit needs Open MPI 4.x", name, symbol); \
            load_result = BK_MPI_MISSING_SYMBOL; \
            return; \
        } \
        memcpy(&(target), &address, sizeof address); \
    }
    LOOKUP(mpi.init_thread, "MPI_Init_thread")
    LOOKUP(mpi.finalize, "MPI_Finalize")
    LOOKUP(mpi.abort, "MPI_Abort")
    LOOKUP(mpi.comm_rank, "MPI_Comm_rank")
    LOOKUP(mpi.comm_size, "MPI_Comm_size")
    LOOKUP(mpi.allreduce, "MPI_Allreduce")
    LOOKUP(mpi.bcast, "MPI_Bcast")
    LOOKUP(mpi.allgather, "MPI_Allgather")
    LOOKUP(mpi.allgatherv, "MPI_Allgatherv")
    LOOKUP(mpi.barrier, "MPI_Barrier")
    LOOKUP(mpi.error_string, "MPI_Error_string")
    // the handles are the objects' addresses themselves
    LOOKUP(comm_world, "ompi_mpi_comm_world")
    LOOKUP(type_float, "ompi_mpi_float")
    LOOKUP(type_double, "ompi_mpi_double")
    LOOKUP(type_byte, "ompi_mpi_byte")
    LOOKUP(type_int64, "ompi_mpi_long_long_int")
    LOOKUP(op_sum, "ompi_mpi_op_sum")
    LOOKUP(op_max, "ompi_mpi_op_max")
#undef LOOKUP
    load_result = BK_MPI_OK;
}

int bk_mpi_load(void) {
    pthread_once(&load_once, load);
    return load_result;
}

const char *bk_mpi_load_error(void) { return load_error; }

int bk_mpi_init(int *rank, int *size) {
    int provided = 0;
    int status = mpi.init_thread(NULL, NULL, BK_THREAD_FUNNELED, &provided);
    if (status != 0) return status;
    if (provided < BK_THREAD_FUNNELED) return BK_MPI_CALL_FAILED;
    status = mpi.comm_rank(comm_world, rank);
    if (status != 0) return status;
    return mpi.comm_size(comm_world, size);
}

int bk_mpi_finalize(void) { return mpi.finalize(); }

void bk_mpi_abort(int code) { mpi.abort(comm_world, code); }

// MPI counts are ints: a buffer of more elements goes in pieces.
static int allreduce_in_place(void *values, size_t count, size_t element_size, handle_t type, handle_t op) {
    char *bytes = values;
    while (count > 0) {
        int piece = count > INT_MAX ? INT_MAX : (int)count;
        int status = mpi.allreduce(BK_IN_PLACE, bytes, piece, type, op, comm_world);
        if (status != 0) return status;
        bytes += (size_t)piece * element_size;
        count -= (size_t)piece;
    }
    return 0;
}

int bk_mpi_allreduce_sum_float(float *values, size_t count) {
    return allreduce_in_place(values, count, sizeof(float), type_float, op_sum);
}

int bk_mpi_allreduce_sum_double(double *values, size_t count) {
    return allreduce_in_place(values, count, sizeof(double), type_double, op_sum);
}

int bk_mpi_allreduce_max_double(double *values, size_t count) {
    return allreduce_in_place(values, count, sizeof(double), type_double, op_max);
}

int bk_mpi_broadcast(void *bytes, size_t count, int root) {
    char *cursor = bytes;
    while (count > 0) {
        int piece = count > INT_MAX ? INT_MAX : (int)count;
        int status = mpi.bcast(cursor, piece, type_byte, root, comm_world);
        if (status != 0) return status;
        cursor += piece;
        count -= (size_t)piece;
    }
    return 0;
}

int bk_mpi_allgather_int64(int64_t value, int64_t *values) {
    return mpi.allgather(&value, 1, type_int64, values, 1, type_int64, comm_world);
}

int bk_mpi_allgatherv_bytes(const void *bytes, int count, void *received, const int *counts, const int *offsets) {
    return mpi.allgatherv(bytes, count, type_byte, received, counts, offsets, type_byte, comm_world);
}

int bk_mpi_barrier(void) { return mpi.barrier(comm_world); }

void bk_mpi_error_string(int code, char *text, int capacity) {
    int length = 0;
    if (mpi.error_string == NULL || mpi.error_string(code, text, &length) != 0) {
        snprintf(text, (size_t)capacity, "MPI error %d", code);
    }
}
