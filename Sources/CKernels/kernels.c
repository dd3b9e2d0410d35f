#include "CKernels.h"
#include <math.h>
#include "exp_parts.h"
#include "targets.h"
#include <string.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

// No fused multiply-adds: every target's variant (AVX-512, AVX2, baseline) rounds each
// operation as written, so results are the same bits whatever vector width the CPU picks.
// Every exported kernel is built once per target and dispatched at the call (targets.h).
#pragma clang fp contract(off)

// The GELU loops are long chains of dependent operations per element (a division, a degree-9
// polynomial, exp): one vector at a time leaves the CPU waiting on latency. Interleaving
// independent vectors hides it, and the best count depends on the register file: 8 for
// AVX-512's 32 registers, 4 for AVX2's 16 (8 on AVX2 spills registers; measured on the erf
// GELU forward, BENCHMARKS.md, sitting 3). Interleaving changes no element's arithmetic: the
// same bits everywhere.
#define BK_STRINGIFY(x) #x
#define BK_INTERLEAVE(n) _Pragma(BK_STRINGIFY(clang loop interleave_count(n)))
#define BK_INTERLEAVED_KERNEL(name, params, args, ...) \
    BK_EACH_TARGET_WITH(name, params, BK_INTERLEAVE(8), BK_INTERLEAVE(4), __VA_ARGS__) \
    void name params { BK_DISPATCH(bk_vector_widest_target(), name, args); }

// ---------------------------------------------------------------- vectorisable math
// expf by range reduction: x = n·ln2 + r, |r| <= ln2/2, e^r by a degree-6 polynomial (relative
// error ~2e-7), 2^n through the exponent bits (exp_parts.h; softmax.c's 16-float exp is the same).
// Branch-free so loops vectorise.
static inline __attribute__((always_inline)) float bk_exp(float x) {
    // below about -87.3 the result underflows to 0, as expf's does (a masked attention score)
    const int underflow = x < BK_EXP_LOWEST;
    x = fminf(fmaxf(x, BK_EXP_LOWEST), BK_EXP_HIGHEST);
    float n = __builtin_roundf(BK_EXP_SCALED(x));
    float p = BK_EXP_POLYNOMIAL(BK_EXP_REDUCED(x, n));
    union { float f; int32_t i; } scale;
    scale.i = ((int32_t)n + 127) << 23;
    return underflow ? 0.0f : p * scale.f;
}

// erf through erfc's Chebyshev fit (Numerical Recipes, fractional error < 1.2e-7):
// erfc(z) = t·exp(-z² + P(t)), t = 1/(1 + z/2), z = |x|.
static inline __attribute__((always_inline)) float bk_erf(float x) {
    float z = fabsf(x);
    float t = 1.0f / (1.0f + 0.5f * z);
    float poly = -1.26551223f + t * (1.00002368f + t * (0.37409196f + t * (0.09678418f + t * (-0.18628806f +
                 t * (0.27886807f + t * (-1.13520398f + t * (1.48851587f + t * (-0.82215223f + t * 0.17087277f))))))));
    float erfc = t * bk_exp(-z * z + poly);
    float e = 1.0f - erfc;
    return x < 0 ? -e : e;
}

// tanh(x) = 1 - 2/(e^{2x} + 1), odd-symmetrised; accurate to a few ulp away from 0 and, near 0,
// to ~1e-7 absolute (the e^{2x} polynomial's error), which is what the GELUs need.
static inline __attribute__((always_inline)) float bk_tanh(float x) {
    float z = fminf(fabsf(x), 44.0f);   // e^88 still fits a float; beyond, t is 1 exactly
    float e = bk_exp(2.0f * z);
    float t = 1.0f - 2.0f / (e + 1.0f);
    return x < 0 ? -t : t;
}

// ---------------------------------------------------------------- dropout's value
// One element through a keep mask: kept and scaled, or 0. Every kernel that applies a mask goes
// through these two, so the fused paths give the unfused ones' bits by construction.
static inline __attribute__((always_inline)) float bk_kept(uint8_t keep, float x, float scale) {
    return keep ? x * scale : 0.0f;
}

