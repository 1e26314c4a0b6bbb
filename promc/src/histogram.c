/* histogram.c -- histograms: per-thread bucket counts behind a per-thread sequence word.
 *
 * A child's words in each arena are: [0] a sequence number, [1 .. nbuckets+1] non-cumulative
 * bucket counts (the last is +Inf), [nbuckets+2] the sum as a double. The owning thread makes
 * the sequence odd, updates a bucket and the sum, and makes it even again: a seqlock with a
 * single writer. The writer never waits; a scrape re-reads a thread's words while it sees the
 * sequence odd or changed, so it always gets a bucket set and a sum from the same instant, and
 * _count (the sum of the buckets) always equals the +Inf bucket. The writer makes the sequence
 * odd as `seq | 1`, so a sequence left odd (its thread vanished in a fork mid-update) heals at
 * the arena's next update; a reader waiting on an odd sequence spins briefly, then yields, and
 * repairs it only in a quarantined arena (no thread will ever finish that update).
 * An observe runs inside the thread's section and checks the handle's generation there (see
 * counter.c), so a stale handle changes nothing.
 *
 * A histogram with native buckets has three more words per arena (family.h: the zero bucket and
 * a native_store.h directory per side), updated under the same sequence, so a scrape reads its
 * classic and native halves, count and sum of one instant; histogram_native.c turns what the
 * scrape read into the exposed buckets.
 */
#include "histogram_native.h"
#include "metric.h"

#include <math.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

const double promc_default_buckets[14] = {.005, .01, .025, .05, .075, .1,  .25,
                                          .5,   .75, 1,    2.5, 5,    7.5, 10};

/* The child a handle names, or NULL when the handle is NULL or stale (last error set). */
static promc_child *as_child(promc_histogram *h) {
    return promc__handle_child(h);
}

/* Registers a histogram with these classic bounds (a trailing +Inf, which is implied, dropped
 * as client_python does) and the native fields of *native (NULL: classic only). */
static promc_histogram *register_histogram(promc_registry *reg, const char *name, const char *help,
                                           const char *const *labels, const double *buckets,
                                           size_t nbuckets, const promc_spec *native) {
    if (nbuckets > 0 && buckets[nbuckets - 1] == 1.0 / 0.0)
        nbuckets--;
    promc_spec spec = native ? *native : (promc_spec){0};
    spec.type = PROMC_HISTOGRAM;
    spec.name = name;
    spec.help = help;
    spec.labels = labels;
    spec.buckets = buckets;
    spec.nbuckets = nbuckets;
    return (promc_histogram *)promc__register(reg, &spec);
}

promc_histogram *promc_histogram_new(promc_registry *reg, const char *name, const char *help,
                                     const char *const *labels, const double *buckets,
                                     size_t nbuckets) {
    if (!buckets || nbuckets == 0) {
        buckets = promc_default_buckets;
        nbuckets = sizeof promc_default_buckets / sizeof promc_default_buckets[0];
    }
    return register_histogram(reg, name, help, labels, buckets, nbuckets, NULL);
}

promc_histogram *promc_histogram_new_opts(promc_registry *reg, const char *name, const char *help,
                                          const char *const *labels,
                                          const promc_histogram_opts *opts) {
    static const promc_histogram_opts none = {0};
    if (!opts)
        opts = &none;
    if (opts->bucket_factor == 0) {
        if (opts->zero_threshold != 0 || opts->max_buckets != 0 || opts->max_zero_threshold != 0 ||
            opts->min_reset_duration_ms != 0) {
            promc__seterr(PROMC_EINVAL, "%s: native bucket options need a bucket_factor > 1",
                          name ? name : "histogram");
            return NULL;
        }
        return promc_histogram_new(reg, name, help, labels, opts->buckets, opts->n_buckets);
    }
    if (!(opts->bucket_factor > 1) || opts->zero_threshold != opts->zero_threshold ||
        opts->zero_threshold == 1.0 / 0.0 || !(opts->max_zero_threshold >= 0) ||
        opts->max_zero_threshold == 1.0 / 0.0) {
        promc__seterr(PROMC_EINVAL,
                      "%s: native buckets need bucket_factor > 1, a finite zero_threshold and a "
                      "finite max_zero_threshold >= 0",
                      name ? name : "histogram");
        return NULL;
    }
    promc_spec native = {.native = true,
                         .native_schema = promc__native_pick_schema(opts->bucket_factor),
                         .native_zero_threshold =
                             promc__native_zero_threshold(opts->zero_threshold),
                         .native_max_buckets = opts->max_buckets,
                         .native_max_zero_threshold = opts->max_zero_threshold,
                         .native_min_reset = (double)opts->min_reset_duration_ms / 1000.0};
    return register_histogram(reg, name, help, labels, opts->buckets,
                              opts->buckets ? opts->n_buckets : 0, &native);
}

