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
 *
 * Series come and go (lifecycle.c): children live in per-family slabs of type-stable slots,
 * handles carry a generation, and removed children, their words and replaced index tables are
 * reused after a grace period over every thread's section (shard.c), so memory stays flat under
 * churn and a stale handle is a no-op, never a use-after-free.
 */
#ifndef PROMC_INTERNAL_H
#define PROMC_INTERNAL_H

#include "promc.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define PROMC_MAX_LABELS    16
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
 * number of arenas is the peak number of updating threads.
 *
 * section is the thread's grace-period counter (see below): odd while the thread is inside an
 * update, a labels() lookup or a scrape's walk of a family, even otherwise. Only the owner
 * writes it, with plain stores, on a cache line of its own. */
typedef struct promc_arena {
    _Alignas(64) _Atomic uint64_t section;
    char pad_[64 - sizeof(uint64_t)];
    _Atomic(promc_word *) blocks[PROMC_MAX_BLOCKS];
    struct promc_arena *next; /* all arenas, live or free */
    bool in_use;
    bool quarantined; /* its thread vanished in a fork mid-update: never handed out again */
    struct promc_arena *next_free;
} promc_arena;

extern _Thread_local promc_arena *promc__tls_arena __attribute__((tls_model("initial-exec")));
promc_arena *promc__arena_attach(void);
promc_word *promc__block_alloc(promc_arena *a, uint32_t block);
/* This thread's arena, attaching one on first use (NULL if out of memory). */
static inline promc_arena *promc__arena(void) {
    promc_arena *a = promc__tls_arena;
    if (__builtin_expect(a == NULL, 0))
        a = promc__arena_attach();
    return a;
}

/* ---- shard.c: grace periods for lock-free readers and writers ---------------------------- */
/* Every path that reaches a child without the family lock (updates through a handle, the
 * labels() fast path, a scrape's walk) runs inside a section: promc__enter() makes the arena's
 * counter odd, promc__leave() even again. A remover first unpublishes what it frees (index slot,
 * list link, the child's live bit), then promc__grace_start() issues an asymmetric barrier
 * (membarrier) and notes the arenas that are odd; the memory is reused only once
 * promc__grace_done() sees each of them moved on. Writers therefore need no fence of their own:
 * a compiler barrier, and a real seq_cst fence only where membarrier is unavailable or under
 * TSan (which cannot see membarrier). Sections nest (a signal handler updating inside one). */
extern bool promc__strong_fences __attribute__((visibility("hidden")));
#if defined(__SANITIZE_THREAD__)
#define PROMC_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PROMC_TSAN 1
#endif
#endif

/* Branch-free: a nested enter stores the odd value again, and its leave stores it back. */
static inline uint64_t promc__enter(promc_arena *a) {
    uint64_t s = atomic_load_explicit(&a->section, memory_order_relaxed);
    atomic_store_explicit(&a->section, s | 1u, memory_order_relaxed);
#if defined(PROMC_TSAN)
    atomic_thread_fence(memory_order_seq_cst);
#else
    if (__builtin_expect(promc__strong_fences, 0))
        atomic_thread_fence(memory_order_seq_cst);
    else
        atomic_signal_fence(memory_order_seq_cst);
#endif
    return s;
}
static inline void promc__leave(promc_arena *a, uint64_t s) {
    atomic_store_explicit(&a->section, s + 2 - ((s & 1u) << 1), memory_order_release);
}

typedef struct promc_grace {
    struct {
        promc_arena *arena;
        uint64_t section;
    } *odd;
    size_t nodd, cap;
} promc_grace;
/* Starts a grace period for everything unpublished so far (barrier + snapshot). 0 or ENOMEM. */
int promc__grace_start(promc_grace *g);
/* Has every section that was running at promc__grace_start() ended? Never waits. */
bool promc__grace_done(const promc_grace *g);
void promc__grace_free(promc_grace *g);

/* Reserves n contiguous words (n <= PROMC_BLOCK_WORDS); returns the first index or UINT32_MAX. */
uint32_t promc__words_alloc(uint32_t n);
/* Zeroes words [idx, idx+n) in every arena and makes them available again. Only for words no
 * thread can write any more (their child is being freed). */
void promc__words_free(uint32_t idx, uint32_t n);

/* This thread's copy of word idx, allocating its block on first touch (NULL if out of memory).
 * Only the calling thread ever writes through the result. */
static inline promc_word *promc__word_local(uint32_t idx) {
    promc_arena *a = promc__arena();
    if (__builtin_expect(a == NULL, 0))
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
 * exited threads left behind), without locking. Arenas that never touched the block are skipped.
 * orphan: the arena's thread vanished in a fork mid-update, so nobody will finish what it
 * started (a histogram sequence left odd): the reader may repair it. */
typedef void (*promc_words_fn)(promc_word *words, bool orphan, void *arg);
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

