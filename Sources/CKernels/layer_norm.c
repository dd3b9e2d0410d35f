#include "CKernels.h"
#include <math.h>
#include "vector16.h"
#include "targets.h"

// Layer norm over rows, forward and backward, four rows at a time (as softmax.c, and for the
// same reason: each row's mean, variance and gradient sums are dependent chains of adds, and
// four rows in one loop overlap them; measured forward and backward in BENCHMARKS.md, sitting 6).
//
// A row's arithmetic is fixed and the same on every target: element j goes to lane j % 16,
// each lane adds in order from +0, the lanes are combined by the halving tree, and every other
// operation is the expression in CKernels.h, rounded as written. dgamma and dbeta add row after
// row. A row's tail is a vector padded with values that add +0: 0 for the sums, the mean for
// the centred values.
#pragma clang fp contract(off)

// `count` rows (4, or 1 for the last ones), the first at row 0 of every pointer; with_residual
// and with_keep are constants at every call (one copy of the loops each).
static inline __attribute__((always_inline)) void bk_layer_norm_forward_group(
        const int count, const int with_residual, const int with_keep,
        const float *x, const uint8_t *keep, float keep_scale, const float *residual, float *sum_out,
        const float *gamma, const float *beta, float *y, float *mean, float *rstd, long cols, float eps) {
    // the input (x, or dropout(x) + residual stored in sum_out), and its sum
    const float *in = with_residual ? sum_out : x;
    bk_vec16 total[4];
    for (int r = 0; r < count; r++) total[r] = bk_splat16(0);
    BK_FOR_EACH_VECTOR(cols, {
        for (int r = 0; r < count; r++) {
            long at = r * cols + j;
            bk_vec16 v = bk_load_part16(x + at, n, 0.0f);
            if (with_residual) {
                if (with_keep) v = bk_kept16(keep + at, n, v, keep_scale);
                v += bk_load_part16(residual + at, n, 0.0f);
                bk_store_part16(sum_out + at, v, n);
            }
            total[r] += v;
        }
    })
    float m[4];
    bk_vec16 centre[4], deviation[4];
    for (int r = 0; r < count; r++) {
        m[r] = bk_tree_sum16(total[r]) / (float)cols;
        centre[r] = bk_splat16(m[r]);
        deviation[r] = bk_splat16(0);
    }
    // the variance of the centred values
    BK_FOR_EACH_VECTOR(cols, {
        for (int r = 0; r < count; r++) {
            bk_vec16 d = bk_load_part16(in + r * cols + j, n, m[r]) - centre[r];
            deviation[r] += d * d;
        }
    })
    bk_vec16 scale[4];
    for (int r = 0; r < count; r++) {
        float s = 1.0f / sqrtf(bk_tree_sum16(deviation[r]) / (float)cols + eps);
        scale[r] = bk_splat16(s);
        mean[r] = m[r];
        rstd[r] = s;
    }
    // normalise, scale, shift (y may be sum_out itself: each vector is read before it is written)
    BK_FOR_EACH_VECTOR(cols, {
        bk_vec16 g = bk_load_part16(gamma + j, n, 0.0f), b = bk_load_part16(beta + j, n, 0.0f);
        for (int r = 0; r < count; r++) {
            bk_vec16 v = bk_load_part16(in + r * cols + j, n, 0.0f);
            bk_store_part16(y + r * cols + j, (v - centre[r]) * scale[r] * g + b, n);
        }
    })
}

static inline __attribute__((always_inline)) void bk_layer_norm_backward_group(
        const int count, const float *x, const float *dy, const float *gamma, const float *mean, const float *rstd,
        float *dx, int accumulate, float *dropped_dx, const uint8_t *keep, float keep_scale, int accumulate_dropped,
        float *dgamma_partial, float *dbeta_partial, long cols) {
    bk_vec16 centre[4], scale[4], sum_g[4], sum_gx[4];
    for (int r = 0; r < count; r++) {
        centre[r] = bk_splat16(mean[r]);
        scale[r] = bk_splat16(rstd[r]);
        sum_g[r] = sum_gx[r] = bk_splat16(0);
    }
    // g = dy·gamma and its sums with and without x̂; dgamma += dy·x̂, dbeta += dy, row after row
    BK_FOR_EACH_VECTOR(cols, {
        bk_vec16 gm = bk_load_part16(gamma + j, n, 0.0f);
        bk_vec16 dgamma = bk_load_part16(dgamma_partial + j, n, 0.0f), dbeta = bk_load_part16(dbeta_partial + j, n, 0.0f);
        for (int r = 0; r < count; r++) {
            long at = r * cols + j;
            bk_vec16 xhat = (bk_load_part16(x + at, n, mean[r]) - centre[r]) * scale[r];
            bk_vec16 d = bk_load_part16(dy + at, n, 0.0f);
            bk_vec16 g = d * gm;
            sum_g[r] += g;
            sum_gx[r] += g * xhat;
            dgamma += d * xhat;
            dbeta += d;
        }
        bk_store_part16(dgamma_partial + j, dgamma, n);
        bk_store_part16(dbeta_partial + j, dbeta, n);
    })
    bk_vec16 mean_g[4], mean_gx[4];
    for (int r = 0; r < count; r++) {
        mean_g[r] = bk_splat16(bk_tree_sum16(sum_g[r]) / (float)cols);
        mean_gx[r] = bk_splat16(bk_tree_sum16(sum_gx[r]) / (float)cols);
    }
    // dx = rstd·(g - mean(g) - x̂·mean(g·x̂)); through dropout's mask into dropped_dx
    BK_FOR_EACH_VECTOR(cols, {
        bk_vec16 gm = bk_load_part16(gamma + j, n, 0.0f);
        for (int r = 0; r < count; r++) {
            long at = r * cols + j;
            bk_vec16 xv = bk_load_part16(x + at, n, 0.0f), d = bk_load_part16(dy + at, n, 0.0f);
            bk_vec16 value = scale[r] * (d * gm - mean_g[r] - (xv - centre[r]) * scale[r] * mean_gx[r]);
            if (accumulate) value = bk_load_part16(dx + at, n, 0.0f) + value;
            bk_store_part16(dx + at, value, n);
            if (dropped_dx) {
                bk_vec16 dropped = bk_kept16(keep + at, n, value, keep_scale);
                if (accumulate_dropped) dropped = bk_load_part16(dropped_dx + at, n, 0.0f) + dropped;
                bk_store_part16(dropped_dx + at, dropped, n);
            }
        }
    })
}

