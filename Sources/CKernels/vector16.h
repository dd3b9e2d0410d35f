// 16-float vectors for the kernels written with explicit vectors (small_gemm.c, softmax.c,
// layer_norm.c). GCC/Clang vector extensions: on AVX-512 a vector is one register, on AVX2 two,
// on the SSE2 baseline four, and every operation rounds as the scalar one would, so each target
// gives the same bits. The vectors only cross always-inlined helpers, compiled into the
// per-target functions: no call passes one, so the ABI warning about them does not apply.
#ifndef BERTKIT_VECTOR16_H
#define BERTKIT_VECTOR16_H
#pragma clang diagnostic ignored "-Wpsabi"
#include <stdint.h>

typedef float bk_vec16 __attribute__((vector_size(64)));
typedef int32_t bk_int16 __attribute__((vector_size(64)));

static inline __attribute__((always_inline)) bk_vec16 bk_load16(const float *p) {
    bk_vec16 v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

static inline __attribute__((always_inline)) void bk_store16(float *p, bk_vec16 v) {
    __builtin_memcpy(p, &v, sizeof v);
}

static inline __attribute__((always_inline)) bk_vec16 bk_splat16(float x) {
    return (bk_vec16){0} + x;
}

// The lanes combined by the halving tree: lane l += lane l + w for w = 8, 4, 2, 1.
static inline __attribute__((always_inline)) float bk_tree_sum16(bk_vec16 a) {
    a += __builtin_shufflevector(a, a, 8, 9, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0);
    a += __builtin_shufflevector(a, a, 4, 5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    a += __builtin_shufflevector(a, a, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    a += __builtin_shufflevector(a, a, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    return a[0];
}

// The largest lane (exact in any order).
static inline __attribute__((always_inline)) float bk_max16(bk_vec16 a) {
    a = __builtin_elementwise_max(a, __builtin_shufflevector(a, a, 8, 9, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0));
    a = __builtin_elementwise_max(a, __builtin_shufflevector(a, a, 4, 5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    a = __builtin_elementwise_max(a, __builtin_shufflevector(a, a, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    a = __builtin_elementwise_max(a, __builtin_shufflevector(a, a, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    return a[0];
}

// p[0 ..< n] (n <= 16) as a vector, the lanes from n on set to pad.
static inline __attribute__((always_inline)) bk_vec16 bk_load_part16(const float *p, long n, float pad) {
    if (n == 16) return bk_load16(p);
    float lanes[16];
    for (int l = 0; l < 16; l++) lanes[l] = l < n ? p[l] : pad;
    return bk_load16(lanes);
}

static inline __attribute__((always_inline)) void bk_store_part16(float *p, bk_vec16 v, long n) {
    if (n == 16) { bk_store16(p, v); return; }
    for (long l = 0; l < n; l++) p[l] = v[l];
}

// Dropout's value through a keep mask, as kernels.c's bk_kept: x·scale where keep[l] != 0, else +0
// (keep[0 ..< n], n <= 16).
static inline __attribute__((always_inline)) bk_vec16 bk_kept16(const uint8_t *keep, long n, bk_vec16 x, float scale) {
    typedef uint8_t bytes16 __attribute__((vector_size(16)));
    bytes16 bytes = {0};
    __builtin_memcpy(&bytes, keep, n == 16 ? 16 : n);
    bk_int16 kept = __builtin_convertvector(bytes, bk_int16) != 0;
    bk_vec16 value = x * scale;
    bk_int16 bits;
    __builtin_memcpy(&bits, &value, sizeof bits);
    bits &= kept;
    __builtin_memcpy(&value, &bits, sizeof value);
    return value;
}

// The body runs for each vector of a row, j its first column and n its width: the full
// vectors (n = 16, a constant), then the tail's, if any (the tail goes last, as in the lanes).
#define BK_FOR_EACH_VECTOR(cols, ...) { \
        long j = 0; \
        for (; j + 16 <= (cols); j += 16) { const long n = 16; __VA_ARGS__ } \
        if (j < (cols)) { const long n = (cols) - j; __VA_ARGS__ } \
    }

#endif
