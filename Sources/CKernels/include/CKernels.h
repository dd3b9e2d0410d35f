// CKernels: BertKit's element-wise and per-row kernels, in C so that one binary runs the widest
// vector instructions the CPU has: each function is compiled for AVX-512, AVX2 and baseline
// x86-64, one static function per target, the widest the CPU runs picked at each call
// (targets.h), and gives the same bits on each. Swift's own SIMD types
// compile to the SSE2 baseline. Each kernel has a plain Swift reference in Sources/Tensor that the tests compare
// against. Ranges are [begin, end) so that callers can split work across threads.
#ifndef BERTKIT_CKERNELS_H
#define BERTKIT_CKERNELS_H
#include <stdint.h>

// y = 0.5·x·(1 + erf(x/√2)) for i in [begin, end)
void bk_gelu_erf_forward(const float *x, float *y, long begin, long end);
// dx += dy · d/dx gelu(x), or dx = ... when accumulate is 0 (dx may then hold anything)
void bk_gelu_erf_backward(const float *x, const float *dy, float *dx, int accumulate, long begin, long end);
// the tanh form (gelu_new)
void bk_gelu_tanh_forward(const float *x, float *y, long begin, long end);
void bk_gelu_tanh_backward(const float *x, const float *dy, float *dx, int accumulate, long begin, long end);

// y = gelu(x) and d = gelu'(x) in one pass (the same bits as the kernels above); x, y, d distinct
void bk_gelu_erf_value_and_derivative(const float *x, float *y, float *d, long begin, long end);
void bk_gelu_tanh_value_and_derivative(const float *x, float *y, float *d, long begin, long end);
// dx += g ⊙ d, or dx = g ⊙ d when accumulate is 0 (as the backward kernels add dy·gelu'(x));
// dx may be g itself when not accumulating, d is distinct from both
void bk_multiply(const float *g, const float *d, float *dx, int accumulate, long begin, long end);

// Attention's softmax rows (softmax.c), four rows at a time; the same bits on every target.
// Rows [begin, end) of a (rows, cols) matrix, in place: s = softmax(s + mask) where mask is one
// additive row of cols values shared by all rows (NULL for none).
void bk_softmax_rows(float *s, const float *mask, long cols, long begin, long end);
// Rows [begin, end), in place in g: g = p ⊙ (g - rowsum(g ⊙ p)).
void bk_softmax_backward_rows(const float *p, float *g, long cols, long begin, long end);
// Attention-probability dropout fused in, row by row, the same bits as the separate kernels:
// bk_softmax_rows, then dropped = bk_apply_mask(s, keep, keep_scale) (dropped distinct from s);
void bk_softmax_dropout_rows(float *s, const float *mask, const uint8_t *keep, float keep_scale,
                             float *dropped, long cols, long begin, long end);
// g = bk_apply_mask(g, keep, keep_scale) in place, then bk_softmax_backward_rows(p, g).
void bk_softmax_dropout_backward_rows(const float *p, float *g, const uint8_t *keep, float keep_scale,
                                      long cols, long begin, long end);
// The same on a given target, for the tests (2 AVX-512, 1 AVX2, 0 baseline), keep NULL for no
// dropout.
void bk_softmax_rows_on(int target, float *s, const float *mask, const uint8_t *keep, float keep_scale,
                        float *dropped, long cols, long begin, long end);
void bk_softmax_backward_rows_on(int target, const float *p, float *g, const uint8_t *keep, float keep_scale,
                                 long cols, long begin, long end);
// The widest target this CPU runs for softmax.c's and layer_norm.c's vector code.
int bk_vector_widest_target(void);

