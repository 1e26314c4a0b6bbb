/* summary.c -- the summary estimator: CKMS targeted quantiles over a sliding time window, plus
 * all-time sum and count, updated without locks.
 *
 * Window. As in client_golang, a summary keeps age_buckets CKMS streams. Time is cut into
 * slices of max_age/age_buckets ("epochs"); at the start of epoch e, stream e % age_buckets is
 * reset, so every observation goes into every live stream and the oldest stream (the "head",
 * smallest reset epoch) covers between max_age*(k-1)/k and max_age. Quantiles are read from the
 * head; an empty head gives NaN. Sum and count are all-time, as Prometheus summaries are.
 *
 * Concurrency. Updating the streams is too slow for the hot path and they are shared, so:
 *  - Each thread that observes a summary gets its own slot (found through a small thread-local
 *    cache keyed by the summary's never-reused id). A slot holds the thread's all-time count and
 *    sum (single writer: relaxed load + store, summed by readers, so an integer sum stays exact;
 *    a per-slot seqlock lets a reader take both from the same observations)
 *    and a single-producer ring of raw observations. The producer also writes an epoch marker
 *    (a NaN bit pattern carrying the epoch; real NaNs are rejected) into the ring whenever the
 *    clock enters a new epoch, so a value waiting in a ring still expires on time.
 *  - Whoever holds the summary's `merging` flag is the only consumer of every ring and the
 *    only user of the streams. The flag is taken with an atomic exchange, never waited for on
 *    the fast path: a writer whose ring is 3/4 full tries to take it and, if it gets it, moves
 *    every ring into the streams (sorting each run once, then merging it into each stream in
 *    one pass); if not, it keeps writing into its ring. A scrape takes the flag (waiting for an
 *    in-flight merge pass if need be), drains the rings and queries the head stream.
 *  - Ring invariants: head is written only by the slot's owner (release), tail only by the
 *    flag holder (release); a producer writes entry h only when h - tail < RING_CAP as seen
 *    through an acquire load of tail, and a consumer reads entries below an acquire load of
 *    head. Successive flag holders see each other's work through the flag's acquire/release.
 *  - Backpressure: only when a ring is completely full (its owner produced RING_CAP values
 *    during one merge pass by someone else) does its owner wait, for that pass only: never for
 *    a scrape's rendering, another family or I/O. Nothing is dropped.
 *  - A merge pass works in buffers of the merging thread (made at its first merge, freed at its
 *    exit), so an idle summary child costs a few hundred bytes, not a ring's worth of scratch.
 *  - A slot is owned by one live thread at a time. At thread exit (pthread key destructor) its
 *    slots are handed back and the next thread to observe the summary adopts one, so memory is
 *    bounded by the number of threads alive at once. slots_lock serialises ownership changes
 *    (first observation by a thread, thread exit, state free); neither updates nor scrapes
 *    take it.
 */
#include "ckms.h"
#include "summary.h"

#include <stdatomic.h>
#include <pthread.h>
#include <math.h>
#include <sched.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RING_CAP    1024u              /* power of two */
#define MERGE_AT    (RING_CAP / 4 * 3) /* a writer tries to merge from here on */
#define TCACHE_SIZE 64u
#define EPOCH_NONE  INT64_MIN

/* Ring entries are raw bits; a NaN with this exponent/quiet pattern is an epoch marker. */
#define MARKER_TAG        0x7ff4000000000000ull
#define MARKER_MASK       0xfffc000000000000ull
#define MARKER_EPOCH_BITS 0x0003ffffffffffffull

double (*promc__summary_clock)(void);

/* ---- State, slots and the thread-local slot cache ----------------------------------------- */

typedef struct summary_slot summary_slot;

