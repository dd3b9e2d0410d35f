// Loading oneDNN at run time: dlopen, dlsym every function of BK_DNNL_FUNCTIONS, one CPU engine
// and one stream, once per process (pthread_once), the outcome kept for later callers.
#include "COneDNN.h"
#include "onednn_symbols.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static int load_result = BK_ONEDNN_LIBRARY_NOT_FOUND;
static char load_error[512] = "";
static int version_numbers[3];

#if BK_HAVE_DNNL_HEADERS
struct bk_dnnl_functions bk_dnnl;
dnnl_engine_t bk_dnnl_engine;
dnnl_stream_t bk_dnnl_stream;
void (*bk_omp_set_num_threads)(int);
int (*bk_omp_get_max_threads)(void);

const char *bk_dnnl_status_name(dnnl_status_t status) {
    switch (status) {
    case dnnl_success: return "success";
    case dnnl_out_of_memory: return "out_of_memory";
    case dnnl_invalid_arguments: return "invalid_arguments";
    case dnnl_unimplemented: return "unimplemented";
    case dnnl_iterator_ends: return "iterator_ends";
    case dnnl_runtime_error: return "runtime_error";
    case dnnl_not_required: return "not_required";
    }
    return "unknown status";
}

// The soname first (what libdnnl2 installs), then the development link (libdnnl-dev).
static const char *const library_names[] = {"libdnnl.so.2", "libdnnl.so"};

static int load_library(void) {
    void *handle = NULL;
    const char *name = NULL;
    for (size_t i = 0; i < sizeof library_names / sizeof library_names[0] && handle == NULL; i++) {
        name = library_names[i];
        handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
        // the first name's failure says most (the soname a package installs)
        if (handle == NULL && i == 0) snprintf(load_error, sizeof load_error, "%s", dlerror());
    }
    if (handle == NULL) return BK_ONEDNN_LIBRARY_NOT_FOUND;

#define BK_DNNL_LOOKUP(symbol) \
    { \
        void *address = dlsym(handle, #symbol); \
        if (address == NULL) { \
            snprintf(load_error, sizeof load_error, "%s has no %s; BertKit needs oneDNN 2.x", name, #symbol); \
            dlclose(handle); \
            return BK_ONEDNN_MISSING_SYMBOL; \
        } \
        memcpy(&bk_dnnl.symbol, &address, sizeof address); \
    }
    BK_DNNL_FUNCTIONS(BK_DNNL_LOOKUP)
#undef BK_DNNL_LOOKUP

    // dlsym on the handle searches oneDNN's dependencies too, its OpenMP runtime among them
    void *set_threads = dlsym(handle, "omp_set_num_threads"), *max_threads = dlsym(handle, "omp_get_max_threads");
    if (set_threads != NULL && max_threads != NULL) {
        memcpy(&bk_omp_set_num_threads, &set_threads, sizeof set_threads);
        memcpy(&bk_omp_get_max_threads, &max_threads, sizeof max_threads);
    }

    const dnnl_version_t *version = bk_dnnl.dnnl_version();
    dnnl_status_t status = bk_dnnl.dnnl_engine_create(&bk_dnnl_engine, dnnl_cpu, 0);
    if (status == dnnl_success) {
        status = bk_dnnl.dnnl_stream_create(&bk_dnnl_stream, bk_dnnl_engine, dnnl_stream_default_flags);
    }
    if (status != dnnl_success) {
        snprintf(load_error, sizeof load_error, "%s %d.%d.%d: cannot create a CPU engine and stream (%s)",
                 name, version->major, version->minor, version->patch, bk_dnnl_status_name(status));
        return BK_ONEDNN_ENGINE_FAILED;
    }
    version_numbers[0] = version->major;
    version_numbers[1] = version->minor;
    version_numbers[2] = version->patch;
    return 0;
}
#else
static int load_library(void) {
    snprintf(load_error, sizeof load_error, "BertKit was built without oneDNN's headers (libdnnl-dev)");
    return BK_ONEDNN_LIBRARY_NOT_FOUND;
}
#endif

// Set (release) after a successful load, so that a thread that sees it sees the table too.
static int loaded;

static void load_once_body(void) {
    load_result = load_library();
    if (load_result == 0) __atomic_store_n(&loaded, 1, __ATOMIC_RELEASE);
}

int bk_onednn_load(char *error, size_t error_size) {
    pthread_once(&load_once, load_once_body);
    if (load_result != 0 && error != NULL && error_size > 0) snprintf(error, error_size, "%s", load_error);
    return load_result;
}

int bk_onednn_is_loaded(void) { return __atomic_load_n(&loaded, __ATOMIC_ACQUIRE); }

void bk_onednn_version(int *major, int *minor, int *patch) {
    *major = version_numbers[0];
    *minor = version_numbers[1];
    *patch = version_numbers[2];
}
