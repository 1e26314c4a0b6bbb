/* walk.c -- the registry walk shared by the exposition formats (see walk.h).
 *
 * Families come sorted by name, each family's children in insertion order, then the
 * collectors' families in registration order. Children are walked without the family lock,
 * inside the scraping thread's section (see shard.h), so none of them is reclaimed under the
 * walk; before the walk, each family gets its TTL sweep and limbo poll (lifecycle.c), which drop
 * expired children. Among the registered families, in their sorted place, come promc's own
 * counters of dropped series (promc_series_expired_total, promc_series_overflow_total, one
 * series per family with a TTL / a limit).
 *
 * The walk allocates nothing per series: one view, label-value and count arrays on the stack,
 * native-bucket scratch reused across the scrape.
 */
#include "walk.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Scratch a walk reads children into, reused for every child. */
typedef struct walk_scratch {
    const char *values[PROMC_MAX_LABELS];
    uint64_t counts[PROMC_MAX_BUCKETS + 1];
    double quantiles[PROMC_MAX_QUANTILES];
    promc_native_scratch native;
    promc_native_view native_view;
} walk_scratch;

/* Reads one child into a view. Call inside a section. */
static void read_child(const promc_family *f, const promc_child *c, promc_series_view *s,
                       walk_scratch *w) {
    *s = (promc_series_view){.label_values = w->values, .created = c->created};
    if (f->nlabels > 0)
        promc__child_values(f, c, w->values);
    switch (f->type) {
    case PROMC_COUNTER:
        s->value = promc__counter_read(c);
        s->exemplars = atomic_load_explicit(&c->exemplars, memory_order_acquire);
        break;
    case PROMC_HISTOGRAM:
        s->sum =
            promc__histogram_read_native(c, w->counts, &w->native, &w->native_view, &s->native);
        if (s->native && s->native->created > 0) /* a native reset restarted the series */
            s->created = s->native->created;
        s->bucket_counts = w->counts;
        s->exemplars = atomic_load_explicit(&c->exemplars, memory_order_acquire);
        break;
    case PROMC_SUMMARY:
        promc__summary_read(c->u.summary, w->quantiles, &s->sum, &s->count);
        s->quantile_values = w->quantiles;
        break;
    case PROMC_STATESET:
        s->state = (size_t)atomic_load_explicit(&c->u.gauge_bits, memory_order_relaxed);
        break;
    case PROMC_INFO:
        s->value = 1;
        break;
    case PROMC_GAUGE:
    case PROMC_UNTYPED:
    default:
        s->value = promc__u2d(atomic_load_explicit(&c->u.gauge_bits, memory_order_relaxed));
        break;
    }
}

static int walk_family(const promc_collect_sink *sink, promc_family *f, walk_scratch *w) {
    sink->family(sink->arg, f);
    promc_arena *a = promc__arena();
    if (!a)
        return promc__seterr(PROMC_ENOMEM, "out of memory rendering metrics");
    uint64_t sec = promc__enter(a);
    PROMC_FOREACH_CHILD(f, c) {
        if (c->is_parent)
            continue;
        promc_series_view s;
        read_child(f, c, &s, w);
        sink->series(sink->arg, f, &s);
    }
    promc__leave(a, sec);
    return 0;
}

/* promc_series_expired_total / promc_series_overflow_total: one counter family each, present
 * once some family has had a TTL / a limit, unless a registered family has the name. */
static const struct {
    const char *name, *help;
    unsigned flag;
} drop_kinds[] = {
    {"promc_series_expired", "Series promc dropped because their TTL expired.", PROMC_HAS_TTL},
    {"promc_series_overflow",
     "labels() calls for new series refused or sent to the overflow series by a cardinality "
     "limit.",
     PROMC_HAS_LIMIT},
};
#define NDROP_KINDS (sizeof drop_kinds / sizeof drop_kinds[0])

static void walk_drop_counter(const promc_collect_sink *sink, size_t k, promc_family **fams,
                              size_t n) {
    static const char *const label_names[] = {"family", NULL};
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        any |= (atomic_load_explicit(&fams[i]->lifecycle_flags, memory_order_relaxed) &
                drop_kinds[k].flag) != 0;
        if (strcmp(fams[i]->name, drop_kinds[k].name) == 0)
            return; /* a registered family of that name takes precedence */
    }
    if (!any)
        return;
    promc_family view = {.name = (char *)drop_kinds[k].name,
                         .help = (char *)drop_kinds[k].help,
                         .type = PROMC_COUNTER,
                         .nlabels = 1,
                         .label_names = (char **)label_names};
    sink->family(sink->arg, &view);
    for (size_t i = 0; i < n; i++) {
        if (!(atomic_load_explicit(&fams[i]->lifecycle_flags, memory_order_relaxed) &
              drop_kinds[k].flag))
            continue;
        const char *value[1] = {fams[i]->name};
        _Atomic uint64_t *total = drop_kinds[k].flag == PROMC_HAS_TTL ? &fams[i]->expired_total
                                                                      : &fams[i]->overflow_total;
        promc_series_view s = {.label_values = value,
                               .value = (double)atomic_load_explicit(total, memory_order_relaxed)};
        sink->series(sink->arg, &view, &s);
    }
}

static int by_name(const void *a, const void *b) {
    const promc_family *fa = *(promc_family *const *)a, *fb = *(promc_family *const *)b;
    return strcmp(fa->name, fb->name);
}

int promc__walk_registry(promc_registry *reg, const promc_collect_sink *sink) {
    /* Families are never freed before their registry, so a snapshot of the list taken under
     * the lock can be walked without it: concurrent scrapes and registrations proceed. */
    pthread_mutex_lock(&reg->lock);
    size_t n = reg->nfamilies;
    promc_family **fams = malloc((n ? n : 1) * sizeof *fams);
    if (fams && n)
        memcpy(fams, reg->families, n * sizeof *fams);
    pthread_mutex_unlock(&reg->lock);
    walk_scratch *w = calloc(1, sizeof *w);
    if (!fams || !w) {
        free(fams);
        free(w);
        return promc__seterr(PROMC_ENOMEM, "out of memory rendering metrics");
    }
    qsort(fams, n, sizeof *fams, by_name);
    /* TTL sweeps first, so the drop counters, wherever they sort, count this scrape's */
    for (size_t i = 0; i < n; i++)
        promc__family_maintain(fams[i]);
    int rc = 0;
    size_t k = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        for (; k < NDROP_KINDS && strcmp(drop_kinds[k].name, fams[i]->name) < 0; k++)
            walk_drop_counter(sink, k, fams, n);
        rc = walk_family(sink, fams[i], w);
    }
    for (; k < NDROP_KINDS && rc == 0; k++)
        walk_drop_counter(sink, k, fams, n);
    free(fams);
    promc__native_scratch_free(&w->native);
    free(w);
    if (rc != 0)
        return rc;

    /* Collectors walk reg->collectors, which registration changes: under the lock. A failing
     * collector costs its own families only, so its error does not fail the scrape. */
    pthread_mutex_lock(&reg->lock);
    (void)promc__collectors_run(reg, sink);
    pthread_mutex_unlock(&reg->lock);
    return 0;
}
