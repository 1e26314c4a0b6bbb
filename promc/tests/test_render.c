/* test_render.c -- the exposition conformance suite: exact text 0.0.4 and OpenMetrics 1.0
 * output for every metric type and every edge case the formats define (escaping, special
 * numbers, cumulative buckets, canonical le/quantile values, _created, UNIT, exemplars, EOF).
 * The independent parsers (promtool, client_python) check the same cases in conformance.sh. */
#include "check.h"
#include "promc.h"

#include <locale.h>
#include <stdlib.h>
#include <time.h>

static char *render(promc_registry *r, promc_format fmt) {
    char *out = NULL;
    size_t len = 0;
    int rc = promc_render(r, fmt, &out, &len);
    CHECK_INT(rc, 0);
    CHECK(out != NULL && strlen(out) == len);
    return out;
}

/* Renders both formats of r and checks them against the expected texts. */
static void expect(promc_registry *r, const char *text, const char *om) {
    char *t = render(r, PROMC_FORMAT_TEXT), *o = render(r, PROMC_FORMAT_OPENMETRICS);
    if (text)
        CHECK_STR(t, text);
    if (om)
        CHECK_STR(o, om);
    free(t);
    free(o);
}

/* The value on the line that starts with prefix, or NaN when there is none. */
static double line_value(const char *out, const char *prefix) {
    size_t n = strlen(prefix);
    for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, prefix, n) == 0)
            return strtod(p + n, NULL);
    return NAN;
}

static void test_empty(void) {
    promc_registry *r = promc_registry_new();
    expect(r, "", "# EOF\n");
    promc_registry_free(r);
}

static void test_counter(void) {
    promc_registry *r = promc_registry_new();
    promc_counter *c = promc_counter_new(r, "hello_total", "Hello requests.", NULL);
    promc_counter_inc(c);
    promc_counter_inc(c);
    promc_counter_add(c, 0.5);
    char *t = render(r, PROMC_FORMAT_TEXT);
    /* 0.0.4 as client_python writes it: the series name on HELP/TYPE, no _created. */
    CHECK_STR(t, "# HELP hello_total Hello requests.\n"
                 "# TYPE hello_total counter\n"
                 "hello_total 2.5\n");
    free(t);
    char *o = render(r, PROMC_FORMAT_OPENMETRICS);
    const char *head = "# TYPE hello counter\n"
                       "# HELP hello Hello requests.\n"
                       "hello_total 2.5\n"
                       "hello_created ";
    CHECK(strncmp(o, head, strlen(head)) == 0);
    double created = line_value(o, "hello_created ");
    CHECK(created > 1.6e9 && fabs(created - (double)time(NULL)) < 60);
    CHECK(strcmp(o + strlen(o) - 7, "\n# EOF\n") == 0);
    free(o);
    promc_registry_free(r);
}

static void test_help_escaping(void) {
    promc_registry *r = promc_registry_new();
    promc_gauge_new(r, "esc", "back\\slash, new\nline and \"quotes\"", NULL);
    promc_gauge_new(r, "nohelp", "", NULL);
    expect(r,
           "# HELP esc back\\\\slash, new\\nline and \"quotes\"\n"
           "# TYPE esc gauge\n"
           "esc 0\n"
           "# TYPE nohelp gauge\n"
           "nohelp 0\n",
           "# TYPE esc gauge\n"
           "# HELP esc back\\\\slash, new\\nline and \\\"quotes\\\"\n"
           "esc 0\n"
           "# TYPE nohelp gauge\n"
           "nohelp 0\n"
           "# EOF\n");
    promc_registry_free(r);
}

