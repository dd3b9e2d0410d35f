// COneDNN: oneDNN's matmul for BertKit's bf16 precision, through the library's C API.
//
// The library is not linked: bk_onednn_load dlopens libdnnl.so.2 (or libdnnl.so) at the first
// bf16 use and dlsyms the functions below need, so that an fp32 run needs no oneDNN at all. The
// oneDNN here is 2.x (Debian's libdnnl2, built with OpenMP): its OpenMP runtime reads
// OMP_NUM_THREADS and OMP_WAIT_POLICY once, as the library loads, so the caller (OneDNN.swift)
// sets them before calling bk_onednn_load; the thread count can change later
// (bk_onednn_set_threads).
//
// Matrices are row-major. C[m x n] = alpha·op(A)[m x k]·op(B)[k x n] + beta·C, with A and B
// bfloat16 bit patterns (uint16_t) and C float32. transpose_a means A is
// stored [k x m] (lda apart), transpose_b that B is stored [n x k] (ldb apart). beta is 0 (C is
// written, never read) or 1 (C accumulates). Functions that can fail return 0 on success, or
// nonzero with a one-line reason in error[0 ..< error_size].
#ifndef BERTKIT_CONEDNN_H
#define BERTKIT_CONEDNN_H
#include <stddef.h>
#include <stdint.h>

// bk_onednn_load's results other than 0.
#define BK_ONEDNN_LIBRARY_NOT_FOUND 1   // dlopen failed (error holds dlerror's text)
#define BK_ONEDNN_MISSING_SYMBOL 2      // the library lacks a function (not oneDNN 2.x)
#define BK_ONEDNN_ENGINE_FAILED 3       // the CPU engine or its stream could not be created

// Loads the library, its functions, one CPU engine and one stream. Once per process (later
// calls return the first call's result); safe to call from any thread.
int bk_onednn_load(char *error, size_t error_size);
// The loaded library's version (zeros before a successful load).
void bk_onednn_version(int *major, int *minor, int *patch);

// The product. Thread-safe: calls are serialised (oneDNN 2.x's default build shares scratch
// memory between primitives, so two may not run at once), each runs on OpenMP's threads.
// m == 0 or n == 0 does nothing; k == 0 sets C = beta·C.
int bk_onednn_matmul_bf16(int transpose_a, int transpose_b, long m, long n, long k, float alpha,
                          const uint16_t *a, long lda, const uint16_t *b, long ldb,
                          float beta, float *c, long ldc, char *error, size_t error_size);

// The threads each later product runs on, from any thread; 0 (the default) leaves OpenMP's
// count, OMP_NUM_THREADS as the library loaded. oneDNN sizes a product's team by the calling
// thread's OpenMP setting when it makes the primitive and when it runs it, and OpenMP reads
// OMP_NUM_THREADS only once, so a count decided after the load (a task's `threads`, a rank's
// share of the cores) reaches oneDNN only through here: each product sets it in its calling
// thread (omp_set_num_threads) first. Does nothing when oneDNN was not built with OpenMP.
void bk_onednn_set_threads(int threads);
// The OpenMP threads the latest product was made and run for (omp_get_max_threads in its
// calling thread, what oneDNN reads), 0 before any product or without OpenMP. For tests.
int bk_onednn_last_product_threads(void);

// A weight matrix as op(B) of many products: oneDNN's matmul wants B in a blocked layout of its
// own and, given a plain one, copies it into that layout at every call, which for a product of
// few rows (one sentence's tokens) costs as much as the multiplication. A packed B is copied
// once, at its first product (and again only if a later product wants another layout); the
// plain matrix must stay unchanged and alive as long as the packed one is used. Each one is
// used by one thread at a time.
typedef struct bk_onednn_packed_b bk_onednn_packed_b;
// op(B) is (k x n): stored [k x n] with rows ldb apart, or [n x k] when transpose_b. NULL when
// out of memory.
bk_onednn_packed_b *bk_onednn_packed_b_create(int transpose_b, long n, long k, const uint16_t *b, long ldb);
void bk_onednn_packed_b_destroy(bk_onednn_packed_b *packed);
// bk_onednn_matmul_bf16 with a packed B of the same n and k.
int bk_onednn_matmul_bf16_packed(int transpose_a, long m, long n, long k, float alpha,
                                 const uint16_t *a, long lda, bk_onednn_packed_b *b,
                                 float beta, float *c, long ldc, char *error, size_t error_size);

// The implementation oneDNN picks for a bf16 product of this shape with dense operands and
// alpha 1, beta 0, e.g. "brg:avx512_core_bf16" or "gemm:jit", for reports; valid for the life
// of the process. NULL when the library is not loaded or has no implementation for it.
const char *bk_onednn_matmul_impl(int transpose_a, int transpose_b, long m, long n, long k);

#endif
