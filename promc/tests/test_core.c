/* test_core.c -- registration, validation, label children and the values of each metric type. */
#include "check.h"
#include "promc.h"

#include <math.h>
#include <stdlib.h>

static void test_names(promc_registry *r) {
    CHECK(promc_counter_new(r, "ok_name:sub_total", "h", NULL) != NULL);
    CHECK(promc_counter_new(r, "9starts_with_digit", "h", NULL) == NULL);
    CHECK_INT(promc_last_error(), PROMC_EINVAL);
    CHECK(promc_gauge_new(r, "has-dash", "h", NULL) == NULL);
    CHECK(promc_gauge_new(r, "", "h", NULL) == NULL);
    CHECK(promc_gauge_new(r, NULL, "h", NULL) == NULL);
    CHECK(promc_gauge_new(r, "__reserved", "h", NULL) == NULL);
    CHECK(promc_gauge_new(r, "bad_label", "h", PROMC_LABELS("__x")) == NULL);
    CHECK(promc_gauge_new(r, "bad_label2", "h", PROMC_LABELS("a:b")) == NULL);
    CHECK(promc_gauge_new(r, "dup_label", "h", PROMC_LABELS("a", "a")) == NULL);
    CHECK(promc_histogram_new(r, "h_le", "h", PROMC_LABELS("le"), NULL, 0) == NULL);
    CHECK(promc_summary_new(r, "s_q", "h", PROMC_LABELS("quantile"), NULL, 0, 0, 0) == NULL);
    CHECK(promc_gauge_new(r, "le_ok_on_gauge", "h", PROMC_LABELS("le")) != NULL);
    CHECK(promc_gauge_new(r, "bad_help", "\xff\xfe", NULL) == NULL);
    double unsorted[] = {1, 0.5};
    CHECK(promc_histogram_new(r, "h_unsorted", "h", NULL, unsorted, 2) == NULL);
    CHECK(promc_last_error_message()[0] != '\0');
}

static void test_get_or_create(promc_registry *r) {
    promc_counter *a = promc_counter_new(r, "requests_total", "Requests.", PROMC_LABELS("code"));
    promc_counter *b = promc_counter_new(r, "requests_total", "Requests.", PROMC_LABELS("code"));
    CHECK(a != NULL && a == b);
    /* "requests" and "requests_total" are the same counter family, as in client_python */
    CHECK(promc_counter_new(r, "requests", "Requests.", PROMC_LABELS("code")) == a);
    CHECK(promc_counter_new(r, "requests_total", "Other help.", PROMC_LABELS("code")) == NULL);
    CHECK_INT(promc_last_error(), PROMC_EEXIST);
    CHECK(promc_counter_new(r, "requests_total", "Requests.", PROMC_LABELS("method")) == NULL);
    CHECK(promc_gauge_new(r, "requests", "Requests.", PROMC_LABELS("code")) == NULL);
    /* suffix collisions: a gauge named like a histogram's series */
    CHECK(promc_histogram_new(r, "latency", "L.", NULL, NULL, 0) != NULL);
    CHECK(promc_gauge_new(r, "latency_count", "C.", NULL) == NULL);
    CHECK_INT(promc_last_error(), PROMC_EEXIST);
    CHECK(promc_gauge_new(r, "latency_bucket", "C.", NULL) == NULL);
    CHECK(promc_gauge_new(r, "requests_created", "C.", NULL) == NULL);
    CHECK(promc_gauge_new(r, "latency_other", "C.", NULL) != NULL);
    double b1[] = {1, 2}, b2[] = {1, 3};
    CHECK(promc_histogram_new(r, "hb", "h", NULL, b1, 2) != NULL);
    CHECK(promc_histogram_new(r, "hb", "h", NULL, b1, 2) != NULL);
    CHECK(promc_histogram_new(r, "hb", "h", NULL, b2, 2) == NULL);
}