struct summary_slot {
    /* Written by the owner only. */
    alignas(64) _Atomic uint64_t head;
    uint64_t cached_tail; /* the owner's last view of tail */
    int64_t prod_epoch;   /* epoch of the owner's last marker */
    _Atomic uint64_t seq; /* odd while count and sum are being changed */
    _Atomic uint64_t count;
    _Atomic uint64_t sum_bits;
    /* Ownership: changed under slots_lock (owner is also read without it, see slot_find). */
    _Atomic(void *) owner; /* the owning thread's token, NULL when free */
    summary_slot **pprev;  /* link in the owner's list of slots */
    summary_slot *tnext;
    summary_slot *next; /* the state's list; immutable once published */
    /* Written by the flag holder only. */
    alignas(64) _Atomic uint64_t tail;
    int64_t cons_epoch; /* epoch of the entries at tail */
    alignas(64) uint64_t ring[];
};

struct summary_state {
    uint64_t id; /* never reused: the thread-local cache's key */
    size_t nq;
    ckms_target *targets; /* nq, in the family's quantile order */
    int k;                /* age buckets */
    double inv_slice;     /* 1 / (max_age / k) */
    bool fine_clock;      /* slices shorter than the coarse clock's resolution */
    _Atomic(summary_slot *) slots;
    alignas(64) _Atomic bool merging;
    /* Owned by the holder of `merging`. */
    ckms_stream *streams; /* k of them */
    int64_t cur_epoch;
};

/* Work space of a merge pass: one set per thread that merges, made at its first merge and
 * freed when it exits, so a summary costs no buffers of its own. */
typedef struct merge_bufs {
    uint64_t copy[RING_CAP]; /* one ring's entries, drained */
    uint64_t tmp[RING_CAP];  /* for the radix sort */
    double sorted[RING_CAP];
} merge_bufs;

typedef struct tcache_entry {
    uint64_t id;
    summary_slot *slot;
} tcache_entry;

static _Atomic uint64_t next_id = 1;
/* The hot path's only thread-local: initial-exec, so a shared-library build does not call
 * __tls_get_addr per observation (one pointer fits any static TLS reserve). */
static _Thread_local tcache_entry *tcache __attribute__((tls_model("initial-exec")));
static _Thread_local summary_slot *tls_slots; /* this thread's slots; its address is its token */
static _Thread_local merge_bufs *tls_bufs;
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_key_t exit_key;
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;

static void slot_unlink(summary_slot *sl) {
    if (sl->pprev) {
        *sl->pprev = sl->tnext;
        if (sl->tnext)
            sl->tnext->pprev = sl->pprev;
    }
    sl->pprev = NULL;
    sl->tnext = NULL;
}

/* Thread exit: hand every slot of this thread back, values intact, for another thread. */
static void slots_release(void *arg) {
    (void)arg;
    pthread_mutex_lock(&slots_lock);
    while (tls_slots) {
        summary_slot *sl = tls_slots;
        slot_unlink(sl);
        atomic_store_explicit(&sl->owner, NULL, memory_order_release);
    }
    pthread_mutex_unlock(&slots_lock);
    free(tcache); /* a later observation in another destructor starts afresh */
    tcache = NULL;
    free(tls_bufs);
    tls_bufs = NULL;
}

static void make_exit_key(void) {
    pthread_key_create(&exit_key, slots_release);
}

static summary_slot *slot_new(const summary_state *s) {
    size_t ring = s->nq ? RING_CAP * sizeof(uint64_t) : 0;
    summary_slot *sl = aligned_alloc(64, sizeof *sl + ring);
    if (!sl)
        return NULL;
    memset(sl, 0, sizeof *sl);
    sl->prod_epoch = EPOCH_NONE;
    sl->cons_epoch = EPOCH_NONE;
    return sl;
}

