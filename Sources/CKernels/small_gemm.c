#include "CKernels.h"
#include <math.h>
#include "vector16.h"
#include "targets.h"

// The small matrix products inside attention: per (sequence, head) pair, (L, D)·(D, L) and
// (L, L)·(L, D) with D = 32 or 64. Called per pair, OpenBLAS runs them well below its large-GEMM
// rate (it packs both operands on every call); a register-blocked loop that reads the operands in
// place comes close to that rate on hot buffers (BENCHMARKS.md, sitting 4). beta is 0 or 1.
//
// Each element of C is one chain of fused multiply-adds over p in order, starting from 0, then
// scaled by alpha (and added to C when beta is 1). The vector tiles and the scalar edges compute
// exactly that chain, so every target (AVX-512, AVX2, baseline) gives the same bits.
#pragma clang fp contract(off)

// C[0..<mr, 0..<16·nv] of the block at c: mr rows of A broadcast against nv vectors of each B row.
// mr and nv are constants at every call, so the accumulators live in registers; at most 8 x 4.
static inline __attribute__((always_inline)) void bk_gemm_tile(const int mr, const int nv, long k, float alpha,
                                                               const float *a, long a_row, long a_col,
                                                               const float *b, long ldb, int add, float *c, long ldc) {
    if (mr > 8 || nv > 4) __builtin_trap();   // folded away: a larger tile would overrun acc
    bk_vec16 acc[8][4];
    for (int r = 0; r < mr; r++)
        for (int v = 0; v < nv; v++) acc[r][v] = (bk_vec16){0};
    for (long p = 0; p < k; p++) {
        bk_vec16 row[4];
        for (int v = 0; v < nv; v++) row[v] = bk_load16(b + p * ldb + 16 * v);
        for (int r = 0; r < mr; r++) {
            bk_vec16 broadcast = bk_splat16(a[r * a_row + p * a_col]);
            for (int v = 0; v < nv; v++) acc[r][v] = __builtin_elementwise_fma(broadcast, row[v], acc[r][v]);
        }
    }
    for (int r = 0; r < mr; r++) {
        for (int v = 0; v < nv; v++) {
            float *out = c + r * ldc + 16 * v;
            bk_vec16 value = acc[r][v] * alpha;
            bk_store16(out, add ? value + bk_load16(out) : value);
        }
    }
}

// Columns [j, n) that do not fill a vector: the same chain, one element at a time.
static inline __attribute__((always_inline)) void bk_gemm_edge_columns(long m, long n, long j, long k, float alpha,
                                                                       const float *a, long a_row, long a_col,
                                                                       const float *b, long ldb, int add, float *c, long ldc) {
    for (long i = 0; i < m; i++) {
        for (long jj = j; jj < n; jj++) {
            float acc = 0.0f;
            for (long p = 0; p < k; p++) acc = fmaf(a[i * a_row + p * a_col], b[p * ldb + jj], acc);
            float value = acc * alpha;
            c[i * ldc + jj] = add ? value + c[i * ldc + jj] : value;
        }
    }
}

// Rows [0, m) of one column block nv vectors wide: tiles of mr rows, then of 4, then single rows.
static inline __attribute__((always_inline)) void bk_gemm_column_block(const int mr, const int nv, long m, long k, float alpha,
                                                                       const float *a, long a_row, long a_col,
                                                                       const float *b, long ldb, int add, float *c, long ldc) {
    long i = 0;
    for (; i + mr <= m; i += mr) bk_gemm_tile(mr, nv, k, alpha, a + i * a_row, a_row, a_col, b, ldb, add, c + i * ldc, ldc);
    for (; i + 4 <= m; i += 4) bk_gemm_tile(4, nv, k, alpha, a + i * a_row, a_row, a_col, b, ldb, add, c + i * ldc, ldc);
    for (; i < m; i++) bk_gemm_tile(1, nv, k, alpha, a + i * a_row, a_row, a_col, b, ldb, add, c + i * ldc, ldc);
}

// Column blocks of 16·nv, then of 16, then the edge columns one at a time.
static inline __attribute__((always_inline)) void bk_small_gemm_blocked(const int mr, const int nv,
                                                                        long m, long n, long k, float alpha,
                                                                        const float *a, long a_row, long a_col,
                                                                        const float *b, long ldb, int add, float *c, long ldc) {
    long j = 0;
    for (; j + 16 * nv <= n; j += 16 * nv) bk_gemm_column_block(mr, nv, m, k, alpha, a, a_row, a_col, b + j, ldb, add, c + j, ldc);
    for (; j + 16 <= n; j += 16) bk_gemm_column_block(mr, 1, m, k, alpha, a, a_row, a_col, b + j, ldb, add, c + j, ldc);
    if (j < n) bk_gemm_edge_columns(m, n, j, k, alpha, a, a_row, a_col, b, ldb, add, c, ldc);
}

// Tile sizes by register file, the fastest of those tried on attention's shapes (L = 128,
// D = 32 and 64; BENCHMARKS.md, sitting 4): AVX-512's 32 registers hold 8 x 2 accumulators
// (8 rows x 32 columns), AVX2's 16 hold 6 x 1 (a 16-float vector is two of its registers).
#if defined(__x86_64__)
__attribute__((target("avx512f,fma"))) static void bk_small_gemm_avx512(long m, long n, long k, float alpha,
        const float *a, long a_row, long a_col, const float *b, long ldb, int add, float *c, long ldc) {
    bk_small_gemm_blocked(8, 2, m, n, k, alpha, a, a_row, a_col, b, ldb, add, c, ldc);
}

__attribute__((target("avx2,fma"))) static void bk_small_gemm_avx2(long m, long n, long k, float alpha,
        const float *a, long a_row, long a_col, const float *b, long ldb, int add, float *c, long ldc) {
    bk_small_gemm_blocked(6, 1, m, n, k, alpha, a, a_row, a_col, b, ldb, add, c, ldc);
}
#endif

// The baseline: every column through the scalar edge loop.
static void bk_small_gemm_baseline(long m, long n, long k, float alpha,
        const float *a, long a_row, long a_col, const float *b, long ldb, int add, float *c, long ldc) {
    bk_gemm_edge_columns(m, n, 0, k, alpha, a, a_row, a_col, b, ldb, add, c, ldc);
}

void bk_small_gemm_on(int target, bk_small_gemm_args args) {
    const long m = args.m, n = args.n, k = args.k, a_row = args.a_row, a_col = args.a_col, ldb = args.ldb, ldc = args.ldc;
    const float alpha = args.alpha, *a = args.a, *b = args.b;
    float *c = args.c;
    int add = args.beta != 0.0f;
    BK_DISPATCH(target, bk_small_gemm, (m, n, k, alpha, a, a_row, a_col, b, ldb, add, c, ldc));
}

int bk_small_gemm_widest_target(void) {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx512f")) return BK_TARGET_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return BK_TARGET_AVX2;
#endif
    return BK_TARGET_BASELINE;
}

void bk_small_gemm(bk_small_gemm_args args) {
    bk_small_gemm_on(bk_small_gemm_widest_target(), args);
}
