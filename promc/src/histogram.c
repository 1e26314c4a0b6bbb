/* histogram.c -- histograms: per-thread bucket counts behind a per-thread sequence word.
 *
 * A child's words in each arena are: [0] a sequence number, [1 .. nbuckets+1] non-cumulative
 * bucket counts (the last is +Inf), [nbuckets+2] the sum as a double. The owning thread makes
 * the sequence odd, updates a bucket and the sum, and makes it even again: a seqlock with a
 * single writer. The writer never waits; a scrape re-reads a thread's words while it sees the
 * sequence odd or changed, so it always gets a bucket set and a sum from the same instant, and
 * _count (the sum of the buckets) always equals the +Inf bucket.
 */
#include "metric.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

const double promc_default_buckets[14] = {.005, .01, .025, .05, .075, .1,  .25,
                                          .5,   .75, 1,    2.5, 5,    7.5, 10};

static promc_child *as_child(promc_histogram *h) {
    return (promc_child *)h;
}

promc_histogram *promc_histogram_new(promc_registry *reg, const char *name, const char *help,
                                     const char *const *labels, const double *buckets,
                                     size_t nbuckets) {
    if (!buckets || nbuckets == 0) {
        buckets = promc_default_buckets;
        nbuckets = sizeof promc_default_buckets / sizeof promc_default_buckets[0];
    }
    /* A trailing +Inf bound is implied; accept it written out, as client_python does. */
    if (nbuckets > 0 && buckets[nbuckets - 1] == 1.0 / 0.0)
        nbuckets--;
    promc_spec spec = {.type = PROMC_HISTOGRAM,
                       .name = name,
                       .help = help,
                       .labels = labels,
                       .buckets = buckets,
                       .nbuckets = nbuckets};
    return (promc_histogram *)promc__register(reg, &spec);
}

promc_histogram *promc_histogram_labelsv(promc_histogram *h, const char *const *values) {
    return (promc_histogram *)promc__labels(as_child(h), PROMC_HISTOGRAM, values);
}

promc_histogram *promc_histogram_labelsn(promc_histogram *h, size_t n, const char *const *values) {
    return (promc_histogram *)promc__labels_n(as_child(h), PROMC_HISTOGRAM, n, values);
}

/* Index of the first bucket whose bound is >= v (nbuckets for +Inf): the number of bounds below
 * v. Counted two bounds per vector compare (GCC/Clang vector extensions: SSE2 on x86-64, NEON
 * on arm64, plain code elsewhere), without branches on v, so an unpredictable stream of values
 * costs no mispredictions and the index is ready a few cycles after v. */
typedef double promc_v2d __attribute__((vector_size(16)));
typedef int64_t promc_v2i __attribute__((vector_size(16)));