static void test_label_escaping_and_utf8(void) {
    promc_registry *r = promc_registry_new();
    promc_gauge *g = promc_gauge_new(r, "lbl", "L.", PROMC_LABELS("a", "b"));
    promc_gauge_set(promc_gauge_labels(g, "back\\slash", "quote\"newline\n"), 1);
    promc_gauge_set(promc_gauge_labels(g, "", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), 2);
    /* Invalid UTF-8 never reaches the output: labels() refuses it. */
    CHECK(promc_gauge_labels(g, "\xff", "x") == NULL);
    CHECK(promc_gauge_labels(g, "ok", "\xc3(") == NULL);
    CHECK(promc_gauge_labels(g, "\xed\xa0\x80", "surrogate") == NULL);
    CHECK(promc_gauge_labels(g, "\xc0\xaf", "overlong") == NULL);
    CHECK(promc_gauge_new(r, "badhelp", "ok \xfe", NULL) == NULL);
    expect(r,
           "# HELP lbl L.\n"
           "# TYPE lbl gauge\n"
           "lbl{a=\"back\\\\slash\",b=\"quote\\\"newline\\n\"} 1\n"
           "lbl{a=\"\",b=\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"} 2\n",
           NULL);
    promc_registry_free(r);
}

static void test_special_numbers(void) {
    promc_registry *r = promc_registry_new();
    promc_gauge *g = promc_gauge_new(r, "num", "N.", PROMC_LABELS("k"));
    promc_gauge_set(promc_gauge_labels(g, "nan"), NAN);
    promc_gauge_set(promc_gauge_labels(g, "pinf"), INFINITY);
    promc_gauge_set(promc_gauge_labels(g, "ninf"), -INFINITY);
    promc_gauge_set(promc_gauge_labels(g, "huge"), 1.7976931348623157e308);
    promc_gauge_set(promc_gauge_labels(g, "tiny"), -5e-324);
    promc_gauge_set(promc_gauge_labels(g, "neg"), -42);
    promc_gauge_set(promc_gauge_labels(g, "big"), 9007199254740993.0); /* rounds to 2^53 */
    promc_gauge_set(promc_gauge_labels(g, "frac"), 0.1 + 0.2);
    expect(r,
           "# HELP num N.\n"
           "# TYPE num gauge\n"
           "num{k=\"nan\"} NaN\n"
           "num{k=\"pinf\"} +Inf\n"
           "num{k=\"ninf\"} -Inf\n"
           "num{k=\"huge\"} 1.7976931348623157e+308\n"
           "num{k=\"tiny\"} -5e-324\n"
           "num{k=\"neg\"} -42\n"
           "num{k=\"big\"} 9007199254740992\n"
           "num{k=\"frac\"} 0.30000000000000004\n",
           NULL);
    promc_registry_free(r);
}

static void test_histogram(void) {
    promc_registry *r = promc_registry_new();
    double bounds[] = {0.5, 1, 2};
    promc_histogram *h = promc_histogram_new(r, "lat_seconds", "Latency.", NULL, bounds, 3);
    promc_histogram_observe(h, 0.5); /* on a bound: counts in that bucket (le) */
    promc_histogram_observe(h, 1);
    promc_histogram_observe(h, 1.5);
    promc_histogram_observe(h, 3);
    promc_histogram_observe(h, 0.25);
    CHECK_INT(promc_set_unit(h, "seconds"), 0);
    char *t = render(r, PROMC_FORMAT_TEXT);
    CHECK_STR(t, "# HELP lat_seconds Latency.\n"
                 "# TYPE lat_seconds histogram\n"
                 "lat_seconds_bucket{le=\"0.5\"} 2\n"
                 "lat_seconds_bucket{le=\"1.0\"} 3\n"
                 "lat_seconds_bucket{le=\"2.0\"} 4\n"
                 "lat_seconds_bucket{le=\"+Inf\"} 5\n"
                 "lat_seconds_count 5\n"
                 "lat_seconds_sum 6.25\n");
    free(t);
    char *o = render(r, PROMC_FORMAT_OPENMETRICS);
    const char *head = "# TYPE lat_seconds histogram\n"
                       "# UNIT lat_seconds seconds\n"
                       "# HELP lat_seconds Latency.\n"
                       "lat_seconds_bucket{le=\"0.5\"} 2\n"
                       "lat_seconds_bucket{le=\"1.0\"} 3\n"
                       "lat_seconds_bucket{le=\"2.0\"} 4\n"
                       "lat_seconds_bucket{le=\"+Inf\"} 5\n"
                       "lat_seconds_count 5\n"
                       "lat_seconds_sum 6.25\n"
                       "lat_seconds_created ";
    CHECK(strncmp(o, head, strlen(head)) == 0);
    if (strncmp(o, head, strlen(head)) != 0)
        fprintf(stderr, "got:\n%s\n", o);
    free(o);

    /* Default buckets, labels: le comes last, canonical values as client_python prints. */
    promc_histogram *d =
        promc_histogram_new(r, "http_latency", "H.", PROMC_LABELS("method", "endpoint"), NULL, 0);
    promc_histogram_observe(promc_histogram_labels(d, "GET", "/hello"), 0.3);
    t = render(r, PROMC_FORMAT_TEXT);
    CHECK_CONTAINS(t, "http_latency_bucket{method=\"GET\",endpoint=\"/hello\",le=\"0.005\"} 0\n"
                      "http_latency_bucket{method=\"GET\",endpoint=\"/hello\",le=\"0.01\"} 0\n");
    CHECK_CONTAINS(t, "le=\"0.25\"} 0\n"
                      "http_latency_bucket{method=\"GET\",endpoint=\"/hello\",le=\"0.5\"} 1\n");
    CHECK_CONTAINS(t, "le=\"5.0\"} 1\n");
    CHECK_CONTAINS(t, "le=\"10.0\"} 1\n"
                      "http_latency_bucket{method=\"GET\",endpoint=\"/hello\",le=\"+Inf\"} 1\n"
                      "http_latency_count{method=\"GET\",endpoint=\"/hello\"} 1\n"
                      "http_latency_sum{method=\"GET\",endpoint=\"/hello\"} 0.3\n");
    free(t);
    promc_registry_free(r);
}

