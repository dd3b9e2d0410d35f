#include "CKernels.h"

// Attention works through its (sequence, head) pairs one after another. Each pair's blocks of q,
// k, v (and in the backward dOut and the gradients) are rows a few cache lines wide, strided
// through matrices the GEMMs wrote and which no longer fit in cache, and its saved probabilities
// were written a whole forward ago: the hardware prefetchers follow late or not at all. Asking
// for the next pair's blocks while this pair computes hides most of that wait (measured per pair,
// forward and backward: BENCHMARKS.md, sitting 8).

// One prefetch per 64-byte line of the rows. Only a hint: it changes no value and the CPU may
// drop it.
void bk_prefetch_rows(const void *base, long ld_bytes, long rows, long row_bytes, int for_write) {
    if (row_bytes <= 0) return;
    const char *p = (const char *)base;
    for (long r = 0; r < rows; r++) {
        const char *row = p + r * ld_bytes;
        // every line the row touches, from the one holding its first byte to its last byte's
        const char *first = (const char *)((unsigned long)row & ~63UL), *last = row + row_bytes - 1;
        for (const char *line = first; line <= last; line += 64) {
            if (for_write) __builtin_prefetch(line, 1, 3);
            else __builtin_prefetch(line, 0, 3);
        }
    }
}
