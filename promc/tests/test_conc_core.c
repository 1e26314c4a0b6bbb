/* test_conc_core.c -- N threads update counters, histograms and gauges while M threads scrape.
 *
 * Readers check what must hold at every instant (counters never go down, a histogram's +Inf
 * bucket equals its count, buckets are cumulative) and, at the end, the totals equal exactly
 * the sum of all updates. Writers come and go in waves so arenas are handed from exited threads
 * to new ones. Run under ThreadSanitizer too.
 */
#include "check.h"
#include "promc.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

enum { WRITERS = 4, READERS = 2, WAVES = 3, ITERS = 20000 };

static promc_counter *counter, *labelled;
static promc_histogram *hist;
static promc_gauge *gauge;
static promc_registry *reg;
static atomic_int writers_done;
static atomic_int violations;

static void *writer(void *arg) {
    int id = (int)(intptr_t)arg;
    const char *who = id % 2 ? "odd" : "even";
    promc_counter *mine = promc_counter_labels(labelled, who);
    for (int i = 0; i < ITERS; i++) {
        promc_counter_inc(counter);
        promc_counter_add(mine, 2);
        promc_counter_add(counter, 0.5);
        promc_histogram_observe(hist, (i % 100) / 10.0); /* 0 .. 9.9 */
        promc_gauge_inc(gauge);
        if (i % 1000 == 0) /* a lookup racing with others' lookups */
            mine = promc_counter_labels(labelled, who);
    }
    return NULL;
}

static void *reader(void *arg) {
    (void)arg;
    double last = 0;
    uint64_t counts[15];
    while (atomic_load(&writers_done) == 0) {
        double v = promc_counter_value(counter);
        if (v < last)
            atomic_fetch_add(&violations, 1);
        last = v;
        double sum;
        uint64_t count;
        promc_histogram_snapshot(hist, counts, 15, &sum, &count);
        if (counts[14] != count)
            atomic_fetch_add(&violations, 1);
        for (int i = 1; i < 15; i++)
            if (counts[i] < counts[i - 1])
                atomic_fetch_add(&violations, 1);
    }
    return NULL;
}

int main(void) {
    reg = promc_registry_new();
    counter = promc_counter_new(reg, "ops_total", "Ops.", NULL);
    labelled = promc_counter_new(reg, "by_parity_total", "Ops.", PROMC_LABELS("parity"));
    hist = promc_histogram_new(reg, "op_seconds", "Op time.", NULL, NULL, 0);
    gauge = promc_gauge_new(reg, "inflight", "In flight.", NULL);
    CHECK(counter && labelled && hist && gauge);

    pthread_t readers[READERS];
    for (int i = 0; i < READERS; i++)
        pthread_create(&readers[i], NULL, reader, NULL);
    for (int wave = 0; wave < WAVES; wave++) {
        pthread_t writers[WRITERS];
        for (int i = 0; i < WRITERS; i++)
            pthread_create(&writers[i], NULL, writer, (void *)(intptr_t)i);
        for (int i = 0; i < WRITERS; i++)
            pthread_join(writers[i], NULL);
    }
    atomic_store(&writers_done, 1);
    for (int i = 0; i < READERS; i++)
        pthread_join(readers[i], NULL);

    const double updates = (double)WAVES * WRITERS * ITERS;
    CHECK_INT(atomic_load(&violations), 0);
    CHECK_DBL(promc_counter_value(counter), updates * 1.5);
    CHECK_DBL(promc_counter_value(promc_counter_labels(labelled, "odd")), updates);
    CHECK_DBL(promc_counter_value(promc_counter_labels(labelled, "even")), updates);
    CHECK_DBL(promc_gauge_value(gauge), updates);
    uint64_t counts[15], count;
    double sum;
    promc_histogram_snapshot(hist, counts, 15, &sum, &count);
    CHECK_INT(count, (uint64_t)updates);
    /* each writer observes 0.0 .. 9.9 in steps of 0.1, ITERS/100 times: sum 495 per 100 */
    CHECK_DBL(sum, updates / 100 * 495);
    CHECK_INT(counts[13], (uint64_t)updates); /* all <= 10 */
    printf("test_conc_core: %d writers x %d waves x %d iterations, %d readers\n", WRITERS, WAVES,
           ITERS, READERS);
    promc_registry_free(reg);
    return check_report("test_conc_core");
}
