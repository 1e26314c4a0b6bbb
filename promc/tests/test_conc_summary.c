/* test_conc_summary.c -- summaries under concurrency (run under ThreadSanitizer too): writer
 * threads observe while reader threads scrape; short-lived threads hand their slots on. Every
 * read stays sane, and the final count and sum equal the exact totals of all observations. */
#include "check.h"
#include "summary.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

enum { WRITERS = 4, READERS = 2, ITERS = 200000, WAVES = 20, WAVE_THREADS = 3, WAVE_ITERS = 5000 };

static summary_state *sum_state;
static atomic_bool writers_done;
static atomic_int read_problems;
static atomic_long reads_done;

static const promc_quantile quantiles[] = {{0.5, 0.05}, {0.9, 0.01}, {0.99, 0.001}};

/* Writer w observes 1..1000 in a scrambled order, ITERS times in all. */
static void *writer(void *arg) {
    long w = (long)(intptr_t)arg;
    for (long i = 0; i < ITERS; i++) {
        double v = (double)(1 + (i * 7919 + w * 104729) % 1000);
        if (promc__summary_observe(sum_state, v) != 0)
            atomic_fetch_add(&read_problems, 1);
    }
    return NULL;
}

static void *short_lived(void *arg) {
    (void)arg;
    for (long i = 0; i < WAVE_ITERS; i++)
        promc__summary_observe(sum_state, 1000);
    return NULL;
}

static void *reader(void *arg) {
    (void)arg;
    uint64_t last = 0;
    while (!atomic_load(&writers_done)) {
        double v[3], sum;
        uint64_t count;
        promc__summary_read(sum_state, v, &sum, &count);
        int bad = count < last;                                     /* counts never go back */
        bad |= sum < (double)count || sum > 1000.0 * (double)count; /* each value in 1..1000 */
        for (int i = 0; i < 3; i++)
            bad |= !(isnan(v[i]) || (v[i] >= 1 && v[i] <= 1000));
        bad |= !isnan(v[0]) && !(v[0] <= v[1] && v[1] <= v[2]); /* quantiles in order */
        if (bad) {
            atomic_fetch_add(&read_problems, 1);
            fprintf(stderr, "bad read: count %llu (last %llu) sum %g q %g %g %g\n",
                    (unsigned long long)count, (unsigned long long)last, sum, v[0], v[1], v[2]);
        }
        last = count;
        atomic_fetch_add(&reads_done, 1);
    }
    return NULL;
}

int main(void) {
    promc_summary_params p = {quantiles, 3, 600, 5};
    sum_state = promc__summary_state_new(&p);
    CHECK(sum_state != NULL);

    pthread_t w[WRITERS], r[READERS];
    for (int i = 0; i < READERS; i++)
        pthread_create(&r[i], NULL, reader, NULL);
    for (long i = 0; i < WRITERS; i++)
        pthread_create(&w[i], NULL, writer, (void *)(intptr_t)i);
    /* Meanwhile, waves of threads that observe a little and exit. */
    for (int wave = 0; wave < WAVES; wave++) {
        pthread_t t[WAVE_THREADS];
        for (int i = 0; i < WAVE_THREADS; i++)
            pthread_create(&t[i], NULL, short_lived, NULL);
        for (int i = 0; i < WAVE_THREADS; i++)
            pthread_join(t[i], NULL);
    }
    for (int i = 0; i < WRITERS; i++)
        pthread_join(w[i], NULL);
    atomic_store(&writers_done, true);
    for (int i = 0; i < READERS; i++)
        pthread_join(r[i], NULL);

    double v[3], sum;
    uint64_t count;
    promc__summary_read(sum_state, v, &sum, &count);
    const uint64_t wave_n = (uint64_t)WAVES * WAVE_THREADS * WAVE_ITERS;
    const uint64_t want_count = (uint64_t)WRITERS * ITERS + wave_n;
    /* Each writer's ITERS values cover 1..1000 evenly (ITERS is a multiple of 1000). */
    const double want_sum = WRITERS * (ITERS / 1000) * 500500.0 + 1000.0 * (double)wave_n;
    CHECK_INT(count, want_count);
    CHECK_DBL(sum, want_sum);
    CHECK_INT(atomic_load(&read_problems), 0);
    /* Ranks within the configured error: the writers' values cover 1..1000 evenly and the
     * waves add values of 1000. */
    const double n = (double)want_count, per_value = WRITERS * (double)ITERS / 1000;
    for (int i = 0; i < 3; i++) {
        double x = v[i], lo = (x - 1) * per_value, hi = x >= 1000 ? n : x * per_value;
        double phi = quantiles[i].quantile, err = quantiles[i].error;
        CHECK(x == floor(x) && x >= 1 && x <= 1000);
        CHECK(hi >= (phi - err) * n - 1 && lo + 1 <= (phi + err) * n + 1);
    }
    printf("concurrent summary: %d writers, %d readers, %d waves of %d threads; %ld reads; "
           "count %llu sum %.17g; q %g %g %g\n",
           WRITERS, READERS, WAVES, WAVE_THREADS, atomic_load(&reads_done),
           (unsigned long long)count, sum, v[0], v[1], v[2]);
    promc__summary_state_free(sum_state);
    return check_report("summary concurrency");
}
