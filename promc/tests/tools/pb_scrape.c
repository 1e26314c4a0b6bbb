/* pb_scrape.c -- a real promc scrape of every metric type, for pb_scrape.sh: one registry with a
 * counter (labels, exemplar, created), gauge, histogram (classic buckets, exemplars on a finite
 * and the +Inf bucket), summary, info, enum, and a collector's counter, gauge and untyped
 * family; label values and help text that need escaping. Writes PREFIX.pb (delimited
 * protobuf), PREFIX.txt (text 0.0.4) and PREFIX.om (OpenMetrics) from the same registry state,
 * and with --utf8 also PREFIX.utf8.txt / .utf8.om (allow-utf-8, quoted names) and
 * PREFIX.under.txt (underscores) of a registry with UTF-8 names, and PREFIX.native.pb: native
 * histogram views fed to render_pb.c's family encoder (promc__render_pb_family), then real
 * native histograms of a registry scrape.
 * Usage: promc_pb_scrape PREFIX [--utf8] */
#include "family.h"
#include "promc.h"
#include "render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int collect(promc_collect_ctx *ctx, void *arg) {
    (void)arg;
    promc_collect_family(ctx, "coll_events_total", "Events a collector counted.", PROMC_COUNTER,
                         PROMC_LABELS("kind"));
    promc_collect_sample(ctx, PROMC_LABELS("a"), 4);
    promc_collect_sample(ctx, PROMC_LABELS("b"), 0.5);
    promc_collect_family(ctx, "coll_temperature", "A collector's gauge.", PROMC_GAUGE, NULL);
    promc_collect_sample(ctx, NULL, -12.25);
    promc_collect_family(ctx, "coll_raw", "An untyped family.", PROMC_UNTYPED, NULL);
    promc_collect_sample(ctx, NULL, 1e300);
    return 0;
}

static int write_fmt(promc_registry *r, promc_format fmt, promc_escaping esc, const char *prefix,
                     const char *ext) {
    char *out;
    size_t len;
    if (promc_render_escaped(r, fmt, esc, &out, &len) != 0) {
        fprintf(stderr, "pb_scrape: render: %s\n", promc_last_error_message());
        return 1;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s.%s", prefix, ext);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(out, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "pb_scrape: cannot write %s\n", path);
        free(out);
        return 1;
    }
    free(out);
    return 0;
}

static promc_registry *every_type(void) {
    promc_registry *r = promc_registry_new();
    promc_counter *c = promc_counter_new(r, "http_requests", "Requests \\ handled.\nTwo lines.",
                                         PROMC_LABELS("method", "path"));
    promc_counter_add(promc_counter_labels(c, "GET", "/"), 41);
    promc_counter_add_exemplar(promc_counter_labels(c, "GET", "/"), 1,
                               PROMC_LABELS("trace_id", "4bf92f3577b34da6"));
    promc_counter_add(promc_counter_labels(c, "POST", "/a \"quoted\"\\path\nnl"), 2.5);
    promc_gauge *g = promc_gauge_new(r, "queue_depth", "Items waiting.", NULL);
    promc_gauge_set(g, -3);
    double bounds[] = {0.005, 0.1, 1, 10};
    promc_histogram *h = promc_histogram_new(r, "request_duration_seconds", "Latency.",
                                             PROMC_LABELS("route"), bounds, 4);
    promc_set_unit(h, "seconds");
    promc_histogram *hc = promc_histogram_labels(h, "/api");
    promc_histogram_observe(hc, 0.001);
    promc_histogram_observe(hc, 0.05);
    promc_histogram_observe_exemplar(hc, 0.07, PROMC_LABELS("trace_id", "abc"));
    promc_histogram_observe_exemplar(hc, 42, PROMC_LABELS("trace_id", "slow", "user", "u\"1"));
    promc_histogram_observe(promc_histogram_labels(h, "/empty"), 0);
    promc_quantile q[] = {{0.5, 0.05}, {0.9, 0.01}, {0.99, 0.001}};
    promc_summary *s = promc_summary_new(r, "payload_bytes", "Payload sizes.", NULL, q, 3, 0, 0);
    for (int i = 1; i <= 100; i++)
        promc_summary_observe(s, i * 10);
    promc_info *info = promc_info_new(r, "build", "Build facts.", PROMC_LABELS("version", "rev"));
    promc_info_set(info, PROMC_LABELS("1.2.3", "abc\\def"));
    promc_enum *e = promc_enum_new(r, "breaker", "Circuit breaker.", PROMC_LABELS("backend"),
                                   PROMC_LABELS("closed", "open", "half_open"));
    promc_enum_set(promc_enum_labels(e, "db"), 1);
    promc_collector_register(r, "coll", collect, NULL);
    return r;
}