double promc_histogram_schema_factor(int schema) {
    if (schema < PROMC__NATIVE_SCHEMA_MIN || schema > PROMC__NATIVE_SCHEMA_MAX)
        return 0.0 / 0.0;
    /* The smallest factor client_golang's pickSchema (a floored log2 of a log2, with its
     * rounding) maps to schema: bisect between a factor that gives a larger schema (or 1) and
     * 2^(2^-schema) nudged up until it gives schema. pickSchema is monotone in the factor. */
    double hi = exp2(exp2(-(double)schema));
    while (promc__native_pick_schema(hi) > schema)
        hi = nextafter(hi, 1.0 / 0.0);
    double lo = schema == PROMC__NATIVE_SCHEMA_MAX ? 1.0 : exp2(exp2(-(double)schema - 1));
    while (lo > 1.0 && promc__native_pick_schema(lo) <= schema)
        lo = nextafter(lo, 0);
    /* invariant: pick(lo) > schema (or lo == 1), pick(hi) == schema */
    for (int i = 0; i < 200 && nextafter(lo, hi) < hi; i++) {
        double mid = lo + (hi - lo) / 2;
        if (mid <= lo || mid >= hi)
            break;
        if (promc__native_pick_schema(mid) == schema)
            hi = mid;
        else
            lo = mid;
    }
    return hi;
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
 * costs no mispredictions and the index is ready a few cycles after v. Up to 16 bounds (the
 * default 14 among them) the family's copy is padded with +Inf to 16 (registry.c), which no v
 * is above: one compare picks the half, four compare its 8 bounds, with no loop, no tail and
 * no branch at all (at two threads on one core's two hyperthreads, observe's time follows its
 * instruction count: 97 per observation when all 16 were compared, 89 now). */
typedef double promc_v2d __attribute__((vector_size(16)));
typedef int64_t promc_v2i __attribute__((vector_size(16)));

/* Up to PROMC_BUCKETS_PADDED bounds (the default buckets among them): the padded copy. */
static inline __attribute__((always_inline)) size_t bucket_index16(const double *bounds, double v) {
    /* the half v is in (bounds are sorted: all of the first 8 are below v when the 8th is),
     * then its 8 bounds, two per compare */
    size_t half = bounds[7] < v ? 8 : 0;
    const double *hb = bounds + half;
    const promc_v2d vv = {v, v};
    promc_v2d x0, x1, x2, x3; /* loaded one by one: a copy of all went through the stack */
    memcpy(&x0, hb, sizeof x0);
    memcpy(&x1, hb + 2, sizeof x1);
    memcpy(&x2, hb + 4, sizeof x2);
    memcpy(&x3, hb + 6, sizeof x3);
    promc_v2i acc = ((promc_v2i)(x0 < vv) + (promc_v2i)(x1 < vv)) +
                    ((promc_v2i)(x2 < vv) + (promc_v2i)(x3 < vv));
    acc += __builtin_shuffle(acc, (promc_v2i){1, 0}); /* both lanes: the sum */
    return half - (size_t)acc[0];
}

static inline __attribute__((always_inline)) size_t bucket_index(const double *bounds, size_t n,
                                                                 double v) {
    if (__builtin_expect(n <= PROMC_BUCKETS_PADDED, 1))
        return bucket_index16(bounds, v);
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

static int observe_slow(const void *h, double v, size_t *bucket);

/* One observation under the thread's sequence: bucket i, the sum, and the native count word
 * when there is one (the zero bucket or a native bucket; NULL for classic histograms and for
 * NaN, which native buckets leave out). */
static inline void observe_words_native(promc_word *w, size_t nb, size_t i, double v,
                                        promc_word *native) {
    promc__word_seq_begin(&w[0]);
    promc__word_add_u64(&w[1 + i], 1);
    promc__word_add_double(&w[2 + nb], v);
    if (native)
        promc__word_add_u64(native, 1);
    promc__word_seq_end(&w[0]);
}

static inline void observe_words(promc_word *w, size_t nb, size_t i, double v) {
    observe_words_native(w, nb, i, v, NULL);
}

/* The native fast path: as observe's, plus the native placement and its count word. Anything
 * rare (the chunk of this key not yet made by this thread, as well as observe's cases) goes to
 * observe_slow. Functions of their own (below), which observe jumps to: inlined there, their
 * registers would cost the classic path a frame. */
static inline __attribute__((always_inline)) int
observe_native(const void *h, promc_child *c, promc_arena *a, double v, size_t *bucket) {
    const promc_family *f = c->family;
    const size_t nb = f->nbuckets; /* once: the stores below could alias it for the compiler */
    /* values placed by a call go the slow way, so that nothing here lives across a call (which
     * would cost callee-saved registers and a frame) */
    if (__builtin_expect(!promc__native_is_normal(v), 0))
        return observe_slow(h, v, bucket);
    int32_t key = 0;
    enum promc__native_side side = promc__native_place_fast(
        v, f->native_schema, f->native_zero_threshold, f->native_table, &key);
    size_t i = nb ? bucket_index(f->buckets, nb, v) : 0; /* native only: 0 */
    uint64_t sec = promc__enter(a);
    promc_word *b = NULL;
    if (__builtin_expect(promc__hupdatable(c, h), 1))
        b = atomic_load_explicit(&a->blocks[c->words / PROMC_BLOCK_WORDS], memory_order_relaxed);
    promc_word *w = b ? &b[c->words % PROMC_BLOCK_WORDS] : NULL, *cnt = NULL;
    if (w)
        cnt = __builtin_expect(side == PROMC__NATIVE_ZERO, 0)
                  ? &w[PROMC_HW_ZERO(nb)]
                  : promc__native_count(&w[PROMC_HW_DIR(nb, side == PROMC__NATIVE_NEG)], key);
    if (__builtin_expect(cnt == NULL, 0)) {
        promc__leave(a, sec);
        return observe_slow(h, v, bucket);
    }
    observe_words_native(w, nb, i, v, cnt);
    promc__touch(c);
    promc__leave(a, sec);
    if (bucket)
        *bucket = i;
    return 0;
}

/* One without the bucket out-parameter, for observe() without an exemplar: a register fewer. */
static __attribute__((noinline)) int observe_native_plain(const void *h, promc_child *c,
                                                          promc_arena *a, double v) {
    return observe_native(h, c, a, v, NULL);
}
static __attribute__((noinline)) int
observe_native_bucket(const void *h, promc_child *c, promc_arena *a, double v, size_t *bucket) {
    return observe_native(h, c, a, v, bucket);
}

/* A classic observation of v in bucket i, under the thread's section. The family of a slot
 * never changes, so callers find the bucket before the handle check, and its compares overlap
 * the loads here. */
static inline __attribute__((always_inline)) int
observe_classic(const void *h, promc_child *c, promc_arena *a, double v, size_t i, size_t *bucket) {
    const size_t nb = c->family->nbuckets;
    uint64_t sec = promc__enter(a);
    promc_word *b = NULL;
    if (__builtin_expect(promc__hupdatable(c, h), 1))
        b = atomic_load_explicit(&a->blocks[c->words / PROMC_BLOCK_WORDS], memory_order_relaxed);
    if (__builtin_expect(b == NULL, 0)) {
        promc__leave(a, sec);
        return observe_slow(h, v, bucket);
    }
    observe_words(&b[c->words % PROMC_BLOCK_WORDS], nb, i, v);
    promc__touch(c);
    promc__leave(a, sec);
    if (bucket)
        *bucket = i;
    return 0;
}

/* Everything observe's fast path leaves: native histograms, classic ones with more bounds than
 * the padded copy, and what goes on to observe_slow (a NULL handle, no arena yet, NaN, a
 * negative value where the bounds start at >= 0). */
static __attribute__((noinline)) int observe_other(const void *h, double v, size_t *bucket) {
    promc_child *c = promc__hchild(h);
    promc_arena *a = promc__tls_arena;
    if (!c || !a)
        return observe_slow(h, v, bucket);
    const promc_family *f = c->family;
    if (f->native)
        return bucket ? observe_native_bucket(h, c, a, v, bucket)
                      : observe_native_plain(h, c, a, v);
    if (!(v >= f->lowest))
        return observe_slow(h, v, bucket);
    return observe_classic(h, c, a, v, bucket_index(f->buckets, f->nbuckets, v), bucket);
}

/* The fast path, for classic histograms of up to 16 bounds: no call, no stack frame, and one
 * compare (fast_lowest) sends everything else to observe_other. Inlined into each caller: a
 * call of its own cost a sixth of an observation (the saved registers and the frame). */
static inline __attribute__((always_inline)) int observe(const void *h, double v, size_t *bucket) {
    promc_child *c = promc__hchild(h);
    promc_arena *a = promc__tls_arena;
    if (__builtin_expect(!c || !a || !(v >= c->family->fast_lowest), 0))
        return observe_other(h, v, bucket);
    return observe_classic(h, c, a, v, bucket_index16(c->family->buckets, v), bucket);
}

__attribute__((noinline, cold)) static int observe_slow(const void *h, double v, size_t *bucket) {
    promc_child *c = promc__hchild(h);
    if (!c)
        return promc__seterr(PROMC_ESTATE, "observe: NULL handle");
    promc_arena *a = promc__arena();
    if (!a)
        return promc__seterr(PROMC_ENOMEM, "out of memory for a thread's histograms");
    uint64_t sec = promc__enter(a);
    int rc = 0;
    if (!promc__hlive(c, h))
        rc = promc__seterr(PROMC_ENOTFOUND, "observe: stale handle, its series was removed");
    else if (c->words == UINT32_MAX)
        rc = promc__seterr(PROMC_ESTATE, "observe: labelled parent; use labels()");
    else if (v != v && !c->family->native)
        rc = promc__seterr(PROMC_EINVAL, "%s: cannot observe NaN", c->family->name);
    else if (v == v && !(v >= c->family->lowest))
        rc = promc__seterr(PROMC_EINVAL,
                           "%s: negative value %g in a histogram whose buckets start at >= 0",
                           c->family->name, v);
    promc_word *w = rc == 0 ? promc__word_local(c->words) : NULL; /* allocates the block */
    if (rc == 0 && !w)
        rc = promc__seterr(PROMC_ENOMEM, "out of memory for a thread's histograms");
    const promc_family *f = c->family;
    if (rc == 0 && f->native) {
        /* NaN: the +Inf bucket (no bound is >= NaN, as Go's sort.SearchFloat64s finds), the
         * sum, no native bucket */
        size_t i = v == v ? bucket_index(f->buckets, f->nbuckets, v) : f->nbuckets;
        int32_t key = 0;
        enum promc__native_side side =
            promc__native_place(v, f->native_schema, f->native_zero_threshold, &key);
        promc_word *cnt = NULL;
        if (side == PROMC__NATIVE_ZERO) {
            cnt = &w[PROMC_HW_ZERO(f->nbuckets)];
        } else if (side != PROMC__NATIVE_NONE) {
            promc_word *dw = &w[PROMC_HW_DIR(f->nbuckets, side == PROMC__NATIVE_NEG)];
            if (!(cnt = promc__native_count(dw, key)) && !(cnt = promc__native_make_room(dw, key)))
                rc = promc__seterr(PROMC_ENOMEM, "out of memory for a thread's native buckets");
        }
        if (rc == 0) {
            observe_words_native(w, f->nbuckets, i, v, cnt);
            promc__touch(c);
            if (bucket)
                *bucket = i;
        }
    } else if (rc == 0) {
        size_t i = bucket_index(f->buckets, f->nbuckets, v);
        observe_words(w, f->nbuckets, i, v);
        promc__touch(c);
        if (bucket)
            *bucket = i;
    }
    promc__leave(a, sec);
    return rc;
}

int promc_histogram_observe(promc_histogram *h, double v) {
    return observe(h, v, NULL);
}

int promc_histogram_observe_exemplar(promc_histogram *h, double v,
                                     const char *const *exemplar_labels) {
    promc_child *c = as_child(h);
    if (!c) /* NULL, or stale: promc__handle_child said which */
        return h ? promc_last_error() : promc__seterr(PROMC_ESTATE, "observe: NULL handle");
    /* is_parent, not words: a child's words are released when it is reclaimed, and this runs
     * outside a section (the prepare step checks the child is still the decoded one). */
    if (c->is_parent)
        return promc__seterr(PROMC_ESTATE, "observe: labelled parent; use labels()");
    char *rendered;
    int rc = promc__child_exemplar_prepare(c, exemplar_labels, &rendered);
    if (rc != 0)
        return rc;
    size_t bucket = 0;
    if ((rc = observe(h, v, &bucket)) != 0)
        free(rendered);
    else
        promc__child_exemplar_store(c, bucket, v, rendered);
    return rc;
}

typedef struct hist_sum {
    size_t nbuckets;
    uint64_t *counts; /* nbuckets + 1 */
    double sum;
    promc_native_work *native; /* NULL: the classic half alone */
} hist_sum;

/* Spins this many times on an odd sequence before yielding the CPU to its writer. */
#define SPINS_BEFORE_YIELD 128

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static void add_hist_words(promc_word *w, bool orphan, void *arg) {
    hist_sum *hs = arg;
    uint64_t local[PROMC_MAX_BUCKETS + 1];
    double sum;
    uint64_t seq;
    for (unsigned spins = 0;; spins++) {
        seq = atomic_load_explicit(&w[0], memory_order_acquire);
        if (seq & 1) {
            if (orphan) { /* its writer vanished in a fork: nobody else will ever end it */
                atomic_compare_exchange_strong_explicit(&w[0], &seq, seq + 1, memory_order_acq_rel,
                                                        memory_order_acquire);
                continue;
            }
            /* the owner is mid-update: a few instructions to wait out, unless it was
             * preempted there, when it needs the CPU more than this loop */
            if (spins < SPINS_BEFORE_YIELD)
                cpu_relax();
            else
                sched_yield();
            continue;
        }
        for (size_t i = 0; i <= hs->nbuckets; i++)
            local[i] = atomic_load_explicit(&w[1 + i], memory_order_relaxed);
        sum = promc__u2d(atomic_load_explicit(&w[2 + hs->nbuckets], memory_order_relaxed));
        if (hs->native)
            promc__native_copy(hs->native, w, hs->nbuckets);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&w[0], memory_order_relaxed) == seq)
            break;
    }
    if (hs->native)
        promc__native_commit(hs->native);
    for (size_t i = 0; i <= hs->nbuckets; i++)
        hs->counts[i] += local[i];
    hs->sum += sum;
}

