/* allreduce_time.c: how long MPI_Allreduce (MPI_FLOAT, MPI_SUM) of COUNT floats takes on the
 * ranks mpirun started: the gradient allreduce of data-parallel training without the training.
 *
 *   mpicc -O2 -o /tmp/allreduce_time benchmarks/allreduce_time.c
 *   mpirun -np 2 /tmp/allreduce_time COUNT [REPS=7] [WARMUP=2]
 *
 * Every sample starts at a barrier; its time is the slowest rank's (a collective ends for the job
 * when its last rank leaves it). Rank 0 prints one JSON object: the samples, their median, the
 * algorithm bandwidth (the buffer's bytes over the median time) and where each rank ran.
 * Compiled at run time (scripts/two-hosts.sh does it); no binary is kept in the tree. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static long parse_positive(const char *text, const char *name) {
    char *end = NULL;
    long value = strtol(text, &end, 10);
    if (end == text || *end != '\0' || value <= 0) {
        fprintf(stderr, "allreduce_time: %s must be a positive integer, found '%s'\n", name, text);
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    return value;
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, ranks;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    if (argc < 2 || argc > 4) {
        if (rank == 0) fprintf(stderr, "usage: allreduce_time COUNT [REPS=7] [WARMUP=2]\n");
        MPI_Finalize();
        return 2;
    }
    long count = parse_positive(argv[1], "COUNT");
    long reps = argc > 2 ? parse_positive(argv[2], "REPS") : 7;
    long warmup = argc > 3 ? atol(argv[3]) : 2;
    if (count > 0x7fffffffL) {
        if (rank == 0) fprintf(stderr, "allreduce_time: COUNT above 2^31-1 does not fit MPI's int count\n");
        MPI_Abort(MPI_COMM_WORLD, 2);
    }

    float *buffer = malloc((size_t)count * sizeof(float));
    double *samples = malloc((size_t)reps * sizeof(double));
    if (!buffer || !samples) {
        fprintf(stderr, "allreduce_time: rank %d cannot allocate %ld floats\n", rank, count);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    /* small values, so that repeated sums stay finite and the timing never meets denormals */
    for (long i = 0; i < count; i++) buffer[i] = 1e-3f * (float)((i + rank) % 7);

    for (long r = -warmup; r < reps; r++) {
        MPI_Barrier(MPI_COMM_WORLD);
        double start = MPI_Wtime();
        MPI_Allreduce(MPI_IN_PLACE, buffer, (int)count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        double mine = MPI_Wtime() - start, slowest = 0;
        MPI_Reduce(&mine, &slowest, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
        if (r >= 0) samples[r] = slowest;
        /* scaling back keeps the values bounded across reps */
        for (long i = 0; i < count; i++) buffer[i] *= 1.0f / (float)ranks;
    }

    char host[MPI_MAX_PROCESSOR_NAME];
    int host_length = 0;
    MPI_Get_processor_name(host, &host_length);
    char *hosts = rank == 0 ? malloc((size_t)ranks * MPI_MAX_PROCESSOR_NAME) : NULL;
    MPI_Gather(host, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, hosts, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, 0,
               MPI_COMM_WORLD);

    if (rank == 0) {
        double *sorted = malloc((size_t)reps * sizeof(double));
        memcpy(sorted, samples, (size_t)reps * sizeof(double));
        qsort(sorted, (size_t)reps, sizeof(double), compare_doubles);
        double median = reps % 2 ? sorted[reps / 2] : 0.5 * (sorted[reps / 2 - 1] + sorted[reps / 2]);
        double bytes = (double)count * sizeof(float);
        printf("{\"count\": %ld, \"bytes\": %.0f, \"ranks\": %d, \"reps\": %ld, \"warmup\": %ld, "
               "\"median_s\": %.9f, \"min_s\": %.9f, \"max_s\": %.9f, \"algorithm_gbit_s\": %.4f, "
               "\"samples_s\": [",
               count, bytes, ranks, reps, warmup, median, sorted[0], sorted[reps - 1],
               8.0 * bytes / median / 1e9);
        for (long r = 0; r < reps; r++) printf("%s%.9f", r ? ", " : "", samples[r]);
        printf("], \"hosts\": [");
        for (int i = 0; i < ranks; i++) printf("%s\"%s\"", i ? ", " : "", hosts + (size_t)i * MPI_MAX_PROCESSOR_NAME);
        printf("]}\n");
        fflush(stdout);
        free(sorted);
        free(hosts);
    }
    free(buffer);
    free(samples);
    MPI_Finalize();
    return 0;
}
