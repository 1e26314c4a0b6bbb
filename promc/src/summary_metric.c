/* summary_metric.c -- the public summary calls; the sliding-window estimator is summary.c.
 * Observations and snapshots run inside the thread's section and check the handle's generation
 * there (see counter.c): the summary state of a removed child is freed only after them. */
#include "metric.h"

#include <stdarg.h>

/* The child a handle names, or NULL when the handle is NULL or stale (last error set). */
static promc_child *as_child(promc_summary *s) {
    return promc__handle_child(s);
}

/* Enters the section and checks the handle: the child, or NULL with *rc set. */
static promc_child *summary_enter(promc_summary *h, promc_arena **a, uint64_t *sec, int *rc) {
    promc_child *c = promc__hchild(h);
    *a = c ? promc__arena() : NULL;
    if (__builtin_expect(!*a, 0)) {
        *rc = c ? promc__seterr(PROMC_ENOMEM, "out of memory")
                : promc__seterr(PROMC_ESTATE, "summary: NULL handle");
        return NULL;
    }
    *sec = promc__enter(*a);
    if (__builtin_expect(promc__hupdatable(c, h), 1))
        return c;
    promc__leave(*a, *sec);
    *rc = c->is_parent ? promc__seterr(PROMC_ESTATE, "summary: labelled parent; use labels()")
                       : promc__seterr(PROMC_ENOTFOUND, "summary: stale handle, series removed");
    return NULL;
}

promc_summary *promc_summary_new(promc_registry *reg, const char *name, const char *help,
                                 const char *const *labels, const promc_quantile *quantiles,
                                 size_t nquantiles, double max_age, int age_buckets) {
    promc_spec spec = {.type = PROMC_SUMMARY,
                       .name = name,
                       .help = help,
                       .labels = labels,
                       .quantiles = quantiles,
                       .nquantiles = quantiles ? nquantiles : 0,
                       .max_age = max_age > 0 ? max_age : 600,
                       .age_buckets = age_buckets > 0 ? age_buckets : 5};
    return (promc_summary *)promc__register(reg, &spec);
}

promc_summary *promc_summary_labelsv(promc_summary *s, const char *const *values) {
    return (promc_summary *)promc__labels(as_child(s), PROMC_SUMMARY, values);
}

promc_summary *promc_summary_labelsn(promc_summary *s, size_t n, const char *const *values) {
    return (promc_summary *)promc__labels_n(as_child(s), PROMC_SUMMARY, n, values);
}

int promc_summary_observe(promc_summary *h, double v) {
    promc_arena *a;
    uint64_t sec;
    int rc = 0;
    promc_child *c = summary_enter(h, &a, &sec, &rc);
    if (!c)
        return rc;
    if (__builtin_expect(v != v, 0))
        rc = promc__seterr(PROMC_EINVAL, "%s: cannot observe NaN", c->family->name);
    else if ((rc = promc__summary_observe(c->u.summary, v)) == 0)
        promc__touch(c);
    promc__leave(a, sec);
    return rc;
}

int promc_summary_snapshot(promc_summary *h, double *values, size_t n, double *sum,
                           uint64_t *count) {
    promc_arena *a;
    uint64_t sec;
    int rc = 0;
    promc_child *c = summary_enter(h, &a, &sec, &rc);
    if (!c)
        return rc;
    double local[PROMC_MAX_QUANTILES];
    double s;
    uint64_t k;
    promc__summary_read(c->u.summary, local, &s, &k);
    promc__leave(a, sec);
    for (size_t i = 0; values && i < n && i < c->family->nquantiles; i++)
        values[i] = local[i];
    if (sum)
        *sum = s;
    if (count)
        *count = k;
    return 0;
}
