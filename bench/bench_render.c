/* bench_render.c -- memory per series at rest and text rendering of N series, for promc.
 *
 * One process per N, so RSS deltas belong to this N alone. Creates a counter family with two
 * labels and N children (host="host-<i/1000>", path="/api/v1/item/<i%1000>", the same series
 * the Python and Go references create), increments each once, and reports the RSS growth per
 * series; then renders the registry in the text format `reps` times and reports the median
 * time, the output size and the peak RSS during a render above the resting RSS. With "protobuf"
 * it renders the delimited protobuf format instead (benches named render_pb_*).
 * Output: JSON lines for report.py.  Usage: bench_render N [reps] [text|protobuf]
 */
#include "bench_util.h"

#include <promc.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REPS 51

int main(int argc, char **argv) {
    long long n = argc > 1 ? atoll(argv[1]) : 0;
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    bool pb = argc > 3 && strcmp(argv[3], "protobuf") == 0;
    if (n < 1 || reps < 1 || reps > MAX_REPS || (argc > 3 && !pb && strcmp(argv[3], "text"))) {
        fprintf(stderr, "usage: bench_render N [repetitions 1..%d] [text|protobuf]\n", MAX_REPS);
        return 2;
    }
    promc_registry *reg = promc_registry_new();
    promc_counter *c = promc_counter_new(reg, "bench_requests_total", "Requests served.",
                                         PROMC_LABELS("host", "path"));
    if (!c) {
        fprintf(stderr, "bench_render: %s\n", promc_last_error_message());
        return 1;
    }
    long long rss0 = bench_rss_bytes();
    uint64_t t0 = bench_now_ns();
    for (long long i = 0; i < n; i++) {
        char host[32], path[48];
        snprintf(host, sizeof host, "host-%lld", i / 1000);
        snprintf(path, sizeof path, "/api/v1/item/%lld", i % 1000);
        promc_counter *child = promc_counter_labels(c, host, path);
        if (!child || promc_counter_inc(child) != 0) {
            fprintf(stderr, "bench_render: series %lld: %s\n", i, promc_last_error_message());
            return 1;
        }
    }
    double create_ns = (double)(bench_now_ns() - t0) / (double)n;
    long long rss1 = bench_rss_bytes();

    double ms[MAX_REPS];
    size_t bytes = 0;
    long long peak_extra = 0, peak_abs = 0;
    bool hwm_ok = true;
    for (int r = 0; r < reps; r++) {
        long long before = bench_rss_bytes();
        hwm_ok = hwm_ok && bench_reset_hwm() == 0;
        char *out = NULL;
        size_t len = 0;
        uint64_t r0 = bench_now_ns();
        int rc = promc_render(reg, pb ? PROMC_FORMAT_PROTOBUF : PROMC_FORMAT_TEXT, &out, &len);
        ms[r] = (double)(bench_now_ns() - r0) / 1e6;
        long long hwm = bench_hwm_bytes();
        if (rc != 0) {
            fprintf(stderr, "bench_render: render: %s\n", promc_last_error_message());
            return 1;
        }
        free(out);
        bytes = len;
        if (hwm - before > peak_extra)
            peak_extra = hwm - before;
        if (hwm > peak_abs)
            peak_abs = hwm;
    }
    char bench[64], note[128];
    snprintf(note, sizeof note, "%lld series, %d reps%s", n, reps,
             hwm_ok ? "" : "; VmHWM reset refused: peak is the process's lifetime peak");
#define EMIT(what, value, unit)                                                                    \
    do {                                                                                           \
        snprintf(bench, sizeof bench, "render_%s%lld_%s", pb ? "pb_" : "", n, what);               \
        bench_emit("promc", bench, 1, value, unit, note);                                          \
    } while (0)
    EMIT("time", bench_median(ms, (size_t)reps), "ms");
    EMIT("bytes", (double)bytes, "bytes");
    EMIT("rest_per_series", (double)(rss1 - rss0) / (double)n, "bytes");
    EMIT("peak_extra", (double)peak_extra, "bytes");
    EMIT("peak_rss", (double)peak_abs, "bytes");
    EMIT("create_per_series", create_ns, "ns");
    promc_registry_free(reg);
    return 0;
}