/* Slow path: this thread's slot in s, adopting a free one or making one. */
static summary_slot *slot_find(summary_state *s) {
    void *me = &tls_slots;
    summary_slot *sl = atomic_load_explicit(&s->slots, memory_order_acquire);
    /* Only this thread ever stores its own token, so seeing it means the slot is ours. */
    for (; sl; sl = sl->next)
        if (atomic_load_explicit(&sl->owner, memory_order_relaxed) == me)
            break;
    if (!sl) {
        pthread_once(&exit_key_once, make_exit_key);
        pthread_mutex_lock(&slots_lock);
        for (sl = atomic_load_explicit(&s->slots, memory_order_acquire); sl; sl = sl->next) {
            void *none = NULL;
            if (atomic_compare_exchange_strong_explicit(&sl->owner, &none, me, memory_order_acquire,
                                                        memory_order_relaxed))
                break;
        }
        if (!sl && (sl = slot_new(s)) != NULL) {
            atomic_store_explicit(&sl->owner, me, memory_order_relaxed);
            sl->next = atomic_load_explicit(&s->slots, memory_order_relaxed);
            atomic_store_explicit(&s->slots, sl, memory_order_release);
        }
        if (sl) {
            sl->tnext = tls_slots;
            if (tls_slots)
                tls_slots->pprev = &sl->tnext;
            sl->pprev = &tls_slots;
            tls_slots = sl;
            sl->cached_tail = atomic_load_explicit(&sl->tail, memory_order_acquire);
        }
        pthread_mutex_unlock(&slots_lock);
        pthread_setspecific(exit_key, me); /* non-NULL, so slots_release runs at exit */
        if (!sl)
            return NULL;
    }
    if (!tcache && !(tcache = calloc(TCACHE_SIZE, sizeof *tcache)))
        return sl; /* found, but not cached: the next observation searches again */
    tcache_entry *e = &tcache[s->id % TCACHE_SIZE];
    e->id = s->id;
    e->slot = sl;
    return sl;
}

static inline summary_slot *slot_get(summary_state *s) {
    tcache_entry *t = tcache;
    if (__builtin_expect(t != NULL, 1)) {
        tcache_entry *e = &t[s->id % TCACHE_SIZE];
        if (__builtin_expect(e->id == s->id, 1))
            return e->slot;
    }
    return slot_find(s);
}

/* ---- Time --------------------------------------------------------------------------------- */

static inline int64_t now_epoch(const summary_state *s) {
    double t;
    if (__builtin_expect(promc__summary_clock != NULL, 0)) {
        t = promc__summary_clock();
    } else {
        struct timespec ts;
        clock_gettime(s->fine_clock ? CLOCK_MONOTONIC : CLOCK_MONOTONIC_COARSE, &ts);
        t = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
    }
    double x = t * s->inv_slice;
    int64_t e = (int64_t)x; /* floor without a libm call */
    return e - (x < (double)e);
}

static inline bool is_marker(uint64_t u) {
    return (u & MARKER_MASK) == MARKER_TAG;
}

/* ---- Merging (only by the holder of s->merging) ------------------------------------------- */

static inline bool merge_try_begin(summary_state *s) {
    return !atomic_load_explicit(&s->merging, memory_order_relaxed) &&
           !atomic_exchange_explicit(&s->merging, true, memory_order_acquire);
}

static inline void merge_end(summary_state *s) {
    atomic_store_explicit(&s->merging, false, memory_order_release);
}

static inline void cpu_relax(unsigned spins) {
    if (spins < 64) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    } else {
        sched_yield();
    }
}

static void merge_begin_wait(summary_state *s) {
    for (unsigned spins = 0; !merge_try_begin(s); spins++)
        cpu_relax(spins);
}

static int64_t epoch_mod(int64_t e, int k) {
    int64_t m = e % k;
    return m < 0 ? m + k : m;
}

/* Advances the window to epoch e, resetting the streams whose slice begins. The first call
 * places the streams as if they had rotated all along: stream x % k reset at epoch x, for x in
 * e-k+1..e (nothing was merged before, so they are empty either way). */