static void test_counter(promc_registry *r) {
    promc_counter *c = promc_counter_new(r, "c_total", "c", NULL);
    CHECK_INT(promc_counter_inc(c), 0);
    CHECK_INT(promc_counter_add(c, 2), 0);
    CHECK_INT(promc_counter_add(c, 0.5), 0);
    CHECK_DBL(promc_counter_value(c), 3.5);
    CHECK_INT(promc_counter_add(c, -1), PROMC_EINVAL);
    CHECK_INT(promc_counter_add(c, NAN), PROMC_EINVAL);
    CHECK_DBL(promc_counter_value(c), 3.5);
    CHECK_INT(promc_counter_add(c, 1e300), 0); /* beyond the integer fast path */
    CHECK_DBL(promc_counter_value(c), 1e300);

    promc_counter *l = promc_counter_new(r, "lc_total", "c", PROMC_LABELS("method", "code"));
    CHECK_INT(promc_counter_inc(l), PROMC_ESTATE); /* the parent of a labelled metric */
    promc_counter *get = promc_counter_labels(l, "GET", "200");
    CHECK(get != NULL);
    CHECK(promc_counter_labels(l, "GET", "200") == get); /* cached child */
    CHECK(promc_counter_labelsv(l, PROMC_LABELS("GET", "200")) == get);
    CHECK(promc_counter_labels(l, "POST", "200") != get);
    CHECK(promc_counter_labelsv(l, PROMC_LABELS("GET")) == NULL);  /* too few values */
    CHECK(promc_counter_labels(l, "bad\xc3\x28", "200") == NULL);  /* invalid UTF-8 */
    CHECK(promc_counter_labels(l, "\xed\xa0\x80", "200") == NULL); /* a surrogate */
    CHECK(promc_counter_labels(l, "caf\xc3\xa9", "200") != NULL);  /* valid UTF-8 */
    promc_counter_add(get, 5);
    CHECK_DBL(promc_counter_value(promc_counter_labels(l, "GET", "200")), 5);
    /* "ab","c" and "a","bc" are different children */
    CHECK(promc_counter_labels(l, "ab", "c") != promc_counter_labels(l, "a", "bc"));

    /* remove one, clear all; removed handles are stale (a no-op), new children when asked again */
    CHECK_INT(promc_remove(l, PROMC_LABELS("GET", "200")), 0);
    CHECK_INT(promc_remove(l, PROMC_LABELS("GET", "200")), PROMC_ENOTFOUND);
    CHECK_INT(promc_counter_inc(get), PROMC_ENOTFOUND);
    CHECK_DBL(promc_counter_value(get), 0);
    promc_counter *again = promc_counter_labels(l, "GET", "200");
    CHECK(again != NULL && again != get);
    CHECK_DBL(promc_counter_value(again), 0);
    CHECK_INT(promc_clear(l), 0);
    CHECK(promc_counter_labels(l, "GET", "200") != again);
    CHECK_INT(promc_clear(c), PROMC_ESTATE);
}

static void test_many_children(promc_registry *r) {
    promc_gauge *g = promc_gauge_new(r, "many", "m", PROMC_LABELS("id"));
    char id[32];
    promc_gauge *kids[5000];
    for (int i = 0; i < 5000; i++) {
        snprintf(id, sizeof id, "%d", i);
        kids[i] = promc_gauge_labels(g, id);
        promc_gauge_set(kids[i], i);
    }
    int ok = 1;
    for (int i = 0; i < 5000; i++) {
        snprintf(id, sizeof id, "%d", i);
        ok &= promc_gauge_labels(g, id) == kids[i] && promc_gauge_value(kids[i]) == i;
    }
    CHECK(ok);
    for (int i = 0; i < 5000; i += 2) {
        snprintf(id, sizeof id, "%d", i);
        promc_remove(g, PROMC_LABELS(id));
    }
    ok = 1;
    for (int i = 1; i < 5000; i += 2) {
        snprintf(id, sizeof id, "%d", i);
        ok &= promc_gauge_labels(g, id) == kids[i];
    }
    CHECK(ok);
}

static void test_gauge(promc_registry *r) {
    promc_gauge *g = promc_gauge_new(r, "g", "g", NULL);
    promc_gauge_set(g, 10);
    promc_gauge_inc(g);
    promc_gauge_dec(g);
    promc_gauge_dec(g);
    promc_gauge_add(g, 0.25);
    promc_gauge_sub(g, 2);
    CHECK_DBL(promc_gauge_value(g), 7.25);
    promc_gauge_set(g, -INFINITY);
    CHECK(isinf(promc_gauge_value(g)) && promc_gauge_value(g) < 0);
    promc_gauge_set_to_current_time(g);
    CHECK(promc_gauge_value(g) > 1.7e9);
}

