#include "CKernels.h"
#include <immintrin.h>
#include <string.h>
#include "targets.h"

// Dropout keep masks 64 elements at a time in vector registers: the sixteen Philox4x32-10
// blocks of a group, one block per 32-bit lane (AVX-512: one register per state word; AVX2: two).
// The portable loop in kernels.c runs the same rounds on arrays, which the compiler vectorises
// only partly (it was the largest element-wise cost of a MiniLM training step; this file's loops
// and the portable one are measured in BENCHMARKS.md, sitting 5). Same bits as that loop (tested
// on every path the CPU runs): the same counters, rounds, keys and threshold.

#if defined(__x86_64__)
// ---------------------------------------------------------------- AVX-512
#define BK_AVX512_MASK_TARGET __attribute__((target("avx512f,avx512bw,bmi2")))

// (hi, lo) halves of the 32 x 32 -> 64-bit products a·m, lane by lane.
BK_AVX512_MASK_TARGET static inline void bk_mul_hi_lo(__m512i a, __m512i m, __m512i *hi, __m512i *lo) {
    __m512i even = _mm512_mul_epu32(a, m);                            // lanes 0, 2, ...: 64-bit products
    __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), m);      // lanes 1, 3, ...
    *lo = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
    *hi = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 32), odd);
}

// The sixteen blocks of `ways` groups, side by side: the rounds are a chain of dependent
// multiplies, and independent chains keep the multipliers busy (two groups ran fastest of one,
// two and four: BENCHMARKS.md, sitting 5).
// mask[0 ..< 64·ways] for the blocks first_block, first_block + 1, ...: element 4·b + lane of a
// group is lane `lane` of its block b.
BK_AVX512_MASK_TARGET static inline __attribute__((always_inline)) void
bk_dropout_groups_avx512_ways(const int ways, uint8_t *mask, uint64_t key, uint64_t first_block, uint32_t threshold) {
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
    for (; g + 2 <= groups; g += 2) bk_dropout_groups_avx512_ways(2, mask + 64 * g, key, first_block + 16 * (uint64_t)g, threshold);
    for (; g < groups; g++) bk_dropout_groups_avx512_ways(1, mask + 64 * g, key, first_block + 16 * (uint64_t)g, threshold);
}

// ---------------------------------------------------------------- AVX2
// A group's sixteen blocks in two halves of eight lanes, two groups' rounds interleaved (faster
// than one group at a time and than the portable loop's AVX2 build, measured by running this AVX2
// code on an AVX-512 CPU, not on an AVX2-only one: BENCHMARKS.md, sitting 5). AVX2 has no
// unsigned compare and no byte-mask store: the carry is a signed compare after flipping the sign
// bits, the keep test a signed compare (both sides are below 2^24), and the keep bits become
// bytes through pdep.
#define BK_AVX2_MASK_TARGET __attribute__((target("avx2,bmi2")))

BK_AVX2_MASK_TARGET static inline void bk_mul_hi_lo_avx2(__m256i a, __m256i m, __m256i *hi, __m256i *lo) {
    __m256i even = _mm256_mul_epu32(a, m);
    __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), m);
    *lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
    *hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
}

