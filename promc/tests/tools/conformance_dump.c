/* conformance_dump.c -- renders a registry full of exposition edge cases, for conformance.sh.
 *
 * Usage: promc_conformance_dump text|openmetrics
 * Writes the exposition to stdout. The values set here are the ones check_conformance.py
 * expects back from the independent parsers (promtool, client_python); keep the two in step.
 */
#include "promc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

#define MUST(cond)                                                                                 \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "conformance_dump: %s failed: %s\n", #cond,                            \
                    promc_last_error_message());                                                   \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static int collect(promc_collect_ctx *ctx, void *userdata) {
    (void)userdata;
    MUST(promc_collect_family(ctx, "queue_depth", "Queue depth, read at scrape time.", PROMC_GAUGE,
                              PROMC_LABELS("q")) == 0);
    MUST(promc_collect_sample(ctx, PROMC_LABELS("in"), 3) == 0);
    MUST(promc_collect_sample(ctx, PROMC_LABELS("out"), 0.5) == 0);
    MUST(promc_collect_family(ctx, "reads_total", "Reads.", PROMC_COUNTER, NULL) == 0);
    MUST(promc_collect_sample(ctx, NULL, 7) == 0);
    MUST(promc_collect_family(ctx, "legacy", "Of unknown type.", PROMC_UNTYPED, NULL) == 0);
    MUST(promc_collect_sample(ctx, NULL, -1) == 0);
    return 0;
}

