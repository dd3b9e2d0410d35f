#include "CKernels.h"
#include <math.h>
#include <string.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

// No fused multiply-adds: every clone (AVX-512, AVX2, baseline) rounds each operation as
// written, so results are the same bits whatever vector width the CPU picks.
#pragma clang fp contract(off)

// Every exported kernel is built three times and chosen by the CPU at load time.
#if defined(__x86_64__)
#define BK_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define BK_CLONES
#endif

// The GELU loops are long chains of dependent operations per element (a division, a degree-9
// polynomial, exp): one vector at a time leaves the CPU waiting on latency. Interleaving
// independent vectors hides it, and the best count depends on the register file: 8 for
// AVX-512's 32 registers, 4 for AVX2's 16 (measured on the erf GELU forward: 2.0x and 1.4x
// faster than no interleaving; 8 on AVX2 spills and is slower than 4). target_clones gives
// every clone the same pragmas, so these kernels are built per target by hand and chosen
// once per call. Interleaving changes no element's arithmetic: the same bits everywhere.
#define BK_STRINGIFY(x) #x
#define BK_INTERLEAVE(n) _Pragma(BK_STRINGIFY(clang loop interleave_count(n)))
#if defined(__x86_64__)
#define BK_INTERLEAVED_KERNEL(name, params, args, ...) \
    __attribute__((target("avx512f"))) static void name##_avx512 params { BK_INTERLEAVE(8) __VA_ARGS__ } \
    __attribute__((target("avx2"))) static void name##_avx2 params { BK_INTERLEAVE(4) __VA_ARGS__ } \
    static void name##_baseline params { __VA_ARGS__ } \
    void name params { \
        if (__builtin_cpu_supports("avx512f")) name##_avx512 args; \
        else if (__builtin_cpu_supports("avx2")) name##_avx2 args; \
        else name##_baseline args; \
    }
#else
#define BK_INTERLEAVED_KERNEL(name, params, args, ...) void name params { __VA_ARGS__ }
#endif