static promc_registry *utf8_names(void) {
    promc_registry *r = promc_registry_new();
    promc_registry_set_utf8_names(r, 1);
    promc_gauge *g = promc_gauge_new(r, "my.metric", "A dotted name.", PROMC_LABELS("label.name"));
    promc_gauge_set(promc_gauge_labels(g, "v"), 1);
    promc_counter_add(promc_counter_new(r, "http.server.requests", "OTel style.", NULL), 7);
    promc_gauge_set(promc_gauge_new(r, "température", "Accents.", NULL), 21.5);
    return r;
}

/* Three native histograms: classic + native with both sides and a zero bucket; native-only with
 * no observation (client_golang's empty span); native-only with positive buckets. */
static int native_views(const char *prefix) {
    static const char *const names[] = {"route", NULL};
    double bounds[] = {1, 10};
    promc_family both = {.name = "native_seconds",
                         .help = "Classic and native.",
                         .type = PROMC_HISTOGRAM,
                         .nlabels = 1,
                         .label_names = (char **)names,
                         .buckets = bounds,
                         .nbuckets = 2};
    promc_family only = {.name = "native_only_seconds",
                         .help = "Native only.",
                         .type = PROMC_HISTOGRAM,
                         .nlabels = 1,
                         .label_names = (char **)names};
    static const promc__native_span pos[] = {{-2, 2}, {3, 1}}, neg[] = {{0, 1}};
    static const int64_t pos_d[] = {2, -1, 3}, neg_d[] = {1};
    promc_native_view nv = {.schema = 3,
                            .zero_threshold = 1e-128,
                            .zero_count = 1,
                            .pos_spans = pos,
                            .n_pos_spans = 2,
                            .neg_spans = neg,
                            .n_neg_spans = 1,
                            .pos_deltas = pos_d,
                            .n_pos_deltas = 3,
                            .neg_deltas = neg_d,
                            .n_neg_deltas = 1};
    promc_native_view empty = {.schema = 0};
    promc_native_view only_pos = {
        .schema = -2, .pos_spans = pos, .n_pos_spans = 1, .pos_deltas = pos_d, .n_pos_deltas = 2};
    const char *a[] = {"/a"}, *b[] = {"/b"};
    uint64_t counts_both[] = {3, 2, 1}, counts_empty[] = {0}, counts_only[] = {5};
    promc_series_view vb = {.label_values = a,
                            .bucket_counts = counts_both,
                            .sum = 12.5,
                            .created = 1700000000.25,
                            .native = &nv};
    promc_series_view ve = {.label_values = a, .bucket_counts = counts_empty, .native = &empty};
    promc_series_view vo = {
        .label_values = b, .bucket_counts = counts_only, .sum = 3, .native = &only_pos};
    promc_series_view only_views[] = {ve, vo};
    promc_buf out = {0};
    int rc = promc__render_pb_family(&both, &vb, 1, PROMC_ESCAPING_UNDERSCORES, &out) |
             promc__render_pb_family(&only, only_views, 2, PROMC_ESCAPING_UNDERSCORES, &out);
    /* and real histograms with native buckets, as a registry scrape renders them: a
     * native-only one (schema 3: 1 and 1.05 in keys 0 and 1, 2 twice in key 8, -1.5 in negative
     * key 5, 0 in the zero bucket) and a classic + native one (schema 0) */
    promc_registry *r = promc_registry_new();
    promc_histogram_opts o3 = {.bucket_factor = 1.1};
    promc_histogram *h = promc_histogram_new_opts(r, "real_native_seconds", "Real native.",
                                                  PROMC_LABELS("route"), &o3);
    static const double classic_bounds[] = {1, 10};
    promc_histogram_opts o0 = {.bucket_factor = 2, .buckets = classic_bounds, .n_buckets = 2};
    promc_histogram *hb =
        promc_histogram_new_opts(r, "real_both_seconds", "Real both.", PROMC_LABELS("route"), &o0);
    promc_histogram *x = promc_histogram_labels(h, "/x"), *y = promc_histogram_labels(hb, "/y");
    static const double xs[] = {1, 1.05, 2, 2, -1.5, 0}, ys[] = {0.75, 3, 3, 20};
    for (size_t i = 0; i < 6; i++)
        rc |= promc_histogram_observe(x, xs[i]);
    for (size_t i = 0; i < 4; i++)
        rc |= promc_histogram_observe(y, ys[i]);
    char *real = NULL;
    size_t real_len = 0;
    rc |= promc_render(r, PROMC_FORMAT_PROTOBUF, &real, &real_len);
    if (real && !rc)
        promc__buf_put(&out, real, real_len);
    free(real);
    promc_registry_free(r);
    char path[4096];
    snprintf(path, sizeof path, "%s.native.pb", prefix);
    FILE *f = fopen(path, "wb");
    if (rc || out.failed || !f || fwrite(out.data, 1, out.len, f) != out.len || fclose(f) != 0)
        rc = 1;
    free(out.data);
    return rc;
}