static void rotate(summary_state *s, int64_t e) {
    if (s->cur_epoch != EPOCH_NONE && e <= s->cur_epoch)
        return;
    int64_t from = e - s->k + 1;
    if (s->cur_epoch != EPOCH_NONE && s->cur_epoch + 1 > from)
        from = s->cur_epoch + 1;
    for (int64_t x = from; x <= e; x++) {
        ckms_stream *st = &s->streams[epoch_mod(x, s->k)];
        st->len = 0;
        st->n = 0;
        st->reset_epoch = x;
    }
    s->cur_epoch = e;
}

/* Inserts values (as bits, clobbered) observed during epoch e into every stream alive at e. */
static void merge_run(summary_state *s, merge_bufs *b, uint64_t *bits, size_t n, int64_t e) {
    if (n == 0)
        return;
    if (e != EPOCH_NONE)
        rotate(s, e); /* a producer may have seen a later epoch than the merger's clock */
    promc__sort_doubles(bits, b->tmp, n, b->sorted);
    for (int j = 0; j < s->k; j++) {
        ckms_stream *st = &s->streams[j];
        if (st->reset_epoch <= e) /* alive when the values were observed */
            /* On allocation failure the stream stays valid without this run. */
            (void)promc__ckms_insert_sorted(st, s->targets, s->nq, b->sorted, n);
    }
}

/* Moves one ring into the streams; without work space (out of memory) its values are dropped
 * from the quantiles (count and sum keep them) rather than leave the owner waiting. */
static void drain_slot(summary_state *s, summary_slot *sl, merge_bufs *b) {
    uint64_t tail = atomic_load_explicit(&sl->tail, memory_order_relaxed);
    uint64_t head = atomic_load_explicit(&sl->head, memory_order_acquire);
    if (tail == head)
        return;
    size_t n = (size_t)(head - tail);
    int64_t e = sl->cons_epoch;
    if (!b) {
        for (size_t i = 0; i < n; i++) {
            uint64_t u = sl->ring[(tail + i) & (RING_CAP - 1)];
            if (is_marker(u))
                e = (int64_t)(u & MARKER_EPOCH_BITS);
        }
        sl->cons_epoch = e;
        atomic_store_explicit(&sl->tail, head, memory_order_release);
        return;
    }
    for (size_t i = 0; i < n; i++)
        b->copy[i] = sl->ring[(tail + i) & (RING_CAP - 1)];
    atomic_store_explicit(&sl->tail, head, memory_order_release); /* the owner may refill now */
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t u = b->copy[i];
        if (is_marker(u)) { /* values between two markers are one run of one epoch */
            merge_run(s, b, b->copy + start, i - start, e);
            start = i + 1;
            e = (int64_t)(u & MARKER_EPOCH_BITS);
        }
    }
    merge_run(s, b, b->copy + start, n - start, e);
    sl->cons_epoch = e;
}

static merge_bufs *merge_bufs_get(void) {
    if (__builtin_expect(tls_bufs == NULL, 0) && (tls_bufs = malloc(sizeof *tls_bufs)) != NULL) {
        pthread_once(&exit_key_once, make_exit_key);
        pthread_setspecific(exit_key, &tls_slots); /* non-NULL, so slots_release frees them */
    }
    return tls_bufs;
}

static void merge_all(summary_state *s) {
    merge_bufs *b = merge_bufs_get();
    rotate(s, now_epoch(s));
    for (summary_slot *sl = atomic_load_explicit(&s->slots, memory_order_acquire); sl;
         sl = sl->next)
        drain_slot(s, sl, b);
}

/* ---- Observing ---------------------------------------------------------------------------- */

