/* test_summary.c -- the summary estimator (summary.c): quantile accuracy within the configured
 * rank error on known distributions, the sliding window driven by an injected clock, all-time
 * sum and count, edge cases, and thread hand-over of per-thread slots. */
#include "check.h"
#include "summary.h"

#include <pthread.h>
#include <stdlib.h>

static double fake_now;
static double fake_clock(void) {
    return fake_now;
}

/* A small deterministic generator (xorshift64*), uniform in [0, 1). */
static uint64_t rng_state = 88172645463325252ull;
static double uniform(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (double)((rng_state * 2685821657736338717ull) >> 11) * 0x1p-53;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static summary_state *make_state(const promc_quantile *q, size_t nq, double max_age, int k) {
    promc_summary_params p = {q, nq, max_age, k};
    return promc__summary_state_new(&p);
}

static const promc_quantile golang_q[] = {{0.5, 0.05}, {0.9, 0.01}, {0.99, 0.001}};
static const promc_quantile wide_q[] = {
    {0.01, 0.001}, {0.25, 0.01}, {0.5, 0.02}, {0.75, 0.01}, {0.999, 0.0001}};

/* Is v a value whose rank in sorted[0..n) lies within (phi +/- err) * n? */
static int rank_ok(const double *sorted, size_t n, double v, double phi, double err) {
    size_t lo = 0, hi = n; /* lo: count < v; hi: count <= v */
    size_t a = 0, b = n;
    while (a < b) {
        size_t m = (a + b) / 2;
        if (sorted[m] < v)
            a = m + 1;
        else
            b = m;
    }
    lo = a;
    for (b = n; a < b;) {
        size_t m = (a + b) / 2;
        if (sorted[m] <= v)
            a = m + 1;
        else
            b = m;
    }
    hi = a;
    if (hi == lo)
        return 0; /* not a value that was observed */
    double want_lo = (phi - err) * (double)n - 1, want_hi = (phi + err) * (double)n + 1;
    return (double)hi >= want_lo && (double)(lo + 1) <= want_hi;
}

static void check_accuracy(const char *name, double *data, size_t n, const promc_quantile *q,
                           size_t nq) {
    summary_state *s = make_state(q, nq, 600, 5);
    CHECK(s != NULL);
    double sum_want = 0;
    int failed = 0;
    for (size_t i = 0; i < n; i++) {
        failed += promc__summary_observe(s, data[i]) != 0;
        sum_want += data[i];
        if (i % 9973 == 0) { /* reads in the middle must not disturb the estimate */
            double mid[PROMC_MAX_QUANTILES];
            promc__summary_read(s, mid, NULL, NULL);
        }
    }
    double values[PROMC_MAX_QUANTILES], sum;
    uint64_t count;
    promc__summary_read(s, values, &sum, &count);
    qsort(data, n, sizeof *data, cmp_double);
    CHECK_INT(failed, 0);
    CHECK_INT(count, n);
    CHECK_DBL(sum, sum_want);
    int bad = 0;
    for (size_t j = 0; j < nq; j++) {
        if (!rank_ok(data, n, values[j], q[j].quantile, q[j].error)) {
            bad++;
            fprintf(stderr, "%s: quantile %g (error %g) estimated %.17g, outside the bound\n", name,
                    q[j].quantile, q[j].error, values[j]);
        }
    }
    CHECK_INT(bad, 0);
    printf("accuracy %-12s n=%zu:", name, n);
    for (size_t j = 0; j < nq; j++)
        printf(" q%g=%g", q[j].quantile, values[j]);
    printf("\n");
    promc__summary_state_free(s);
}

static void test_accuracy(void) {
    const size_t n = 200000;
    double *data = malloc(n * sizeof *data);
    const struct {
        const promc_quantile *q;
        size_t nq;
    } configs[] = {{golang_q, 3}, {wide_q, 5}};
    for (size_t c = 0; c < 2; c++) {
        const promc_quantile *q = configs[c].q;
        size_t nq = configs[c].nq;
        for (size_t i = 0; i < n; i++) /* a permutation of 1..n */
            data[i] = (double)(i + 1);
        for (size_t i = n - 1; i > 0; i--) {
            size_t j = (size_t)(uniform() * (double)(i + 1));
            double t = data[i];
            data[i] = data[j];
            data[j] = t;
        }
        check_accuracy("shuffled", data, n, q, nq);
        for (size_t i = 0; i < n; i++)
            data[i] = (double)(i + 1);
        check_accuracy("ascending", data, n, q, nq);
        for (size_t i = 0; i < n; i++)
            data[i] = (double)(n - i);
        check_accuracy("descending", data, n, q, nq);
        for (size_t i = 0; i < n; i++) /* latency-like: exponential, mean 0.2 s */
            data[i] = -0.2 * log(1 - uniform());
        check_accuracy("exponential", data, n, q, nq);
        for (size_t i = 0; i < n; i += 2) { /* Box-Muller: normal, negative values too */
            double u1 = 1 - uniform(), u2 = uniform();
            double rr = sqrt(-2 * log(u1));
            data[i] = rr * cos(2 * M_PI * u2);
            data[i + 1] = rr * sin(2 * M_PI * u2);
        }
        check_accuracy("normal", data, n, q, nq);
        for (size_t i = 0; i < n; i++) /* heavy duplicates */
            data[i] = (double)(1 + (size_t)(uniform() * 5));
        check_accuracy("duplicates", data, n, q, nq);
        for (size_t i = 0; i < n; i++)
            data[i] = 42;
        check_accuracy("constant", data, n, q, nq);
        for (size_t i = 0; i < n; i++) /* bimodal, values far apart */
            data[i] = uniform() < 0.7 ? uniform() : 1e6 + uniform();
        check_accuracy("bimodal", data, n, q, nq);
    }
    /* The counter-example to the CKMS paper's bound (V. Sitnikov): minimum and maximum first,
     * then everything between in ascending order, against one target. */
    const promc_quantile p90[] = {{0.9, 0.04}};
    data[0] = 0, data[1] = 9999;
    for (size_t i = 2; i < 10000; i++)
        data[i] = (double)(i - 1);
    check_accuracy("sitnikov", data, 10000, p90, 1);
    /* Small samples are exact enough: one, two and ten values. */
    data[0] = 7;
    check_accuracy("one", data, 1, golang_q, 3);
    data[0] = 3, data[1] = 1;
    check_accuracy("two", data, 2, golang_q, 3);
    for (size_t i = 0; i < 10; i++)
        data[i] = (double)((i * 7) % 10);
    check_accuracy("ten", data, 10, wide_q, 5);
    free(data);
}

static void test_edges(void) {
    summary_state *s = make_state(golang_q, 3, 600, 5);
    double v[3] = {0, 0, 0}, sum = -1;
    uint64_t count = 99;
    promc__summary_read(s, v, &sum, &count);
    CHECK(isnan(v[0]) && isnan(v[1]) && isnan(v[2])); /* empty window */
    CHECK_INT(count, 0);
    CHECK_DBL(sum, 0);
    CHECK_INT(promc__summary_observe(s, NAN), PROMC_EINVAL);
    promc__summary_read(s, v, &sum, &count);
    CHECK_INT(count, 0);
    CHECK_INT(promc__summary_observe(s, -INFINITY), 0);
    CHECK_INT(promc__summary_observe(s, 1), 0);
    CHECK_INT(promc__summary_observe(s, INFINITY), 0);
    promc__summary_read(s, v, &sum, &count);
    CHECK_INT(count, 3);
    CHECK(isnan(sum)); /* -Inf + Inf */
    CHECK_DBL(v[0], 1);
    CHECK_DBL(v[2], INFINITY);
    promc__summary_state_free(s);

    /* Quantiles 0 and 1 are the exact minimum and maximum. */
    const promc_quantile ends[] = {{0, 0.01}, {1, 0.01}};
    s = make_state(ends, 2, 600, 5);
    for (int i = 0; i < 100000; i++)
        promc__summary_observe(s, (double)((i * 7919) % 100000) - 500);
    promc__summary_read(s, v, NULL, NULL);
    CHECK_DBL(v[0], -500);
    CHECK_DBL(v[1], 99499);
    promc__summary_state_free(s);

    /* No quantiles: only count and sum; values untouched. */
    s = make_state(NULL, 0, 600, 5);
    for (int i = 1; i <= 1000; i++)
        promc__summary_observe(s, i);
    v[0] = 123;
    promc__summary_read(s, v, &sum, &count);
    CHECK_INT(count, 1000);
    CHECK_DBL(sum, 500500);
    CHECK_DBL(v[0], 123);
    promc__summary_state_free(s);

    /* Invalid configurations are refused at registration (test_api.c), by the one rule set
     * that make_state relies on. */
    const promc_quantile bad1[] = {{1.5, 0.01}}, bad2[] = {{0.5, 0}};
    CHECK_INT(promc__summary_validate("s", bad1, 1, 600, 5), PROMC_EINVAL);
    CHECK_INT(promc__summary_validate("s", bad2, 1, 600, 5), PROMC_EINVAL);
    CHECK_INT(promc__summary_validate("s", golang_q, 3, 600, 5), 0);
    /* Defaults for max_age <= 0 and age_buckets <= 0 (600 s, 5) are accepted. */
    s = make_state(golang_q, 3, 0, 0);
    CHECK(s != NULL);
    promc__summary_state_free(s);
}

static void read3(summary_state *s, double *v, double *sum, uint64_t *count) {
    promc__summary_read(s, v, sum, count);
}

static void test_window(void) {
    promc__summary_clock = fake_clock;
    const promc_quantile q[] = {{0.5, 0.05}, {0.99, 0.001}};
    double v[2], sum;
    uint64_t count;

    /* max_age 10 s in 5 buckets: a value stays between 8 and 10 s. */
    fake_now = 1000.0;
    summary_state *s = make_state(q, 2, 10, 5);
    promc__summary_observe(s, 100);
    fake_now = 1007.9;
    read3(s, v, &sum, &count);
    CHECK_DBL(v[0], 100);
    fake_now = 1009.9;
    read3(s, v, &sum, &count);
    CHECK_DBL(v[0], 100); /* head stream reset at 1000 covers 1000..1010 */
    fake_now = 1010.0;
    read3(s, v, &sum, &count);
    CHECK(isnan(v[0]) && isnan(v[1])); /* expired */
    CHECK_INT(count, 1);               /* sum and count are all-time */
    CHECK_DBL(sum, 100);
    promc__summary_observe(s, 5);
    read3(s, v, &sum, &count);
    CHECK_DBL(v[0], 5);
    CHECK_INT(count, 2);
    CHECK_DBL(sum, 105);
    promc__summary_state_free(s);

    /* Old and new values mixed: the old ones drop out of the quantiles in time. */
    fake_now = 2000.0;
    s = make_state(q, 2, 10, 5);
    for (int i = 0; i < 1000; i++)
        promc__summary_observe(s, 1000);
    fake_now = 2005.0;
    for (int i = 0; i < 3000; i++)
        promc__summary_observe(s, 1);
    fake_now = 2009.0;
    read3(s, v, &sum, &count);
    CHECK_DBL(v[0], 1);    /* 3000 of 4000 are 1 */
    CHECK_DBL(v[1], 1000); /* the top 25% are 1000 */
    fake_now = 2011.0;
    read3(s, v, &sum, &count);
    CHECK_DBL(v[1], 1); /* the 1000s are gone */
    fake_now = 2016.0;
    read3(s, v, &sum, &count);
    CHECK(isnan(v[0]));
    CHECK_INT(count, 4000);
    promc__summary_state_free(s);

    /* A value still waiting in its thread's buffer expires on time (epoch markers). */
    fake_now = 3000.0;
    s = make_state(q, 2, 10, 5);
    promc__summary_observe(s, 77); /* buffered, not read */
    fake_now = 3020.0;
    promc__summary_observe(s, 3);
    read3(s, v, &sum, &count);
    CHECK_DBL(v[0], 3);
    CHECK_DBL(v[1], 3);
    CHECK_INT(count, 2);
    promc__summary_state_free(s);

    /* A steady ramp: value = time. At t = 100 the window holds only t >= 92. */
    fake_now = 0;
    s = make_state(q, 2, 10, 5);
    for (int i = 0; i <= 200; i++) {
        fake_now = i * 0.5;
        promc__summary_observe(s, fake_now);
        if (i % 7 == 0)
            read3(s, v, NULL, NULL);
    }
    read3(s, v, &sum, &count);
    CHECK(v[0] >= 95.5 && v[0] <= 96.5); /* median of 92, 92.5, ..., 100 */
    CHECK(v[1] >= 99.5 && v[1] <= 100);
    CHECK_INT(count, 201);
    CHECK_DBL(sum, 10050);
    printf("window ramp: p50=%g p99=%g\n", v[0], v[1]);
    /* A long gap resets everything, however many epochs pass. */
    fake_now = 1e6;
    read3(s, v, NULL, NULL);
    CHECK(isnan(v[0]));
    promc__summary_state_free(s);

    promc__summary_clock = NULL;
}

/* ---- Slots: threads come and go, many summaries per thread ---------------------------------- */

static summary_state *shared;
static void *observe_1000(void *arg) {
    (void)arg;
    for (int i = 1; i <= 1000; i++)
        promc__summary_observe(shared, i);
    return NULL;
}

static void test_threads_and_slots(void) {
    shared = make_state(golang_q, 3, 600, 5);
    /* Threads exit one after another; their slots (and values) are handed on. */
    for (int round = 0; round < 20; round++) {
        pthread_t t;
        pthread_create(&t, NULL, observe_1000, NULL);
        pthread_join(t, NULL);
    }
    double v[3], sum;
    uint64_t count;
    promc__summary_read(shared, v, &sum, &count);
    CHECK_INT(count, 20000);
    CHECK_DBL(sum, 20 * 500500.0);
    CHECK(v[0] >= 450 && v[0] <= 550);

    /* More summaries than the thread-local cache has entries, used in turn from one thread,
     * some freed while this thread lives on. */
    enum { NS = 200 };
    summary_state *many[NS];
    for (int i = 0; i < NS; i++)
        many[i] = make_state(golang_q, 3, 600, 5);
    for (int rep = 0; rep < 50; rep++)
        for (int i = 0; i < NS; i++)
            promc__summary_observe(many[i], i);
    int bad = 0;
    for (int i = 0; i < NS; i++) {
        promc__summary_read(many[i], v, &sum, &count);
        bad += count != 50 || sum != 50.0 * i || v[1] != i;
    }
    CHECK_INT(bad, 0);
    for (int i = 0; i < NS; i += 2)
        promc__summary_state_free(many[i]);
    for (int i = 1; i < NS; i += 2)
        promc__summary_observe(many[i], 0);
    for (int i = 1; i < NS; i += 2)
        promc__summary_state_free(many[i]);
    promc__summary_state_free(shared);
    /* A fresh state after frees must not see another's slot (ids are never reused). */
    shared = make_state(golang_q, 3, 600, 5);
    promc__summary_observe(shared, 1);
    promc__summary_read(shared, v, &sum, &count);
    CHECK_INT(count, 1);
    promc__summary_state_free(shared);
}

/* ---- Through the public API: labelled children, snapshot, exposition ----------------------- */

static void test_public_api(void) {
    promc_registry *reg = promc_registry_new();
    promc_summary *parent =
        promc_summary_new(reg, "lat_seconds", "Latency.", PROMC_LABELS("path"), golang_q, 3, 0, 0);
    CHECK(parent != NULL);
    promc_summary *a = promc_summary_labels(parent, "/a");
    promc_summary *b = promc_summary_labels(parent, "/b");
    CHECK(a && b && a != b);
    CHECK(promc_summary_labels(parent, "/a") == a);
    for (int i = 1; i <= 100; i++)
        CHECK_INT(promc_summary_observe(a, i), 0);
    CHECK_INT(promc_summary_observe(a, NAN), PROMC_EINVAL);
    CHECK_INT(promc_summary_observe(parent, 1), PROMC_ESTATE);
    double v[3], sum;
    uint64_t count;
    CHECK_INT(promc_summary_snapshot(a, v, 3, &sum, &count), 0);
    CHECK_INT(count, 100);
    CHECK_DBL(sum, 5050);
    CHECK(v[0] >= 45 && v[0] <= 55);
    CHECK(v[1] >= 89 && v[1] <= 91);
    CHECK_DBL(v[2], 99); /* ceil(0.99 * 100) = 99, and 0.001 * 100 is less than one rank */
    CHECK_INT(promc_summary_snapshot(b, v, 3, &sum, &count), 0);
    CHECK(isnan(v[0]) && isnan(v[1]) && isnan(v[2]));
    CHECK_INT(count, 0);
    PROMC_TIME_SUMMARY(b) {
        /* timed block */
    }
    CHECK_INT(promc_summary_snapshot(b, v, 3, &sum, &count), 0);
    CHECK_INT(count, 1);
    CHECK(sum >= 0 && sum < 1);

    char *text;
    size_t len;
    CHECK_INT(promc_render(reg, PROMC_FORMAT_TEXT, &text, &len), 0);
    CHECK_CONTAINS(text, "# TYPE lat_seconds summary\n");
    CHECK_CONTAINS(text, "lat_seconds{path=\"/a\",quantile=\"0.99\"} 99\n");
    CHECK_CONTAINS(text, "lat_seconds_count{path=\"/a\"} 100\n");
    CHECK_CONTAINS(text, "lat_seconds_sum{path=\"/a\"} 5050\n");
    CHECK_CONTAINS(text, "lat_seconds_count{path=\"/b\"} 1\n");
    free(text);

    /* Without quantiles: only _count and _sum. */
    promc_summary *plain = promc_summary_new(reg, "plain_bytes", "Sizes.", NULL, NULL, 0, 0, 0);
    CHECK_INT(promc_summary_observe(plain, 3), 0);
    CHECK_INT(promc_render(reg, PROMC_FORMAT_TEXT, &text, &len), 0);
    CHECK_CONTAINS(text, "plain_bytes_count 1\nplain_bytes_sum 3\n");
    CHECK(strstr(text, "plain_bytes{quantile") == NULL);
    free(text);
    promc_registry_free(reg);
}

int main(void) {
    test_public_api();
    test_accuracy();
    test_edges();
    test_window();
    test_threads_and_slots();
    return check_report("summary");
}
