/* info_enum.c -- info metrics (name_info{...} 1) and enums (OpenMetrics statesets).
 *
 * An info metric with label names keeps one child: setting new values replaces it in place in
 * the family's list (family.c: promc__child_replace), so a scrape sees one or the other, and the
 * old child is reclaimed like a removed one. An enum child stores the index of its current
 * state in u.gauge_bits; enum_set checks the handle's generation inside a section.
 */
#include "metric.h"

#include <stdatomic.h>
#include <string.h>

promc_info *promc_info_new(promc_registry *reg, const char *name, const char *help,
                           const char *const *labels) {
    promc_spec spec = {.type = PROMC_INFO, .name = name, .help = help, .labels = labels};
    return (promc_info *)promc__register(reg, &spec);
}

int promc_info_set(promc_info *i, const char *const *values) {
    promc_child *c = promc__handle_child(i);
    if (!c)
        return promc__seterr(i ? PROMC_ENOTFOUND : PROMC_EINVAL, "info_set: no metric");
    promc_family *f = c->family;
    if (f->type != PROMC_INFO)
        return promc__seterr(PROMC_EINVAL, "info_set: %s is not an info metric", f->name);
    if (f->nlabels == 0)
        return 0; /* nothing to set: exported as name_info 1 */
    return promc__child_replace(f, values);
}

promc_enum *promc_enum_new(promc_registry *reg, const char *name, const char *help,
                           const char *const *labels, const char *const *states) {
    promc_spec spec = {
        .type = PROMC_STATESET, .name = name, .help = help, .labels = labels, .states = states};
    return (promc_enum *)promc__register(reg, &spec);
}

promc_enum *promc_enum_labelsv(promc_enum *e, const char *const *values) {
    return (promc_enum *)promc__labels(promc__hchild(e), PROMC_STATESET, values);
}

promc_enum *promc_enum_labelsn(promc_enum *e, size_t n, const char *const *values) {
    return (promc_enum *)promc__labels_n(promc__hchild(e), PROMC_STATESET, n, values);
}

int promc_enum_set(promc_enum *e, size_t state) {
    promc_child *c = promc__hchild(e);
    if (!c || c->is_parent)
        return promc__seterr(PROMC_ESTATE, "enum_set: labelled parent or NULL; use labels()");
    if (state >= c->family->nstates)
        return promc__seterr(PROMC_EINVAL, "%s: no state %zu", c->family->name, state);
    promc_arena *a = promc__arena();
    if (!a)
        return promc__seterr(PROMC_ENOMEM, "out of memory");
    uint64_t sec = promc__enter(a);
    bool live = promc__hlive(c, e);
    if (live) {
        atomic_store_explicit(&c->u.gauge_bits, state, memory_order_relaxed);
        promc__touch(c);
    }
    promc__leave(a, sec);
    return live ? 0 : promc__seterr(PROMC_ENOTFOUND, "enum_set: stale handle, series removed");
}

int promc_enum_set_name(promc_enum *e, const char *state) {
    promc_child *c = promc__hchild(e);
    if (!c || !state)
        return promc__seterr(PROMC_EINVAL, "enum_set_name: no metric or state");
    for (size_t i = 0; i < c->family->nstates; i++)
        if (strcmp(c->family->states[i], state) == 0)
            return promc_enum_set(e, i);
    return promc__seterr(PROMC_EINVAL, "%s: no state \"%s\"", c->family->name, state);
}
