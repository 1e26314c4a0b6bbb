/* family.h -- metric families and their children (family.c): one child per set of label
 * values, kept in insertion order, with an open-addressing index for lock-free lookup. An
 * unlabelled family has exactly one child, which is also the handle the user holds. Depends on
 * the value layers (shard.h, native_store.h, summary.h, exemplar.h). family.c and lifecycle.c
 * (slots, limbo, TTL, limits) are one layer in two files. Never installed.
 *
 * Series come and go (lifecycle.c): children live in per-family slabs of type-stable slots,
 * handles carry a generation, and removed children, their words and replaced index tables are
 * reused after a grace period over every thread's section (shard.c), so memory stays flat under
 * churn and a stale handle is a no-op, never a use-after-free.
 */
#ifndef PROMC_FAMILY_H
#define PROMC_FAMILY_H

#include "exemplar.h"
#include "native_schema.h"
#include "native_store.h"
#include "shard.h"
#include "summary.h"

#include <pthread.h>
#include <stdatomic.h>

typedef struct promc_family promc_family;
typedef struct promc_child promc_child;

/* A child lives in a slot of its family's slabs (family.c): type-stable memory that is reused
 * for a later child of the same family but never returned to malloc before the family is
 * freed, so every handle ever returned points at a readable child header. The label values
 * follow the header in the same slot. */
struct promc_child {
    promc_family *family;
    _Atomic(promc_child *) next; /* insertion order; a removed child keeps its next */
    uint32_t hash;               /* of the label values */
    /* the fields every update reads, together at the start of the slot */
    uint32_t words; /* first shard word (counter, histogram); UINT32_MAX if none */
    /* gen << 1 | live. A handle carries the gen it was made with (promc__handle); removal
     * clears live and bumps gen in one store, so every earlier handle misses from then on,
     * and the slot's next child keeps the new gen. */
    _Atomic uint32_t life;
    /* The top half of the handle updates accept: of the child's current handle while it is
     * live and not a parent, else a value no handle of this slot has. Written with life
     * (promc__child_set_life), so an update checks the handle's gen, the live bit and the
     * parent flag with one compare (promc__hupdatable); the bottom half of a handle is the
     * slot's address, which the update reached the child by. */
    _Atomic uint32_t update_key;
    _Atomic uint8_t touched; /* set by updates, cleared by TTL sweeps */
    bool is_parent;          /* the label-less handle of a labelled family: not updatable */
    uint16_t slot_units;     /* slot size in 8-byte units, for the free lists */
    uint32_t seen;           /* TTL: centiseconds of the TTL clock at the last sweep that saw it */
    double created;          /* unix seconds */
    union {
        _Atomic uint64_t gauge_bits; /* gauge value as double bits; info; enum state */
        summary_state *summary;
        struct promc_native_state *native; /* histogram with native buckets: scrape-side state
                                              (histogram_native.c), made by its first scrape */
    } u;
    _Atomic(promc_exemplars *) exemplars; /* lazily created */
    promc_child *next_dead;               /* limbo list, then the slot free list */
};

#if UINTPTR_MAX > 0xffffffffu
/* Every byte of the header is paid for per series (bench: memory at rest per series). */
_Static_assert(sizeof(promc_child) == 72, "promc_child grew: 72 bytes per series header");
#endif

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
/* The top 32 bits of a handle (all the gen, and address bits every handle of a slot shares). */
static inline uint32_t promc__hkey(const void *h) {
    return (uint32_t)((uint64_t)(uintptr_t)h >> 32);
}
/* Sets c's life and, with it, the key updates accept. mo: the order of the life store. */
static inline void promc__child_set_life(promc_child *c, uint32_t life, memory_order mo) {
    uint32_t key = promc__hkey(promc__handle(c, life));
    if (!(life & 1u) || c->is_parent)
        key ^= 0xffffu; /* the slot's own address bits, changed: matches no handle of it */
    atomic_store_explicit(&c->update_key, key, mo);
    atomic_store_explicit(&c->life, life, mo);
}
/* Is h the handle of a live, updatable child (not a parent) in its slot? One load, one
 * compare. Call inside a section, with c = promc__hchild(h). */
static inline bool promc__hupdatable(const promc_child *c, const void *h) {
    return atomic_load_explicit(&c->update_key, memory_order_acquire) == promc__hkey(h);
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
    uint16_t units;    /* slot size in 8-byte units */
    bool tagged;       /* every slab so far is below 2^47: its slots may be reused */
    promc_child *free; /* reclaimed slots (via next_dead) */
    char *cur;         /* current slab's next unused slot */
    size_t cur_left;   /* unused slots left in it */
    size_t nslots;     /* slots allocated in all */
    struct slab *slabs;
} slot_class;