// ---------------------------------------------------------------- vectorisable math
// expf by range reduction: x = n·ln2 + r, |r| <= ln2/2, e^r by a degree-6 polynomial
// (relative error ~2e-7), 2^n through the exponent bits. Branch-free so loops vectorise.
static inline __attribute__((always_inline)) float bk_exp(float x) {
    // below about -87.3 the result underflows to 0, as expf's does (a masked attention score)
    const int underflow = x < -87.33654f;
    x = fminf(fmaxf(x, -87.33654f), 88.72283f);
    float n = __builtin_roundf(x * 1.44269504088896341f);
    float r = x - n * 0.693145751953125f - n * 1.428606765330187e-06f;
    float p = 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
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

// ---------------------------------------------------------------- row reductions
// Sums, dot products and maxima over a row in 16 fixed lanes (element j goes to lane j % 16),
// the lanes combined by a fixed halving tree. Written this way the compiler vectorises them
// without licence to reassociate, and every clone gives the same bits.
#define BK_LANES 16

static inline __attribute__((always_inline)) float bk_combine_lanes(float acc[BK_LANES]) {
    for (int width = BK_LANES / 2; width > 0; width /= 2)
        for (int l = 0; l < width; l++) acc[l] += acc[l + width];
    return acc[0];
}

static inline __attribute__((always_inline)) float bk_row_sum(const float *x, long n) {
    float acc[BK_LANES] = {0};
    long j = 0;
    for (; j + BK_LANES <= n; j += BK_LANES)
        for (int l = 0; l < BK_LANES; l++) acc[l] += x[j + l];
    for (int l = 0; j < n; j++, l++) acc[l] += x[j];
    return bk_combine_lanes(acc);
}

static inline __attribute__((always_inline)) float bk_row_dot(const float *x, const float *y, long n) {
    float acc[BK_LANES] = {0};
    long j = 0;
    for (; j + BK_LANES <= n; j += BK_LANES)
        for (int l = 0; l < BK_LANES; l++) acc[l] += x[j + l] * y[j + l];
    for (int l = 0; j < n; j++, l++) acc[l] += x[j] * y[j];
    return bk_combine_lanes(acc);
}

// Σ (x[j] - m)²
static inline __attribute__((always_inline)) float bk_row_squared_deviation(const float *x, float m, long n) {
    float acc[BK_LANES] = {0};
    long j = 0;
    for (; j + BK_LANES <= n; j += BK_LANES)
        for (int l = 0; l < BK_LANES; l++) { float d = x[j + l] - m; acc[l] += d * d; }
    for (int l = 0; j < n; j++, l++) { float d = x[j] - m; acc[l] += d * d; }
    return bk_combine_lanes(acc);
}

static inline __attribute__((always_inline)) float bk_row_max(const float *x, long n) {
    float acc[BK_LANES];
    for (int l = 0; l < BK_LANES; l++) acc[l] = -INFINITY;
    long j = 0;
    for (; j + BK_LANES <= n; j += BK_LANES)
        for (int l = 0; l < BK_LANES; l++) acc[l] = acc[l] > x[j + l] ? acc[l] : x[j + l];
    for (int l = 0; j < n; j++, l++) acc[l] = acc[l] > x[j] ? acc[l] : x[j];
    for (int width = BK_LANES / 2; width > 0; width /= 2)
        for (int l = 0; l < width; l++) acc[l] = acc[l] > acc[l + width] ? acc[l] : acc[l + width];
    return acc[0];
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
BK_INTERLEAVED_KERNEL(bk_gelu_erf_forward, (const float *x, float *y, long begin, long end), (x, y, begin, end),
    for (long i = begin; i < end; i++) y[i] = 0.5f * x[i] * (1.0f + bk_erf(x[i] * 0.70710678118654752f));
)

BK_INTERLEAVED_KERNEL(bk_gelu_erf_backward, (const float *x, const float *dy, float *dx, int accumulate, long begin, long end),
                      (x, dy, dx, accumulate, begin, end),
    for (long i = begin; i < end; i++) {
        float v = x[i];
        float d = 0.5f * (1.0f + bk_erf(v * 0.70710678118654752f)) + v * 0.39894228040143268f * bk_exp(-0.5f * v * v);
        dx[i] = (accumulate ? dx[i] : 0.0f) + dy[i] * d;
    }
)

BK_INTERLEAVED_KERNEL(bk_gelu_tanh_forward, (const float *x, float *y, long begin, long end), (x, y, begin, end),
    for (long i = begin; i < end; i++) {
        float v = x[i];
        y[i] = 0.5f * v * (1.0f + bk_tanh(0.79788456080286536f * (v + 0.044715f * v * v * v)));
    }
)

BK_INTERLEAVED_KERNEL(bk_gelu_tanh_backward, (const float *x, const float *dy, float *dx, int accumulate, long begin, long end),
                      (x, dy, dx, accumulate, begin, end),
    for (long i = begin; i < end; i++) {
        float v = x[i];
        float t = bk_tanh(0.79788456080286536f * (v + 0.044715f * v * v * v));
        float d = 0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * 0.79788456080286536f * (1.0f + 0.134145f * v * v);
        dx[i] = (accumulate ? dx[i] : 0.0f) + dy[i] * d;
    }
)

// gelu(x) and gelu'(x) in one pass, the erf (or tanh) evaluated once per element: what the
// feed-forward's backward needs (gelu(x) for the weight gradient, gelu'(x) for the input's).
// Each output is the same expression as in the kernels above, so the same bits.
BK_INTERLEAVED_KERNEL(bk_gelu_erf_value_and_derivative,
                      (const float *restrict x, float *restrict y, float *restrict d, long begin, long end),
                      (x, y, d, begin, end),
    for (long i = begin; i < end; i++) {
        float v = x[i];
        float e = bk_erf(v * 0.70710678118654752f);
        y[i] = 0.5f * v * (1.0f + e);
        d[i] = 0.5f * (1.0f + e) + v * 0.39894228040143268f * bk_exp(-0.5f * v * v);
    }
)

BK_INTERLEAVED_KERNEL(bk_gelu_tanh_value_and_derivative,
                      (const float *restrict x, float *restrict y, float *restrict d, long begin, long end),
                      (x, y, d, begin, end),
    for (long i = begin; i < end; i++) {
        float v = x[i];
        float t = bk_tanh(0.79788456080286536f * (v + 0.044715f * v * v * v));
        y[i] = 0.5f * v * (1.0f + t);
        d[i] = 0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * 0.79788456080286536f * (1.0f + 0.134145f * v * v);
    }
)

// dx (=|+=) g ⊙ d. dx may be g itself (not accumulating): the two-pointer loop's runtime
// overlap check would then fail and run scalar, so that case has a loop that names one pointer.
BK_CLONES void bk_multiply(const float *g, const float *restrict d, float *dx, int accumulate, long begin, long end) {
    if (dx == g && !accumulate) {
        for (long i = begin; i < end; i++) dx[i] = 0.0f + dx[i] * d[i];
    } else if (accumulate) {
        for (long i = begin; i < end; i++) dx[i] = dx[i] + g[i] * d[i];
    } else {
        for (long i = begin; i < end; i++) dx[i] = 0.0f + g[i] * d[i];
    }
}

// ---------------------------------------------------------------- softmax
// One row in place: s = softmax(s + mask).
static inline __attribute__((always_inline)) void bk_softmax_row(float *row, const float *mask, long cols) {
    // add the mask, find the max
    if (mask) { for (long j = 0; j < cols; j++) { row[j] += mask[j]; } }
    float m = bk_row_max(row, cols);
    // exponentiate (a loop of its own, so it vectorises; four vectors at a time hide exp's
    // latency: 4% faster on the softmax-with-dropout rows, this CPU), sum, normalise
    BK_INTERLEAVE(4)
    for (long j = 0; j < cols; j++) row[j] = bk_exp(row[j] - m);
    float inv = 1.0f / bk_row_sum(row, cols);
    for (long j = 0; j < cols; j++) row[j] *= inv;
}

BK_CLONES void bk_softmax_rows(float *s, const float *mask, long cols, long begin, long end) {
    for (long r = begin; r < end; r++) bk_softmax_row(s + r * cols, mask, cols);
}

BK_CLONES void bk_softmax_dropout_rows(float *s, const float *mask, const uint8_t *keep, float keep_scale,
                                       float *dropped, long cols, long begin, long end) {
    for (long r = begin; r < end; r++) {
        float *row = s + r * cols, *out = dropped + r * cols;
        const uint8_t *kr = keep + r * cols;
        bk_softmax_row(row, mask, cols);
        // while the row is in L1
        for (long j = 0; j < cols; j++) out[j] = bk_kept(kr[j], row[j], keep_scale);
    }
}

// One row in place: g = p ⊙ (g - rowsum(g ⊙ p)).
static inline __attribute__((always_inline)) void bk_softmax_backward_row(const float *pr, float *gr, long cols) {
    float dot = bk_row_dot(gr, pr, cols);
    for (long j = 0; j < cols; j++) gr[j] = pr[j] * (gr[j] - dot);
}

BK_CLONES void bk_softmax_backward_rows(const float *p, float *g, long cols, long begin, long end) {
    for (long r = begin; r < end; r++) bk_softmax_backward_row(p + r * cols, g + r * cols, cols);
}

BK_CLONES void bk_softmax_dropout_backward_rows(const float *p, float *g, const uint8_t *keep, float keep_scale,
                                                long cols, long begin, long end) {
    for (long r = begin; r < end; r++) {
        bk_apply_mask_in_place(g + r * cols, keep + r * cols, keep_scale, 0, cols);
        bk_softmax_backward_row(p + r * cols, g + r * cols, cols);
    }
}

// ---------------------------------------------------------------- bias gradients
BK_CLONES void bk_add_column_sums(const float *restrict m, long rows, long stride, float *restrict into, long begin, long end) {
    for (long r = 0; r < rows; r++) {
        const float *row = m + r * stride;
        for (long c = begin; c < end; c++) into[c] += row[c];
    }
}

// ---------------------------------------------------------------- layer norm
BK_CLONES void bk_layer_norm_forward(const float *x, const uint8_t *keep, float keep_scale,
                                     const float *residual, float *sum_out,
                                     const float *gamma, const float *beta, float *y,
                                     float *mean, float *rstd, long cols, float eps, long begin, long end) {
    for (long r = begin; r < end; r++) {
        const float *xr = x + r * cols;
        float *yr = y + r * cols;
        const float *in = xr;
        if (residual) {
            const float *rr = residual + r * cols;
            float *sr = sum_out + r * cols;
            if (keep) {
                // dropout's value, plus the residual
                const uint8_t *kr = keep + r * cols;
                for (long j = 0; j < cols; j++) sr[j] = bk_kept(kr[j], xr[j], keep_scale) + rr[j];
            } else {
                for (long j = 0; j < cols; j++) sr[j] = xr[j] + rr[j];
            }
            in = sr;
        }
        // pass 1: mean; pass 2: variance of the centred values
        float m = bk_row_sum(in, cols) / (float)cols;
        float s = 1.0f / sqrtf(bk_row_squared_deviation(in, m, cols) / (float)cols + eps);
        // pass 3: normalise, scale, shift (in place when the sum was formed in y: a loop that
        // names one pointer, since a runtime overlap check would send the two-pointer one scalar)
        if (in == yr) {
            for (long j = 0; j < cols; j++) yr[j] = (yr[j] - m) * s * gamma[j] + beta[j];
        } else {
            for (long j = 0; j < cols; j++) yr[j] = (in[j] - m) * s * gamma[j] + beta[j];
        }
        mean[r] = m;
        rstd[r] = s;
    }
}

BK_CLONES void bk_layer_norm_backward(const float *x, const float *dy, const float *gamma,
                                      const float *mean, const float *rstd, float *dx, int accumulate,
                                      float *dropped_dx, const uint8_t *keep, float keep_scale, int accumulate_dropped,
                                      float *dgamma_partial, float *dbeta_partial, long cols, long begin, long end) {
    for (long r = begin; r < end; r++) {
        const float *xr = x + r * cols, *dyr = dy + r * cols;
        float *dxr = dx + r * cols;
        float m = mean[r], s = rstd[r];
        float acc_g[BK_LANES] = {0}, acc_gx[BK_LANES] = {0};
        for (long j0 = 0; j0 < cols; j0 += BK_LANES) {
            long width = cols - j0 < BK_LANES ? cols - j0 : BK_LANES;
            for (long l = 0; l < width; l++) {
                long j = j0 + l;
                float xhat = (xr[j] - m) * s;
                float g = dyr[j] * gamma[j];
                acc_g[l] += g;
                acc_gx[l] += g * xhat;
                dgamma_partial[j] += dyr[j] * xhat;
                dbeta_partial[j] += dyr[j];
            }
        }
        float mean_g = bk_combine_lanes(acc_g) / (float)cols;
        float mean_gx = bk_combine_lanes(acc_gx) / (float)cols;
        if (accumulate) {
            for (long j = 0; j < cols; j++) dxr[j] += s * (dyr[j] * gamma[j] - mean_g - (xr[j] - m) * s * mean_gx);
        } else {
            for (long j = 0; j < cols; j++) dxr[j] = s * (dyr[j] * gamma[j] - mean_g - (xr[j] - m) * s * mean_gx);
        }
        if (dropped_dx) {
            // the dropout before the residual add: d(input) = d(sum)·keep·scale (dx was written
            // above, not accumulated, in this case)
            const uint8_t *kr = keep + r * cols;
            float *dr = dropped_dx + r * cols;
            if (accumulate_dropped) {
                for (long j = 0; j < cols; j++) dr[j] += bk_kept(kr[j], dxr[j], keep_scale);
            } else {
                for (long j = 0; j < cols; j++) dr[j] = bk_kept(kr[j], dxr[j], keep_scale);
            }
        }
    }
}

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

BK_CLONES void bk_dropout_mask_on(int target, uint8_t *mask, uint64_t key, uint64_t start, long first_index, float p,
                                  long begin, long end) {
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
}

void bk_dropout_mask(uint8_t *mask, uint64_t key, uint64_t start, long first_index, float p, long begin, long end) {
    bk_dropout_mask_on(bk_dropout_mask_widest_target(), mask, key, start, first_index, p, begin, end);
}

BK_CLONES void bk_apply_mask(const float *from, float *to, const uint8_t *mask, float scale, int accumulate, long begin, long end) {
    if (from == to && !accumulate) {
        bk_apply_mask_in_place(to, mask, scale, begin, end);
    } else if (accumulate) {
        for (long i = begin; i < end; i++) to[i] += bk_kept(mask[i], from[i], scale);
    } else {
        for (long i = begin; i < end; i++) to[i] = bk_kept(mask[i], from[i], scale);
    }
}

void bk_configure_allocator(void) {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}

// ---------------------------------------------------------------- AdamW
BK_CLONES void bk_adamw_update(float *restrict param, const float *restrict grad, float grad_scale,
                               float *restrict m, float *restrict v, long begin, long end,
                               float decay, float weight, int weight_is_small, float beta2, float one_minus_beta2,
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
