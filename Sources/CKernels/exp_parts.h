// The pieces of exp, written once for the scalar exp (kernels.c) and the 16-float one (softmax.c)
// so that the two give the same bits. Each is an expression in x, n or r of either type: C's
// arithmetic operators take a float or a GCC vector alike (a float operand is broadcast), and the
// files that use them compile without contraction, so every step rounds as written.
#ifndef BERTKIT_EXP_PARTS_H
#define BERTKIT_EXP_PARTS_H

// x is clamped to [lowest, highest]; below lowest, e^x underflows to 0 (as expf's does).
#define BK_EXP_LOWEST (-87.33654f)
#define BK_EXP_HIGHEST 88.72283f
// x·log2(e), rounded to the nearest integer, is n.
#define BK_EXP_SCALED(x) ((x) * 1.44269504088896341f)
// r = x - n·ln2, |r| <= ln2/2, with ln2 in two parts so that n times the first is exact.
#define BK_EXP_REDUCED(x, n) ((x) - (n) * 0.693145751953125f - (n) * 1.428606765330187e-06f)
// e^r by the degree-6 Taylor polynomial, Horner's rule (relative error ~2e-7).
#define BK_EXP_POLYNOMIAL(r) \
    ((((((1.0f / 720.0f * (r) + 1.0f / 120.0f) * (r) + 1.0f / 24.0f) * (r) + 1.0f / 6.0f) * (r) + 0.5f) * (r) + 1.0f) * (r) + 1.0f)

#endif
