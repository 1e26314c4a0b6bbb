/* test_api.c -- the public API refuses misuse: label value counts, summary parameters,
 * exemplars that fail without side effects, last errors left alone by successes, collectors
 * that emit a taken family name, units where OpenMetrics has none, name collisions, the label
 * limit, the histogram _count/_sum rule, and the version.
 *
 * Only promc.h is used, as a user would. What must not compile is in api_compile.sh.
 */
#include "check.h"
#include "promc.h"

#include <stdlib.h>
#include <unistd.h>

static char *render(promc_registry *r, promc_format fmt) {
    char *out = NULL;
    size_t len = 0;
    CHECK_INT(promc_render(r, fmt, &out, &len), 0);
    CHECK(out != NULL && strlen(out) == len);
    return out;
}

static size_t count_of(const char *hay, const char *needle) {
    size_t n = 0;
    for (const char *p = hay; p && (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

static int evaluations;
static const char *once(const char *v) {
    evaluations++;
    return v;
}

/* labels(...) counts its values: too many or too few is PROMC_EINVAL with a message naming
 * the metric and both counts, never a child of the first values or a read past them. */
static void test_labels_count(void) {
    promc_registry *r = promc_registry_new();
    promc_counter *c = promc_counter_new(r, "req", "R.", PROMC_LABELS("method", "code"));
    promc_gauge *g = promc_gauge_new(r, "temp", "T.", PROMC_LABELS("room"));
    promc_histogram *h = promc_histogram_new(r, "lat", "L.", PROMC_LABELS("path"), NULL, 0);
    promc_quantile q[] = {{0.5, 0.05}};
    promc_summary *s = promc_summary_new(r, "dur", "D.", PROMC_LABELS("job"), q, 1, 0, 0);
    promc_enum *e =
        promc_enum_new(r, "state", "S.", PROMC_LABELS("disk"), PROMC_LABELS("ok", "failed"));
    CHECK(c && g && h && s && e);

    promc_counter *get = promc_counter_labels(c, "GET", "200");
    CHECK(get != NULL);
    CHECK(promc_counter_labels(c, "GET", "200", "extra") == NULL);
    CHECK_INT(promc_last_error(), PROMC_EINVAL);
    CHECK_STR(promc_last_error_message(), "req: 3 label values given, 2 expected");
    CHECK(promc_counter_labels(c, "GET") == NULL);
    CHECK_INT(promc_last_error(), PROMC_EINVAL);
    CHECK_STR(promc_last_error_message(), "req: 1 label values given, 2 expected");
    /* Nothing was created by the refused calls: one series only. */
    char *t = render(r, PROMC_FORMAT_TEXT);
    CHECK_INT(count_of(t, "req_total{"), 1);
    free(t);

    CHECK(promc_gauge_labels(g, "kitchen", "hall") == NULL);
    CHECK_STR(promc_last_error_message(), "temp: 2 label values given, 1 expected");
    CHECK(promc_histogram_labels(h, "/a", "/b") == NULL);
    CHECK_STR(promc_last_error_message(), "lat: 2 label values given, 1 expected");
    CHECK(promc_summary_labels(s, "x", "y", "z") == NULL);
    CHECK_STR(promc_last_error_message(), "dur: 3 label values given, 1 expected");
    CHECK(promc_enum_labels(e, "sda", "sdb") == NULL);
    CHECK_STR(promc_last_error_message(), "state: 2 label values given, 1 expected");
    CHECK(promc_gauge_labels(g, "kitchen") != NULL);
    CHECK(promc_histogram_labels(h, "/a") != NULL);
    CHECK(promc_summary_labels(s, "x") != NULL);
    CHECK(promc_enum_labels(e, "sda") != NULL);
    /* A NULL value is counted but refused. */
    CHECK(promc_gauge_labels(g, NULL) == NULL);
    CHECK_INT(promc_last_error(), PROMC_EINVAL);

    /* Each value is evaluated once (the count is taken by sizeof, which evaluates nothing). */
    evaluations = 0;
    CHECK(promc_counter_labels(c, once("GET"), once("200")) == get);
    CHECK_INT(evaluations, 2);

    /* The array forms keep working. */
    CHECK(promc_counter_labelsv(c, PROMC_LABELS("GET", "200")) == get);
    CHECK(promc_counter_labelsn(c, 2, (const char *const[]){"GET", "200"}) == get);
    CHECK(promc_counter_labelsn(c, 1, (const char *const[]){"GET"}) == NULL);
    promc_registry_free(r);
}

/* Summary parameters: one rule set, at registration, with PROMC_EINVAL and a message. */
static void test_summary_parameters(void) {
    promc_registry *r = promc_registry_new();
    promc_quantile zero[] = {{0.5, 0}}, big[] = {{0.5, 1}}, out[] = {{1.5, 0.01}},
                   order[] = {{0.9, 0.01}, {0.5, 0.05}}, ok[] = {{0.5, 0.05}, {0.99, 0.001}};
    CHECK(promc_summary_new(r, "s_zero", "S.", NULL, zero, 1, 0, 0) == NULL);
    CHECK_INT(promc_last_error(), PROMC_EINVAL);
    CHECK_STR(promc_last_error_message(), "s_zero: quantile 0.5: error 0 is outside (0, 1)");
    /* A labelled summary is refused at registration too, not at its first labels(). */
    CHECK(promc_summary_new(r, "s_zero_l", "S.", PROMC_LABELS("a"), zero, 1, 0, 0) == NULL);
    CHECK_INT(promc_last_error(), PROMC_EINVAL);
    CHECK(promc_summary_new(r, "s_big", "S.", NULL, big, 1, 0, 0) == NULL);
    CHECK_INT(promc_last_error(), PROMC_EINVAL);
    CHECK(promc_summary_new(r, "s_out", "S.", NULL, out, 1, 0, 0) == NULL);
    CHECK_INT(promc_last_error(), PROMC_EINVAL);
    CHECK(promc_summary_new(r, "s_order", "S.", NULL, order, 2, 0, 0) == NULL);
    CHECK_INT(promc_last_error(), PROMC_EINVAL);
    CHECK(promc_summary_new(r, "s_inf", "S.", PROMC_LABELS("a"), ok, 2, 1.0 / 0.0, 5) == NULL);
    CHECK_INT(promc_last_error(), PROMC_EINVAL);
    CHECK(promc_summary_new(r, "s_fine", "S.", PROMC_LABELS("a"), ok, 2, 0.001, 5) == NULL);
    CHECK_INT(promc_last_error(), PROMC_EINVAL);
    promc_summary *s = promc_summary_new(r, "s_ok", "S.", PROMC_LABELS("a"), ok, 2, 0, 0);
    CHECK(s != NULL);
    CHECK(promc_summary_labels(s, "x") != NULL);
    promc_registry_free(r);
}

/* A bad exemplar fails the call before the value is applied: nothing changes. */
static void test_exemplar_validated_first(void) {
    promc_registry *r = promc_registry_new();
    promc_counter *c = promc_counter_new(r, "jobs", "J.", NULL);
    promc_histogram *h = promc_histogram_new(r, "lat", "L.", NULL, NULL, 0);
    const char *const *bad[] = {PROMC_LABELS("1bad", "x"), PROMC_LABELS("trace_id"),
                                PROMC_LABELS("trace_id", "\xff")};
    char long_value[200];
    memset(long_value, 'a', sizeof long_value - 1);
    long_value[sizeof long_value - 1] = '\0';
    const char *too_long[] = {"trace_id", long_value, NULL};
    for (size_t i = 0; i < 4; i++) {
        const char *const *labels = i < 3 ? bad[i] : too_long;
        CHECK_INT(promc_counter_add_exemplar(c, 2, labels), PROMC_EINVAL);
        CHECK_INT(promc_histogram_observe_exemplar(h, 0.3, labels), PROMC_EINVAL);
    }
    CHECK_DBL(promc_counter_value(c), 0);
    uint64_t count = 99;
    double sum = 99;
    CHECK_INT(promc_histogram_snapshot(h, NULL, 0, &sum, &count), 0);
    CHECK_INT(count, 0);
    CHECK_DBL(sum, 0);
    char *o = render(r, PROMC_FORMAT_OPENMETRICS);
    CHECK(!strstr(o, " # {"));
    free(o);
    /* A bad value with a good exemplar: the exemplar is not kept either. */
    CHECK_INT(promc_counter_add_exemplar(c, -1, PROMC_LABELS("trace_id", "t1")), PROMC_EINVAL);
    CHECK_INT(promc_histogram_observe_exemplar(h, -1, PROMC_LABELS("trace_id", "t1")),
              PROMC_EINVAL);
    o = render(r, PROMC_FORMAT_OPENMETRICS);
    CHECK(!strstr(o, "t1"));
    free(o);
    /* And the good path still works. */
    CHECK_INT(promc_counter_add_exemplar(c, 2, PROMC_LABELS("trace_id", "t2")), 0);
    CHECK_INT(promc_histogram_observe_exemplar(h, 0.3, PROMC_LABELS("trace_id", "t3")), 0);
    CHECK_DBL(promc_counter_value(c), 2);
    o = render(r, PROMC_FORMAT_OPENMETRICS);
    CHECK_CONTAINS(o, "jobs_total 2 # {trace_id=\"t2\"} 2 ");
    CHECK_CONTAINS(o, "lat_bucket{le=\"0.5\"} 1 # {trace_id=\"t3\"} 0.3 ");
    free(o);
    promc_registry_free(r);
}

static int noop_collector(promc_collect_ctx *ctx, void *userdata) {
    (void)ctx;
    (void)userdata;
    return 0;
}

/* A call that succeeds leaves the last error as it was. */
static void test_unregister_keeps_last_error(void) {
    promc_registry *r = promc_registry_new();
    CHECK(promc_gauge_new(r, "g", "G.", NULL) != NULL);
    CHECK_INT(promc_collector_register(r, "col", noop_collector, NULL), 0);
    CHECK(promc_gauge_new(r, "1bad", "B.", NULL) == NULL); /* sets a last error */
    CHECK_INT(promc_last_error(), PROMC_EINVAL);
    CHECK_INT(promc_registry_unregister(r, "g"), 0);
    CHECK_INT(promc_last_error(), PROMC_EINVAL);
    CHECK_INT(promc_collector_unregister(r, "col"), 0);
    CHECK_INT(promc_last_error(), PROMC_EINVAL);
    /* Failing ones do set it. */
    CHECK_INT(promc_registry_unregister(r, "g"), PROMC_ENOTFOUND);
    CHECK_INT(promc_last_error(), PROMC_ENOTFOUND);
    CHECK_STR(promc_last_error_message(), "no metric named g");
    CHECK(promc_gauge_new(r, "1bad", "B.", NULL) == NULL);
    CHECK_INT(promc_collector_unregister(r, "col"), PROMC_ENOTFOUND);
    CHECK_STR(promc_last_error_message(), "no collector named col");
    promc_registry_free(r);
}

/* Collectors that emit family names already taken in the scrape. */
static int dup_rc[4];
static int dup_collector(promc_collect_ctx *ctx, void *userdata) {
    int *rc = userdata;
    rc[0] = promc_collect_family(ctx, "dup", "From a collector.", PROMC_GAUGE, NULL);
    rc[1] = promc_collect_sample(ctx, NULL, 7);
    rc[2] = promc_collect_family(ctx, "c1_total", "Collides with counter c1.", PROMC_GAUGE, NULL);
    promc_collect_sample(ctx, NULL, 8);
    rc[3] = promc_collect_family(ctx, "fresh", "Only here.", PROMC_GAUGE, NULL);
    promc_collect_sample(ctx, NULL, 9);
    return 0;
}
static int fresh_rc;
static int second_collector(promc_collect_ctx *ctx, void *userdata) {
    (void)userdata;
    fresh_rc = promc_collect_family(ctx, "fresh", "Again.", PROMC_GAUGE, NULL);
    promc_collect_sample(ctx, NULL, 10);
    return 0;
}

static int run_promtool(const char *text) {
    if (system("command -v promtool >/dev/null 2>&1") != 0) {
        fprintf(stderr, "promtool not found (Debian package prometheus)\n");
        return -1;
    }
    char path[] = "/tmp/promc_test_api_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    size_t len = strlen(text);
    int ok = write(fd, text, len) == (ssize_t)len;
    close(fd);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "promtool check metrics < %s", path);
    int rc = ok ? system(cmd) : -1;
    unlink(path);
    return rc;
}

static void test_collector_taken_names(void) {
    promc_registry *r = promc_registry_new();
    promc_gauge *dup = promc_gauge_new(r, "dup", "Registered.", NULL);
    promc_counter *c1 = promc_counter_new(r, "c1", "Registered counter.", NULL);
    promc_gauge_set(dup, 1);
    promc_counter_inc(c1);
    CHECK_INT(promc_collector_register(r, "dups", dup_collector, dup_rc), 0);
    CHECK_INT(promc_collector_register(r, "second", second_collector, NULL), 0);
    for (int fmt = 0; fmt < 2; fmt++) {
        char *t = render(r, (promc_format)fmt);
        CHECK_INT(dup_rc[0], PROMC_EEXIST);
        CHECK_INT(dup_rc[1], PROMC_ESTATE); /* the skipped family takes no samples */
        CHECK_INT(dup_rc[2], PROMC_EEXIST);
        CHECK_INT(dup_rc[3], 0);
        CHECK_INT(fresh_rc, PROMC_EEXIST);
        CHECK_INT(count_of(t, "# TYPE dup "), 1);
        CHECK_INT(count_of(t, "# TYPE fresh "), 1);
        CHECK_INT(count_of(t, "c1_total"), fmt == 0 ? 3 : 1); /* HELP, TYPE (0.0.4 only), sample */
        CHECK_CONTAINS(t, "\ndup 1\n");
        CHECK_CONTAINS(t, "\nfresh 9\n");
        CHECK(!strstr(t, " 7\n") && !strstr(t, " 8\n") && !strstr(t, " 10\n"));
        if (fmt == 0)
            CHECK_INT(run_promtool(t), 0);
        free(t);
    }
    promc_registry_free(r);
}

/* OpenMetrics has no UNIT for info and stateset metrics. */
static void test_unit_types(void) {
    promc_registry *r = promc_registry_new();
    promc_info *i = promc_info_new(r, "build_seconds", "B.", PROMC_LABELS("version"));
    promc_enum *e = promc_enum_new(r, "mode_seconds", "M.", NULL, PROMC_LABELS("a", "b"));
    promc_gauge *g = promc_gauge_new(r, "size_bytes", "S.", NULL);
    CHECK_INT(promc_set_unit(i, "seconds"), PROMC_EINVAL);
    CHECK_INT(promc_set_unit(e, "seconds"), PROMC_EINVAL);
    CHECK_INT(promc_set_unit(g, "bytes"), 0);
    char *o = render(r, PROMC_FORMAT_OPENMETRICS);
    CHECK_INT(count_of(o, "# UNIT "), 1);
    CHECK_CONTAINS(o, "# UNIT size_bytes bytes\n");
    free(o);
    promc_registry_free(r);
}

/* Series-name collisions are PROMC_EEXIST, as promc.h says, in either order. */
static void test_collisions(void) {
    promc_registry *r = promc_registry_new();
    CHECK(promc_histogram_new(r, "foo", "F.", NULL, NULL, 0) != NULL);
    CHECK(promc_gauge_new(r, "foo_count", "G.", NULL) == NULL);
    CHECK_INT(promc_last_error(), PROMC_EEXIST);
    CHECK(promc_counter_new(r, "c1", "C.", NULL) != NULL);
    CHECK(promc_gauge_new(r, "c1_total", "G.", NULL) == NULL);
    CHECK_INT(promc_last_error(), PROMC_EEXIST);
    CHECK(promc_gauge_new(r, "bar_sum", "G.", NULL) != NULL);
    CHECK(promc_summary_new(r, "bar", "S.", NULL, NULL, 0, 0, 0) == NULL);
    CHECK_INT(promc_last_error(), PROMC_EEXIST);
    promc_registry_free(r);
}

/* PROMC_MAX_LABELS label names are fine; one more is PROMC_EINVAL saying the limit. */
static void test_label_limit(void) {
    promc_registry *r = promc_registry_new();
    char names[PROMC_MAX_LABELS + 1][8];
    const char *list[PROMC_MAX_LABELS + 2];
    for (int i = 0; i <= PROMC_MAX_LABELS; i++) {
        snprintf(names[i], sizeof names[i], "l%d", i);
        list[i] = names[i];
    }
    list[PROMC_MAX_LABELS] = NULL;
    CHECK(promc_gauge_new(r, "wide", "W.", list) != NULL);
    list[PROMC_MAX_LABELS] = names[PROMC_MAX_LABELS];
    list[PROMC_MAX_LABELS + 1] = NULL;
    CHECK(promc_gauge_new(r, "wider", "W.", list) == NULL);
    CHECK_INT(promc_last_error(), PROMC_EINVAL);
    CHECK_STR(promc_last_error_message(), "wider: more than 16 label names (PROMC_MAX_LABELS)");
    CHECK_INT(PROMC_MAX_LABELS, 16);
    promc_registry_free(r);
}

/* OpenMetrics _count/_sum: decided by the family's layout, never by the running sum. */
static void test_histogram_sum_rule(void) {
    promc_registry *r = promc_registry_new();
    promc_histogram *pos = promc_histogram_new(r, "pos", "P.", NULL, NULL, 0);
    double bounds[] = {-1, 0, 1};
    promc_histogram *neg = promc_histogram_new(r, "neg", "N.", NULL, bounds, 3);
    const double steps[] = {1, -5, 0.5, -10, 20};
    double want_pos = 0;
    uint64_t want_count = 0;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        int rc = promc_histogram_observe(pos, steps[i]);
        CHECK_INT(rc, steps[i] < 0 ? PROMC_EINVAL : 0);
        if (rc == 0) {
            want_pos += steps[i];
            want_count++;
        }
        CHECK_INT(promc_histogram_observe(neg, steps[i]), 0);
        char *o = render(r, PROMC_FORMAT_OPENMETRICS), *t = render(r, PROMC_FORMAT_TEXT);
        CHECK_INT(count_of(o, "pos_count "), 1);
        CHECK_INT(count_of(o, "pos_sum "), 1);
        CHECK_INT(count_of(o, "neg_count"), 0);
        CHECK_INT(count_of(o, "neg_sum"), 0);
        CHECK_INT(count_of(t, "neg_count "), 1);
        CHECK_INT(count_of(t, "neg_sum "), 1);
        free(o);
        free(t);
    }
    double sum;
    uint64_t count;
    CHECK_INT(promc_histogram_snapshot(pos, NULL, 0, &sum, &count), 0);
    CHECK_DBL(sum, want_pos);
    CHECK_INT(count, want_count);
    promc_registry_free(r);
}

/* Typed handles for the calls that take any metric. */
static void test_typed_handles(void) {
    promc_registry *r = promc_registry_new();
    promc_gauge *g = promc_gauge_new(r, "g", "G.", PROMC_LABELS("k"));
    promc_histogram *h = promc_histogram_new(r, "h_seconds", "H.", PROMC_LABELS("k"), NULL, 0);
    promc_gauge_set(promc_gauge_labels(g, "a"), 1);
    promc_gauge_set(promc_gauge_labels(g, "b"), 2);
    promc_histogram_observe(promc_histogram_labels(h, "a"), 1);
    CHECK_INT(promc_set_unit(h, "seconds"), 0);
    CHECK_INT(promc_remove(g, PROMC_LABELS("a")), 0);
    CHECK_INT(promc_remove(g, PROMC_LABELS("a")), PROMC_ENOTFOUND);
    CHECK_INT(promc_clear(h), 0);
    char *t = render(r, PROMC_FORMAT_TEXT);
    CHECK(!strstr(t, "g{k=\"a\"}") && strstr(t, "g{k=\"b\"} 2\n"));
    CHECK(!strstr(t, "h_seconds_bucket"));
    free(t);
    promc_registry_free(r);
}

static void test_version(void) {
#ifdef PROMC_VERSION_NUMBER
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", PROMC_VERSION_MAJOR, PROMC_VERSION_MINOR,
             PROMC_VERSION_PATCH);
    CHECK_STR(PROMC_VERSION, want);
    CHECK_STR(promc_version(), PROMC_VERSION);
    CHECK_INT(PROMC_VERSION_NUMBER,
              PROMC_VERSION_MAJOR * 10000 + PROMC_VERSION_MINOR * 100 + PROMC_VERSION_PATCH);
#else
    CHECK(!"promc.h defines no PROMC_VERSION_NUMBER");
#endif
}

int main(void) {
    test_labels_count();
    test_summary_parameters();
    test_exemplar_validated_first();
    test_unregister_keeps_last_error();
    test_collector_taken_names();
    test_unit_types();
    test_collisions();
    test_label_limit();
    test_histogram_sum_rule();
    test_typed_handles();
    test_version();
    return check_report("api");
}