static inline void ring_push(summary_state *s, summary_slot *sl, uint64_t u) {
    uint64_t h = atomic_load_explicit(&sl->head, memory_order_relaxed);
    if (__builtin_expect(h - sl->cached_tail >= RING_CAP, 0)) {
        sl->cached_tail = atomic_load_explicit(&sl->tail, memory_order_acquire);
        for (unsigned spins = 0; h - sl->cached_tail >= RING_CAP; spins++) {
            if (merge_try_begin(s)) {
                merge_all(s);
                merge_end(s);
            } else {
                cpu_relax(spins);
            }
            sl->cached_tail = atomic_load_explicit(&sl->tail, memory_order_acquire);
        }
    }
    sl->ring[h & (RING_CAP - 1)] = u;
    atomic_store_explicit(&sl->head, h + 1, memory_order_release);
    if (__builtin_expect(h + 1 - sl->cached_tail >= MERGE_AT, 0)) {
        sl->cached_tail = atomic_load_explicit(&sl->tail, memory_order_acquire);
        if (h + 1 - sl->cached_tail >= MERGE_AT && merge_try_begin(s)) {
            merge_all(s);
            merge_end(s);
            sl->cached_tail = atomic_load_explicit(&sl->tail, memory_order_acquire);
        }
    }
}