static size_t bucket_index(const double *bounds, size_t n, double v) {
    if (n <= 64) {
        promc_v2i acc0 = {0, 0}, acc1 = {0, 0};
        const promc_v2d vv = {v, v};
        size_t k = 0;
        for (; k + 4 <= n; k += 4) {
            promc_v2d a, b;
            memcpy(&a, bounds + k, sizeof a);
            memcpy(&b, bounds + k + 2, sizeof b);
            acc0 += (promc_v2i)(a < vv); /* -1 per lane where the bound is below v */
            acc1 += (promc_v2i)(b < vv);
        }
        if (k + 2 <= n) {
            promc_v2d a;
            memcpy(&a, bounds + k, sizeof a);
            acc0 += (promc_v2i)(a < vv);
            k += 2;
        }
        acc0 += acc1;
        size_t i = (size_t)(-(acc0[0] + acc0[1]));
        if (k < n)
            i += bounds[k] < v;
        return i;
    }
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (bounds[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int observe_slow(promc_child *c, double v, size_t *bucket);

/* The fast path: no call, no stack frame. Everything rare (a NULL or parent handle, NaN, this
 * thread's first update of this block of words) goes to observe_slow. */
static inline int observe(promc_child *c, double v, size_t *bucket) {
    if (__builtin_expect(!c || c->words == UINT32_MAX, 0))
        return observe_slow(c, v, bucket);
    const promc_family *f = c->family;
    if (__builtin_expect(!(v >= f->lowest), 0)) /* NaN, or negative where bounds start >= 0 */
        return observe_slow(c, v, bucket);
    size_t i = bucket_index(f->buckets, f->nbuckets, v);
    promc_arena *a = promc__tls_arena;
    promc_word *b =
        __builtin_expect(a != NULL, 1)
            ? atomic_load_explicit(&a->blocks[c->words / PROMC_BLOCK_WORDS], memory_order_relaxed)
            : NULL;
    if (__builtin_expect(b == NULL, 0))
        return observe_slow(c, v, bucket);
    promc_word *w = &b[c->words % PROMC_BLOCK_WORDS];
    uint64_t seq = atomic_load_explicit(&w[0], memory_order_relaxed);
    atomic_store_explicit(&w[0], seq + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    promc__word_add_u64(&w[1 + i], 1);
    promc__word_add_double(&w[2 + f->nbuckets], v);
    atomic_store_explicit(&w[0], seq + 2, memory_order_release);
    if (bucket)
        *bucket = i;
    return 0;
}

__attribute__((noinline, cold)) static int observe_slow(promc_child *c, double v, size_t *bucket) {
    if (!c || c->words == UINT32_MAX)
        return promc__seterr(PROMC_ESTATE, "observe: labelled parent or NULL; use labels()");
    if (v != v)
        return promc__seterr(PROMC_EINVAL, "%s: cannot observe NaN", c->family->name);
    if (!(v >= c->family->lowest))
        return promc__seterr(PROMC_EINVAL,
                             "%s: negative value %g in a histogram whose buckets start at >= 0",
                             c->family->name, v);
    if (!promc__word_local(c->words)) /* attaches the arena, allocates the block */
        return promc__seterr(PROMC_ENOMEM, "out of memory for a thread's histograms");
    return observe(c, v, bucket);
}

int promc_histogram_observe(promc_histogram *h, double v) {
    return observe(as_child(h), v, NULL);
}

int promc_histogram_observe_exemplar(promc_histogram *h, double v,
                                     const char *const *exemplar_labels) {
    promc_child *c = as_child(h);
    if (!c || c->words == UINT32_MAX)
        return promc__seterr(PROMC_ESTATE, "observe: labelled parent or NULL; use labels()");
    char *rendered;
    int rc = promc__child_exemplar_prepare(c, exemplar_labels, &rendered);
    if (rc != 0)
        return rc;
    size_t bucket = 0;
    if ((rc = observe(c, v, &bucket)) != 0)
        free(rendered);
    else
        promc__child_exemplar_store(c, bucket, v, rendered);
    return rc;
}

typedef struct hist_sum {
    size_t nbuckets;
    uint64_t *counts; /* nbuckets + 1 */
    double sum;
} hist_sum;

static void add_hist_words(const promc_word *w, void *arg) {
    hist_sum *hs = arg;
    uint64_t local[PROMC_MAX_BUCKETS + 1];
    double sum;
    uint64_t seq;
    for (;;) {
        seq = atomic_load_explicit(&w[0], memory_order_acquire);
        if (seq & 1)
            continue; /* the owner is mid-update: a few instructions to wait out */
        for (size_t i = 0; i <= hs->nbuckets; i++)
            local[i] = atomic_load_explicit(&w[1 + i], memory_order_relaxed);
        sum = promc__u2d(atomic_load_explicit(&w[2 + hs->nbuckets], memory_order_relaxed));
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&w[0], memory_order_relaxed) == seq)
            break;
    }
    for (size_t i = 0; i <= hs->nbuckets; i++)
        hs->counts[i] += local[i];
    hs->sum += sum;
}

double promc__histogram_read(const promc_child *c, uint64_t *counts) {
    const promc_family *f = c->family;
    memset(counts, 0, (f->nbuckets + 1) * sizeof *counts);
    if (c->words == UINT32_MAX)
        return 0;
    hist_sum hs = {f->nbuckets, counts, 0};
    promc__words_foreach(c->words, add_hist_words, &hs);
    return hs.sum;
}

int promc_histogram_snapshot(promc_histogram *h, uint64_t *counts, size_t ncounts, double *sum,
                             uint64_t *count) {
    promc_child *c = as_child(h);
    if (!c || c->is_parent)
        return promc__seterr(PROMC_ESTATE, "snapshot: labelled parent or NULL");
    const promc_family *f = c->family;
    uint64_t local[PROMC_MAX_BUCKETS + 1];
    double s = promc__histogram_read(c, local);
    uint64_t total = 0;
    for (size_t i = 0; i <= f->nbuckets; i++) {
        total += local[i];
        if (counts && i < ncounts)
            counts[i] = total;
    }
    if (sum)
        *sum = s;
    if (count)
        *count = total;
    return 0;
}

int promc_buckets_linear(double start, double width, size_t count, double *out) {
    if (!out || count == 0 || !(width > 0) || start != start)
        return promc__seterr(PROMC_EINVAL, "linear buckets need count > 0 and width > 0");
    for (size_t i = 0; i < count; i++)
        out[i] = start + (double)i * width;
    return 0;
}

int promc_buckets_exponential(double start, double factor, size_t count, double *out) {
    if (!out || count == 0 || !(start > 0) || !(factor > 1))
        return promc__seterr(PROMC_EINVAL,
                             "exponential buckets need count > 0, start > 0, factor > 1");
    double v = start;
    for (size_t i = 0; i < count; i++, v *= factor)
        out[i] = v;
    return 0;
}
