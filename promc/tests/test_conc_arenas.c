/* test_conc_arenas.c -- new arenas appear while a scraper walks the list of them.
 *
 * An arena is made only when more threads update at once than ever before (exited threads'
 * arenas are reused), so waves of 1, 2, ... WAVES threads, each wave alive at the same time,
 * add one arena per wave, each published while a scraper sums the counter over all arenas.
 * Under ThreadSanitizer a publication without release/acquire (the arena's fields written,
 * then the pointer stored relaxed) is a reported race; everywhere, the total is exact.
 */
#include "check.h"
#include "promc.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

enum { WAVES = 24 };

static promc_registry *reg;
static promc_counter *counter;
static promc_histogram *hist;
static atomic_int stop, arrived, go;
static atomic_long scrapes, went_down;

static void *updater(void *arg) {
    (void)arg;
    promc_counter_inc(counter); /* attaches an arena: a new one if none is free */
    promc_histogram_observe(hist, 1);
    atomic_fetch_add(&arrived, 1);
    while (!atomic_load(&go)) /* stay alive so the next thread needs another arena */
        sched_yield();
    return NULL;
}

static void *scraper(void *arg) {
    (void)arg;
    double last = 0;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        double v = promc_counter_value(counter);
        uint64_t count;
        promc_histogram_snapshot(hist, NULL, 0, NULL, &count);
        if (v < last)
            atomic_fetch_add(&went_down, 1);
        last = v;
        atomic_fetch_add(&scrapes, 1);
    }
    return NULL;
}

int main(void) {
    reg = promc_registry_new();
    counter = promc_counter_new(reg, "arena_total", "Updates.", NULL);
    hist = promc_histogram_new(reg, "arena_seconds", "Updates.", NULL, NULL, 0);
    CHECK(counter && hist);
    if (!counter || !hist)
        return check_report("test_conc_arenas");
    pthread_t s, t[WAVES];
    pthread_create(&s, NULL, scraper, NULL);
    long expected = 0;
    for (int n = 1; n <= WAVES; n++) {
        atomic_store(&arrived, 0);
        atomic_store(&go, 0);
        for (int i = 0; i < n; i++)
            pthread_create(&t[i], NULL, updater, NULL);
        while (atomic_load(&arrived) < n)
            sched_yield();
        atomic_store(&go, 1);
        for (int i = 0; i < n; i++)
            pthread_join(t[i], NULL);
        expected += n;
    }
    atomic_store(&stop, 1);
    pthread_join(s, NULL);
    CHECK_INT(atomic_load(&went_down), 0);
    CHECK_DBL(promc_counter_value(counter), (double)expected);
    uint64_t count;
    promc_histogram_snapshot(hist, NULL, 0, NULL, &count);
    CHECK_INT(count, expected);
    printf("test_conc_arenas: %d waves, %ld updates, %ld scrapes\n", WAVES, expected,
           atomic_load(&scrapes));
    promc_registry_free(reg);
    return check_report("test_conc_arenas");
}