static void test_histogram(promc_registry *r) {
    promc_histogram *h = promc_histogram_new(r, "hist", "h", NULL, NULL, 0);
    double values[] = {0.001, 0.005, 0.0051, 1, 10, 11, 0};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        CHECK_INT(promc_histogram_observe(h, values[i]), 0);
    CHECK_INT(promc_histogram_observe(h, NAN), PROMC_EINVAL);
    /* Bounds that start at >= 0: negative values are refused (and change nothing). */
    CHECK_INT(promc_histogram_observe(h, -3), PROMC_EINVAL);
    uint64_t counts[15], count;
    double sum;
    CHECK_INT(promc_histogram_snapshot(h, counts, 15, &sum, &count), 0);
    CHECK_INT(count, 7);
    CHECK_DBL(sum, 0.001 + 0.005 + 0.0051 + 1 + 10 + 11);
    CHECK_INT(counts[0], 3);  /* le 0.005: 0, 0.001, 0.005 (a value on a bound counts there) */
    CHECK_INT(counts[1], 4);  /* le 0.01 */
    CHECK_INT(counts[9], 5);  /* le 1 */
    CHECK_INT(counts[13], 6); /* le 10 */
    CHECK_INT(counts[14], 7); /* +Inf == count */

    double lin[4], exp4[4];
    CHECK_INT(promc_buckets_linear(1, 0.5, 4, lin), 0);
    CHECK_DBL(lin[3], 2.5);
    CHECK_INT(promc_buckets_exponential(1, 2, 4, exp4), 0);
    CHECK_DBL(exp4[3], 8);
    CHECK_INT(promc_buckets_exponential(0, 2, 4, exp4), PROMC_EINVAL);
    CHECK_INT(promc_buckets_linear(1, 0, 4, lin), PROMC_EINVAL);
    double with_inf[] = {1, 2, INFINITY};
    promc_histogram *hi = promc_histogram_new(r, "hist_inf", "h", NULL, with_inf, 3);
    CHECK(hi != NULL);
    promc_histogram_observe(hi, 5);
    CHECK_INT(promc_histogram_snapshot(hi, counts, 3, NULL, &count), 0);
    CHECK_INT(counts[1], 0);
    CHECK_INT(counts[2], 1);
}

static void test_info_enum(promc_registry *r) {
    promc_info *i = promc_info_new(r, "build_info", "Build.", PROMC_LABELS("version"));
    CHECK(i != NULL);
    CHECK_INT(promc_info_set(i, PROMC_LABELS("1.0")), 0);
    CHECK_INT(promc_info_set(i, PROMC_LABELS("2.0")), 0);
    CHECK(promc_info_new(r, "build", "Build.", PROMC_LABELS("version")) == i);

    promc_enum *e = promc_enum_new(r, "state", "S.", NULL, PROMC_LABELS("starting", "running"));
    CHECK(e != NULL);
    CHECK_INT(promc_enum_set_name(e, "running"), 0);
    CHECK_INT(promc_enum_set_name(e, "flying"), PROMC_EINVAL);
    CHECK_INT(promc_enum_set(e, 2), PROMC_EINVAL);
    CHECK(promc_enum_new(r, "state2", "S.", NULL, PROMC_LABELS("a", "a")) == NULL);
    CHECK(promc_enum_new(r, "state3", "S.", PROMC_LABELS("state3"), PROMC_LABELS("a")) == NULL);
}

static void test_unregister(promc_registry *r) {
    promc_counter *c = promc_counter_new(r, "gone_total", "g", NULL);
    CHECK_INT(promc_registry_unregister(r, "gone_total"), 0);
    CHECK_INT(promc_counter_inc(c), 0); /* the handle stays valid */
    CHECK_INT(promc_registry_unregister(r, "gone_total"), PROMC_ENOTFOUND);
    CHECK(promc_gauge_new(r, "gone", "now a gauge", NULL) != NULL);
}

int main(void) {
    promc_registry *r = promc_registry_new();
    test_names(r);
    test_get_or_create(r);
    test_counter(r);
    test_many_children(r);
    test_gauge(r);
    test_histogram(r);
    test_info_enum(r);
    test_unregister(r);
    promc_registry_free(r);
    CHECK(promc_registry_default() == promc_registry_default());
    CHECK_STR(promc_strerror(PROMC_EEXIST), "conflicting metric already registered");
    return check_report("test_core");
}
