/* counter.c -- counters: monotonic sums kept in per-thread words, with an integer fast path.
 *
 * Word 0 of a child holds whole increments as an integer, word 1 the rest as a double, both in
 * the calling thread's own arena; a scrape adds them up over all arenas (promc__counter_read).
 */
#include "metric.h"

#include <stdatomic.h>
#include <stdlib.h>

#define TWO_POW_53 9007199254740992.0

static promc_child *as_child(promc_counter *c) {
    return (promc_child *)c;
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

int promc_counter_add(promc_counter *h, double v) {
    promc_child *c = as_child(h);
    if (__builtin_expect(!c || c->words == UINT32_MAX, 0))
        return promc__seterr(PROMC_ESTATE, "counter_add: labelled parent or NULL; use labels()");
    if (!(v >= 0))
        return promc__seterr(PROMC_EINVAL, "%s: counters only go up (got %g)", c->family->name, v);
    promc_word *w = promc__word_local(c->words);
    if (__builtin_expect(!w, 0))
        return promc__seterr(PROMC_ENOMEM, "out of memory for a thread's counters");
    if (v < TWO_POW_53 && v == (double)(uint64_t)v)
        promc__word_add_u64(&w[0], (uint64_t)v);
    else
        promc__word_add_double(&w[1], v);
    return 0;
}

int promc_counter_inc(promc_counter *h) {
    promc_child *c = as_child(h);
    if (__builtin_expect(!c || c->words == UINT32_MAX, 0))
        return promc__seterr(PROMC_ESTATE, "counter_inc: labelled parent or NULL; use labels()");
    promc_word *w = promc__word_local(c->words);
    if (__builtin_expect(!w, 0))
        return promc__seterr(PROMC_ENOMEM, "out of memory for a thread's counters");
    promc__word_add_u64(w, 1);
    return 0;
}

int promc_counter_add_exemplar(promc_counter *h, double v, const char *const *exemplar_labels) {
    promc_child *c = as_child(h);
    if (!c || c->words == UINT32_MAX)
        return promc__seterr(PROMC_ESTATE, "counter_add: labelled parent or NULL; use labels()");
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

static void add_counter_words(const promc_word *w, void *arg) {
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

double promc_counter_value(promc_counter *c) {
    return c ? promc__counter_read(as_child(c)) : 0;
}