static void test_histogram_negative_bounds(void) {
    promc_registry *r = promc_registry_new();
    double bounds[] = {-1, 0, 1};
    promc_histogram *h = promc_histogram_new(r, "temp", "T.", NULL, bounds, 3);
    promc_histogram_observe(h, -3);
    promc_histogram_observe(h, 0.5);
    char *t = render(r, PROMC_FORMAT_TEXT), *o = render(r, PROMC_FORMAT_OPENMETRICS);
    CHECK_CONTAINS(t, "temp_bucket{le=\"-1.0\"} 1\ntemp_bucket{le=\"0.0\"} 1\n");
    CHECK_CONTAINS(t, "temp_sum -2.5\n");
    /* OpenMetrics: a histogram with negative buckets MUST NOT expose a sum (nor _count). */
    CHECK_CONTAINS(o, "temp_bucket{le=\"+Inf\"} 2\ntemp_created ");
    CHECK(!strstr(o, "temp_sum") && !strstr(o, "temp_count"));
    free(t);
    free(o);

    /* The rule is the family's, not the data's: after more observations, still no _sum. */
    promc_histogram_observe(h, 10);
    o = render(r, PROMC_FORMAT_OPENMETRICS);
    CHECK(!strstr(o, "temp_sum") && !strstr(o, "temp_count"));
    free(o);

    /* Bounds from >= 0: a negative observation is refused, so _count and _sum are always
     * there, in both formats, whatever was observed. Summaries: OpenMetrics drops what it
     * forbids (a negative _sum, negative quantile values); the 0.0.4 format keeps everything. */
    promc_histogram *h2 = promc_histogram_new(r, "delta", "D.", NULL, NULL, 0);
    CHECK_INT(promc_histogram_observe(h2, -5), PROMC_EINVAL);
    CHECK_INT(promc_histogram_observe(h2, 0.001), 0);
    promc_quantile qs[] = {{0.5, 0.05}};
    promc_summary *s = promc_summary_new(r, "drift", "D.", NULL, qs, 1, 0, 0);
    promc_summary_observe(s, -1);
    promc_summary_observe(s, -2);
    t = render(r, PROMC_FORMAT_TEXT);
    o = render(r, PROMC_FORMAT_OPENMETRICS);
    CHECK_CONTAINS(t, "delta_bucket{le=\"0.005\"} 1\n");
    CHECK_CONTAINS(t, "delta_count 1\ndelta_sum 0.001\n");
    CHECK_CONTAINS(t, "drift{quantile=\"0.5\"} -");
    CHECK_CONTAINS(t, "drift_count 2\ndrift_sum -3\n");
    CHECK_CONTAINS(o,
                   "delta_bucket{le=\"+Inf\"} 1\ndelta_count 1\ndelta_sum 0.001\ndelta_created ");
    CHECK_CONTAINS(o, "# HELP drift D.\ndrift_count 2\ndrift_created ");
    CHECK(!strstr(o, "drift_sum") && !strstr(o, "quantile"));
    free(t);
    free(o);
    promc_registry_free(r);
}

