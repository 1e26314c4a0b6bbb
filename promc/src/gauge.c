/* gauge.c -- gauges: one atomic double per child, since set() must be last-writer-wins. */
#include "metric.h"

#include <stdatomic.h>
#include <time.h>

static promc_child *as_child(promc_gauge *g) {
    return (promc_child *)g;
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

static int updatable(const promc_child *c) {
    if (__builtin_expect(!c || c->is_parent, 0))
        return promc__seterr(PROMC_ESTATE, "gauge: labelled parent or NULL; use labels()");
    return 0;
}

int promc_gauge_set(promc_gauge *h, double v) {
    promc_child *c = as_child(h);
    int rc = updatable(c);
    if (rc == 0)
        atomic_store_explicit(&c->u.gauge_bits, promc__d2u(v), memory_order_relaxed);
    return rc;
}

int promc_gauge_add(promc_gauge *h, double v) {
    promc_child *c = as_child(h);
    int rc = updatable(c);
    if (rc != 0)
        return rc;
    uint64_t old = atomic_load_explicit(&c->u.gauge_bits, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(&c->u.gauge_bits, &old,
                                                  promc__d2u(promc__u2d(old) + v),
                                                  memory_order_relaxed, memory_order_relaxed))
        ;
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
    promc_child *c = as_child(g);
    if (!c || c->is_parent)
        return 0;
    return promc__u2d(atomic_load_explicit(&c->u.gauge_bits, memory_order_relaxed));
}
