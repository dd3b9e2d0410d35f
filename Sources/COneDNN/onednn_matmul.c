// oneDNN matmuls for the engine's GEMMs. Creating a primitive (choosing and JIT-compiling an
// implementation) costs far more than a small product, so each one is made once per
// (layout, m, n, k, leading dimensions, alpha, beta, B plain or packed, threads) and kept in a hash
// table of CACHE_LIMIT entries, emptied when full; a call points the entry's memory objects at
// its operands, runs the primitive and waits for it. A packed B (bk_onednn_packed_b) is a
// weight matrix reordered once into the layout the primitive asks for.
//
// One mutex covers the table and the execution: oneDNN 2.x as Debian builds it (without
// DNNL_ENABLE_CONCURRENT_EXEC) shares scratch memory between primitives, so two matmuls must
// not run at once, and a call's entry must not be emptied out from under it. The engine issues
// its GEMMs one at a time anyway; each runs on OpenMP's threads.
#include "COneDNN.h"
#include "onednn_symbols.h"
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failure(char *error, size_t error_size, const char *format, ...) __attribute__((format(printf, 3, 4)));
static int failure(char *error, size_t error_size, const char *format, ...) {
    if (error != NULL && error_size > 0) {
        va_list arguments;
        va_start(arguments, format);
        vsnprintf(error, error_size, format, arguments);
        va_end(arguments);
    }
    return 1;
}

#if BK_HAVE_DNNL_HEADERS

// ---------------------------------------------------------------- the primitive table
typedef struct {
    int transpose_a, transpose_b, beta_one;
    int b_packed;   // B in the layout the primitive chooses (ldb then 0)
    uint32_t alpha_bits;
    long m, n, k, lda, ldb, ldc;
    int threads;   // OpenMP's count in the calling thread: a primitive is made for a team size
} matmul_key;

typedef struct {
    matmul_key key;
    int used;
    dnnl_primitive_desc_t descriptor;
    dnnl_primitive_t primitive;
    dnnl_memory_t a, b, c;   // made without buffers, pointed at each call's operands (no b when packed)
    dnnl_memory_desc_t b_wanted;   // the layout of a packed B
} matmul_entry;

struct bk_onednn_packed_b {
    const uint16_t *source;
    int transpose_b;
    long n, k, ldb;
    dnnl_memory_t memory;       // NULL until the first product
    dnnl_memory_desc_t layout;  // of memory
};

// Open addressing with linear probing, at most half full.
#define CACHE_SLOTS 1024
#define CACHE_LIMIT 512

static matmul_entry cache[CACHE_SLOTS];
static long cache_count;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t mix(uint64_t h, uint64_t value) {
    h ^= value;
    h *= 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 29);
}

static size_t key_slot(const matmul_key *key) {
    uint64_t h = mix(0, (uint64_t)(key->transpose_a | key->transpose_b << 1 | key->beta_one << 2 | key->b_packed << 3));
    h = mix(h, key->alpha_bits);
    h = mix(h, (uint64_t)key->m);
    h = mix(h, (uint64_t)key->n);
    h = mix(h, (uint64_t)key->k);
    h = mix(h, (uint64_t)key->lda);
    h = mix(h, (uint64_t)key->ldb);
    h = mix(h, (uint64_t)key->ldc);
    h = mix(h, (uint64_t)key->threads);
    return (size_t)(h & (CACHE_SLOTS - 1));
}

static int key_equal(const matmul_key *x, const matmul_key *y) {
    return x->transpose_a == y->transpose_a && x->transpose_b == y->transpose_b
        && x->b_packed == y->b_packed && x->beta_one == y->beta_one && x->alpha_bits == y->alpha_bits
        && x->m == y->m && x->n == y->n && x->k == y->k
        && x->lda == y->lda && x->ldb == y->ldb && x->ldc == y->ldc && x->threads == y->threads;
}

// ---------------------------------------------------------------- threads
static int wanted_threads;          // bk_onednn_set_threads's count, 0 for OpenMP's own
static int last_product_threads;    // under cache_lock