// In place: the general loop's runtime overlap check (from == to) fails and it runs scalar;
// this loop tells the compiler that only x itself is read and written.
static inline __attribute__((always_inline)) void bk_apply_mask_in_place(float *restrict x, const uint8_t *restrict mask,
                                                                          float scale, long begin, long end) {
    for (long i = begin; i < end; i++) x[i] = bk_kept(mask[i], x[i], scale);
}

// ---------------------------------------------------------------- GELU
// gelu(x) = x·Φ(x) and gelu'(x), each written once from its inner term (the erf, or gelu_new's
// tanh), so that the forward, backward and value-and-derivative kernels give the same bits.
static inline __attribute__((always_inline)) float bk_gelu_erf_term(float v) {
    return bk_erf(v * 0.70710678118654752f);
}
static inline __attribute__((always_inline)) float bk_gelu_erf_value(float v, float e) {
    return 0.5f * v * (1.0f + e);
}
static inline __attribute__((always_inline)) float bk_gelu_erf_derivative(float v, float e) {
    return 0.5f * (1.0f + e) + v * 0.39894228040143268f * bk_exp(-0.5f * v * v);
}
static inline __attribute__((always_inline)) float bk_gelu_tanh_term(float v) {
    return bk_tanh(0.79788456080286536f * (v + 0.044715f * v * v * v));
}
static inline __attribute__((always_inline)) float bk_gelu_tanh_value(float v, float t) {
    return 0.5f * v * (1.0f + t);
}
static inline __attribute__((always_inline)) float bk_gelu_tanh_derivative(float v, float t) {
    return 0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * 0.79788456080286536f * (1.0f + 0.134145f * v * v);
}

BK_INTERLEAVED_KERNEL(bk_gelu_erf_forward, (const float *x, float *y, long begin, long end), (x, y, begin, end),
    for (long i = begin; i < end; i++) y[i] = bk_gelu_erf_value(x[i], bk_gelu_erf_term(x[i]));
)

BK_INTERLEAVED_KERNEL(bk_gelu_erf_backward, (const float *x, const float *dy, float *dx, int accumulate, long begin, long end),
                      (x, dy, dx, accumulate, begin, end),
    for (long i = begin; i < end; i++) {
        float v = x[i];
        float d = bk_gelu_erf_derivative(v, bk_gelu_erf_term(v));
        dx[i] = (accumulate ? dx[i] : 0.0f) + dy[i] * d;
    }
)

BK_INTERLEAVED_KERNEL(bk_gelu_tanh_forward, (const float *x, float *y, long begin, long end), (x, y, begin, end),
    for (long i = begin; i < end; i++) y[i] = bk_gelu_tanh_value(x[i], bk_gelu_tanh_term(x[i]));
)

BK_INTERLEAVED_KERNEL(bk_gelu_tanh_backward, (const float *x, const float *dy, float *dx, int accumulate, long begin, long end),
                      (x, dy, dx, accumulate, begin, end),
    for (long i = begin; i < end; i++) {
        float v = x[i];
        float d = bk_gelu_tanh_derivative(v, bk_gelu_tanh_term(v));
        dx[i] = (accumulate ? dx[i] : 0.0f) + dy[i] * d;
    }
)

// gelu(x) and gelu'(x) in one pass, the erf (or tanh) evaluated once per element: what the
// feed-forward's backward needs (gelu(x) for the weight gradient, gelu'(x) for the input's).
BK_INTERLEAVED_KERNEL(bk_gelu_erf_value_and_derivative,
                      (const float *restrict x, float *restrict y, float *restrict d, long begin, long end),
                      (x, y, d, begin, end),
    for (long i = begin; i < end; i++) {
        float v = x[i];
        float e = bk_gelu_erf_term(v);
        y[i] = bk_gelu_erf_value(v, e);
        d[i] = bk_gelu_erf_derivative(v, e);
    }
)