double promc__histogram_read(const promc_child *c, uint64_t *counts) {
    const promc_family *f = c->family;
    memset(counts, 0, (f->nbuckets + 1) * sizeof *counts);
    if (c->words == UINT32_MAX)
        return 0;
    hist_sum hs = {f->nbuckets, counts, 0, NULL};
    promc__words_foreach(c->words, add_hist_words, &hs);
    return hs.sum;
}

double promc__histogram_read_native(const promc_child *c, uint64_t *counts,
                                    promc_native_scratch *scratch, promc_native_view *v,
                                    const promc_native_view **native) {
    const promc_family *f = c->family;
    *native = NULL;
    if (!f->native || c->words == UINT32_MAX)
        return promc__histogram_read(c, counts);
    memset(counts, 0, (f->nbuckets + 1) * sizeof *counts);
    hist_sum hs = {f->nbuckets, counts, 0, promc__native_work_start(scratch)};
    if (!hs.native) /* out of memory: the classic half alone */
        return promc__histogram_read(c, counts);
    promc__words_foreach(c->words, add_hist_words, &hs);
    *native = promc__native_finish(hs.native, c, counts, &hs.sum, v);
    return hs.sum;
}

int promc_histogram_snapshot(promc_histogram *h, uint64_t *counts, size_t ncounts, double *sum,
                             uint64_t *count) {
    promc_child *c = promc__hchild(h);
    if (!c || c->is_parent)
        return promc__seterr(PROMC_ESTATE, "snapshot: labelled parent or NULL");
    promc_arena *a = promc__arena();
    if (!a)
        return promc__seterr(PROMC_ENOMEM, "out of memory");
    const promc_family *f = c->family;
    uint64_t local[PROMC_MAX_BUCKETS + 1];
    uint64_t sec = promc__enter(a);
    bool live = promc__hlive(c, h);
    double s = live ? promc__histogram_read(c, local) : 0;
    promc__leave(a, sec);
    if (!live)
        return promc__seterr(PROMC_ENOTFOUND, "snapshot: stale handle, its series was removed");
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