void bk_onednn_set_threads(int threads) { __atomic_store_n(&wanted_threads, threads > 0 ? threads : 0, __ATOMIC_RELAXED); }

int bk_onednn_last_product_threads(void) {
    pthread_mutex_lock(&cache_lock);
    int threads = last_product_threads;
    pthread_mutex_unlock(&cache_lock);
    return threads;
}

// Sets the wanted count in the calling thread, where oneDNN reads it (OpenMP keeps the count
// per thread), and returns the count oneDNN will see: 0 without OpenMP. Call with cache_lock
// held.
static int apply_threads(void) {
    if (bk_omp_set_num_threads == NULL) return 0;
    int wanted = __atomic_load_n(&wanted_threads, __ATOMIC_RELAXED);
    if (wanted > 0 && bk_omp_get_max_threads() != wanted) bk_omp_set_num_threads(wanted);
    return bk_omp_get_max_threads();
}

static void destroy_entry(matmul_entry *entry) {
    if (entry->a) bk_dnnl.dnnl_memory_destroy(entry->a);
    if (entry->b) bk_dnnl.dnnl_memory_destroy(entry->b);
    if (entry->c) bk_dnnl.dnnl_memory_destroy(entry->c);
    if (entry->primitive) bk_dnnl.dnnl_primitive_destroy(entry->primitive);
    if (entry->descriptor) bk_dnnl.dnnl_primitive_desc_destroy(entry->descriptor);
    memset(entry, 0, sizeof *entry);
}

static void flush_cache(void) {
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        if (cache[i].used) destroy_entry(&cache[i]);
    }
    cache_count = 0;
}

// op(B) (k, n) of a plain B, stored [k x n] or [n x k] (transpose_b), rows ldb apart.
static dnnl_status_t plain_b_desc(dnnl_memory_desc_t *desc, int transpose_b, long n, long k, long ldb) {
    const dnnl_dims_t dims = {k, n};
    const dnnl_dims_t strides = {transpose_b ? 1 : ldb, transpose_b ? ldb : 1};
    return bk_dnnl.dnnl_memory_desc_init_by_strides(desc, 2, dims, dnnl_bf16, strides);
}

