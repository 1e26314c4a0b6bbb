/* bench_ops.c -- promc's hot paths against two C references, at 1 and 2 threads.
 *
 * Measures ns per operation per thread for counter inc, gauge set, histogram observe (the 14
 * default buckets), summary observe (3 quantiles) and the labels() lookup of an existing child
 * (2 labels), and the churn path (labels() of a new child + promc_remove(), ns per cycle), beside
 * (a) atomic_fetch_add on one word every thread shares and (b) the same on a
 * 64-byte-aligned word of each thread's own. Every repetition runs all benchmarks in turn, so
 * machine noise hits them alike; the reported figure is the median over repetitions of the
 * wall-clock time per operation per thread (the CPU-time figure, in the note, shows whether
 * other work on the machine took the CPUs away; run.sh raises the priority to avoid that).
 * Output: JSON lines for report.py.  Usage: bench_ops [repetitions] [ms-per-repetition]
 */
#include "bench_util.h"

#include <promc.h>

#include <stdalign.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REPS 51

static _Atomic uint64_t shared_word;
typedef struct padded_word {
    alignas(64) _Atomic uint64_t v;
} padded_word;
static padded_word padded[2];

static promc_counter *counter;
static promc_gauge *gauge;
static promc_histogram *histogram;
static promc_histogram *native; /* native buckets only, bucket factor 1.1 (schema 3) */
static promc_summary *summary;
static promc_counter *labelled;

static void body_atomic_shared(void *ctx, int thread, uint64_t iters) {
    (void)ctx, (void)thread;
    for (uint64_t i = 0; i < iters; i++)
        atomic_fetch_add(&shared_word, 1);
}

static void body_atomic_padded(void *ctx, int thread, uint64_t iters) {
    (void)ctx;
    _Atomic uint64_t *w = &padded[thread].v;
    for (uint64_t i = 0; i < iters; i++)
        atomic_fetch_add(w, 1);
}

static void body_counter_inc(void *ctx, int thread, uint64_t iters) {
    (void)ctx, (void)thread;
    for (uint64_t i = 0; i < iters; i++)
        promc_counter_inc(counter);
}

static void body_gauge_set(void *ctx, int thread, uint64_t iters) {
    (void)ctx, (void)thread;
    for (uint64_t i = 0; i < iters; i++)
        promc_gauge_set(gauge, (double)i);
}

static void body_histogram_observe(void *ctx, int thread, uint64_t iters) {
    (void)ctx, (void)thread;
    for (uint64_t i = 0; i < iters; i++)
        promc_histogram_observe(histogram, bench_values[i % BENCH_NVALUES]);
}

static void body_native_observe(void *ctx, int thread, uint64_t iters) {
    (void)ctx;
    (void)thread;
    for (uint64_t i = 0; i < iters; i++)
        promc_histogram_observe(native, bench_values[i % BENCH_NVALUES]);
}

static void body_summary_observe(void *ctx, int thread, uint64_t iters) {
    (void)ctx, (void)thread;
    for (uint64_t i = 0; i < iters; i++)
        promc_summary_observe(summary, bench_values[i % BENCH_NVALUES]);
}

static void body_labels_lookup(void *ctx, int thread, uint64_t iters) {
    (void)ctx, (void)thread;
    promc_counter *volatile sink;
    for (uint64_t i = 0; i < iters; i++)
        sink = promc_counter_labels(labelled, "GET", "/api/v1/users");
    (void)sink;
}

static void body_labelsv_lookup(void *ctx, int thread, uint64_t iters) {
    (void)ctx, (void)thread;
    static const char *const values[] = {"GET", "/api/v1/users", NULL};
    promc_counter *volatile sink;
    for (uint64_t i = 0; i < iters; i++)
        sink = promc_counter_labelsv(labelled, values);
    (void)sink;
}

/* Churn: each thread creates and removes children with its own 4096 label values in turn. */
#define CHURN_NAMES 4096
static char churn_names[2][CHURN_NAMES][24];

static void body_labels_churn(void *ctx, int thread, uint64_t iters) {
    (void)ctx;
    for (uint64_t i = 0; i < iters; i++) {
        const char *name = churn_names[thread][i % CHURN_NAMES];
        promc_counter *c = promc_counter_labels(labelled, "GET", name);
        if (!c || promc_remove(labelled, PROMC_LABELS("GET", name)) != 0) {
            fprintf(stderr, "bench_ops: churn failed: %s\n", promc_last_error_message());
            exit(1);
        }
    }
}

typedef struct bench_case {
    const char *impl, *bench;
    bench_body_fn body;
    uint64_t iters;          /* per repetition, calibrated */
    double ns[2][MAX_REPS];  /* wall-clock */
    double cpu[2][MAX_REPS]; /* from the threads' CPU time */
    bool pinned[2];
} bench_case;

