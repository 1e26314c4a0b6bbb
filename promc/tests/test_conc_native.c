/* test_conc_native.c -- native histograms under concurrency (also run under TSan): writers
 * observe over a widening range of keys (so their directories grow and chunks appear while
 * scrapes read them) and two scrapers read the native view meanwhile. Every scrape must be of
 * one instant per thread: its count equals the zero bucket plus every native bucket (no NaN is
 * fed), and the final scrape equals the exact totals. A second family with a bucket limit has
 * two scrapers race over its scrape-side state.
 */
#include "check.h"
#include "histogram_native.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#define WRITERS    4
#define PER_WRITER 200000

static promc_histogram *plain, *limited;
static atomic_int writers_done;
static atomic_int inconsistent, scrapes;

static uint64_t native_total(const promc_native_view *v) {
    uint64_t total = v->zero_count;
    const promc__native_span *sp[2] = {v->pos_spans, v->neg_spans};
    size_t ns[2] = {v->n_pos_spans, v->n_neg_spans};
    const int64_t *d[2] = {v->pos_deltas, v->neg_deltas};
    for (int side = 0; side < 2; side++) {
        int64_t c = 0;
        size_t k = 0;
        for (size_t i = 0; i < ns[side]; i++)
            for (uint32_t j = 0; j < sp[side][i].length; j++) {
                c += d[side][k++];
                total += (uint64_t)c;
            }
    }
    return total;
}

/* One scrape of h: count, and whether it was consistent. */
static uint64_t scrape(promc_histogram *h, promc_native_scratch *scratch, int *ok) {
    uint64_t counts[PROMC_MAX_BUCKETS + 1];
    promc_native_view v;
    const promc_native_view *nv;
    promc_child *c = promc__hchild(h);
    promc_arena *a = promc__arena();
    uint64_t sec = promc__enter(a);
    (void)promc__histogram_read_native(c, counts, scratch, &v, &nv);
    uint64_t count = 0;
    for (size_t i = 0; i <= c->family->nbuckets; i++)
        count += counts[i];
    *ok = nv != NULL && native_total(nv) == count;
    promc__leave(a, sec);
    return count;
}

static void *writer(void *arg) {
    long id = (long)arg;
    uint64_t s = (uint64_t)id * 7919 + 1;
    for (int i = 0; i < PER_WRITER; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        /* the range widens with i: new chunks and directories keep appearing */
        double span = 1.0 + 30.0 * i / PER_WRITER;
        double v = ldexp(1.0 + (double)(s >> 40) / 16777216.0, (int)((s >> 20) % 64) % (int)span);
        if (s & 1)
            v = -v;
        if ((s >> 8) % 97 == 0)
            v = 0;
        promc_histogram_observe(plain, v);
        promc_histogram_observe(limited, v);
    }
    atomic_fetch_add(&writers_done, 1);
    return NULL;
}

static void *scraper(void *arg) {
    (void)arg;
    promc_native_scratch scratch = {0};
    uint64_t last = 0;
    while (atomic_load(&writers_done) < WRITERS) {
        int ok;
        uint64_t n = scrape(plain, &scratch, &ok);
        if (!ok || n < last)
            atomic_fetch_add(&inconsistent, 1);
        last = n;
        (void)scrape(limited, &scratch, &ok);
        if (!ok)
            atomic_fetch_add(&inconsistent, 1);
        atomic_fetch_add(&scrapes, 1);
    }
    promc__native_scratch_free(&scratch);
    return NULL;
}

int main(void) {
    promc_registry *r = promc_registry_new();
    promc_histogram_opts o = {.bucket_factor = 1.05};
    plain = promc_histogram_new_opts(r, "conc_native", "h", NULL, &o);
    o.max_buckets = 40;
    limited = promc_histogram_new_opts(r, "conc_native_limited", "h", NULL, &o);
    CHECK(plain && limited);
    pthread_t w[WRITERS], sc[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&sc[i], NULL, scraper, NULL);
    for (long i = 0; i < WRITERS; i++)
        pthread_create(&w[i], NULL, writer, (void *)i);
    for (int i = 0; i < WRITERS; i++)
        pthread_join(w[i], NULL);
    for (int i = 0; i < 2; i++)
        pthread_join(sc[i], NULL);
    promc_native_scratch scratch = {0};
    int ok;
    CHECK_INT(scrape(plain, &scratch, &ok), WRITERS * PER_WRITER);
    CHECK(ok);
    CHECK_INT(scrape(limited, &scratch, &ok), WRITERS * PER_WRITER);
    CHECK(ok);
    promc__native_scratch_free(&scratch);
    CHECK_INT(atomic_load(&inconsistent), 0);
    CHECK(atomic_load(&scrapes) > 0);
    printf("conc_native: %d scrapes during the writes\n", atomic_load(&scrapes));
    promc_registry_free(r);
    return check_report("conc_native");
}
