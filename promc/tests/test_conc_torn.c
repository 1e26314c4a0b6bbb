/* test_conc_torn.c -- invariants that only a consistent (untorn) read satisfies.
 *
 * The invariants of test_conc_core (+Inf == _count, cumulative buckets) hold by construction:
 * _count is the sum of the buckets read, whatever instant each bucket comes from. Here every
 * writer observes the same constant K, a power of two, so the float sum is exact and every
 * scrape must satisfy _sum == _count * K exactly; a read whose bucket counts and sum come from
 * different instants (the seqlock removed or not checked) breaks it. A second histogram gets
 * K and 2K alternately: its sum must lie in [K * _count, 2K * _count], which a sum read later
 * than the buckets breaks. Scrapes go through promc_histogram_snapshot and through parsing
 * promc_render output (both formats) while two writers write, for a few hundred ms.
 * A counter has no seqlock (its integer and float words are read one after the other), so
 * no ratio between them holds at every instant; its exact total is checked once writers stop.
 * Both writers also add 1 to one gauge, 8 times per round: an add lost to a race shows in its
 * total.
 */
#include "check.h"
#include "promc.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

/* Many buckets: a scrape reads them all before the sum, so a read that does not check the
 * sequence spans a full update often enough to be caught in one run. */
enum { WRITERS = 2, RUN_MS = 400, NB = 200, MIN_SNAPSHOTS = 2000, MIN_RENDERS = 8 };
#define K 0.25 /* a power of two: K * n is exact for every count a test reaches */

static promc_registry *reg;
static promc_histogram *constant, *mixed;
static promc_counter *halves;
static promc_gauge *adds; /* both writers add to it: a lost add shows in its total */
static atomic_int stop;
static atomic_long torn_snapshot, torn_render, bad_counter, snapshots, renders, rounds;

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void *writer(void *arg) {
    (void)arg;
    long i = 0;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        promc_histogram_observe(constant, K);
        promc_histogram_observe(mixed, i % 2 ? 2 * K : K);
        promc_counter_add(halves, 0.5); /* the float part: every value a multiple of 0.5 */
        promc_counter_inc(halves);      /* the integer part */
        for (int j = 0; j < 8; j++)     /* a tight run of adds: races on the one line are many */
            promc_gauge_add(adds, 1);
        i++;
    }
    atomic_fetch_add(&rounds, i);
    return NULL;
}

/* The value on the line that starts with prefix, or -1. */
static double line_value(const char *out, const char *prefix) {
    size_t n = strlen(prefix);
    for (const char *p = out; p; p = strchr(p, '\n')) {
        if (*p == '\n')
            p++;
        if (strncmp(p, prefix, n) == 0)
            return strtod(p + n, NULL);
    }
    return -1;
}

static void check_snapshot(void) {
    uint64_t counts[NB + 1], count;
    double sum;
    promc_histogram_snapshot(constant, counts, NB + 1, &sum, &count);
    if (sum != (double)count * K || counts[NB] != count) {
        if (atomic_fetch_add(&torn_snapshot, 1) == 0)
            fprintf(stderr, "torn snapshot: _count %llu, _sum %.17g (want %.17g)\n",
                    (unsigned long long)count, sum, (double)count * K);
    }
    promc_histogram_snapshot(mixed, counts, 4, &sum, &count);
    if (sum < (double)count * K || sum > (double)count * 2 * K) {
        if (atomic_fetch_add(&torn_snapshot, 1) == 0)
            fprintf(stderr, "torn snapshot (mixed): _count %llu, _sum %.17g\n",
                    (unsigned long long)count, sum);
    }
    atomic_fetch_add(&snapshots, 1);
}

static void check_render(promc_format fmt, double *last) {
    char *doc = NULL;
    size_t len = 0;
    if (promc_render(reg, fmt, &doc, &len) != 0) {
        atomic_fetch_add(&torn_render, 1);
        return;
    }
    double count = line_value(doc, "torn_constant_count ");
    double sum = line_value(doc, "torn_constant_sum ");
    double inf = line_value(doc, "torn_constant_bucket{le=\"+Inf\"} ");
    double mcount = line_value(doc, "torn_mixed_count ");
    double msum = line_value(doc, "torn_mixed_sum ");
    if (count < 0 || sum != count * K || inf != count || msum < mcount * K ||
        msum > mcount * 2 * K) {
        if (atomic_fetch_add(&torn_render, 1) == 0)
            fprintf(stderr, "torn render: _count %.17g _sum %.17g +Inf %.17g; mixed %.17g %.17g\n",
                    count, sum, inf, mcount, msum);
    }
    double c = line_value(doc, "torn_halves_total ");
    /* a multiple of 0.5 that never goes down */
    if (c < *last || c * 2 != (double)(uint64_t)(c * 2))
        atomic_fetch_add(&bad_counter, 1);
    *last = c;
    free(doc);
    atomic_fetch_add(&renders, 1);
}

static void *scraper(void *arg) {
    (void)arg;
    double last = 0;
    for (long i = 0; !atomic_load(&stop); i++) {
        check_snapshot();
        if (i % 256 == 0) /* a render costs a few hundred snapshots */
            check_render(i % 512 ? PROMC_FORMAT_OPENMETRICS : PROMC_FORMAT_TEXT, &last);
    }
    return NULL;
}

int main(void) {
    static const double bounds[] = {K, 2 * K, 4 * K};
    double many[NB];
    promc_buckets_linear(K, K, NB, many);
    reg = promc_registry_new();
    constant = promc_histogram_new(reg, "torn_constant", "Observes K only.", NULL, many, NB);
    mixed = promc_histogram_new(reg, "torn_mixed", "Observes K and 2K.", NULL, bounds, 3);
    halves = promc_counter_new(reg, "torn_halves", "Adds 1.5 per round.", NULL);
    adds = promc_gauge_new(reg, "torn_adds", "Adds 8 per round.", NULL);
    CHECK(constant && mixed && halves && adds);
    if (!constant || !mixed || !halves || !adds)
        return check_report("test_conc_torn");

    pthread_t w[WRITERS], s;
    for (int i = 0; i < WRITERS; i++)
        pthread_create(&w[i], NULL, writer, NULL);
    pthread_create(&s, NULL, scraper, NULL);
    double start = now_ms();
    /* a few hundred ms, and on until there are enough scrapes (ThreadSanitizer is slow) */
    while (now_ms() - start < RUN_MS || atomic_load(&snapshots) < MIN_SNAPSHOTS ||
           atomic_load(&renders) < MIN_RENDERS) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < WRITERS; i++)
        pthread_join(w[i], NULL);
    pthread_join(s, NULL);

    CHECK_INT(atomic_load(&torn_snapshot), 0);
    CHECK_INT(atomic_load(&torn_render), 0);
    CHECK_INT(atomic_load(&bad_counter), 0);
    /* Quiet now: the exact totals. Both halves of each counter round are in. */
    uint64_t count;
    double sum;
    promc_histogram_snapshot(constant, NULL, 0, &sum, &count);
    CHECK(count > 0);
    CHECK_DBL(sum, (double)count * K);
    CHECK_DBL(promc_counter_value(halves), 1.5 * (double)atomic_load(&rounds));
    CHECK_DBL(promc_gauge_value(adds), 8 * (double)atomic_load(&rounds));
    printf("test_conc_torn: %ld snapshots (%ld torn), %ld renders (%ld torn), %llu observations\n",
           atomic_load(&snapshots), atomic_load(&torn_snapshot), atomic_load(&renders),
           atomic_load(&torn_render), (unsigned long long)count);
    promc_registry_free(reg);
    return check_report("test_conc_torn");
}
