#include "CKernels.h"
#include <string.h>
#include "targets.h"

// float32 -> bfloat16 exactly as PyTorch's c10::BFloat16 (round_to_nearest_even): on the
// float's 32 bits u, bits = (u + 0x7FFF + ((u >> 16) & 1)) >> 16, and every NaN becomes 0x7FC0.
// The rounding carries into the exponent when it must, so the largest finite floats round up
// to infinity, infinities stay themselves and subnormals round like every other value. Integer
// operations only, NaN by a select: the loops vectorise on every target with the same bits.
// Each function is built for AVX-512, AVX2 and baseline x86-64 and dispatched at the call
// (targets.h).

static inline __attribute__((always_inline)) uint16_t bk_bf16_bits(uint32_t u) {
    uint32_t rounded = (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16;
    int is_nan = (u & 0x7FFFFFFFu) > 0x7F800000u;
    return (uint16_t)(is_nan ? 0x7FC0u : rounded);
}

static inline __attribute__((always_inline)) uint32_t bk_float_bits(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static inline __attribute__((always_inline)) void bk_round_bf16_run(const float *restrict x, uint16_t *restrict out, long n) {
    for (long i = 0; i < n; i++) out[i] = bk_bf16_bits(bk_float_bits(x[i]));
}

BK_VECTOR_KERNEL(bk_round_bf16, (const float *restrict x, uint16_t *restrict out, long n), (x, out, n),
    bk_round_bf16_run(x, out, n);
)

BK_VECTOR_KERNEL(bk_round_bf16_matrix, (const float *restrict x, long rows, long columns, long row_stride, uint16_t *restrict out),
                 (x, rows, columns, row_stride, out),
    for (long r = 0; r < rows; r++) bk_round_bf16_run(x + r * row_stride, out + r * columns, columns);
)

BK_VECTOR_KERNEL(bk_round_bf16_values, (float *restrict x, long n), (x, n),
    for (long i = 0; i < n; i++) {
        uint32_t u = (uint32_t)bk_bf16_bits(bk_float_bits(x[i])) << 16;
        memcpy(&x[i], &u, sizeof u);
    }
)