int promc__summary_observe(summary_state *s, double v) {
    if (__builtin_expect(isnan(v), 0))
        return promc__seterr(PROMC_EINVAL, "summary: cannot observe NaN");
    summary_slot *sl = slot_get(s);
    if (__builtin_expect(!sl, 0))
        return promc__seterr(PROMC_ENOMEM, "summary: out of memory");
    /* A seqlock, so a reader sees count and sum of the same observations (Boehm's form). */
    uint64_t q = atomic_load_explicit(&sl->seq, memory_order_relaxed);
    atomic_store_explicit(&sl->seq, q + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    uint64_t c = atomic_load_explicit(&sl->count, memory_order_relaxed);
    atomic_store_explicit(&sl->count, c + 1, memory_order_relaxed);
    double sum = promc__u2d(atomic_load_explicit(&sl->sum_bits, memory_order_relaxed));
    atomic_store_explicit(&sl->sum_bits, promc__d2u(sum + v), memory_order_relaxed);
    atomic_store_explicit(&sl->seq, q + 2, memory_order_release);
    if (s->nq == 0)
        return 0;
    int64_t e = now_epoch(s);
    if (__builtin_expect(e != sl->prod_epoch, 0)) {
        ring_push(s, sl, MARKER_TAG | ((uint64_t)e & MARKER_EPOCH_BITS));
        sl->prod_epoch = e;
    }
    ring_push(s, sl, promc__d2u(v));
    return 0;
}

/* ---- Reading, creation, destruction -------------------------------------------------------- */

void promc__summary_read(summary_state *s, double *values, double *sum, uint64_t *count) {
    double total = 0;
    uint64_t n = 0;
    for (summary_slot *sl = atomic_load_explicit(&s->slots, memory_order_acquire); sl;
         sl = sl->next) {
        uint64_t c, bits;
        for (unsigned spins = 0;; spins++) {
            uint64_t q = atomic_load_explicit(&sl->seq, memory_order_acquire);
            c = atomic_load_explicit(&sl->count, memory_order_relaxed);
            bits = atomic_load_explicit(&sl->sum_bits, memory_order_relaxed);
            atomic_thread_fence(memory_order_acquire);
            if (!(q & 1) && atomic_load_explicit(&sl->seq, memory_order_relaxed) == q)
                break;
            cpu_relax(spins); /* the owner is between its two stores */
        }
        n += c;
        total += promc__u2d(bits);
    }
    if (sum)
        *sum = total;
    if (count)
        *count = n;
    if (s->nq == 0)
        return;
    merge_begin_wait(s);
    merge_all(s);
    /* The head is the stream reset longest ago. */
    const ckms_stream *headst = &s->streams[0];
    for (int j = 1; j < s->k; j++)
        if (s->streams[j].reset_epoch < headst->reset_epoch)
            headst = &s->streams[j];
    for (size_t i = 0; values && i < s->nq; i++)
        values[i] = promc__ckms_query(headst, s->targets[i].phi);
    merge_end(s);
}

/* An error of 0 would make every CKMS band empty (an exact, unbounded stream); a slice under
 * 1 ms is finer than the clocks the window reads. */
int promc__summary_validate(const char *name, const promc_quantile *qs, size_t nq, double max_age,
                            int age_buckets) {
    if (nq > PROMC_MAX_QUANTILES)
        return promc__seterr(PROMC_EINVAL, "%s: more than %d quantiles", name, PROMC_MAX_QUANTILES);
    if (nq > 0 && !qs)
        return promc__seterr(PROMC_EINVAL, "%s: %zu quantiles but no array", name, nq);
    for (size_t i = 0; i < nq; i++) {
        double q = qs[i].quantile, err = qs[i].error;
        if (!(q >= 0 && q <= 1))
            return promc__seterr(PROMC_EINVAL, "%s: quantile %g is outside [0, 1]", name, q);
        if (!(err > 0 && err < 1))
            return promc__seterr(PROMC_EINVAL, "%s: quantile %g: error %g is outside (0, 1)", name,
                                 q, err);
        if (i > 0 && !(q > qs[i - 1].quantile))
            return promc__seterr(PROMC_EINVAL, "%s: quantiles must be strictly increasing", name);
    }
    if (!isfinite(max_age) || !(max_age > 0) || age_buckets <= 0 ||
        !(max_age / age_buckets >= 1e-3))
        return promc__seterr(PROMC_EINVAL,
                             "%s: max_age %g s over %d age buckets: need a finite window and "
                             "slices of at least 1 ms",
                             name, max_age, age_buckets);
    return 0;
}

/* The parameters passed promc__summary_validate at registration. */
summary_state *promc__summary_state_new(const promc_summary_params *p) {
    size_t nq = p->quantiles ? p->nq : 0;
    double max_age = p->max_age > 0 ? p->max_age : 600; /* promc_summary_new's defaults */
    int k = p->age_buckets > 0 ? p->age_buckets : 5;
    summary_state *s = aligned_alloc(64, sizeof *s);
    if (!s) {
        promc__seterr(PROMC_ENOMEM, "out of memory");
        return NULL;
    }
    memset(s, 0, sizeof *s);
    s->id = atomic_fetch_add_explicit(&next_id, 1, memory_order_relaxed);
    s->nq = nq;
    s->k = k;
    s->inv_slice = k / max_age;
    s->fine_clock = max_age / k < 0.1;
    s->cur_epoch = EPOCH_NONE;
    if (nq > 0) {
        s->targets = calloc(nq, sizeof *s->targets);
        s->streams = calloc((size_t)k, sizeof *s->streams);
        if (!s->targets || !s->streams) {
            promc__summary_state_free(s);
            promc__seterr(PROMC_ENOMEM, "out of memory");
            return NULL;
        }
        for (size_t i = 0; i < nq; i++) {
            double q = p->quantiles[i].quantile, err = p->quantiles[i].error;
            s->targets[i] = (ckms_target){q, err / q, err / (1 - q)};
        }
        for (int j = 0; j < k; j++)
            s->streams[j].reset_epoch = EPOCH_NONE;
    }
    return s;
}

void promc__summary_state_free(summary_state *s) {
    if (!s)
        return;
    pthread_mutex_lock(&slots_lock);
    for (summary_slot *sl = atomic_load_explicit(&s->slots, memory_order_acquire); sl;
         sl = sl->next)
        slot_unlink(sl); /* its owner's thread-local cache keeps only a dead id */
    pthread_mutex_unlock(&slots_lock);
    summary_slot *sl = atomic_load_explicit(&s->slots, memory_order_acquire);
    while (sl) {
        summary_slot *next = sl->next;
        free(sl);
        sl = next;
    }
    if (s->streams)
        for (int j = 0; j < s->k; j++) {
            free(s->streams[j].l);
            free(s->streams[j].tmp);
        }
    free(s->streams);
    free(s->targets);
    free(s);
}
