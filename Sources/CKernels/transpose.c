#include "CKernels.h"
#include <immintrin.h>

// Attention transposes one (L, D) block of K (and in the backward of V) per sequence and head,
// so that its products read whole vectors. A plain loop compiles to one strided load per
// element; 8 x 8 blocks transposed in registers (AVX) load and store whole rows of 8 instead.

// Rows [i0, i1) x columns [j0, j1) one element at a time: the edges and the baseline target.
static void bk_transpose_elements(const float *in, long ld_in, long rows, long i0, long i1, long j0, long j1, float *out) {
    for (long i = i0; i < i1; i++)
        for (long j = j0; j < j1; j++) out[j * rows + i] = in[i * ld_in + j];
}

#if defined(__x86_64__)
// out[j + c][i + r] = in[i + r][j + c] for r, c < 8: the unpack / shuffle / lane-swap network.
__attribute__((target("avx"))) static inline void bk_transpose_8x8(const float *in, long ld_in, float *out, long ld_out) {
    __m256 r0 = _mm256_loadu_ps(in + 0 * ld_in), r1 = _mm256_loadu_ps(in + 1 * ld_in);
    __m256 r2 = _mm256_loadu_ps(in + 2 * ld_in), r3 = _mm256_loadu_ps(in + 3 * ld_in);
    __m256 r4 = _mm256_loadu_ps(in + 4 * ld_in), r5 = _mm256_loadu_ps(in + 5 * ld_in);
    __m256 r6 = _mm256_loadu_ps(in + 6 * ld_in), r7 = _mm256_loadu_ps(in + 7 * ld_in);
    // pairs of rows interleaved: t0 = r0[0] r1[0] r0[1] r1[1] | r0[4] r1[4] r0[5] r1[5], ...
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    // quadruples: u0 = column 0 of rows 0-3 | column 4 of rows 0-3, ...
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    // halves of rows 0-3 and 4-7 joined: column c of all eight rows
    _mm256_storeu_ps(out + 0 * ld_out, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_storeu_ps(out + 1 * ld_out, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_storeu_ps(out + 2 * ld_out, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_storeu_ps(out + 3 * ld_out, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_storeu_ps(out + 4 * ld_out, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_storeu_ps(out + 5 * ld_out, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_storeu_ps(out + 6 * ld_out, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_storeu_ps(out + 7 * ld_out, _mm256_permute2f128_ps(u3, u7, 0x31));
}

__attribute__((target("avx"))) static void bk_transpose_avx(const float *in, long ld_in, long rows, long cols, float *out) {
    long full_rows = rows & ~7L, full_cols = cols & ~7L;
    for (long i = 0; i < full_rows; i += 8)
        for (long j = 0; j < full_cols; j += 8) bk_transpose_8x8(in + i * ld_in + j, ld_in, out + j * rows + i, rows);
    bk_transpose_elements(in, ld_in, rows, 0, full_rows, full_cols, cols, out);
    bk_transpose_elements(in, ld_in, rows, full_rows, rows, 0, cols, out);
}
#endif

void bk_transpose_on(int vectorised, const float *in, long ld_in, long rows, long cols, float *out) {
#if defined(__x86_64__)
    if (vectorised) { bk_transpose_avx(in, ld_in, rows, cols, out); return; }
#endif
    bk_transpose_elements(in, ld_in, rows, 0, rows, 0, cols, out);
}

int bk_transpose_can_vectorise(void) {
#if defined(__x86_64__)
    return __builtin_cpu_supports("avx");
#else
    return 0;
#endif
}

void bk_transpose(const float *in, long ld_in, long rows, long cols, float *out) {
    bk_transpose_on(bk_transpose_can_vectorise(), in, ld_in, rows, cols, out);
}

// out (rows, cols), rows packed cols apart, = in (rows, cols), rows ld_in apart. Attention's
// (L, D) blocks of q, k, v and dOut lie 3C (or C) floats apart. For MiniLM-L12 (3C = 1,152
// floats, 72 cache lines) that stride puts the block's 256 lines in 16 of the L1's 64 sets, more
// lines than their 12 ways hold, so a product that rereads the block for every tile of rows
// misses in L1 on its own operand; packed, it does not (BENCHMARKS.md, sitting 8).
void bk_copy_block(const float *restrict in, long ld_in, long rows, long cols, float *restrict out) {
    for (long i = 0; i < rows; i++)
        for (long j = 0; j < cols; j++) out[i * cols + j] = in[i * ld_in + j];
}
