#include "CKernels.h"
#include <immintrin.h>

// Dropout keep masks 64 elements at a time with AVX-512: the sixteen Philox4x32-10 blocks of a
// group in the sixteen 32-bit lanes of four registers, one block per lane. The portable loop
// in kernels.c runs the same rounds on arrays, which the compiler vectorises only partly (0.59 ns
// per element on this project's Zen 5 CPU, the largest element-wise cost of a MiniLM training
// step; this loop: 0.24). Same bits as that loop (tested): the same counters, rounds, keys and
// threshold.

#if defined(__x86_64__)
#define BK_AVX512_MASK_TARGET __attribute__((target("avx512f,avx512bw,bmi2")))

// (hi, lo) halves of the 32 x 32 -> 64-bit products a·m, lane by lane.
BK_AVX512_MASK_TARGET static inline void bk_mul_hi_lo(__m512i a, __m512i m, __m512i *hi, __m512i *lo) {
    __m512i even = _mm512_mul_epu32(a, m);                            // lanes 0, 2, ...: 64-bit products
    __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), m);      // lanes 1, 3, ...
    *lo = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
    *hi = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 32), odd);
}

// The sixteen blocks of `ways` groups, side by side: the rounds are a chain of dependent
// multiplies, and independent chains keep the multipliers busy (two groups: 0.24 ns per
// element, one: 0.35, four: 0.26).
// mask[0 ..< 64·ways] for the blocks first_block, first_block + 1, ...: element 4·b + lane of a
// group is lane `lane` of its block b.
BK_AVX512_MASK_TARGET static inline __attribute__((always_inline)) void
bk_dropout_groups(const int ways, uint8_t *mask, uint64_t key, uint64_t first_block, uint32_t threshold) {
    const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i m0 = _mm512_set1_epi32((int)0xD2511F53u), m1 = _mm512_set1_epi32((int)0xCD9E8D57u);
    __m512i c0[2], c1[2], c2[2], c3[2];
    for (int w = 0; w < ways; w++) {
        uint64_t base = first_block + 16 * (uint64_t)w;
        // the 64-bit counter base + lane: low words, and high words with the carry where the low wrapped
        __m512i low_base = _mm512_set1_epi32((int)(uint32_t)base);
        c0[w] = _mm512_add_epi32(low_base, iota);
        c1[w] = _mm512_set1_epi32((int)(uint32_t)(base >> 32));
        c1[w] = _mm512_mask_add_epi32(c1[w], _mm512_cmplt_epu32_mask(c0[w], low_base), c1[w], _mm512_set1_epi32(1));
        c2[w] = _mm512_setzero_si512();
        c3[w] = _mm512_setzero_si512();
    }
    uint32_t k0 = (uint32_t)key, k1 = (uint32_t)(key >> 32);
    for (int round = 0; round < 10; round++) {
        __m512i key0 = _mm512_set1_epi32((int)k0), key1 = _mm512_set1_epi32((int)k1);
        for (int w = 0; w < ways; w++) {
            __m512i hi0, lo0, hi1, lo1;
            bk_mul_hi_lo(c0[w], m0, &hi0, &lo0);
            bk_mul_hi_lo(c2[w], m1, &hi1, &lo1);
            __m512i n0 = _mm512_xor_si512(_mm512_xor_si512(hi1, c1[w]), key0);
            __m512i n2 = _mm512_xor_si512(_mm512_xor_si512(hi0, c3[w]), key1);
            c0[w] = n0; c1[w] = lo1; c2[w] = n2; c3[w] = lo0;
        }
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    const __m512i limit = _mm512_set1_epi32((int)threshold);
    for (int w = 0; w < ways; w++) {
        // keep where the top 24 bits reach the threshold; bit b of keep_lane is block b's
        uint64_t keep0 = _mm512_cmpge_epu32_mask(_mm512_srli_epi32(c0[w], 8), limit);
        uint64_t keep1 = _mm512_cmpge_epu32_mask(_mm512_srli_epi32(c1[w], 8), limit);
        uint64_t keep2 = _mm512_cmpge_epu32_mask(_mm512_srli_epi32(c2[w], 8), limit);
        uint64_t keep3 = _mm512_cmpge_epu32_mask(_mm512_srli_epi32(c3[w], 8), limit);
        // element order 4·b + lane: each lane's sixteen bits to every fourth bit
        uint64_t keep = _pdep_u64(keep0, 0x1111111111111111ull) | _pdep_u64(keep1, 0x2222222222222222ull)
                      | _pdep_u64(keep2, 0x4444444444444444ull) | _pdep_u64(keep3, 0x8888888888888888ull);
        _mm512_storeu_si512(mask + 64 * w, _mm512_maskz_set1_epi8(keep, 1));
    }
}

// mask[0 ..< 64·groups] for the blocks first_block, first_block + 1, ...
BK_AVX512_MASK_TARGET static void bk_dropout_groups_avx512(uint8_t *mask, uint64_t key, uint64_t first_block,
                                                            long groups, uint32_t threshold) {
    long g = 0;
    for (; g + 2 <= groups; g += 2) bk_dropout_groups(2, mask + 64 * g, key, first_block + 16 * (uint64_t)g, threshold);
    for (; g < groups; g++) bk_dropout_groups(1, mask + 64 * g, key, first_block + 16 * (uint64_t)g, threshold);
}
#endif

int bk_dropout_mask_can_use_avx512(void) {
#if defined(__x86_64__)
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("bmi2");
#else
    return 0;
#endif
}

void bk_dropout_mask_groups_avx512(uint8_t *mask, uint64_t key, uint64_t first_block, long groups, uint32_t threshold) {
#if defined(__x86_64__)
    bk_dropout_groups_avx512(mask, key, first_block, groups, threshold);
#else
    (void)mask; (void)key; (void)first_block; (void)groups; (void)threshold;
    __builtin_trap();   // only called after bk_dropout_mask_can_use_avx512() said yes
#endif
}