// C (m, n) = alpha·A·B, or alpha·A·B + C when beta is 1 (beta 0: C is written, never read), for
// attention's small products (small_gemm.c): A(i, p) = a[i·a_row + p·a_col] in any layout,
// B(p, j) = b[p·ldb + j], C(i, j) = c[i·ldc + j]. The same bits on every target.
typedef struct {
    long m, n, k;
    float alpha;
    const float *a;
    long a_row, a_col;   // (lda, 1) for A stored (m, k), (1, lda) for A stored transposed (k, m)
    const float *b;
    long ldb;
    float beta;          // 0 or 1
    float *c;
    long ldc;
} bk_small_gemm_args;
void bk_small_gemm(bk_small_gemm_args args);
// The same on a given target, for the tests: 2 AVX-512, 1 AVX2 + FMA, 0 baseline (scalar);
// the widest this CPU runs (what bk_small_gemm uses).
void bk_small_gemm_on(int target, bk_small_gemm_args args);
int bk_small_gemm_widest_target(void);
// out (cols, rows) = the transpose of in (rows, cols), in's rows ld_in apart.
void bk_transpose(const float *in, long ld_in, long rows, long cols, float *out);
// The same in 8 x 8 register blocks (vectorised != 0, AVX) or one element at a time: for the tests.
void bk_transpose_on(int vectorised, const float *in, long ld_in, long rows, long cols, float *out);
int bk_transpose_can_vectorise(void);
// out (rows, cols), rows cols apart, = in (rows, cols), rows ld_in apart: a block packed.
void bk_copy_block(const float *in, long ld_in, long rows, long cols, float *out);

// A prefetch hint for every cache line of `rows` rows of `row_bytes` bytes, ld_bytes apart
// (attention's next (sequence, head) pair), for reading or (for_write != 0) for writing.
// Changes no value.
void bk_prefetch_rows(const void *base, long ld_bytes, long rows, long row_bytes, int for_write);

// into[c] += Σ_r m[r·stride + c] for columns [begin, end), rows added in order (a bias gradient).
void bk_add_column_sums(const float *m, long rows, long stride, float *into, long begin, long end);

// Layer norm (layer_norm.c), four rows at a time; the same bits on every target.
// Layer norm over rows [begin, end) of (rows, cols): y = (x - mean)·rstd·gamma + beta;
// when residual is not NULL the input is x + residual, and that sum is stored in sum_out
// (the backward needs it; sum_out may be y itself when nothing will be kept). With a dropout
// keep mask (keep not NULL, residual not NULL) the input is dropout(x) + residual: x·keep_scale
// where kept, 0 where dropped. mean and rstd receive one value per row.
typedef struct {
    const float *x;
    const uint8_t *keep;       // NULL: no dropout
    float keep_scale;
    const float *residual;     // NULL: no residual
    float *sum_out;
    const float *gamma, *beta;
    float *y;
    float *mean, *rstd;
    long cols;
    float eps;
} bk_layer_norm_forward_args;
void bk_layer_norm_forward(bk_layer_norm_forward_args args, long begin, long end);
// dx (=) rstd·(g - mean(g) - xhat·mean(g·xhat)) with g = dy·gamma, rows [begin, end);
// dgamma_partial/dbeta_partial (cols each) accumulate this range's Σ dy·xhat and Σ dy.
// With dropped_dx (then accumulate must be 0): dropped_dx (=) dx·keep·keep_scale, the
// gradient of the input that went through dropout before the residual add.
typedef struct {
    const float *x, *dy, *gamma, *mean, *rstd;
    float *dx;
    int accumulate;            // dx += (1) or dx = (0)
    float *dropped_dx;         // NULL: no dropout
    const uint8_t *keep;
    float keep_scale;
    int accumulate_dropped;    // dropped_dx += (1) or dropped_dx = (0)
    float *dgamma_partial, *dbeta_partial;
    long cols;
} bk_layer_norm_backward_args;
void bk_layer_norm_backward(bk_layer_norm_backward_args args, long begin, long end);
// The same on a given target (2 AVX-512, 1 AVX2, 0 baseline), for the tests.
void bk_layer_norm_forward_on(int target, bk_layer_norm_forward_args args, long begin, long end);
void bk_layer_norm_backward_on(int target, bk_layer_norm_backward_args args, long begin, long end);

