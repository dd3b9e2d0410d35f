#include "CKernels.h"
#include <math.h>
#include "exp_parts.h"
#include "vector16.h"
#include "targets.h"

// Attention's softmax rows, forward and backward, four rows at a time.
//
// A row of attention is short (L = 128 keys: eight 16-float vectors), and each of its passes
// ends in a reduction (the max, the sum of the exponentials, the dot product of the backward)
// whose adds form one dependent chain per lane, then a halving tree across the lanes. One row
// at a time, the CPU waits on those chains far longer than the exponentials take. Four
// independent rows in the same loop overlap their chains (BENCHMARKS.md, sitting 6).
//
// Every row's arithmetic is fixed and the same on every target: element j goes to lane j % 16,
// each lane adds its elements in order (starting from +0), the lanes are combined by the
// halving tree 16 -> 8 -> 4 -> 2 -> 1, and exp is the range reduction and degree-6 polynomial
// below, each operation rounded as written. A row's tail (cols not a multiple of 16) is a
// vector padded with values that change nothing: -inf for the max and the exponentials (whose
// exp is 0), 0 for the sums (adding +0 to a non-negative-zero sum leaves its bits).
#pragma clang fp contract(off)

// bk_exp of kernels.c, lane by lane (the same exp_parts.h): x = n·ln2 + r, e^r by a degree-6
// polynomial, 2^n through the exponent bits; below about -87.3 the result is 0 (a masked score).
static inline __attribute__((always_inline)) bk_vec16 bk_exp16(bk_vec16 x) {
    bk_int16 underflow = x < bk_splat16(BK_EXP_LOWEST);
    x = __builtin_elementwise_min(__builtin_elementwise_max(x, bk_splat16(BK_EXP_LOWEST)), bk_splat16(BK_EXP_HIGHEST));
    bk_vec16 n = __builtin_elementwise_round(BK_EXP_SCALED(x));
    bk_vec16 p = BK_EXP_POLYNOMIAL(BK_EXP_REDUCED(x, n));
    bk_int16 exponent = (__builtin_convertvector(n, bk_int16) + 127) << 23;
    bk_vec16 scale;
    __builtin_memcpy(&scale, &exponent, sizeof scale);
    bk_vec16 value = p * scale;
    bk_int16 bits;
    __builtin_memcpy(&bits, &value, sizeof bits);
    bits &= ~underflow;   // +0 where it underflows
    __builtin_memcpy(&value, &bits, sizeof value);
    return value;
}

// `count` rows (4, or 1 for the last rows), the first at s, the next ones cols floats apart:
// s = softmax(s + mask) in place, then dropped = kept(keep, s) when keep is not NULL.
static inline __attribute__((always_inline)) void bk_softmax_row_group(const int count, const int with_mask,
                                                                       const int with_keep, float *s, const float *mask,
                                                                       const uint8_t *keep, float keep_scale,
                                                                       float *dropped, long cols) {
    bk_vec16 largest[4], sum[4];
    for (int r = 0; r < count; r++) {
        largest[r] = bk_splat16(-INFINITY);
        sum[r] = bk_splat16(0);
    }
    // the mask added in place, and each row's max
    BK_FOR_EACH_VECTOR(cols, {
        bk_vec16 m = with_mask ? bk_load_part16(mask + j, n, 0.0f) : bk_splat16(0);
        for (int r = 0; r < count; r++) {
            float *row = s + r * cols + j;
            bk_vec16 v = bk_load_part16(row, n, -INFINITY);
            if (with_mask) { v += m; bk_store_part16(row, v, n); }
            largest[r] = __builtin_elementwise_max(largest[r], v);
        }
    })
    bk_vec16 shift[4];
    for (int r = 0; r < count; r++) shift[r] = bk_splat16(bk_max16(largest[r]));
    // exponentiate and sum
    BK_FOR_EACH_VECTOR(cols, {
        for (int r = 0; r < count; r++) {
            float *row = s + r * cols + j;
            bk_vec16 e = bk_exp16(bk_load_part16(row, n, -INFINITY) - shift[r]);
            bk_store_part16(row, e, n);
            sum[r] += e;
        }
    })
    bk_vec16 inverse[4];
    for (int r = 0; r < count; r++) inverse[r] = bk_splat16(1.0f / bk_tree_sum16(sum[r]));
    // normalise (and drop)
    BK_FOR_EACH_VECTOR(cols, {
        for (int r = 0; r < count; r++) {
            float *row = s + r * cols + j;
            bk_vec16 v = bk_load_part16(row, n, 0.0f) * inverse[r];
            bk_store_part16(row, v, n);
            if (with_keep) bk_store_part16(dropped + r * cols + j, bk_kept16(keep + r * cols + j, n, v, keep_scale), n);
        }
    })
}