static void test_summary(void) {
    promc_registry *r = promc_registry_new();
    promc_quantile qs[] = {{0.5, 0.05}, {0.9, 0.01}, {0.99, 0.001}};
    promc_summary *s = promc_summary_new(r, "job_seconds", "Jobs.", NULL, qs, 3, 0, 0);
    promc_summary *plain = promc_summary_new(r, "plain", "P.", NULL, NULL, 0, 0, 0);
    promc_summary_observe(plain, 2);
    /* Empty: every quantile NaN, count and sum 0. */
    expect(r,
           "# HELP job_seconds Jobs.\n"
           "# TYPE job_seconds summary\n"
           "job_seconds{quantile=\"0.5\"} NaN\n"
           "job_seconds{quantile=\"0.9\"} NaN\n"
           "job_seconds{quantile=\"0.99\"} NaN\n"
           "job_seconds_count 0\n"
           "job_seconds_sum 0\n"
           "# HELP plain P.\n"
           "# TYPE plain summary\n"
           "plain_count 1\n"
           "plain_sum 2\n",
           NULL);
    for (int i = 1; i <= 1000; i++)
        promc_summary_observe(s, i);
    char *t = render(r, PROMC_FORMAT_TEXT);
    double q50 = line_value(t, "job_seconds{quantile=\"0.5\"} ");
    double q90 = line_value(t, "job_seconds{quantile=\"0.9\"} ");
    double q99 = line_value(t, "job_seconds{quantile=\"0.99\"} ");
    CHECK(q50 >= 450 && q50 <= 550);
    CHECK(q90 >= 890 && q90 <= 910);
    CHECK(q99 >= 985 && q99 <= 995);
    CHECK(q50 <= q90 && q90 <= q99);
    CHECK_DBL(line_value(t, "job_seconds_count "), 1000);
    CHECK_DBL(line_value(t, "job_seconds_sum "), 500500);
    /* quantile lines come in increasing order, before _count and _sum */
    const char *a = strstr(t, "quantile=\"0.5\""), *b = strstr(t, "quantile=\"0.9\""),
               *c = strstr(t, "quantile=\"0.99\""), *d = strstr(t, "job_seconds_count");
    CHECK(a && b && c && d && a < b && b < c && c < d);
    free(t);
    char *o = render(r, PROMC_FORMAT_OPENMETRICS);
    CHECK_CONTAINS(o, "# TYPE job_seconds summary\n# HELP job_seconds Jobs.\n"
                      "job_seconds{quantile=\"0.5\"} ");
    CHECK_CONTAINS(o, "job_seconds_count 1000\njob_seconds_sum 500500\njob_seconds_created ");
    free(o);
    promc_registry_free(r);
}