// `ways` groups' state side by side (two halves each): the rounds are chains of dependent
// multiplies, and independent chains keep the multipliers busy.
BK_AVX2_MASK_TARGET static inline __attribute__((always_inline)) void
bk_dropout_groups_avx2_ways(const int ways, uint8_t *mask, uint64_t key, uint64_t first_block, uint32_t threshold) {
    const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), sign = _mm256_set1_epi32((int)0x80000000u);
    const __m256i m0 = _mm256_set1_epi32((int)0xD2511F53u), m1 = _mm256_set1_epi32((int)0xCD9E8D57u);
    const __m256i below = _mm256_set1_epi32((int)(threshold - 1));   // keep: (bits >> 8) > threshold - 1
    __m256i c0[4], c1[4], c2[4], c3[4];
    for (int h = 0; h < 2 * ways; h++) {   // half h: blocks first_block + 8h ..< first_block + 8h + 8
        uint64_t base = first_block + 8 * (uint64_t)h;
        __m256i low_base = _mm256_set1_epi32((int)(uint32_t)base);
        c0[h] = _mm256_add_epi32(low_base, iota);
        // carry where the low word wrapped: c0 < low_base unsigned; the mask is -1 there
        __m256i wrapped = _mm256_cmpgt_epi32(_mm256_xor_si256(low_base, sign), _mm256_xor_si256(c0[h], sign));
        c1[h] = _mm256_sub_epi32(_mm256_set1_epi32((int)(uint32_t)(base >> 32)), wrapped);
        c2[h] = _mm256_setzero_si256();
        c3[h] = _mm256_setzero_si256();
    }
    uint32_t k0 = (uint32_t)key, k1 = (uint32_t)(key >> 32);
    for (int round = 0; round < 10; round++) {
        __m256i key0 = _mm256_set1_epi32((int)k0), key1 = _mm256_set1_epi32((int)k1);
        for (int h = 0; h < 2 * ways; h++) {
            __m256i hi0, lo0, hi1, lo1;
            bk_mul_hi_lo_avx2(c0[h], m0, &hi0, &lo0);
            bk_mul_hi_lo_avx2(c2[h], m1, &hi1, &lo1);
            __m256i n0 = _mm256_xor_si256(_mm256_xor_si256(hi1, c1[h]), key0);
            __m256i n2 = _mm256_xor_si256(_mm256_xor_si256(hi0, c3[h]), key1);
            c0[h] = n0; c1[h] = lo1; c2[h] = n2; c3[h] = lo0;
        }
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    for (int h = 0; h < 2 * ways; h++) {
        // bit b of keep_lane: block b of this half is kept in that lane
        uint32_t keep0 = (uint32_t)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_srli_epi32(c0[h], 8), below)));
        uint32_t keep1 = (uint32_t)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_srli_epi32(c1[h], 8), below)));
        uint32_t keep2 = (uint32_t)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_srli_epi32(c2[h], 8), below)));
        uint32_t keep3 = (uint32_t)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_srli_epi32(c3[h], 8), below)));
        // element order 4·b + lane, then one byte per element
        uint32_t keep = _pdep_u32(keep0, 0x11111111u) | _pdep_u32(keep1, 0x22222222u)
                      | _pdep_u32(keep2, 0x44444444u) | _pdep_u32(keep3, 0x88888888u);
        for (int part = 0; part < 4; part++) {
            uint64_t bytes = _pdep_u64((keep >> (8 * part)) & 0xFF, 0x0101010101010101ull);
            memcpy(mask + 32 * h + 8 * part, &bytes, sizeof bytes);
        }
    }
}

BK_AVX2_MASK_TARGET static void bk_dropout_groups_avx2(uint8_t *mask, uint64_t key, uint64_t first_block,
                                                       long groups, uint32_t threshold) {
    long g = 0;
    for (; g + 2 <= groups; g += 2) bk_dropout_groups_avx2_ways(2, mask + 64 * g, key, first_block + 16 * (uint64_t)g, threshold);
    for (; g < groups; g++) bk_dropout_groups_avx2_ways(1, mask + 64 * g, key, first_block + 16 * (uint64_t)g, threshold);
}
#endif

int bk_dropout_mask_widest_target(void) {
#if defined(__x86_64__)
    if (!__builtin_cpu_supports("bmi2")) return BK_TARGET_BASELINE;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")) return BK_TARGET_AVX512;
    if (__builtin_cpu_supports("avx2")) return BK_TARGET_AVX2;
#endif
    return BK_TARGET_BASELINE;
}

// No baseline: kernels.c's portable loop draws the groups where no vector path runs.
static void bk_dropout_groups_baseline(uint8_t *mask, uint64_t key, uint64_t first_block, long groups, uint32_t threshold) {
    (void)mask; (void)key; (void)first_block; (void)groups; (void)threshold;
    __builtin_trap();   // called only with a target that bk_dropout_mask_widest_target() allows
}

void bk_dropout_mask_groups(int target, uint8_t *mask, uint64_t key, uint64_t first_block, long groups, uint32_t threshold) {
    BK_DISPATCH(target, bk_dropout_groups, (mask, key, first_block, groups, threshold));
}