/* PREFIX.native_ex.pb: a native-only histogram whose one observation carries an exemplar. */
static int native_exemplar(const char *prefix) {
    promc_registry *r = promc_registry_new();
    promc_histogram_opts o = {.bucket_factor = 1.1};
    promc_histogram *h = promc_histogram_new_opts(r, "native_ex_seconds", "h", NULL, &o);
    int rc = promc_histogram_observe_exemplar(h, 0.25, PROMC_LABELS("trace_id", "abc123"));
    rc |= write_fmt(r, PROMC_FORMAT_PROTOBUF, PROMC_ESCAPING_UNDERSCORES, prefix, "native_ex.pb");
    promc_registry_free(r);
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: promc_pb_scrape PREFIX [--utf8]\n");
        return 2;
    }
    promc_registry *r = every_type();
    int rc = write_fmt(r, PROMC_FORMAT_PROTOBUF, PROMC_ESCAPING_UNDERSCORES, argv[1], "pb") |
             write_fmt(r, PROMC_FORMAT_TEXT, PROMC_ESCAPING_UNDERSCORES, argv[1], "txt") |
             write_fmt(r, PROMC_FORMAT_OPENMETRICS, PROMC_ESCAPING_UNDERSCORES, argv[1], "om");
    promc_registry_free(r);
    if (argc > 2 && strcmp(argv[2], "--utf8") == 0) {
        r = utf8_names();
        rc |= write_fmt(r, PROMC_FORMAT_TEXT_1_0_0, PROMC_ESCAPING_ALLOW_UTF8, argv[1], "utf8.txt");
        rc |= write_fmt(r, PROMC_FORMAT_OPENMETRICS, PROMC_ESCAPING_ALLOW_UTF8, argv[1], "utf8.om");
        rc |= write_fmt(r, PROMC_FORMAT_TEXT, PROMC_ESCAPING_UNDERSCORES, argv[1], "under.txt");
        rc |= write_fmt(r, PROMC_FORMAT_PROTOBUF, PROMC_ESCAPING_UNDERSCORES, argv[1], "under.pb");
        promc_registry_free(r);
    }
    return rc | native_views(argv[1]) | native_exemplar(argv[1]);
}
