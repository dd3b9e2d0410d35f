/* onednn_packed_b.c: what a plain B costs oneDNN's matmul against B packed once into the
 * layout the primitive chooses (BertKit's bk_onednn_packed_b), for bf16 and f32 operands and a
 * float32 C, on one product shape. The primitive re-lays a plain B at every execution; for the
 * few rows of one sentence that is a large share of the product.
 *
 *   cc -O2 -std=c11 -o /tmp/onednn_packed_b benchmarks/onednn_packed_b.c -ldnnl
 *   OMP_NUM_THREADS=2 OMP_WAIT_POLICY=PASSIVE /tmp/onednn_packed_b M K N [reps=201]
 *
 * C (M x N) = A (M x K) · Wᵀ with W stored (N x K), a linear layer's weight. Prints the median
 * time of one product (execute + wait) over reps, each variant twice, in the order
 * bf16 plain, bf16 packed, f32 plain, f32 packed. */
#define _POSIX_C_SOURCE 199309L
#include <dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#define CHECK(x) do { dnnl_status_t s_ = (x); if (s_ != dnnl_success) { fprintf(stderr, "%s failed: %d\n", #x, (int)s_); exit(1); } } while (0)
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }
// One variant: builds the primitive (B plain, or "any" and reordered once), warms up, times.
static double run(dnnl_engine_t eng, dnnl_stream_t st, int M, int K, int N, dnnl_data_type_t in, int packed, int reps) {
    dnnl_dims_t sd = {M, K}, wd = {K, N}, dd = {M, N};
    dnnl_memory_desc_t smd, wmd, wany, dmd;
    CHECK(dnnl_memory_desc_init_by_tag(&smd, 2, sd, in, dnnl_ab));
    CHECK(dnnl_memory_desc_init_by_tag(&wmd, 2, wd, in, dnnl_ba));
    CHECK(dnnl_memory_desc_init_by_tag(&wany, 2, wd, in, dnnl_format_tag_any));
    CHECK(dnnl_memory_desc_init_by_tag(&dmd, 2, dd, dnnl_f32, dnnl_ab));
    dnnl_matmul_desc_t md;
    CHECK(dnnl_matmul_desc_init(&md, &smd, packed ? &wany : &wmd, NULL, &dmd));
    dnnl_primitive_desc_t pd;
    CHECK(dnnl_primitive_desc_create(&pd, &md, NULL, eng, NULL));
    const char *impl = NULL;
    CHECK(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl));
    dnnl_primitive_t p; CHECK(dnnl_primitive_create(&p, pd));
    dnnl_memory_t sm, wm, dm, wp;
    CHECK(dnnl_memory_create(&sm, &smd, eng, DNNL_MEMORY_ALLOCATE));
    CHECK(dnnl_memory_create(&wm, &wmd, eng, DNNL_MEMORY_ALLOCATE));
    CHECK(dnnl_memory_create(&dm, &dmd, eng, DNNL_MEMORY_ALLOCATE));
    void *h; size_t es = (in == dnnl_f32) ? 4 : 2;
    CHECK(dnnl_memory_get_data_handle(sm, &h)); memset(h, 0x3c, (size_t)M * K * es);
    CHECK(dnnl_memory_get_data_handle(wm, &h)); memset(h, 0x3c, (size_t)K * N * es);
    wp = wm;
    if (packed) {
        const dnnl_memory_desc_t *want = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
        CHECK(dnnl_memory_create(&wp, want, eng, DNNL_MEMORY_ALLOCATE));
        dnnl_primitive_desc_t rpd; CHECK(dnnl_reorder_primitive_desc_create(&rpd, &wmd, eng, want, eng, NULL));
        dnnl_primitive_t r; CHECK(dnnl_primitive_create(&r, rpd));
        dnnl_exec_arg_t ra[2] = {{DNNL_ARG_FROM, wm}, {DNNL_ARG_TO, wp}};
        CHECK(dnnl_primitive_execute(r, st, 2, ra)); CHECK(dnnl_stream_wait(st));
    }
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, sm}, {DNNL_ARG_WEIGHTS, wp}, {DNNL_ARG_DST, dm}};
    double *t = malloc(sizeof(double) * reps);
    for (int i = 0; i < 3; i++) { CHECK(dnnl_primitive_execute(p, st, 3, args)); CHECK(dnnl_stream_wait(st)); }
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        CHECK(dnnl_primitive_execute(p, st, 3, args)); CHECK(dnnl_stream_wait(st));
        t[r] = (now() - t0) * 1e6;
    }
    qsort(t, reps, sizeof(double), cmp);
    printf("%-4s %-6s impl=%-24s median %7.1f us  %6.1f GFLOP/s\n", in == dnnl_f32 ? "f32" : "bf16", packed ? "packed" : "plain", impl, t[reps/2], 2.0*M*K*N/t[reps/2]/1e3);
    return t[reps/2];
}
int main(int argc, char **argv) {
    int M = atoi(argv[1]), K = atoi(argv[2]), N = atoi(argv[3]), reps = argc > 4 ? atoi(argv[4]) : 201;
    dnnl_engine_t eng; dnnl_stream_t st;
    CHECK(dnnl_engine_create(&eng, dnnl_cpu, 0));
    CHECK(dnnl_stream_create(&st, eng, dnnl_stream_default_flags));
    for (int k = 0; k < 2; k++) {
      run(eng, st, M, K, N, dnnl_bf16, 0, reps); run(eng, st, M, K, N, dnnl_bf16, 1, reps);
      run(eng, st, M, K, N, dnnl_f32, 0, reps); run(eng, st, M, K, N, dnnl_f32, 1, reps);
    }
    return 0;
}