// Rows [begin, end): groups of four, then the rest one at a time.
static inline __attribute__((always_inline)) void bk_layer_norm_forward_rows(bk_layer_norm_forward_args a, long begin, long end) {
    const long cols = a.cols;
    for (long r = begin; r < end;) {
        long at = r * cols;
        const uint8_t *k = a.keep ? a.keep + at : 0;
        const float *res = a.residual ? a.residual + at : 0;
        float *sum = a.residual ? a.sum_out + at : 0;
        // one copy of the loops per (group size, residual, keep): no tests inside them
#define BK_FORWARD_GROUP(count, with_residual, with_keep) bk_layer_norm_forward_group(count, with_residual, with_keep, \
            a.x + at, k, a.keep_scale, res, sum, a.gamma, a.beta, a.y + at, a.mean + r, a.rstd + r, cols, a.eps)
        const int count = r + 4 <= end ? 4 : 1;
        if (count == 4) {
            if (!a.residual) BK_FORWARD_GROUP(4, 0, 0);
            else if (!a.keep) BK_FORWARD_GROUP(4, 1, 0);
            else BK_FORWARD_GROUP(4, 1, 1);
        } else {
            if (!a.residual) BK_FORWARD_GROUP(1, 0, 0);
            else if (!a.keep) BK_FORWARD_GROUP(1, 1, 0);
            else BK_FORWARD_GROUP(1, 1, 1);
        }
#undef BK_FORWARD_GROUP
        r += count;
    }
}

static inline __attribute__((always_inline)) void bk_layer_norm_backward_rows(bk_layer_norm_backward_args a, long begin, long end) {
    const long cols = a.cols;
    for (long r = begin; r < end;) {
        long at = r * cols;
        float *dropped = a.dropped_dx ? a.dropped_dx + at : 0;
        const uint8_t *k = a.dropped_dx ? a.keep + at : 0;
        const int count = r + 4 <= end ? 4 : 1;
        if (count == 4) {
            bk_layer_norm_backward_group(4, a.x + at, a.dy + at, a.gamma, a.mean + r, a.rstd + r, a.dx + at, a.accumulate,
                                         dropped, k, a.keep_scale, a.accumulate_dropped, a.dgamma_partial, a.dbeta_partial, cols);
        } else {
            bk_layer_norm_backward_group(1, a.x + at, a.dy + at, a.gamma, a.mean + r, a.rstd + r, a.dx + at, a.accumulate,
                                         dropped, k, a.keep_scale, a.accumulate_dropped, a.dgamma_partial, a.dbeta_partial, cols);
        }
        r += count;
    }
}

// One function per target; the vector code is the same, only the instructions differ.
#define BK_LAYER_NORM_FORWARD_PARAMS bk_layer_norm_forward_args args, long begin, long end
#define BK_LAYER_NORM_FORWARD_ARGS args, begin, end
#define BK_LAYER_NORM_BACKWARD_PARAMS bk_layer_norm_backward_args args, long begin, long end
#define BK_LAYER_NORM_BACKWARD_ARGS args, begin, end

BK_EACH_TARGET(bk_layer_norm_forward, (BK_LAYER_NORM_FORWARD_PARAMS), bk_layer_norm_forward_rows(BK_LAYER_NORM_FORWARD_ARGS);)
BK_EACH_TARGET(bk_layer_norm_backward, (BK_LAYER_NORM_BACKWARD_PARAMS), bk_layer_norm_backward_rows(BK_LAYER_NORM_BACKWARD_ARGS);)

void bk_layer_norm_forward_on(int target, BK_LAYER_NORM_FORWARD_PARAMS) {
    BK_DISPATCH(target, bk_layer_norm_forward, (BK_LAYER_NORM_FORWARD_ARGS));
}

void bk_layer_norm_backward_on(int target, BK_LAYER_NORM_BACKWARD_PARAMS) {
    BK_DISPATCH(target, bk_layer_norm_backward, (BK_LAYER_NORM_BACKWARD_ARGS));
}

void bk_layer_norm_forward(BK_LAYER_NORM_FORWARD_PARAMS) {
    bk_layer_norm_forward_on(bk_vector_widest_target(), BK_LAYER_NORM_FORWARD_ARGS);
}

void bk_layer_norm_backward(BK_LAYER_NORM_BACKWARD_PARAMS) {
    bk_layer_norm_backward_on(bk_vector_widest_target(), BK_LAYER_NORM_BACKWARD_ARGS);
}
