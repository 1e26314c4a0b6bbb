/* family.h -- metric families and their children (family.c): one child per set of label
 * values, kept in insertion order, with an open-addressing index for lock-free lookup. An
 * unlabelled family has exactly one child, which is also the handle the user holds. Depends on
 * the value layers (shard.h, summary.h, exemplar.h). Never installed.
 */
#ifndef PROMC_FAMILY_H
#define PROMC_FAMILY_H

#include "exemplar.h"
#include "shard.h"
#include "summary.h"

#include <pthread.h>
#include <stdatomic.h>

typedef struct promc_family promc_family;
typedef struct promc_child promc_child;

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
/* Exemplars of a child (exemplar.h's two steps): slot 0 for counters, the bucket for
 * histograms. */
int promc__child_exemplar_prepare(promc_child *c, const char *const *labels, char **rendered);
void promc__child_exemplar_store(promc_child *c, size_t slot, double value, char *rendered);

/* Splits a child's NUL-separated values into out[nlabels]. */
void promc__child_values(const promc_family *f, const promc_child *c, const char **out);

#endif /* PROMC_FAMILY_H */
