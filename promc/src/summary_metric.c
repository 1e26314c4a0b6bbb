/* summary_metric.c -- the public summary calls; the sliding-window estimator is summary.c. */
#include "metric.h"

static promc_child *as_child(promc_summary *s) {
    return (promc_child *)s;
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
    promc_child *c = as_child(h);
    if (__builtin_expect(!c || c->is_parent, 0))
        return promc__seterr(PROMC_ESTATE, "summary_observe: labelled parent or NULL");
    if (__builtin_expect(v != v, 0))
        return promc__seterr(PROMC_EINVAL, "%s: cannot observe NaN", c->family->name);
    return promc__summary_observe(c->u.summary, v);
}

int promc_summary_snapshot(promc_summary *h, double *values, size_t n, double *sum,
                           uint64_t *count) {
    promc_child *c = as_child(h);
    if (!c || c->is_parent)
        return promc__seterr(PROMC_ESTATE, "summary_snapshot: labelled parent or NULL");
    double local[PROMC_MAX_QUANTILES];
    double s;
    uint64_t k;
    promc__summary_read(c->u.summary, local, &s, &k);
    for (size_t i = 0; values && i < n && i < c->family->nquantiles; i++)
        values[i] = local[i];
    if (sum)
        *sum = s;
    if (count)
        *count = k;
    return 0;
}
