/* gauge.c -- gauges: one atomic double per child, since set() must be last-writer-wins.
 *
 * An update runs inside the thread's section and checks the handle's generation there (see
 * counter.c), so a stale handle changes nothing, even once its slot holds another child.
 */
#include "metric.h"

#include <stdatomic.h>
#include <time.h>

/* The child a handle names, or NULL when the handle is NULL or stale (last error set). */
static promc_child *as_child(promc_gauge *g) {
    return promc__handle_child(g);
}

promc_gauge *promc_gauge_new(promc_registry *reg, const char *name, const char *help,
                             const char *const *labels) {
    promc_spec spec = {.type = PROMC_GAUGE, .name = name, .help = help, .labels = labels};
    return (promc_gauge *)promc__register(reg, &spec);
}

promc_gauge *promc_gauge_labelsv(promc_gauge *g, const char *const *values) {
    return (promc_gauge *)promc__labels(as_child(g), PROMC_GAUGE, values);
}

promc_gauge *promc_gauge_labelsn(promc_gauge *g, size_t n, const char *const *values) {
    return (promc_gauge *)promc__labels_n(as_child(g), PROMC_GAUGE, n, values);
}

/* Enters the section and checks the handle: the child, or NULL with *rc set. */
static inline promc_child *gauge_enter(promc_gauge *h, promc_arena **a, uint64_t *sec, int *rc) {
    promc_child *c = promc__hchild(h);
    *a = c ? promc__arena() : NULL;
    if (__builtin_expect(!*a, 0)) {
        *rc = c ? promc__seterr(PROMC_ENOMEM, "out of memory")
                : promc__seterr(PROMC_ESTATE, "gauge: NULL handle");
        return NULL;
    }
    *sec = promc__enter(*a);
    if (__builtin_expect(promc__hupdatable(c, h), 1))
        return c;
    promc__leave(*a, *sec);
    *rc = c->is_parent ? promc__seterr(PROMC_ESTATE, "gauge: labelled parent; use labels()")
                       : promc__seterr(PROMC_ENOTFOUND, "gauge: stale handle, series removed");
    return NULL;
}

int promc_gauge_set(promc_gauge *h, double v) {
    promc_arena *a;
    uint64_t sec;
    int rc = 0;
    promc_child *c = gauge_enter(h, &a, &sec, &rc);
    if (!c)
        return rc;
    atomic_store_explicit(&c->u.gauge_bits, promc__d2u(v), memory_order_relaxed);
    promc__touch(c);
    promc__leave(a, sec);
    return 0;
}

int promc_gauge_add(promc_gauge *h, double v) {
    promc_arena *a;
    uint64_t sec;
    int rc = 0;
    promc_child *c = gauge_enter(h, &a, &sec, &rc);
    if (!c)
        return rc;
    uint64_t old = atomic_load_explicit(&c->u.gauge_bits, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(&c->u.gauge_bits, &old,
                                                  promc__d2u(promc__u2d(old) + v),
                                                  memory_order_relaxed, memory_order_relaxed))
        ;
    promc__touch(c);
    promc__leave(a, sec);
    return 0;
}

int promc_gauge_sub(promc_gauge *g, double v) {
    return promc_gauge_add(g, -v);
}
int promc_gauge_inc(promc_gauge *g) {
    return promc_gauge_add(g, 1);
}
int promc_gauge_dec(promc_gauge *g) {
    return promc_gauge_add(g, -1);
}

int promc_gauge_set_to_current_time(promc_gauge *g) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return promc_gauge_set(g, (double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

double promc_gauge_value(promc_gauge *g) {
    promc_arena *a;
    uint64_t sec;
    int rc = 0;
    promc_child *c = gauge_enter(g, &a, &sec, &rc);
    if (!c)
        return 0;
    double v = promc__u2d(atomic_load_explicit(&c->u.gauge_bits, memory_order_relaxed));
    promc__leave(a, sec);
    return v;
}