BK_INTERLEAVED_KERNEL(bk_gelu_tanh_value_and_derivative,
                      (const float *restrict x, float *restrict y, float *restrict d, long begin, long end),
                      (x, y, d, begin, end),
    for (long i = begin; i < end; i++) {
        float v = x[i];
        float t = bk_gelu_tanh_term(v);
        y[i] = bk_gelu_tanh_value(v, t);
        d[i] = bk_gelu_tanh_derivative(v, t);
    }
)

// dx (=|+=) g ⊙ d. dx may be g itself (not accumulating): the two-pointer loop's runtime
// overlap check would then fail and run scalar, so that case has a loop that names one pointer.
BK_VECTOR_KERNEL(bk_multiply, (const float *g, const float *restrict d, float *dx, int accumulate, long begin, long end),
                 (g, d, dx, accumulate, begin, end),
    if (dx == g && !accumulate) {
        for (long i = begin; i < end; i++) dx[i] = 0.0f + dx[i] * d[i];
    } else if (accumulate) {
        for (long i = begin; i < end; i++) dx[i] = dx[i] + g[i] * d[i];
    } else {
        for (long i = begin; i < end; i++) dx[i] = 0.0f + g[i] * d[i];
    }
)

// ---------------------------------------------------------------- bias gradients
BK_VECTOR_KERNEL(bk_add_column_sums, (const float *restrict m, long rows, long stride, float *restrict into, long begin, long end),
                 (m, rows, stride, into, begin, end),
    for (long r = 0; r < rows; r++) {
        const float *row = m + r * stride;
        for (long c = begin; c < end; c++) into[c] += row[c];
    }
)

// ---------------------------------------------------------------- dropout (Philox4x32-10)

