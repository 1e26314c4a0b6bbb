/* counter.c -- counters: monotonic sums kept in per-thread words, with an integer fast path.
 *
 * Word 0 of a child holds whole increments as an integer, word 1 the rest as a double, both in
 * the calling thread's own arena; a scrape adds them up over all arenas (promc__counter_read).
 * An update runs inside the thread's section (promc__enter) and checks the handle's generation
 * there, so a stale handle changes nothing and the words cannot be reused under it.
 */
#include "metric.h"

#include <stdatomic.h>
#include <stdlib.h>

#define TWO_POW_53 9007199254740992.0

/* The child a handle names, or NULL when the handle is NULL or stale (last error set). */
static promc_child *as_child(promc_counter *c) {
    return promc__handle_child(c);
}

promc_counter *promc_counter_new(promc_registry *reg, const char *name, const char *help,
                                 const char *const *labels) {
    promc_spec spec = {.type = PROMC_COUNTER, .name = name, .help = help, .labels = labels};
    return (promc_counter *)promc__register(reg, &spec);
}

promc_counter *promc_counter_labelsv(promc_counter *c, const char *const *values) {
    return (promc_counter *)promc__labels(as_child(c), PROMC_COUNTER, values);
}

promc_counter *promc_counter_labelsn(promc_counter *c, size_t n, const char *const *values) {
    return (promc_counter *)promc__labels_n(as_child(c), PROMC_COUNTER, n, values);
}

/* Everything rare: no arena yet, a block not touched yet, a NULL, parent or stale handle. */
__attribute__((noinline, cold)) static int counter_slow(promc_counter *h, double v, bool inc) {
    promc_child *c = promc__hchild(h);
    if (!c)
        return promc__seterr(PROMC_ESTATE, "counter: NULL handle");
    promc_arena *a = promc__arena();
    if (!a)
        return promc__seterr(PROMC_ENOMEM, "out of memory for a thread's counters");
    uint64_t sec = promc__enter(a);
    int rc = 0;
    if (!promc__hlive(c, h))
        rc = promc__seterr(PROMC_ENOTFOUND, "counter: stale handle, its series was removed");
    else if (c->words == UINT32_MAX)
        rc = promc__seterr(PROMC_ESTATE, "counter: labelled parent; use labels()");
    promc_word *w = rc == 0 ? promc__word_local(c->words) : NULL;
    if (rc == 0 && !w)
        rc = promc__seterr(PROMC_ENOMEM, "out of memory for a thread's counters");
    if (rc == 0) {
        if (inc || (v < TWO_POW_53 && v == (double)(uint64_t)v))
            promc__word_add_u64(&w[0], inc ? 1 : (uint64_t)v);
        else
            promc__word_add_double(&w[1], v);
        promc__touch(c);
    }
    promc__leave(a, sec);
    return rc;
}

/* The fast path: the handle decoded with one AND, checked against the slot's life inside the
 * section, the thread's block found; anything else goes to counter_slow. */
static inline int counter_update(promc_counter *h, double v, bool inc) {
    promc_child *c = promc__hchild(h);
    promc_arena *a = promc__tls_arena;
    if (__builtin_expect(!c || !a, 0))
        return counter_slow(h, v, inc);
    uint64_t sec = promc__enter(a);
    promc_word *b = NULL;
    if (__builtin_expect(promc__hupdatable(c, h), 1))
        b = atomic_load_explicit(&a->blocks[c->words / PROMC_BLOCK_WORDS], memory_order_relaxed);
    if (__builtin_expect(b == NULL, 0)) {
        promc__leave(a, sec);
        return counter_slow(h, v, inc);
    }
    promc_word *w = &b[c->words % PROMC_BLOCK_WORDS];
    if (inc || (v < TWO_POW_53 && v == (double)(uint64_t)v))
        promc__word_add_u64(&w[0], inc ? 1 : (uint64_t)v);
    else
        promc__word_add_double(&w[1], v);
    promc__touch(c);
    promc__leave(a, sec);
    return 0;
}

int promc_counter_add(promc_counter *h, double v) {
    if (!(v >= 0)) {
        promc_child *c = promc__hchild(h);
        return promc__seterr(PROMC_EINVAL, "%s: counters only go up (got %g)",
                             c ? c->family->name : "counter", v);
    }
    return counter_update(h, v, false);
}

int promc_counter_inc(promc_counter *h) {
    return counter_update(h, 1, true);
}

int promc_counter_add_exemplar(promc_counter *h, double v, const char *const *exemplar_labels) {
    promc_child *c = as_child(h);
    if (!c) /* NULL, or stale: promc__handle_child said which */
        return h ? promc_last_error() : promc__seterr(PROMC_ESTATE, "counter_add: NULL handle");
    /* is_parent, not words: a child's words are released when it is reclaimed, and this runs
     * outside a section (the prepare step checks the child is still the decoded one). */
    if (c->is_parent)
        return promc__seterr(PROMC_ESTATE, "counter_add: labelled parent; use labels()");
    char *rendered;
    int rc = promc__child_exemplar_prepare(c, exemplar_labels, &rendered);
    if (rc == 0 && (rc = promc_counter_add(h, v)) != 0)
        free(rendered);
    if (rc == 0)
        promc__child_exemplar_store(c, 0, v, rendered);
    return rc;
}

typedef struct counter_sum {
    uint64_t whole;
    double rest;
} counter_sum;

static void add_counter_words(promc_word *w, bool orphan, void *arg) {
    (void)orphan; /* counter words are single stores: nothing half-done to repair */
    counter_sum *sum = arg;
    sum->whole += atomic_load_explicit(&w[0], memory_order_relaxed);
    sum->rest += promc__u2d(atomic_load_explicit(&w[1], memory_order_relaxed));
}

double promc__counter_read(const promc_child *c) {
    if (c->words == UINT32_MAX)
        return 0;
    counter_sum sum = {0, 0};
    promc__words_foreach(c->words, add_counter_words, &sum);
    return (double)sum.whole + sum.rest;
}

double promc_counter_value(promc_counter *h) {
    promc_child *c = promc__hchild(h);
    promc_arena *a = c ? promc__arena() : NULL;
    if (!a)
        return 0;
    uint64_t sec = promc__enter(a);
    double v = promc__hlive(c, h) ? promc__counter_read(c) : 0;
    promc__leave(a, sec);
    return v;
}