/* A child lives in a slot of its family's slabs (family.c): type-stable memory that is reused
 * for a later child of the same family but never returned to malloc before the family is
 * freed, so every handle ever returned points at a readable child header. The label values
 * follow the header in the same slot. */
struct promc_child {
    promc_family *family;
    _Atomic(promc_child *) next; /* insertion order; a removed child keeps its next */
    uint64_t hash;               /* of the label values */
    /* the fields every update reads, together at the start of the slot */
    uint32_t words; /* first shard word (counter, histogram); UINT32_MAX if none */
    /* gen << 1 | live. A handle carries the gen it was made with (promc__handle); removal
     * clears live and bumps gen in one store, so every earlier handle misses from then on,
     * and the slot's next child keeps the new gen. */
    _Atomic uint32_t life;
    _Atomic uint8_t touched; /* set by updates, cleared by TTL sweeps */
    bool is_parent;          /* the label-less handle of a labelled family: not updatable */
    uint16_t slot_units;     /* slot size in 8-byte units, for the free lists */
    uint32_t seen;  /* TTL: centiseconds of the TTL clock at the last sweep that saw it */
    double created; /* unix seconds */
    union {
        _Atomic uint64_t gauge_bits; /* gauge value as double bits; info; enum state */
        summary_state *summary;
    } u;
    _Atomic(promc_exemplars *) exemplars; /* lazily created */
    promc_child *next_dead;               /* limbo list, then the slot free list */
};

static inline const char *promc__child_vals(const promc_child *c) {
    return (const char *)(c + 1);
}

/* Handles. A labelled child's handle is its address with its gen in the top 16 bits (x86-64
 * and arm64 user space keep addresses below 2^47, checked when a slab is allocated); parents,
 * unlabelled children and platforms without spare bits use gen 0 and are never reused. */
#ifndef PROMC_TAGGED_HANDLES /* -DPROMC_TAGGED_HANDLES=0 where malloc tags pointers (MTE) */
#if UINTPTR_MAX > 0xffffffffu && (defined(__x86_64__) || defined(__aarch64__))
#define PROMC_TAGGED_HANDLES 1
#else
#define PROMC_TAGGED_HANDLES 0
#endif
#endif
#if PROMC_TAGGED_HANDLES
#define PROMC_PTR_MASK ((uintptr_t)0x0000ffffffffffffull)
#else
#define PROMC_PTR_MASK (~(uintptr_t)0)
#endif
#define PROMC_GEN_MASK 0xffffu

static inline promc_child *promc__hchild(const void *h) {
    return (promc_child *)((uintptr_t)h & PROMC_PTR_MASK);
}
/* The life value a live child reached through handle h has. */
static inline uint32_t promc__hlife(const void *h) {
#if PROMC_TAGGED_HANDLES
    return (uint32_t)((uintptr_t)h >> 47) | 1u;
#else
    (void)h;
    return 1u;
#endif
}
/* Is h a handle of the child now in its slot (one load, one compare)? Call inside a section. */
static inline bool promc__hlive(const promc_child *c, const void *h) {
    return atomic_load_explicit(&c->life, memory_order_acquire) == promc__hlife(h);
}
static inline void *promc__handle(promc_child *c, uint32_t life) {
#if PROMC_TAGGED_HANDLES
    return (void *)((uintptr_t)c | ((uintptr_t)(life >> 1) << 48));
#else
    (void)life;
    return c;
#endif
}
/* Decodes a handle without a section: the child if h is current, else NULL (last error set
 * for a stale one). For calls off the hot path (remove, set_unit, snapshots). It also notes
 * the child and the life it had on this thread, so promc__exemplar_set can tell, inside its
 * section, whether the slot changed hands since. */
promc_child *promc__handle_child(const void *h);
extern _Thread_local const promc_child *promc__tls_decoded;
extern _Thread_local uint32_t promc__tls_decoded_life;
/* Marks c updated, for TTL sweeps: a shared load, and a store only after a sweep cleared it. */
static inline void promc__touch(promc_child *c) {
    if (__builtin_expect(!atomic_load_explicit(&c->touched, memory_order_relaxed), 0))
        atomic_store_explicit(&c->touched, 1, memory_order_relaxed);
}

typedef struct child_index {
    size_t mask;                      /* capacity - 1 */
    struct child_index *retired_next; /* limbo link once replaced */
    size_t used;                      /* non-empty slots (children and tombstones); f->lock */
    _Atomic(promc_child *) slot[];    /* NULL = empty, PROMC_TOMBSTONE = removed */
} child_index;

/* Children slots of one size, and the slabs that hold them. */
typedef struct slot_class {
    struct slot_class *next;
    uint16_t units;      /* slot size in 8-byte units */
    bool tagged;         /* every slab so far is below 2^47: its slots may be reused */
    promc_child *free;   /* reclaimed slots (via next_dead) */
    char *cur;           /* current slab's next unused slot */
    size_t cur_left;     /* unused slots left in it */
    size_t nslots;       /* slots allocated in all */
    struct slab *slabs;
} slot_class;

