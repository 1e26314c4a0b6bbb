/* test_churn.c -- series that come and go in bounded memory.
 *
 * PROMC_CHURN_CYCLES (default 10 million; 200 thousand under ASan, so LSan can check that
 * nothing leaks in reasonable time) cycles of labels() + observe() + remove() on a 14-bucket
 * histogram family, plus labels() + inc() + remove() on a counter family, each cycle with new
 * label values. labels() must never fail (it did at 3,932,160 cycles when removed children kept
 * their shard words) and RSS after the warm-up (the first tenth) may grow by 5 MB at most (it
 * grew ~250 MB per million cycles when removed children were never freed). Under ASan the RSS
 * bound is not checked: its quarantine holds freed memory (replaced index tables) on purpose;
 * LSan's leak check at exit is the point there.
 */
#include "check.h"

#include <promc.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define DEFAULT_CYCLES 200000L
#else
#define DEFAULT_CYCLES 10000000L
#endif

int main(void) {
    const char *env = getenv("PROMC_CHURN_CYCLES");
    long cycles = env ? atol(env) : DEFAULT_CYCLES;
    if (cycles < 10)
        cycles = 10;
    promc_registry *r = promc_registry_new();
    promc_histogram *h =
        promc_histogram_new(r, "churn_seconds", "churn", PROMC_LABELS("id", "kind"), NULL, 0);
    promc_counter *c = promc_counter_new(r, "churn_total", "churn", PROMC_LABELS("id"));
    promc_counter *steady = promc_counter_new(r, "steady_total", "kept", PROMC_LABELS("id"));
    CHECK(h && c && steady);
    promc_counter *kept = promc_counter_labels(steady, "kept");

    long warm = cycles / 10, failures = 0, rss_warm = 0;
    char id[32];
    for (long i = 0; i < cycles; i++) {
        if (i == warm)
            rss_warm = check_rss_kb();
        snprintf(id, sizeof id, "req-%ld", i);
        promc_histogram *hc = promc_histogram_labels(h, id, i % 2 ? "odd" : "even");
        promc_counter *cc = promc_counter_labels(c, id);
        if (!hc || !cc) {
            if (failures++ == 0)
                fprintf(stderr, "labels() failed at cycle %ld: %s\n", i,
                        promc_last_error_message());
            continue;
        }
        promc_histogram_observe(hc, (double)(i % 1000) / 100.0);
        promc_counter_inc(cc);
        promc_counter_inc(kept);
        promc_remove(h, PROMC_LABELS(id, i % 2 ? "odd" : "even"));
        promc_remove(c, PROMC_LABELS(id));
        if (i % (cycles / 5 + 1) == 0) { /* now and then a scrape, which polls the limbo too */
            char *out = NULL;
            CHECK_INT(promc_render(r, PROMC_FORMAT_TEXT, &out, NULL), 0);
            free(out);
        }
    }
    long rss_end = check_rss_kb();
    CHECK_INT(failures, 0);
    CHECK_DBL(promc_counter_value(kept), (double)cycles - (double)failures);
    fprintf(stderr, "test_churn: %ld cycles, RSS %ld kB after warm-up, %ld kB at the end (+%ld)\n",
            cycles, rss_warm, rss_end, rss_end - rss_warm);
#if !defined(__SANITIZE_ADDRESS__)
    CHECK(rss_end - rss_warm <= 5 * 1024);
#endif

    /* the families are empty again: nothing but the kept counter is exported */
    char *out = NULL;
    CHECK_INT(promc_render(r, PROMC_FORMAT_TEXT, &out, NULL), 0);
    CHECK(out && !strstr(out, "req-"));
    free(out);
    promc_registry_free(r);
    return check_report("churn");
}