static void build(promc_registry *r) {
    promc_counter *hello = promc_counter_new(r, "hello_total", "Hello requests.", NULL);
    MUST(hello);
    for (int i = 0; i < 3; i++)
        promc_counter_inc(hello);

    /* Escaping: HELP with backslash, newline and quotes; a label value with all three. */
    promc_counter *esc = promc_counter_new(r, "esc_total", "Back\\slash, new\nline, \"quotes\".",
                                           PROMC_LABELS("path"));
    MUST(esc);
    promc_counter_inc(promc_counter_labels(esc, "a\\b\"c\nd"));

    /* Special and extreme numbers. */
    promc_gauge *num = promc_gauge_new(r, "num", "Numbers.", PROMC_LABELS("k"));
    MUST(num);
    static const struct {
        const char *k;
        double v;
    } nums[] = {{"nan", NAN},          {"pinf", INFINITY},
                {"ninf", -INFINITY},   {"huge", 1.7976931348623157e308},
                {"tiny", 5e-324},      {"neg", -42.5},
                {"frac", 0.1 + 0.2},   {"big", 1e300},
                {"zero", 0},           {"negzero", -0.0},
                {"int", 123456789012}, {"small", 1.5e-7}};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
        promc_gauge_set(promc_gauge_labels(num, nums[i].k), nums[i].v);

    /* UTF-8 label values, an empty one, and invalid UTF-8 refused at labels(). */
    promc_gauge *utf8 = promc_gauge_new(r, "utf8", "UTF-8 values: caf\xc3\xa9.", PROMC_LABELS("v"));
    MUST(utf8);
    promc_gauge_set(promc_gauge_labels(utf8, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), 1);
    promc_gauge_set(promc_gauge_labels(utf8, ""), 2);
    MUST(promc_gauge_labels(utf8, "\xff\xfe") == NULL);
    MUST(promc_gauge_labels(utf8, "\xed\xa0\x80") == NULL);
    MUST(promc_gauge_new(r, "bad_help", "\xc3", NULL) == NULL);

    /* Histograms: default buckets with a value on a bound, a unit, negative bounds. */
    promc_histogram *lat = promc_histogram_new(r, "http_latency", "Latency.",
                                               PROMC_LABELS("method", "endpoint"), NULL, 0);
    MUST(lat);
    promc_histogram *get = promc_histogram_labels(lat, "GET", "/hello");
    double obs[] = {0.005, 0.3, 1, 12};
    for (int i = 0; i < 4; i++)
        promc_histogram_observe(get, obs[i]);
    double size_bounds[] = {100, 200, 300};
    promc_histogram *size =
        promc_histogram_new(r, "req_size_bytes", "Request sizes.", NULL, size_bounds, 3);
    MUST(size);
    MUST(promc_set_unit(size, "bytes") == 0);
    promc_histogram_observe(size, 150);
    promc_histogram_observe(size, 300);
    promc_histogram_observe(size, 1000);
    double temp_bounds[] = {-10, 0, 10};
    promc_histogram *temp =
        promc_histogram_new(r, "temp_celsius", "Temperatures.", NULL, temp_bounds, 3);
    MUST(temp);
    promc_histogram_observe(temp, -20);
    promc_histogram_observe(temp, 5);

    /* Summaries: with quantiles, empty, without quantiles. */
    promc_quantile qs[] = {{0.5, 0.05}, {0.9, 0.01}, {0.99, 0.001}};
    promc_summary *job = promc_summary_new(r, "job_seconds", "Jobs.", NULL, qs, 3, 0, 0);
    MUST(job);
    for (int i = 1; i <= 100; i++)
        promc_summary_observe(job, i);
    promc_quantile qe[] = {{0.5, 0.05}, {0.99, 0.001}};
    MUST(promc_summary_new(r, "empty_seconds", "Never observed.", NULL, qe, 2, 0, 0));
    promc_summary *plain =
        promc_summary_new(r, "plain_seconds", "No quantiles.", NULL, NULL, 0, 0, 0);
    MUST(plain);
    promc_summary_observe(plain, 0.25);

    /* Info and enum. */
    promc_info *info = promc_info_new(r, "build", "Build.", PROMC_LABELS("version", "commit"));
    MUST(info);
    MUST(promc_info_set(info, PROMC_LABELS("1.2.3", "abc")) == 0);
    promc_enum *state =
        promc_enum_new(r, "state", "State.", NULL, PROMC_LABELS("starting", "running", "stopped"));
    MUST(state);
    MUST(promc_enum_set_name(state, "running") == 0);

    /* Exemplars on a counter and on a histogram bucket. */
    promc_counter *ex = promc_counter_new(r, "ex_total", "With exemplar.", NULL);
    MUST(ex);
    MUST(promc_counter_add_exemplar(ex, 2, PROMC_LABELS("trace_id", "abc123")) == 0);
    double exb[] = {1, 2};
    promc_histogram *exh = promc_histogram_new(r, "exh", "Histogram with exemplar.", NULL, exb, 2);
    MUST(exh);
    MUST(promc_histogram_observe_exemplar(exh, 1.5, PROMC_LABELS("trace_id", "t2")) == 0);

    /* A big counter, beyond the integer range of doubles. */
    promc_counter *big = promc_counter_new(r, "big_total", "Big.", NULL);
    MUST(big);
    promc_counter_add(big, 1e20);

    /* Series lifecycle: a TTL family and a limited one, so promc's drop counters
     * (promc_series_expired_total, promc_series_overflow_total) are in the exposition. */
    promc_counter *sessions =
        promc_counter_new(r, "sessions_total", "With a TTL.", PROMC_LABELS("user"));
    MUST(sessions);
    MUST(promc_set_ttl(sessions, 3600) == 0);
    MUST(promc_counter_inc(promc_counter_labels(sessions, "alice")) == 0);
    promc_gauge *tenants =
        promc_gauge_new(r, "tenant_load", "With a limit.", PROMC_LABELS("tenant"));
    MUST(tenants);
    MUST(promc_set_limit(tenants, 1, PROMC_LIMIT_OVERFLOW) == 0);
    MUST(promc_gauge_set(promc_gauge_labels(tenants, "t1"), 1) == 0);
    MUST(promc_gauge_set(promc_gauge_labels(tenants, "t2"), 2) == 0); /* the overflow series */

    MUST(promc_collector_register(r, "dump", collect, NULL) == 0);
}

int main(int argc, char **argv) {
    if (argc != 2 || (strcmp(argv[1], "text") != 0 && strcmp(argv[1], "openmetrics") != 0)) {
        fprintf(stderr, "usage: %s text|openmetrics\n", argv[0]);
        return 2;
    }
    promc_format fmt = strcmp(argv[1], "text") == 0 ? PROMC_FORMAT_TEXT : PROMC_FORMAT_OPENMETRICS;
    promc_registry *r = promc_registry_new();
    build(r);
    char *out = NULL;
    size_t len = 0;
    MUST(promc_render(r, fmt, &out, &len) == 0);
    if (out)
        fwrite(out, 1, len, stdout);
    free(out);
    promc_registry_free(r);
    return failures ? 1 : 0;
}