// `count` rows of the backward, in place in g: g = kept(keep, g) when keep is not NULL, then
// g = p ⊙ (g - rowsum(g ⊙ p)).
static inline __attribute__((always_inline)) void bk_softmax_backward_row_group(const int count, const int with_keep,
                                                                                const float *p, float *g,
                                                                                const uint8_t *keep, float keep_scale,
                                                                                long cols) {
    bk_vec16 dot[4];
    for (int r = 0; r < count; r++) dot[r] = bk_splat16(0);
    BK_FOR_EACH_VECTOR(cols, {
        for (int r = 0; r < count; r++) {
            float *gr = g + r * cols + j;
            bk_vec16 gv = bk_load_part16(gr, n, 0.0f);
            if (with_keep) { gv = bk_kept16(keep + r * cols + j, n, gv, keep_scale); bk_store_part16(gr, gv, n); }
            dot[r] += gv * bk_load_part16(p + r * cols + j, n, 0.0f);
        }
    })
    bk_vec16 total[4];
    for (int r = 0; r < count; r++) total[r] = bk_splat16(bk_tree_sum16(dot[r]));
    BK_FOR_EACH_VECTOR(cols, {
        for (int r = 0; r < count; r++) {
            float *gr = g + r * cols + j;
            bk_vec16 pv = bk_load_part16(p + r * cols + j, n, 0.0f);
            bk_store_part16(gr, pv * (bk_load_part16(gr, n, 0.0f) - total[r]), n);
        }
    })
}

// Rows [begin, end): groups of four, then the rest one at a time; one copy of the loops per
// (group size, mask, dropout), so that no test runs inside them.
static inline __attribute__((always_inline)) void bk_softmax_rows_all(float *s, const float *mask, const uint8_t *keep,
                                                                      float keep_scale, float *dropped,
                                                                      long cols, long begin, long end) {
    for (long r = begin; r < end;) {
        const int count = r + 4 <= end ? 4 : 1;
        float *rows = s + r * cols, *out = keep ? dropped + r * cols : 0;
        const uint8_t *k = keep ? keep + r * cols : 0;
#define BK_GROUP(count, with_mask, with_keep) \
        bk_softmax_row_group(count, with_mask, with_keep, rows, mask, k, keep_scale, out, cols)
        if (count == 4) {
            if (!keep) { if (mask) BK_GROUP(4, 1, 0); else BK_GROUP(4, 0, 0); }
            else { if (mask) BK_GROUP(4, 1, 1); else BK_GROUP(4, 0, 1); }
        } else {
            if (!keep) { if (mask) BK_GROUP(1, 1, 0); else BK_GROUP(1, 0, 0); }
            else { if (mask) BK_GROUP(1, 1, 1); else BK_GROUP(1, 0, 1); }
        }
#undef BK_GROUP
        r += count;
    }
}

static inline __attribute__((always_inline)) void bk_softmax_backward_rows_all(const float *p, float *g, const uint8_t *keep,
                                                                               float keep_scale, long cols, long begin, long end) {
    for (long r = begin; r < end;) {
        const int count = r + 4 <= end ? 4 : 1;
        const float *pr = p + r * cols;
        float *gr = g + r * cols;
        const uint8_t *k = keep ? keep + r * cols : 0;
        if (count == 4) {
            if (keep) bk_softmax_backward_row_group(4, 1, pr, gr, k, keep_scale, cols);
            else bk_softmax_backward_row_group(4, 0, pr, gr, k, keep_scale, cols);
        } else {
            if (keep) bk_softmax_backward_row_group(1, 1, pr, gr, k, keep_scale, cols);
            else bk_softmax_backward_row_group(1, 0, pr, gr, k, keep_scale, cols);
        }
        r += count;
    }
}

// One function per target; the vector code is the same, only the instructions differ.
BK_EACH_TARGET(bk_softmax, (float *s, const float *mask, const uint8_t *keep, float keep_scale, float *dropped,
                            long cols, long begin, long end),
    bk_softmax_rows_all(s, mask, keep, keep_scale, dropped, cols, begin, end);
)

BK_EACH_TARGET(bk_softmax_backward, (const float *p, float *g, const uint8_t *keep, float keep_scale,
                                     long cols, long begin, long end),
    bk_softmax_backward_rows_all(p, g, keep, keep_scale, cols, begin, end);
)

void bk_softmax_rows_on(int target, float *s, const float *mask, const uint8_t *keep, float keep_scale,
                        float *dropped, long cols, long begin, long end) {
    BK_DISPATCH(target, bk_softmax, (s, mask, keep, keep_scale, dropped, cols, begin, end));
}

void bk_softmax_backward_rows_on(int target, const float *p, float *g, const uint8_t *keep, float keep_scale,
                                 long cols, long begin, long end) {
    BK_DISPATCH(target, bk_softmax_backward, (p, g, keep, keep_scale, cols, begin, end));
}

void bk_softmax_rows(float *s, const float *mask, long cols, long begin, long end) {
    bk_softmax_rows_on(bk_vector_widest_target(), s, mask, 0, 0, 0, cols, begin, end);
}

void bk_softmax_dropout_rows(float *s, const float *mask, const uint8_t *keep, float keep_scale,
                             float *dropped, long cols, long begin, long end) {
    bk_softmax_rows_on(bk_vector_widest_target(), s, mask, keep, keep_scale, dropped, cols, begin, end);
}

void bk_softmax_backward_rows(const float *p, float *g, long cols, long begin, long end) {
    bk_softmax_backward_rows_on(bk_vector_widest_target(), p, g, 0, 0, cols, begin, end);
}

void bk_softmax_dropout_backward_rows(const float *p, float *g, const uint8_t *keep, float keep_scale,
                                      long cols, long begin, long end) {
    bk_softmax_backward_rows_on(bk_vector_widest_target(), p, g, keep, keep_scale, cols, begin, end);
}