/* Removed children and replaced index tables on their way back to the free lists. */
typedef struct promc_limbo {
    promc_child *fresh;             /* unpublished since the last grace start */
    child_index *fresh_tables;
    size_t nfresh;
    promc_child *waiting;           /* unpublished before `grace` started */
    child_index *waiting_tables;
    promc_grace grace;
    bool grace_running;
} promc_limbo;

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
    _Atomic(promc_child *) first; /* children in insertion order */
    promc_child *last;
    size_t nchildren;
    bool unregistered;
    /* lifecycle (f->lock) */
    slot_class *classes;
    promc_limbo limbo;
    double ttl;           /* seconds; 0: none */
    size_t limit;         /* max children; 0: none */
    int limit_mode;       /* PROMC_LIMIT_OVERFLOW or PROMC_LIMIT_FAIL */
    promc_child *overflow; /* the overflow child once made */
    _Atomic uint64_t expired_total, overflow_total; /* exported as promc_series_*_total */
    _Atomic unsigned lifecycle_flags;               /* PROMC_HAS_*: ever set, for render.c */
};
#define PROMC_HAS_TTL   1u
#define PROMC_HAS_LIMIT 2u

#define PROMC_TOMBSTONE ((promc_child *)(uintptr_t)1)

/* Words a child of this family needs in the shard space. */
uint32_t promc__family_words(const promc_family *f);
/* Creates the family's children machinery and its handle child. */
int promc__family_init(promc_family *f);
void promc__family_free(promc_family *f);
/* Compares stored NUL-separated values with n values, never reading past either. */
bool promc__values_equal(const char *stored, const char *const *values, size_t n);
/* Lookup-or-create of the child for these values; returns a handle (only to be cast). */
void *promc__child_get(promc_family *f, const char *const *values);
/* info_set: makes the family's one child the one with these values, in a single step for
 * scrapes (the new child takes the old one's place in the list). */
int promc__child_replace(promc_family *f, const char *const *values);
/* Scrape side, off the update path: TTL sweep and opportunistic reclaim; never blocks (skips
 * the work when the family lock is busy). */
void promc__family_maintain(promc_family *f);
/* Walks the children in insertion order. Call inside a section (or under f->lock, when every
 * child in the list is live). A lock-free walk renders what it reaches: a child unlinked while
 * the walk stands on or before it may still be seen once (the walk then counts as before the
 * removal), which is what makes info_set's swap show the old or the new series, never neither. */
#define PROMC_FOREACH_CHILD(f, c)                                                                  \
    for (promc_child *c = atomic_load_explicit(&(f)->first, memory_order_acquire); c;              \
         c = atomic_load_explicit(&c->next, memory_order_acquire))

/* TTL clock (seconds, monotonic): tests may set it, before any TTL is set. */
extern double (*promc__ttl_clock)(void);

/* ---- lifecycle.c: slots, limbo, TTL, limits (all under f->lock) ------------------------- */
/* A slot for a child with vsize bytes of values: reused or fresh; its header zeroed when
 * fresh, its life the dead value with the slot's current gen when reused. NULL: ENOMEM. */
promc_child *promc__slot_alloc(promc_family *f, size_t vsize);
/* Gives back a slot that was never published. */
void promc__slot_unused(promc_family *f, promc_child *c);
/* Hands an unpublished child or index table to the family's limbo. */
void promc__limbo_child(promc_family *f, promc_child *c);
void promc__limbo_table(promc_family *f, child_index *ix);
/* Reclaims what a finished grace period protected and starts the next one when enough is
 * waiting (any amount with force). Never waits. */
void promc__limbo_poll(promc_family *f, bool force);
/* Frees what a child owns besides its slot (words, summary state, exemplars). */
void promc__child_release(promc_family *f, promc_child *c);
/* Frees limbo and slabs, for promc__family_free. */
void promc__lifecycle_free(promc_family *f);
/* family.c: unpublishes c (index, list, live bit) into limbo. */
void promc__child_unpublish(promc_family *f, promc_child *c);
void promc__index_free(child_index *ix);
/* The TTL clock in centiseconds, wrapping (differences are taken modulo 2^32). */
uint32_t promc__ttl_now_cs(void);

/* labels()/labelsv() of every type: checks the handle's type, then promc__child_get. The result
 * is a handle: cast it, never dereference it. */
promc_child *promc__labels(promc_child *h, promc_type type, const char *const *values);
promc_child *promc__labels_va(promc_child *h, promc_type type, va_list ap);
/* exemplar.c: records an exemplar in slot (0 for counters, the bucket for histograms). */
int promc__exemplar_set(promc_child *c, size_t slot, double value, const char *const *labels);

/* Splits a child's NUL-separated values into out[nlabels]. */
void promc__child_values(const promc_family *f, const promc_child *c, const char **out);

/* ---- registry.c -------------------------------------------------------------------------- */
typedef struct promc_collector {
    char *name;
    promc_collect_fn fn;
    void *userdata;
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