// Sixteen consecutive Philox blocks (counters base .. base+15) under one key, rounds vectorised
// across the blocks; bits[lane][block].
static inline __attribute__((always_inline)) void bk_philox16(uint64_t key, uint64_t base, uint32_t bits[4][16]) {
    uint32_t c0[16], c1[16], c2[16], c3[16];
    for (int b = 0; b < 16; b++) {
        uint64_t counter = base + (uint64_t)b;
        c0[b] = (uint32_t)counter; c1[b] = (uint32_t)(counter >> 32); c2[b] = 0; c3[b] = 0;
    }
    uint32_t k0 = (uint32_t)key, k1 = (uint32_t)(key >> 32);
    for (int round = 0; round < 10; round++) {
        for (int b = 0; b < 16; b++) {
            uint64_t p0 = (uint64_t)0xD2511F53u * c0[b];
            uint64_t p1 = (uint64_t)0xCD9E8D57u * c2[b];
            uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1[b] ^ k0;
            uint32_t n1 = (uint32_t)p1;
            uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3[b] ^ k1;
            uint32_t n3 = (uint32_t)p0;
            c0[b] = n0; c1[b] = n1; c2[b] = n2; c3[b] = n3;
        }
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    for (int b = 0; b < 16; b++) { bits[0][b] = c0[b]; bits[1][b] = c1[b]; bits[2][b] = c2[b]; bits[3][b] = c3[b]; }
}

// `target` is the path for whole 64-element groups (bk_dropout_mask_widest_target()); the rest
// of the loop runs on the widest vector target, as every kernel here.
BK_VECTOR_KERNEL(bk_dropout_mask_on, (int target, uint8_t *mask, uint64_t key, uint64_t start, long first_index, float p,
                                      long begin, long end),
                 (target, mask, key, start, first_index, p, begin, end),
    if (begin >= end) return;
    // keep = (bits >> 8) · 2^-24 >= p  <=>  (bits >> 8) >= ceil(p · 2^24)
    uint32_t threshold = (uint32_t)ceilf(p * 16777216.0f);
    long g_begin = first_index + begin, g_end = first_index + end;
    long block = g_begin / 4;
    uint32_t bits[4][16];
    while (block * 4 < g_end) {
        if (target > 0 && block * 4 >= g_begin && (block + 16) * 4 <= g_end) {
            // every whole group from here, in vector registers (dropout_mask_simd.c)
            long groups = (g_end / 4 - block) / 16;
            bk_dropout_mask_groups(target, mask + (block * 4 - first_index), key, start + (uint64_t)block, groups, threshold);
            block += 16 * groups;
            continue;
        }
        bk_philox16(key, start + (uint64_t)block, bits);
        if (block * 4 >= g_begin && (block + 16) * 4 <= g_end) {
            // all 64 elements inside: element 4·b + lane in order, so the compare and the byte
            // stores vectorise (the loop below tests every element's bounds, one at a time)
            uint32_t flat[64];
            for (int b = 0; b < 16; b++)
                for (int lane = 0; lane < 4; lane++) flat[4 * b + lane] = bits[lane][b];
            uint8_t *out = mask + (block * 4 - first_index);
            for (int e = 0; e < 64; e++) out[e] = (flat[e] >> 8) >= threshold;
            block += 16;
            continue;
        }
        for (int b = 0; b < 16; b++) {
            for (int lane = 0; lane < 4; lane++) {
                long g = (block + b) * 4 + lane;
                if (g >= g_begin && g < g_end) mask[g - first_index] = (bits[lane][b] >> 8) >= threshold;
            }
        }
        block += 16;
    }
)

void bk_dropout_mask(uint8_t *mask, uint64_t key, uint64_t start, long first_index, float p, long begin, long end) {
    bk_dropout_mask_on(bk_dropout_mask_widest_target(), mask, key, start, first_index, p, begin, end);
}

BK_VECTOR_KERNEL(bk_apply_mask, (const float *from, float *to, const uint8_t *mask, float scale, int accumulate, long begin, long end),
                 (from, to, mask, scale, accumulate, begin, end),
    if (from == to && !accumulate) {
        bk_apply_mask_in_place(to, mask, scale, begin, end);
    } else if (accumulate) {
        for (long i = begin; i < end; i++) to[i] += bk_kept(mask[i], from[i], scale);
    } else {
        for (long i = begin; i < end; i++) to[i] = bk_kept(mask[i], from[i], scale);
    }
)

void bk_configure_allocator(void) {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}

// ---------------------------------------------------------------- AdamW
// The loop takes the buffers as restrict parameters: clang honours restrict on parameters only,
// and without it the vector loop would test the buffers for overlap first.
static inline __attribute__((always_inline)) void bk_adamw_update_range(
        float *restrict param, const float *restrict grad, float grad_scale, float *restrict m, float *restrict v,
        long begin, long end, float decay, float weight, int weight_is_small, float beta2, float one_minus_beta2,
        float bias_correction2_sqrt, float eps, float negative_step) {
    const float one_minus_weight = 1.0f - weight;
    for (long i = begin; i < end; i++) {
        float g = grad[i] * grad_scale;   // the clip coefficient, as torch's grad.mul_(coef); x·1 = x
        float decayed = param[i] * decay;
        float m0 = m[i];
        float m1 = weight_is_small ? m0 + weight * (g - m0) : g - (g - m0) * one_minus_weight;
        float v1 = v[i] * beta2 + one_minus_beta2 * g * g;
        // the sqrt builtin, not sqrtf: libm's sets errno, which keeps the loop scalar (v1 >= 0;
        // both are correctly rounded, so the bits are the same)
        float denom = __builtin_elementwise_sqrt(v1) / bias_correction2_sqrt + eps;
        param[i] = decayed + negative_step * m1 / denom;
        m[i] = m1;
        v[i] = v1;
    }
}

BK_VECTOR_KERNEL(bk_adamw_update, (bk_adamw_args args, long begin, long end), (args, begin, end),
    bk_adamw_update_range(args.param, args.grad, args.grad_scale, args.m, args.v, begin, end, args.decay, args.weight,
                          args.weight_is_small, args.beta2, args.one_minus_beta2, args.bias_correction2_sqrt, args.eps,
                          args.negative_step);
)