static void test_info_and_enum(void) {
    promc_registry *r = promc_registry_new();
    promc_info *i = promc_info_new(r, "build", "Build.", PROMC_LABELS("version", "commit"));
    promc_info_set(i, PROMC_LABELS("1.2.3", "abc\"def"));
    promc_enum *e =
        promc_enum_new(r, "state", "State.", NULL, PROMC_LABELS("starting", "running", "stopped"));
    promc_enum_set_name(e, "running");
    promc_enum *le =
        promc_enum_new(r, "disk", "Disk.", PROMC_LABELS("dev"), PROMC_LABELS("ok", "failed"));
    promc_enum_set(promc_enum_labels(le, "sda"), 1);
    expect(r,
           "# HELP build_info Build.\n"
           "# TYPE build_info gauge\n"
           "build_info{version=\"1.2.3\",commit=\"abc\\\"def\"} 1\n"
           "# HELP disk Disk.\n"
           "# TYPE disk gauge\n"
           "disk{dev=\"sda\",disk=\"ok\"} 0\n"
           "disk{dev=\"sda\",disk=\"failed\"} 1\n"
           "# HELP state State.\n"
           "# TYPE state gauge\n"
           "state{state=\"starting\"} 0\n"
           "state{state=\"running\"} 1\n"
           "state{state=\"stopped\"} 0\n",
           "# TYPE build info\n"
           "# HELP build Build.\n"
           "build_info{version=\"1.2.3\",commit=\"abc\\\"def\"} 1\n"
           "# TYPE disk stateset\n"
           "# HELP disk Disk.\n"
           "disk{dev=\"sda\",disk=\"ok\"} 0\n"
           "disk{dev=\"sda\",disk=\"failed\"} 1\n"
           "# TYPE state stateset\n"
           "# HELP state State.\n"
           "state{state=\"starting\"} 0\n"
           "state{state=\"running\"} 1\n"
           "state{state=\"stopped\"} 0\n"
           "# EOF\n");
    /* Setting new info values replaces the old series. */
    promc_info_set(i, PROMC_LABELS("1.2.4", "fff"));
    char *t = render(r, PROMC_FORMAT_TEXT);
    CHECK_CONTAINS(t, "build_info{version=\"1.2.4\",commit=\"fff\"} 1\n");
    CHECK(!strstr(t, "1.2.3"));
    free(t);
    promc_registry_free(r);
}

static void test_exemplars(void) {
    promc_registry *r = promc_registry_new();
    promc_counter *c = promc_counter_new(r, "ex_total", "E.", NULL);
    CHECK_INT(promc_counter_add_exemplar(c, 2, PROMC_LABELS("trace_id", "abc\"1")), 0);
    double bounds[] = {1, 2};
    promc_histogram *h = promc_histogram_new(r, "exh", "H.", NULL, bounds, 2);
    CHECK_INT(promc_histogram_observe_exemplar(h, 1.5, PROMC_LABELS("trace_id", "t2")), 0);
    promc_histogram_observe(h, 0.5);
    char *o = render(r, PROMC_FORMAT_OPENMETRICS);
    CHECK_CONTAINS(o, "ex_total 2 # {trace_id=\"abc\\\"1\"} 2 ");
    CHECK_CONTAINS(o,
                   "exh_bucket{le=\"1.0\"} 1\nexh_bucket{le=\"2.0\"} 2 # {trace_id=\"t2\"} 1.5 ");
    CHECK_CONTAINS(o, "exh_bucket{le=\"+Inf\"} 2\n");
    /* the exemplar timestamp is now, in seconds */
    const char *p = strstr(o, "# {trace_id=\"t2\"} 1.5 ");
    if (p) {
        double ts = strtod(p + strlen("# {trace_id=\"t2\"} 1.5 "), NULL);
        CHECK(fabs(ts - (double)time(NULL)) < 60);
    }
    free(o);
    char *t = render(r, PROMC_FORMAT_TEXT); /* 0.0.4 has no exemplars */
    CHECK(!strchr(strstr(t, "ex_total 2"), '#') || strstr(t, "ex_total 2\n"));
    CHECK(!strstr(t, "trace_id"));
    free(t);
    promc_registry_free(r);
}

static void test_order_and_removal(void) {
    promc_registry *r = promc_registry_new();
    promc_gauge *z = promc_gauge_new(r, "zeta", "Z.", PROMC_LABELS("k"));
    promc_gauge_new(r, "alpha", "A.", NULL);
    promc_counter *m = promc_counter_new(r, "mid_total", "M.", PROMC_LABELS("k"));
    promc_gauge_set(promc_gauge_labels(z, "second"), 2);
    promc_gauge_set(promc_gauge_labels(z, "first"), 1);
    promc_gauge_set(promc_gauge_labels(z, "gone"), 3);
    CHECK_INT(promc_remove(z, PROMC_LABELS("gone")), 0);
    (void)m; /* a labelled family without children: header only */
    expect(r,
           "# HELP alpha A.\n"
           "# TYPE alpha gauge\n"
           "alpha 0\n"
           "# HELP mid_total M.\n"
           "# TYPE mid_total counter\n"
           "# HELP zeta Z.\n"
           "# TYPE zeta gauge\n"
           "zeta{k=\"second\"} 2\n"
           "zeta{k=\"first\"} 1\n",
           NULL);
    CHECK_INT(promc_registry_unregister(r, "alpha"), 0);
    char *t = render(r, PROMC_FORMAT_TEXT);
    CHECK(!strstr(t, "alpha"));
    free(t);
    promc_registry_free(r);
}

