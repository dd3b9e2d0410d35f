// How every kernel here picks its instructions. A kernel with vector code is compiled once per
// target as a static function, name_avx512, name_avx2 and name_baseline (from one source with
// BK_EACH_TARGET, or by hand where the targets' code differs, as small_gemm.c's tiles), and
// BK_DISPATCH(target, name, args) calls one. The exported kernel passes the widest target the
// CPU runs, asked at each call (bk_vector_widest_target(), or the kernel's own query where it
// needs more instructions: FMA, BMI2); a kernel's `_on` variant takes the target from the caller,
// so that the tests run every target the CPU has and compare their bits. Every target gives the
// same bits. Targets are numbered as in CKernels.h: 2 AVX-512, 1 AVX2, 0 baseline.
#ifndef BERTKIT_TARGETS_H
#define BERTKIT_TARGETS_H
#include "CKernels.h"

#define BK_TARGET_AVX512 2
#define BK_TARGET_AVX2 1
#define BK_TARGET_BASELINE 0

#if defined(__x86_64__)
#define BK_DISPATCH(target, name, args) do { \
        const int bk_target = (target); \
        if (bk_target == BK_TARGET_AVX512) name##_avx512 args; \
        else if (bk_target == BK_TARGET_AVX2) name##_avx2 args; \
        else name##_baseline args; \
    } while (0)

// name_avx512, name_avx2 and name_baseline, each `void name_... params { body }` compiled for its
// target; avx512_prefix and avx2_prefix go before the body on those targets (a loop pragma that
// suits the target's register file, or nothing).
#define BK_EACH_TARGET_WITH(name, params, avx512_prefix, avx2_prefix, ...) \
    __attribute__((target("avx512f"))) static void name##_avx512 params { avx512_prefix __VA_ARGS__ } \
    __attribute__((target("avx2"))) static void name##_avx2 params { avx2_prefix __VA_ARGS__ } \
    static void name##_baseline params { __VA_ARGS__ }
#else
#define BK_DISPATCH(target, name, args) do { (void)(target); name##_baseline args; } while (0)
#define BK_EACH_TARGET_WITH(name, params, avx512_prefix, avx2_prefix, ...) \
    static void name##_baseline params { __VA_ARGS__ }
#endif

#define BK_EACH_TARGET(name, params, ...) BK_EACH_TARGET_WITH(name, params, , , __VA_ARGS__)

// The exported kernel `void name params`: `body` on each target, the widest the CPU runs chosen
// at the call. `args` names the parameters in order.
#define BK_VECTOR_KERNEL(name, params, args, ...) \
    BK_EACH_TARGET(name, params, __VA_ARGS__) \
    void name params { BK_DISPATCH(bk_vector_widest_target(), name, args); }

#endif