// Fills `entry` with the primitive for `key`: op(A) (m, k), op(B) (k, n), C (m, n), each
// described by its strides so that any leading dimension works, or B in the layout the
// primitive chooses when packed.
static int create_entry(matmul_entry *entry, const matmul_key *key, char *error, size_t error_size) {
    memset(entry, 0, sizeof *entry);
    const dnnl_dims_t a_dims = {key->m, key->k}, b_dims = {key->k, key->n}, c_dims = {key->m, key->n};
    // op(A)(i, p) is at i·lda + p, or at p·lda + i when A is stored [k x m]; B likewise
    const dnnl_dims_t a_strides = {key->transpose_a ? 1 : key->lda, key->transpose_a ? key->lda : 1};
    const dnnl_dims_t c_strides = {key->ldc, 1};
    dnnl_memory_desc_t a_desc, b_desc, c_desc;
    dnnl_matmul_desc_t matmul;
    dnnl_primitive_attr_t attributes = NULL;
    dnnl_post_ops_t post_ops = NULL;
    const char *step = "";
    dnnl_status_t status = dnnl_success;
    float alpha;
    memcpy(&alpha, &key->alpha_bits, sizeof alpha);

#define BK_TRY(function, ...) \
    do { step = #function; status = bk_dnnl.function(__VA_ARGS__); if (status != dnnl_success) goto failed; } while (0)
    BK_TRY(dnnl_memory_desc_init_by_strides, &a_desc, 2, a_dims, dnnl_bf16, a_strides);
    if (key->b_packed) {
        BK_TRY(dnnl_memory_desc_init_by_tag, &b_desc, 2, b_dims, dnnl_bf16, dnnl_format_tag_any);
    } else {
        step = "dnnl_memory_desc_init_by_strides";
        status = plain_b_desc(&b_desc, key->transpose_b, key->n, key->k, key->ldb);
        if (status != dnnl_success) goto failed;
    }
    BK_TRY(dnnl_memory_desc_init_by_strides, &c_desc, 2, c_dims, dnnl_f32, c_strides);
    BK_TRY(dnnl_matmul_desc_init, &matmul, &a_desc, &b_desc, NULL, &c_desc);
    BK_TRY(dnnl_primitive_attr_create, &attributes);
    // alpha scales the product before the post-ops; beta 1 is a sum post-op: C = alpha·AB + C
    if (alpha != 1.0f) BK_TRY(dnnl_primitive_attr_set_output_scales, attributes, 1, 0, &alpha);
    if (key->beta_one) {
        BK_TRY(dnnl_post_ops_create, &post_ops);
        BK_TRY(dnnl_post_ops_append_sum, post_ops, 1.0f);
        BK_TRY(dnnl_primitive_attr_set_post_ops, attributes, post_ops);
    }
    BK_TRY(dnnl_primitive_desc_create, &entry->descriptor, &matmul, attributes, bk_dnnl_engine, NULL);
    BK_TRY(dnnl_primitive_create, &entry->primitive, entry->descriptor);
    BK_TRY(dnnl_memory_create, &entry->a, &a_desc, bk_dnnl_engine, DNNL_MEMORY_NONE);
    if (key->b_packed) {
        const dnnl_memory_desc_t *wanted = bk_dnnl.dnnl_primitive_desc_query_md(entry->descriptor, dnnl_query_weights_md, 0);
        step = "dnnl_primitive_desc_query_md";
        status = wanted == NULL ? dnnl_runtime_error : dnnl_success;
        if (status != dnnl_success) goto failed;
        entry->b_wanted = *wanted;
    } else {
        BK_TRY(dnnl_memory_create, &entry->b, &b_desc, bk_dnnl_engine, DNNL_MEMORY_NONE);
    }
    BK_TRY(dnnl_memory_create, &entry->c, &c_desc, bk_dnnl_engine, DNNL_MEMORY_NONE);
#undef BK_TRY
    bk_dnnl.dnnl_primitive_attr_destroy(attributes);
    if (post_ops) bk_dnnl.dnnl_post_ops_destroy(post_ops);
    entry->key = *key;
    entry->used = 1;
    return 0;

failed:
    if (attributes) bk_dnnl.dnnl_primitive_attr_destroy(attributes);
    if (post_ops) bk_dnnl.dnnl_post_ops_destroy(post_ops);
    destroy_entry(entry);
    return failure(error, error_size,
                   "oneDNN %s: %s for a bf16 matmul, %s%s%s, m %ld n %ld k %ld, lda %ld ldb %ld ldc %ld, alpha %g beta %d",
                   step, bk_dnnl_status_name(status),
                   key->transpose_a ? "T" : "N", key->transpose_b ? "T" : "N", key->b_packed ? " (B packed)" : "",
                   key->m, key->n, key->k, key->lda, key->ldb, key->ldc, (double)alpha, key->beta_one);
}

// The entry for `key`, made if new. Call with cache_lock held.
static matmul_entry *find_entry(const matmul_key *key, char *error, size_t error_size) {
    size_t slot = key_slot(key);
    while (cache[slot].used) {
        if (key_equal(&cache[slot].key, key)) return &cache[slot];
        slot = (slot + 1) & (CACHE_SLOTS - 1);
    }
    if (cache_count >= CACHE_LIMIT) {
        flush_cache();
        slot = key_slot(key);
    }
    if (create_entry(&cache[slot], key, error, error_size) != 0) return NULL;
    cache_count += 1;
    return &cache[slot];
}

// ---------------------------------------------------------------- packed weights
bk_onednn_packed_b *bk_onednn_packed_b_create(int transpose_b, long n, long k, const uint16_t *b, long ldb) {
    bk_onednn_packed_b *packed = calloc(1, sizeof *packed);
    if (packed == NULL) return NULL;
    packed->source = b;
    packed->transpose_b = transpose_b != 0;
    packed->n = n;
    packed->k = k;
    packed->ldb = ldb;
    return packed;
}

void bk_onednn_packed_b_destroy(bk_onednn_packed_b *packed) {
    if (packed == NULL) return;
    if (packed->memory) bk_dnnl.dnnl_memory_destroy(packed->memory);
    free(packed);
}

// Makes `packed` hold its matrix in the layout `wanted` (reordered from the plain source),
// unless it already does. Call with cache_lock held.
static dnnl_status_t pack(bk_onednn_packed_b *packed, const dnnl_memory_desc_t *wanted, const char **step) {
    if (packed->memory != NULL && bk_dnnl.dnnl_memory_desc_equal(&packed->layout, wanted)) return dnnl_success;
    if (packed->memory != NULL) {
        bk_dnnl.dnnl_memory_destroy(packed->memory);
        packed->memory = NULL;
    }
    dnnl_memory_desc_t plain;
    dnnl_memory_t from = NULL, to = NULL;
    dnnl_primitive_desc_t reorder_desc = NULL;
    dnnl_primitive_t reorder = NULL;
    dnnl_status_t status;
#define BK_PACK(function, ...) \
    do { *step = #function; status = bk_dnnl.function(__VA_ARGS__); if (status != dnnl_success) goto done; } while (0)
    *step = "dnnl_memory_desc_init_by_strides";
    status = plain_b_desc(&plain, packed->transpose_b, packed->n, packed->k, packed->ldb);
    if (status != dnnl_success) goto done;
    BK_PACK(dnnl_memory_create, &from, &plain, bk_dnnl_engine, (void *)packed->source);
    BK_PACK(dnnl_memory_create, &to, wanted, bk_dnnl_engine, DNNL_MEMORY_ALLOCATE);
    BK_PACK(dnnl_reorder_primitive_desc_create, &reorder_desc, &plain, bk_dnnl_engine, wanted, bk_dnnl_engine, NULL);
    BK_PACK(dnnl_primitive_create, &reorder, reorder_desc);
    dnnl_exec_arg_t arguments[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    BK_PACK(dnnl_primitive_execute, reorder, bk_dnnl_stream, 2, arguments);
    BK_PACK(dnnl_stream_wait, bk_dnnl_stream);
#undef BK_PACK
    packed->memory = to;
    packed->layout = *wanted;
    to = NULL;
done:
    if (reorder) bk_dnnl.dnnl_primitive_destroy(reorder);
    if (reorder_desc) bk_dnnl.dnnl_primitive_desc_destroy(reorder_desc);
    if (from) bk_dnnl.dnnl_memory_destroy(from);
    if (to) bk_dnnl.dnnl_memory_destroy(to);
    return status;
}

// ---------------------------------------------------------------- the products
// B is `b` (ldb apart), or `packed` when that is not NULL (then b is NULL and ldb 0).
static int matmul(int transpose_a, int transpose_b, long m, long n, long k, float alpha,
                  const void *a, long lda, const void *b, long ldb, bk_onednn_packed_b *packed,
                  float beta, float *c, long ldc, char *error, size_t error_size) {
    if (!bk_onednn_is_loaded()) return failure(error, error_size, "oneDNN is not loaded (call bk_onednn_load first)");
    if (beta != 0.0f && beta != 1.0f) return failure(error, error_size, "matmul: beta is %g; only 0 and 1 are supported", (double)beta);
    if (m < 0 || n < 0 || k < 0) return failure(error, error_size, "matmul: negative size m %ld n %ld k %ld", m, n, k);
    if (m == 0 || n == 0) return 0;
    if (k == 0) {
        // an empty sum: C = beta·C
        if (beta == 0.0f) {
            for (long i = 0; i < m; i++) memset(c + i * ldc, 0, (size_t)n * sizeof(float));
        }
        return 0;
    }
    transpose_a = transpose_a != 0;
    transpose_b = transpose_b != 0;
    long a_columns = transpose_a ? m : k, b_columns = packed != NULL ? 0 : transpose_b ? k : n;
    if (lda < a_columns || ldb < b_columns || ldc < n) {
        return failure(error, error_size, "matmul: leading dimensions lda %ld ldb %ld ldc %ld below the rows' widths %ld, %ld, %ld",
                       lda, ldb, ldc, a_columns, b_columns, n);
    }
    if (a == NULL || (b == NULL && packed == NULL) || c == NULL) return failure(error, error_size, "matmul: a NULL operand");
    if (packed != NULL && (packed->n != n || packed->k != k)) {
        return failure(error, error_size, "matmul: a packed B of n %ld k %ld for a product of n %ld k %ld", packed->n, packed->k, n, k);
    }

    matmul_key key;
    memset(&key, 0, sizeof key);
    key.transpose_a = transpose_a;
    key.transpose_b = transpose_b;
    key.b_packed = packed != NULL;
    key.beta_one = beta == 1.0f;
    memcpy(&key.alpha_bits, &alpha, sizeof alpha);
    key.m = m; key.n = n; key.k = k;
    key.lda = lda; key.ldb = ldb; key.ldc = ldc;

    pthread_mutex_lock(&cache_lock);
    key.threads = apply_threads();
    last_product_threads = key.threads;
    int result = 0;
    matmul_entry *entry = find_entry(&key, error, error_size);
    if (entry == NULL) {
        result = 1;
    } else {
        const char *step = "dnnl_memory_set_data_handle";
        dnnl_status_t status = bk_dnnl.dnnl_memory_set_data_handle(entry->a, (void *)a);
        if (status == dnnl_success) {
            status = packed != NULL ? pack(packed, &entry->b_wanted, &step) : bk_dnnl.dnnl_memory_set_data_handle(entry->b, (void *)b);
        }
        if (status == dnnl_success) status = bk_dnnl.dnnl_memory_set_data_handle(entry->c, c);
        if (status == dnnl_success) {
            step = "dnnl_primitive_execute";
            dnnl_exec_arg_t arguments[3] = {
                {DNNL_ARG_SRC, entry->a}, {DNNL_ARG_WEIGHTS, packed != NULL ? packed->memory : entry->b}, {DNNL_ARG_DST, entry->c}};
            status = bk_dnnl.dnnl_primitive_execute(entry->primitive, bk_dnnl_stream, 3, arguments);
        }
        if (status == dnnl_success) {
            step = "dnnl_stream_wait";
            status = bk_dnnl.dnnl_stream_wait(bk_dnnl_stream);
        }
        if (status != dnnl_success) {
            result = failure(error, error_size, "oneDNN %s: %s for a bf16 matmul, m %ld n %ld k %ld",
                             step, bk_dnnl_status_name(status), m, n, k);
        }
    }
    pthread_mutex_unlock(&cache_lock);
    return result;
}

int bk_onednn_matmul_bf16(int transpose_a, int transpose_b, long m, long n, long k, float alpha,
                          const uint16_t *a, long lda, const uint16_t *b, long ldb,
                          float beta, float *c, long ldc, char *error, size_t error_size) {
    return matmul(transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, NULL, beta, c, ldc, error, error_size);
}

// A primitive is made per row count, and a server's passes have every row count from 1 to
// thousands (the tokens of the sequences that arrived together): made for each, the primitives
// (ours, and oneDNN's own cache behind them) grew a bf16 server's memory by 40% in ten minutes.
// So the rows go in pieces of 256 and of 64, then the rest (under 64): 66 row counts per weight
// whatever the passes hold, and one piece for the few rows of a single sentence.
#define PACKED_PIECE_LARGE 256
#define PACKED_PIECE_SMALL 64

int bk_onednn_matmul_bf16_packed(int transpose_a, long m, long n, long k, float alpha,
                                 const uint16_t *a, long lda, bk_onednn_packed_b *b,
                                 float beta, float *c, long ldc, char *error, size_t error_size) {
    if (b == NULL) return failure(error, error_size, "matmul: a NULL packed B");
    if (m <= 0 || a == NULL || c == NULL) {
        // nothing to split: the checks' answer (or no work)
        return matmul(transpose_a, b->transpose_b, m, n, k, alpha, a, lda, NULL, 0, b, beta, c, ldc, error, error_size);
    }
    for (long row = 0; row < m;) {
        long left = m - row;
        long rows = left >= PACKED_PIECE_LARGE ? PACKED_PIECE_LARGE : left >= PACKED_PIECE_SMALL ? PACKED_PIECE_SMALL : left;
        // op(A)'s rows row..<row+rows: rows of A, or columns of A when it is stored [k x m]
        const uint16_t *piece = transpose_a ? a + row : a + row * lda;
        int status = matmul(transpose_a, b->transpose_b, rows, n, k, alpha, piece, lda, NULL, 0, b, beta,
                            c + row * ldc, ldc, error, error_size);
        if (status != 0) return status;
        row += rows;
    }
    return 0;
}


// ---------------------------------------------------------------- implementation names
// Copies of the names oneDNN reports, kept for the process's life (an entry, and the name it
// owns, may be emptied out of the table). There are few: one per oneDNN implementation.
typedef struct implementation_name {
    struct implementation_name *next;
    char text[];
} implementation_name;
static implementation_name *implementation_names;

static const char *intern(const char *text) {
    for (implementation_name *name = implementation_names; name != NULL; name = name->next) {
        if (strcmp(name->text, text) == 0) return name->text;
    }
    size_t length = strlen(text);
    implementation_name *name = malloc(sizeof *name + length + 1);
    if (name == NULL) return NULL;
    memcpy(name->text, text, length + 1);
    name->next = implementation_names;
    implementation_names = name;
    return name->text;
}

const char *bk_onednn_matmul_impl(int transpose_a, int transpose_b, long m, long n, long k) {
    if (!bk_onednn_is_loaded() || m <= 0 || n <= 0 || k <= 0) return NULL;
    matmul_key key;
    memset(&key, 0, sizeof key);
    key.transpose_a = transpose_a != 0;
    key.transpose_b = transpose_b != 0;
    float one = 1.0f;
    memcpy(&key.alpha_bits, &one, sizeof one);
    key.m = m; key.n = n; key.k = k;
    key.lda = key.transpose_a ? m : k;
    key.ldb = key.transpose_b ? k : n;
    key.ldc = n;

    pthread_mutex_lock(&cache_lock);
    key.threads = apply_threads();
    const char *result = NULL;
    matmul_entry *entry = find_entry(&key, NULL, 0);
    const char *text = NULL;
    if (entry != NULL
        && bk_dnnl.dnnl_primitive_desc_query(entry->descriptor, dnnl_query_impl_info_str, 0, &text) == dnnl_success
        && text != NULL) {
        result = intern(text);
    }
    pthread_mutex_unlock(&cache_lock);
    return result;
}

#else  // built without oneDNN's headers: bk_onednn_load has failed, so nothing here runs

int bk_onednn_matmul_bf16(int transpose_a, int transpose_b, long m, long n, long k, float alpha,
                          const uint16_t *a, long lda, const uint16_t *b, long ldb,
                          float beta, float *c, long ldc, char *error, size_t error_size) {
    return failure(error, error_size, "BertKit was built without oneDNN's headers (libdnnl-dev)");
}


bk_onednn_packed_b *bk_onednn_packed_b_create(int transpose_b, long n, long k, const uint16_t *b, long ldb) { return NULL; }

void bk_onednn_packed_b_destroy(bk_onednn_packed_b *packed) {}

int bk_onednn_matmul_bf16_packed(int transpose_a, long m, long n, long k, float alpha,
                                 const uint16_t *a, long lda, bk_onednn_packed_b *b,
                                 float beta, float *c, long ldc, char *error, size_t error_size) {
    return failure(error, error_size, "BertKit was built without oneDNN's headers (libdnnl-dev)");
}

const char *bk_onednn_matmul_impl(int transpose_a, int transpose_b, long m, long n, long k) { return NULL; }

void bk_onednn_set_threads(int threads) {}

int bk_onednn_last_product_threads(void) { return 0; }

#endif