// Philox4x32-10 inverted dropout: element i (global index first_index + i) is kept when the
// 24-bit uniform from lane g % 4 of block start + g / 4 is >= p, and kept values are scaled by
// 1 / (1 - p); the mask is drawn once and applied in the forward and again in the backward.
// The keep mask alone: mask[i] = 1 where element first_index + i is kept, else 0, for i in
// [begin, end). Sixteen Philox blocks at a time, so the rounds run in vector registers.
void bk_dropout_mask(uint8_t *mask, uint64_t key, uint64_t start, long first_index, float p, long begin, long end);
// The same with the whole 64-element groups drawn by a vector loop (target 2: AVX-512, 1: AVX2)
// or by the portable one (0): the same bits on every path (for the tests).
void bk_dropout_mask_on(int target, uint8_t *mask, uint64_t key, uint64_t start, long first_index, float p,
                        long begin, long end);
// The widest path this CPU runs: 2 with AVX-512 F + BW and BMI2, 1 with AVX2 and BMI2, else 0.
int bk_dropout_mask_widest_target(void);
// mask[0 ..< 64·groups] of the Philox blocks first_block ... on a vector path (dropout_mask_simd.c).
void bk_dropout_mask_groups(int target, uint8_t *mask, uint64_t key, uint64_t first_block, long groups, uint32_t threshold);
// to[i] (=|+=) from[i] · mask[i] · scale for i in [begin, end).
void bk_apply_mask(const float *from, float *to, const uint8_t *mask, float scale, int accumulate, long begin, long end);

// One AdamW step over [begin, end) on grad·grad_scale (the clip coefficient), in torch's fp32
// operation order (AdamWKernel.swift explains the scalars): param·decay +
// negative_step·m1/(sqrt(v1)/bias_correction2_sqrt + eps), with m1 the lerp of m toward grad and
// v1 = v·beta2 + (1-beta2)·g·g. param, grad, m and v do not overlap.
typedef struct {
    float *param;
    const float *grad;
    float grad_scale;
    float *m, *v;
    float decay, weight;
    int weight_is_small;       // the lerp's form: m + weight·(g - m) (1) or g - (g - m)·(1 - weight) (0)
    float beta2, one_minus_beta2, bias_correction2_sqrt, eps, negative_step;
} bk_adamw_args;
void bk_adamw_update(bk_adamw_args args, long begin, long end);

// Keeps freed blocks up to 32 MiB in malloc's heap (mallopt M_MMAP_THRESHOLD), so that the
// tensor buffers of one training step are reused by the next without new page faults.
void bk_configure_allocator(void);

// bfloat16 (bf16.c): float32 -> bf16 bits exactly as PyTorch's `.to(torch.bfloat16)` (round to
// nearest even on the float's bits, NaN -> 0x7FC0, overflow to infinity), and back. Integer
// operations, the same bits on every target. BFloat16.swift has the scalar Swift reference.
// out[i] = bf16(x[i]) for i in [0, n)
void bk_round_bf16(const float *x, uint16_t *out, long n);
// out (rows, columns), dense, = bf16 of x (rows, columns) whose rows are row_stride apart
void bk_round_bf16_matrix(const float *x, long rows, long columns, long row_stride, uint16_t *out);
// in place: x[i] = the float whose bits are bf16(x[i]) << 16 (x rounded to the nearest bf16 value)
void bk_round_bf16_values(float *x, long n);

// Ctrl-C (interrupt.c): installs a SIGINT and SIGTERM handler that sets a flag and writes
// `message` (copied, at most 255 bytes) to stderr; a second signal exits with status 130.
void bk_interrupt_install(const char *message);
// 1 once a signal asked to stop, else 0
int bk_interrupt_requested(void);

#endif
