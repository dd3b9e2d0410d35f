#include "CKernels.h"

// Attention works through its (sequence, head) pairs one after another, and each pair's blocks
// of q, k and v are rows a few cache lines wide, strided through a matrix the GEMM before it
// wrote and which no longer fits in cache: the hardware prefetchers follow that stride late.
// Asking for the next pair's blocks while this pair computes hid most of that wait: the
// forward of a MiniLM-L12 layer, one core, cold operands, 19.7 -> 18.3 us per pair in a C
// loop (BENCHMARKS.md, sitting 8).

// One prefetch per 64-byte line of rows [0, rows) x floats [0, cols), rows ld floats apart.
// Only a hint: it changes no value and may be dropped by the CPU.
void bk_prefetch_rows(const void *base, long ld_bytes, long rows, long row_bytes) {
    const char *p = (const char *)base;
    for (long r = 0; r < rows; r++) {
        const char *row = p + r * ld_bytes;
        for (long b = 0; b < row_bytes; b += 64) __builtin_prefetch(row + b, 0, 3);
        // the line holding the row's last byte, when the row does not start on a line
        if (row_bytes > 0) __builtin_prefetch(row + row_bytes - 1, 0, 3);
    }
}
