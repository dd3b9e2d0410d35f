#include "CKernels.h"
#include "targets.h"

int bk_vector_widest_target(void) {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx512f")) return BK_TARGET_AVX512;
    if (__builtin_cpu_supports("avx2")) return BK_TARGET_AVX2;
#endif
    return BK_TARGET_BASELINE;
}