static int collect_things(promc_collect_ctx *ctx, void *userdata) {
    (void)userdata;
    promc_collect_family(ctx, "queue_depth", "Depth \"now\".", PROMC_GAUGE, PROMC_LABELS("q"));
    promc_collect_sample(ctx, PROMC_LABELS("in"), 3);
    promc_collect_sample(ctx, PROMC_LABELS("out"), 0.5);
    promc_collect_family(ctx, "reads_total", "Reads.", PROMC_COUNTER, NULL);
    promc_collect_sample(ctx, NULL, 7);
    promc_collect_family(ctx, "legacy", "L.", PROMC_UNTYPED, NULL);
    promc_collect_sample(ctx, NULL, -1);
    promc_collect_family(ctx, "lbl2", "L2.", PROMC_GAUGE, PROMC_LABELS("k"));
    CHECK(promc_collect_sample(ctx, PROMC_LABELS("\xff"), 1) != 0); /* invalid UTF-8 */
    return 0;
}

static void test_collectors(void) {
    promc_registry *r = promc_registry_new();
    promc_gauge_new(r, "zz_registered", "R.", NULL);
    CHECK_INT(promc_collector_register(r, "things", collect_things, NULL), 0);
    expect(r,
           "# HELP zz_registered R.\n"
           "# TYPE zz_registered gauge\n"
           "zz_registered 0\n"
           "# HELP queue_depth Depth \"now\".\n"
           "# TYPE queue_depth gauge\n"
           "queue_depth{q=\"in\"} 3\n"
           "queue_depth{q=\"out\"} 0.5\n"
           "# HELP reads_total Reads.\n"
           "# TYPE reads_total counter\n"
           "reads_total 7\n"
           "# HELP legacy L.\n"
           "# TYPE legacy untyped\n"
           "legacy -1\n"
           "# HELP lbl2 L2.\n"
           "# TYPE lbl2 gauge\n",
           "# TYPE zz_registered gauge\n"
           "# HELP zz_registered R.\n"
           "zz_registered 0\n"
           "# TYPE queue_depth gauge\n"
           "# HELP queue_depth Depth \\\"now\\\".\n"
           "queue_depth{q=\"in\"} 3\n"
           "queue_depth{q=\"out\"} 0.5\n"
           "# TYPE reads counter\n"
           "# HELP reads Reads.\n"
           "reads_total 7\n"
           "# TYPE legacy unknown\n"
           "# HELP legacy L.\n"
           "legacy -1\n"
           "# TYPE lbl2 gauge\n"
           "# HELP lbl2 L2.\n"
           "# EOF\n");
    promc_registry_free(r);
}

/* A locale with decimal commas changes nothing. */
static void test_locale(void) {
    setlocale(LC_ALL, "de_DE.UTF-8");
    promc_registry *r = promc_registry_new();
    promc_gauge_set(promc_gauge_new(r, "half", "H.", NULL), 0.5);
    expect(r, "# HELP half H.\n# TYPE half gauge\nhalf 0.5\n", NULL);
    promc_registry_free(r);
    setlocale(LC_ALL, "C");
}

static void test_bad_args(void) {
    char *out = (char *)1;
    CHECK_INT(promc_render(NULL, (promc_format)7, &out, NULL), PROMC_EINVAL);
    CHECK(out == NULL);
    CHECK_INT(promc_render(NULL, PROMC_FORMAT_TEXT, NULL, NULL), PROMC_EINVAL);
}

int main(void) {
    test_empty();
    test_counter();
    test_help_escaping();
    test_label_escaping_and_utf8();
    test_special_numbers();
    test_histogram();
    test_histogram_negative_bounds();
    test_summary();
    test_info_and_enum();
    test_exemplars();
    test_order_and_removal();
    test_collectors();
    test_locale();
    test_bad_args();
    return check_report("render");
}
