// The oneDNN functions BertKit calls, as pointers filled by dlsym (onednn_load.c). dnnl.h gives
// the types only; nothing here links against the library. Without libdnnl-dev's headers the
// target still builds, and bk_onednn_load reports that it was built without them.
#ifndef BERTKIT_ONEDNN_SYMBOLS_H
#define BERTKIT_ONEDNN_SYMBOLS_H
#if __has_include(<oneapi/dnnl/dnnl.h>)
#define BK_HAVE_DNNL_HEADERS 1
#include <oneapi/dnnl/dnnl.h>

// Every function used, once: the table's fields, the dlsym loop and nothing else come from it.
#define BK_DNNL_FUNCTIONS(X) \
    X(dnnl_version) \
    X(dnnl_engine_create) \
    X(dnnl_stream_create) \
    X(dnnl_stream_wait) \
    X(dnnl_memory_desc_init_by_strides) \
    X(dnnl_memory_desc_init_by_tag) \
    X(dnnl_memory_desc_equal) \
    X(dnnl_primitive_desc_query_md) \
    X(dnnl_reorder_primitive_desc_create) \
    X(dnnl_matmul_desc_init) \
    X(dnnl_primitive_attr_create) \
    X(dnnl_primitive_attr_destroy) \
    X(dnnl_primitive_attr_set_output_scales) \
    X(dnnl_primitive_attr_set_post_ops) \
    X(dnnl_post_ops_create) \
    X(dnnl_post_ops_append_sum) \
    X(dnnl_post_ops_destroy) \
    X(dnnl_primitive_desc_create) \
    X(dnnl_primitive_desc_query) \
    X(dnnl_primitive_desc_destroy) \
    X(dnnl_primitive_create) \
    X(dnnl_primitive_destroy) \
    X(dnnl_memory_create) \
    X(dnnl_memory_set_data_handle) \
    X(dnnl_memory_destroy) \
    X(dnnl_primitive_execute)

// One pointer per function, typed as dnnl.h declares it: bk_dnnl.dnnl_stream_wait(stream).
#define BK_DNNL_FIELD(name) __typeof__(name) *name;
struct bk_dnnl_functions { BK_DNNL_FUNCTIONS(BK_DNNL_FIELD) };
#undef BK_DNNL_FIELD

// Set once by a successful bk_onednn_load, read-only afterwards.
extern struct bk_dnnl_functions bk_dnnl;
extern dnnl_engine_t bk_dnnl_engine;
extern dnnl_stream_t bk_dnnl_stream;

// OpenMP's thread-count functions as oneDNN's runtime library has them (libgomp for Debian's
// build), or NULL when oneDNN threads some other way. Set by a successful bk_onednn_load.
extern void (*bk_omp_set_num_threads)(int);
extern int (*bk_omp_get_max_threads)(void);

// dnnl_status_t's name ("invalid_arguments"), for messages.
const char *bk_dnnl_status_name(dnnl_status_t status);
#endif

// Whether bk_onednn_load has succeeded (the matmul functions refuse to run before).
int bk_onednn_is_loaded(void);

#endif