/* Removed children and replaced index tables on their way back to the free lists. */
typedef struct promc_limbo {
    promc_child *fresh; /* unpublished since the last grace start */
    child_index *fresh_tables;
    size_t nfresh;
    promc_child *waiting; /* unpublished before `grace` started */
    child_index *waiting_tables;
    promc_grace grace;
    bool grace_running;
} promc_limbo;

/* A family's bounds are stored padded with +Inf to at least this many (bucket_index). */
#define PROMC_BUCKETS_PADDED 16

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
    double *buckets; /* nbuckets bounds, then +Inf up to PROMC_BUCKETS_PADDED (histogram.c) */
    size_t nbuckets; /* finite bounds; +Inf is implied */
    /* The smallest value observe accepts: 0, or -Inf when the first bound is negative. Fixed at
     * registration, it also decides whether OpenMetrics gets _count and _sum (render.c). */
    double lowest;
    /* observe's fast path takes the values >= this: lowest for classic histograms of up to
     * PROMC_BUCKETS_PADDED bounds, NaN (no value) for the others, which go another way. */
    double fast_lowest;
    /* Native buckets (histogram.c, histogram_native.c), when native is set: the schema and
     * zero threshold observations are placed with (a scrape may expose them coarser or wider:
     * max_buckets), and client_golang's other knobs. native_lock guards the children's
     * scrape-side state; no update takes it. */
    bool native;
    int32_t native_schema;
    double native_zero_threshold;
    promc__native_table native_table; /* promc__native_table_of(native_schema) */
    uint32_t native_max_buckets;      /* 0: no limit */
    double native_max_zero_threshold; /* 0: the zero bucket never widens */
    double native_min_reset;          /* seconds; 0: never reset */
    pthread_mutex_t native_lock;
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
    double ttl;                                     /* seconds; 0: none */
    size_t limit;                                   /* max children; 0: none */
    int limit_mode;                                 /* PROMC_LIMIT_OVERFLOW or PROMC_LIMIT_FAIL */
    promc_child *overflow;                          /* the overflow child once made */
    _Atomic uint64_t expired_total, overflow_total; /* exported as promc_series_*_total */
    _Atomic unsigned lifecycle_flags;               /* PROMC_HAS_*: ever set, for render.c */
};
#define PROMC_HAS_TTL   1u
#define PROMC_HAS_LIMIT 2u

#define PROMC_TOMBSTONE ((promc_child *)(uintptr_t)1)

/* A histogram child's words in each arena (histogram.c): the sequence, nbuckets + 1 bucket
 * counts, the sum; with native buckets also the zero bucket and one native_store.h directory
 * word per side. */
#define PROMC_HW_SEQ          0u
#define PROMC_HW_BUCKET(i)    (1u + (uint32_t)(i))
#define PROMC_HW_SUM(nb)      (2u + (uint32_t)(nb))
#define PROMC_HW_ZERO(nb)     (3u + (uint32_t)(nb))
#define PROMC_HW_DIR(nb, neg) (4u + (uint32_t)(nb) + (uint32_t)(neg))
/* Words a child of this family needs in the shard space. */
uint32_t promc__family_words(const promc_family *f);
/* Creates the family's children machinery and its handle child. */
int promc__family_init(promc_family *f);
void promc__family_free(promc_family *f);
/* Does child c hold exactly these n values? Never reads past its slot or the values. */
bool promc__values_equal(const promc_child *c, const char *const *values, size_t n);
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
/* Frees what a child owns besides its slot (words, native buckets and state, summary state,
 * exemplars). */
void promc__child_release(promc_family *f, promc_child *c);
/* Frees limbo and slabs, for promc__family_free. */
void promc__lifecycle_free(promc_family *f);
/* family.c: unpublishes c (index, list, live bit) into limbo. */
void promc__child_unpublish(promc_family *f, promc_child *c);
void promc__index_free(child_index *ix);
/* The TTL clock in seconds (monotonic, or promc__ttl_clock's), also the native histograms'
 * reset clock. */
double promc__ttl_now(void);
/* The TTL clock in centiseconds, wrapping (differences are taken modulo 2^32). */
uint32_t promc__ttl_now_cs(void);

/* labels()/labelsv() of every type: checks the handle's type, then promc__child_get. The result
 * is a handle: cast it, never dereference it. */
promc_child *promc__labels(promc_child *h, promc_type type, const char *const *values);
/* labelsn() of every type: n values, which must be the family's number of label names. */
promc_child *promc__labels_n(promc_child *h, promc_type type, size_t n, const char *const *values);
/* Exemplars of a child (exemplar.h's two steps): slot 0 for counters, the bucket for
 * histograms. */
int promc__child_exemplar_prepare(promc_child *c, const char *const *labels, char **rendered);
void promc__child_exemplar_store(promc_child *c, size_t slot, double value, char *rendered);

/* Splits a child's NUL-separated values into out[nlabels]. */
void promc__child_values(const promc_family *f, const promc_child *c, const char **out);

#endif /* PROMC_FAMILY_H */