static bench_case cases[] = {
    {"atomic_shared", "atomic_inc", body_atomic_shared},
    {"atomic_padded", "atomic_inc", body_atomic_padded},
    {"promc", "counter_inc", body_counter_inc},
    {"promc", "gauge_set", body_gauge_set},
    {"promc", "histogram_observe", body_histogram_observe},
    {"promc", "native_observe", body_native_observe},
    {"promc", "summary_observe", body_summary_observe},
    {"promc", "labels_lookup", body_labels_lookup},
    {"promc", "labelsv_lookup", body_labelsv_lookup},
    {"promc", "labels_churn", body_labels_churn},
};
#define NCASES (sizeof cases / sizeof cases[0])

static void setup_metrics(void) {
    promc_registry *reg = promc_registry_new();
    static const promc_quantile q[] = {{0.5, 0.05}, {0.9, 0.01}, {0.99, 0.001}};
    counter = promc_counter_new(reg, "bench_counter_total", "c", NULL);
    gauge = promc_gauge_new(reg, "bench_gauge", "g", NULL);
    histogram = promc_histogram_new(reg, "bench_histogram", "h", NULL, NULL, 0);
    promc_histogram_opts native_opts = {.bucket_factor = 1.1};
    native = promc_histogram_new_opts(reg, "bench_native", "h", NULL, &native_opts);
    summary = promc_summary_new(reg, "bench_summary", "s", NULL, q, 3, 0, 0);
    labelled = promc_counter_new(reg, "bench_requests_total", "r", PROMC_LABELS("method", "path"));
    if (!counter || !gauge || !histogram || !native || !summary || !labelled) {
        fprintf(stderr, "bench_ops: setup failed: %s\n", promc_last_error_message());
        exit(1);
    }
    /* A family with 20 children, so the lookup probes a real table. */
    static const char *const methods[] = {"GET", "POST", "PUT", "DELETE"};
    static const char *const paths[] = {"/", "/api/v1/users", "/api/v1/orders", "/login",
                                        "/static"};
    for (size_t m = 0; m < 4; m++)
        for (size_t p = 0; p < 5; p++)
            if (!promc_counter_labels(labelled, methods[m], paths[p])) {
                fprintf(stderr, "bench_ops: labels failed: %s\n", promc_last_error_message());
                exit(1);
            }
    for (int t = 0; t < 2; t++)
        for (int i = 0; i < CHURN_NAMES; i++)
            snprintf(churn_names[t][i], sizeof churn_names[t][i], "/churn/%d/%d", t, i);
    /* The registry is deliberately kept: handles must stay valid until exit. */
}

/* Iterations that take about target_ms on one thread. */
static uint64_t calibrate(bench_body_fn body, double target_ms) {
    uint64_t iters = 1000;
    for (;;) {
        double ns = bench_run_threads(1, iters, body, NULL, NULL, NULL) * (double)iters;
        if (ns >= target_ms * 1e6 / 4 || iters > (1ull << 40))
            return (uint64_t)((double)iters * (target_ms * 1e6 / (ns > 0 ? ns : 1))) + 1;
        iters *= 4;
    }
}

int main(int argc, char **argv) {
    int reps = argc > 1 ? atoi(argv[1]) : 7;
    double target_ms = argc > 2 ? atof(argv[2]) : 60;
    if (reps < 1 || reps > MAX_REPS || !(target_ms > 0)) {
        fprintf(stderr, "usage: bench_ops [repetitions 1..%d] [ms per repetition]\n", MAX_REPS);
        return 2;
    }
    bench_values_init();
    setup_metrics();
    int cpus = bench_cpu_count();
    /* BENCH_ONLY=<substring of impl/bench> runs a subset, e.g. under perf stat. */
    const char *only = getenv("BENCH_ONLY");
    bool run[NCASES];
    for (size_t c = 0; c < NCASES; c++) {
        run[c] = !only || strstr(cases[c].bench, only) || strstr(cases[c].impl, only);
        if (run[c])
            cases[c].iters = calibrate(cases[c].body, target_ms);
    }
    for (int r = 0; r < reps; r++)
        for (size_t c = 0; c < NCASES; c++)
            for (int t = 1; t <= 2 && run[c]; t++)
                cases[c].ns[t - 1][r] =
                    bench_run_threads(t, cases[c].iters, cases[c].body, NULL,
                                      &cases[c].pinned[t - 1], &cases[c].cpu[t - 1][r]);
    char note[192];
    for (size_t c = 0; c < NCASES; c++)
        for (int t = 1; t <= 2 && run[c]; t++) {
            snprintf(note, sizeof note, "%s; %d reps x %llu ops; CPU-time median %.3g ns",
                     cases[c].pinned[t - 1] ? "pinned" : "NOT pinned", reps,
                     (unsigned long long)cases[c].iters,
                     bench_median(cases[c].cpu[t - 1], (size_t)reps));
            bench_emit(cases[c].impl, cases[c].bench, t, bench_median(cases[c].ns[t - 1], reps),
                       "ns/op", note);
        }
    bench_emit("machine", "cpus", 0, cpus, "cpus", "CPUs in this process's affinity mask");
    return 0;
}
