/* promc_internal.h -- the data model shared by promc's source files; never installed.
 *
 * A registry holds families (one per metric name). A family holds its children, one per set of
 * label values, in insertion order, plus an open-addressing index for lock-free lookup. An
 * unlabelled family has exactly one child, which is also the handle the user holds.
 *
 * Counters and histograms keep their numbers in per-thread shards (shard.c): every child owns a
 * range of "words" in a process-wide word space, and every thread has its own copy of that space,
 * so an update is a relaxed load and store on memory no other thread writes. A scrape sums the
 * words over all threads. Gauges are a single atomic double in the child (set must be
 * last-writer-wins); summaries keep a CKMS sliding window (summary.c).
 */
#ifndef PROMC_INTERNAL_H
#define PROMC_INTERNAL_H

#include "promc.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* PROMC_MAX_LABELS (16) is public, in promc.h. */
#define PROMC_MAX_BUCKETS   256
#define PROMC_MAX_QUANTILES 32

/* ---- errors.c ---------------------------------------------------------------------------- */
/* Records a failure for promc_last_error(); returns code so callers can `return seterr(...)`. */
int promc__seterr(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- shard.c: per-thread word space ------------------------------------------------------ */
/* Words are 64-bit; a child's words never straddle a block. */
#define PROMC_BLOCK_WORDS 4096u
#define PROMC_MAX_BLOCKS  16384u

typedef _Atomic uint64_t promc_word;

/* One thread's copy of the word space. An exiting thread's arena is kept, with its values, and
 * handed to the next thread that starts updating: values are never merged or lost, and the
 * number of arenas is the peak number of updating threads. */
typedef struct promc_arena {
    _Atomic(promc_word *) blocks[PROMC_MAX_BLOCKS];
    struct promc_arena *next; /* all arenas, live or free */
    bool in_use;
    struct promc_arena *next_free;
} promc_arena;

extern _Thread_local promc_arena *promc__tls_arena __attribute__((tls_model("initial-exec")));
promc_arena *promc__arena_attach(void);
promc_word *promc__block_alloc(promc_arena *a, uint32_t block);

/* Reserves n contiguous words (n <= PROMC_BLOCK_WORDS); returns the first index or UINT32_MAX. */
uint32_t promc__words_alloc(uint32_t n);
/* Zeroes words [idx, idx+n) in every arena and makes them available again. Only for words no
 * thread can write any more (their child is being freed). */
void promc__words_free(uint32_t idx, uint32_t n);

/* This thread's copy of word idx, allocating its block on first touch (NULL if out of memory).
 * Only the calling thread ever writes through the result. */
static inline promc_word *promc__word_local(uint32_t idx) {
    promc_arena *a = promc__tls_arena;
    if (__builtin_expect(a == NULL, 0) && !(a = promc__arena_attach()))
        return NULL;
    promc_word *b = atomic_load_explicit(&a->blocks[idx / PROMC_BLOCK_WORDS], memory_order_relaxed);
    if (__builtin_expect(b == NULL, 0) && !(b = promc__block_alloc(a, idx / PROMC_BLOCK_WORDS)))
        return NULL;
    return &b[idx % PROMC_BLOCK_WORDS];
}

/* Single-writer updates of a thread-local word: plain load and store, no lock prefix. */
static inline void promc__word_add_u64(promc_word *w, uint64_t v) {
    atomic_store_explicit(w, atomic_load_explicit(w, memory_order_relaxed) + v,
                          memory_order_relaxed);
}
/* Calls fn for every arena's copy of the words starting at idx (live threads' and those that
 * exited threads left behind), without locking. Arenas that never touched the block are skipped. */
typedef void (*promc_words_fn)(const promc_word *words, void *arg);
void promc__words_foreach(uint32_t idx, promc_words_fn fn, void *arg);

/* Words as doubles: bit casts, so doubles can live in atomic 64-bit words. */
static inline uint64_t promc__d2u(double d) {
    union {
        double d;
        uint64_t u;
    } x = {.d = d};
    return x.u;
}
static inline double promc__u2d(uint64_t u) {
    union {
        double d;
        uint64_t u;
    } x = {.u = u};
    return x.d;
}

static inline void promc__word_add_double(promc_word *w, double v) {
    double d = promc__u2d(atomic_load_explicit(w, memory_order_relaxed)) + v;
    atomic_store_explicit(w, promc__d2u(d), memory_order_relaxed);
}

/* ---- Exemplars --------------------------------------------------------------------------- */
typedef struct promc_exemplar {
    char *labels; /* rendered label set, e.g. trace_id="abc" (already escaped) */
    double value;
    double timestamp; /* unix seconds */
} promc_exemplar;

typedef struct promc_exemplars {
    pthread_mutex_t lock; /* taken only by exemplar updates and by scrapes */
    size_t n;             /* 1 for counters, nbuckets+1 for histograms */
    promc_exemplar slots[];
} promc_exemplars;

/* ---- Families and children --------------------------------------------------------------- */
typedef struct promc_family promc_family;
typedef struct promc_child promc_child;
typedef struct summary_state summary_state; /* summary.c */

struct promc_child {
    promc_family *family;
    _Atomic(promc_child *) next; /* insertion order; a removed child keeps its next */
    uint64_t hash;               /* of the label values */
    char *values;                /* label values, NUL-separated; NULL when unlabelled */
    double created;              /* unix seconds */
    uint32_t words;              /* first shard word (counter, histogram); UINT32_MAX if none */
    _Atomic bool removed;
    bool is_parent; /* the label-less handle of a labelled family: not updatable */
    union {
        _Atomic uint64_t gauge_bits; /* gauge value as double bits; info; enum state */
        summary_state *summary;
    } u;
    _Atomic(promc_exemplars *) exemplars; /* lazily created */
    promc_child *next_dead;               /* graveyard link once removed */
};

typedef struct child_index {
    size_t mask;                      /* capacity - 1 */
    struct child_index *retired_next; /* older tables, freed with the family */
    size_t used;                      /* non-empty slots (children and tombstones); f->lock */
    _Atomic(promc_child *) slot[];    /* NULL = empty, PROMC_TOMBSTONE = removed */
} child_index;

struct promc_family {
    promc_registry *registry;
    /* The OpenMetrics family name, as client_python keeps it: counters without their "_total"
     * and info metrics without their "_info" (renderers append the suffix where the format
     * wants it). promc_counter_new("hello_total") and ("hello") name the same family. */
    char *name;
    char *help;
    char *unit;
    promc_type type;
    size_t nlabels;
    char **label_names;
    /* histogram */
    double *buckets;
    size_t nbuckets; /* finite bounds; +Inf is implied */
    /* The smallest value observe accepts: 0, or -Inf when the first bound is negative. Fixed at
     * registration, it also decides whether OpenMetrics gets _count and _sum (render.c). */
    double lowest;
    /* summary */
    promc_quantile *quantiles;
    size_t nquantiles;
    double max_age;
    int age_buckets;
    /* enum */
    char **states;
    size_t nstates;

    promc_child *self;    /* the handle returned at registration */
    pthread_mutex_t lock; /* serialises child creation and removal; never on the update path */
    _Atomic(child_index *) index;
    child_index *retired;         /* replaced tables, still readable by lookups in flight */
    _Atomic(promc_child *) first; /* children in insertion order */
    promc_child *last;
    promc_child *graveyard; /* removed children, freed with the family (via next_dead) */
    size_t nchildren;
    bool unregistered;
};

#define PROMC_TOMBSTONE ((promc_child *)(uintptr_t)1)

/* Words a child of this family needs in the shard space. */
uint32_t promc__family_words(const promc_family *f);
/* Creates the family's children machinery and its handle child. */
int promc__family_init(promc_family *f);
void promc__family_free(promc_family *f);
/* Lookup-or-create of the child for these values. */
promc_child *promc__child_get(promc_family *f, const char *const *values);
/* Walks non-removed children in insertion order. */
#define PROMC_FOREACH_CHILD(f, c)                                                                  \
    for (promc_child *c = atomic_load_explicit(&(f)->first, memory_order_acquire); c;              \
         c = atomic_load_explicit(&c->next, memory_order_acquire))                                 \
        if (!atomic_load_explicit(&c->removed, memory_order_acquire))

/* labels()/labelsv() of every type: checks the handle's type, then promc__child_get. */
promc_child *promc__labels(promc_child *h, promc_type type, const char *const *values);
/* labelsn() of every type: n values, which must be the family's number of label names. */
promc_child *promc__labels_n(promc_child *h, promc_type type, size_t n, const char *const *values);
/* exemplar.c, in two steps so that a call that fails changes nothing: prepare validates and
 * renders the labels into *rendered and makes sure c has its exemplar slots (0 or a PROMC_E*
 * code, last error set); store, after the value was applied, puts them in slot (0 for
 * counters, the bucket for histograms) and cannot fail. */
int promc__exemplar_prepare(promc_child *c, const char *const *labels, char **rendered);
void promc__exemplar_store(promc_child *c, size_t slot, double value, char *rendered);

/* Splits a child's NUL-separated values into out[nlabels]. */
void promc__child_values(const promc_family *f, const promc_child *c, const char **out);

/* ---- registry.c -------------------------------------------------------------------------- */
typedef struct promc_collector {
    char *name;
    promc_collect_fn fn;
    void *userdata;
    bool warned; /* it emitted a taken family name once: said so on stderr */
    struct promc_collector *next;
} promc_collector;

struct promc_registry {
    pthread_mutex_t lock; /* registration and scrape; never the update path */
    promc_family **families;
    size_t nfamilies, cap;
    promc_collector *collectors;
    promc_family **dead; /* unregistered families: handles stay valid until registry free */
    size_t ndead;
};

#define PROMC_NAME_MAX 200

/* What a constructor asks for; registry.c turns it into a family (or finds the same one). */
typedef struct promc_spec {
    promc_type type;
    const char *name, *help;
    const char *const *labels;
    const double *buckets;
    size_t nbuckets;
    const promc_quantile *quantiles;
    size_t nquantiles;
    double max_age;
    int age_buckets;
    const char *const *states;
} promc_spec;

/* Get-or-create registration; returns the family's handle child or NULL (last error set). */
promc_child *promc__register(promc_registry *reg, const promc_spec *spec);
/* Would families a and b put a series of the same name on the wire? (name and type used) */
bool promc__families_collide(const promc_family *a, const promc_family *b);
/* collector.c: frees reg's collectors. */
void promc__collectors_free(promc_registry *reg);

/* ---- validate.c -------------------------------------------------------------------------- */
bool promc__valid_metric_name(const char *s);
bool promc__valid_label_name(const char *s);
bool promc__valid_utf8(const char *s, size_t len);

/* ---- Values read at scrape time (value.c) ------------------------------------------------ */
double promc__counter_read(const promc_child *c);
/* Non-cumulative bucket counts into counts[nbuckets+1]; returns sum. */
double promc__histogram_read(const promc_child *c, uint64_t *counts);

/* ---- summary.c --------------------------------------------------------------------------- */
/* The one rule set for summary parameters, applied at registration: 0 or PROMC_EINVAL with a
 * message naming the metric. promc__summary_state_new relies on it. */
int promc__summary_validate(const char *name, const promc_quantile *q, size_t nq, double max_age,
                            int age_buckets);
summary_state *promc__summary_state_new(const promc_family *f);
void promc__summary_state_free(summary_state *s);
int promc__summary_observe(summary_state *s, double v);
/* values[nquantiles] (NaN when empty), sum, count. */
void promc__summary_read(summary_state *s, double *values, double *sum, uint64_t *count);

/* ---- Rendering (render.c, fmt.c) --------------------------------------------------------- */
/* A growable output buffer. */
typedef struct promc_buf {
    char *data;
    size_t len, cap;
    bool failed; /* an allocation failed; data is unusable */
} promc_buf;

void promc__buf_reserve(promc_buf *b, size_t extra);
void promc__buf_put(promc_buf *b, const char *s, size_t n);
static inline void promc__buf_putc(promc_buf *b, char c) {
    if (b->len + 1 > b->cap)
        promc__buf_reserve(b, 1);
    if (!b->failed)
        b->data[b->len++] = c;
}
/* Shortest round-trip decimal for v; "NaN", "+Inf", "-Inf" spelled as the spec says.
 * Writes at most 32 bytes into out; returns the length. Locale-independent. */
size_t promc__fmt_double(char *out, double v);
size_t promc__fmt_u64(char *out, uint64_t v);

/* A family as the renderer sees it: from the registry's own metrics or from a collector. */
typedef struct promc_series_view {
    const char *const *label_values; /* family nlabels of them */
    double created;                  /* 0: none */
    double value;                    /* counter, gauge, untyped, info */
    const uint64_t *bucket_counts;   /* histogram: nbuckets+1 non-cumulative */
    double sum;                      /* histogram, summary */
    uint64_t count;                  /* summary */
    const double *quantile_values;   /* summary */
    size_t state;                    /* enum: index of the current state */
    const promc_exemplars *exemplars;
} promc_series_view;

/* Renders a whole registry (families sorted by name, collectors' output included). */
int promc__render_registry(promc_registry *reg, promc_format fmt, promc_buf *out);
void promc__render_family_header(promc_buf *out, promc_format fmt, const promc_family *f);
void promc__render_series(promc_buf *out, promc_format fmt, const promc_family *f,
                          const promc_series_view *s);
void promc__render_eof(promc_buf *out, promc_format fmt);
/* Runs reg's collectors and renders what they produce (collector.c); caller holds reg->lock. */
int promc__run_collectors(promc_registry *reg, promc_format fmt, promc_buf *out);
/* Escaping as the exposition formats require. */
void promc__put_escaped_help(promc_buf *b, const char *s);
void promc__put_escaped_label(promc_buf *b, const char *s);

/* ---- Exposition internals (added by the exposition half: fmt.c, render.c, negotiate.c) ---- */
/* Canonical float for "le" and "quantile" label values: Go's %g plus ".0" when integral
 * ("1.0", "0.005", "1e+06", "+Inf"), as OpenMetrics requires. At most 32 bytes. */
size_t promc__fmt_canonical(char *out, double v);
/* Parses an HTTP qvalue ("0", "0.5", "1.000"); -1 when malformed. n is its length. */
double promc__parse_qvalue(const char *s, size_t n);
/* Renders the families every collector of reg produces (collector.c), in registration order.
 * promc__render_registry calls it with reg->lock held, so a collector callback must not
 * register or unregister in the same registry. 0 or the first collector's error. */
int promc__run_collectors(promc_registry *reg, promc_format fmt, promc_buf *out);

/* ---- summary.c: clock hook for tests (added by the summary/process/push helper) ----------- */
/* When non-NULL, summaries read time (seconds, any monotonic origin) from this instead of
 * CLOCK_MONOTONIC(_COARSE), so tests can drive window expiry without sleeping. Set it before
 * observing and not while other threads observe. */
extern double (*promc__summary_clock)(void);

#endif /* PROMC_INTERNAL_H */
