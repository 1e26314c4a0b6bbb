/* render.c -- the text exposition formats: Prometheus 0.0.4 and OpenMetrics 1.0.
 *
 * promc_render() walks a registry: families sorted by name, each family's children in
 * insertion order, then the collectors' families in registration order, then "# EOF" for
 * OpenMetrics. Names follow client_python, whose output the workshop's queries were written
 * against: a counter family "hello" is "hello_total" in both formats (TYPE line included in
 * 0.0.4), an info family "build" is "build_info", and OpenMetrics adds "_created" samples,
 * "# UNIT" lines and exemplars, which the 0.0.4 format has no place for. OpenMetrics also
 * forbids a few values 0.0.4 carries (a negative or NaN summary _sum, negative quantiles, a
 * histogram _sum beside negative buckets): those samples are left out of it alone.
 *
 * Children are walked without the family lock, inside the scraping thread's section (see
 * shard.h), so none of them is reclaimed under the walk; before the walk, each family
 * gets its TTL sweep and limbo poll (lifecycle.c), which drop expired children. After the
 * registered families come promc's own counters of dropped series (promc_series_expired_total,
 * promc_series_overflow_total, one series per family with a TTL / a limit).
 *
 * The renderer allocates nothing per series: each series' escaped label set is written once
 * into the output and copied from there for its other lines (a histogram has nbuckets + 3),
 * and numbers are formatted straight into the buffer (fmt.c).
 */
#include "metric.h"
#include "render.h"

#include <stdatomic.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ---- Small writers ----------------------------------------------------------------------- */

static inline void put_str(promc_buf *b, const char *s) {
    promc__buf_put(b, s, strlen(s));
}

static inline void put_double(promc_buf *b, double v) {
    promc__buf_reserve(b, 32);
    if (!b->failed)
        b->len += promc__fmt_double(b->data + b->len, v);
}

static inline void put_u64(promc_buf *b, uint64_t v) {
    promc__buf_reserve(b, 24);
    if (!b->failed)
        b->len += promc__fmt_u64(b->data + b->len, v);
}

/* ---- Header ------------------------------------------------------------------------------ */

static const char *type_word(promc_format fmt, promc_type t) {
    bool om = fmt == PROMC_FORMAT_OPENMETRICS;
    switch (t) {
    case PROMC_COUNTER:
        return "counter";
    case PROMC_GAUGE:
        return "gauge";
    case PROMC_HISTOGRAM:
        return "histogram";
    case PROMC_SUMMARY:
        return "summary";
    case PROMC_INFO:
        return om ? "info" : "gauge";
    case PROMC_STATESET:
        return om ? "stateset" : "gauge";
    case PROMC_UNTYPED:
    default:
        return om ? "unknown" : "untyped";
    }
}

/* The name on TYPE/HELP lines: OpenMetrics names the family, 0.0.4 names the series. */
static void put_meta_name(promc_buf *out, promc_format fmt, const promc_family *f) {
    put_str(out, f->name);
    if (fmt == PROMC_FORMAT_TEXT && f->type == PROMC_COUNTER)
        promc__buf_put(out, "_total", 6);
    else if (fmt == PROMC_FORMAT_TEXT && f->type == PROMC_INFO)
        promc__buf_put(out, "_info", 5);
}

void promc__render_family_header(promc_buf *out, promc_format fmt, const promc_family *f) {
    bool has_help = f->help && *f->help;
    if (fmt == PROMC_FORMAT_OPENMETRICS) {
        /* OpenMetrics: TYPE, UNIT, HELP in that order; an empty HELP or UNIT is left out,
         * which the spec treats the same as an empty one. */
        promc__buf_put(out, "# TYPE ", 7);
        put_meta_name(out, fmt, f);
        promc__buf_putc(out, ' ');
        put_str(out, type_word(fmt, f->type));
        promc__buf_putc(out, '\n');
        if (f->unit && *f->unit) {
            promc__buf_put(out, "# UNIT ", 7);
            put_meta_name(out, fmt, f);
            promc__buf_putc(out, ' ');
            put_str(out, f->unit);
            promc__buf_putc(out, '\n');
        }
        if (has_help) {
            promc__buf_put(out, "# HELP ", 7);
            put_meta_name(out, fmt, f);
            promc__buf_putc(out, ' ');
            promc__put_escaped_help_om(out, f->help);
            promc__buf_putc(out, '\n');
        }
        return;
    }
    if (has_help) {
        promc__buf_put(out, "# HELP ", 7);
        put_meta_name(out, fmt, f);
        promc__buf_putc(out, ' ');
        promc__put_escaped_help(out, f->help);
        promc__buf_putc(out, '\n');
    }
    promc__buf_put(out, "# TYPE ", 7);
    put_meta_name(out, fmt, f);
    promc__buf_putc(out, ' ');
    put_str(out, type_word(fmt, f->type));
    promc__buf_putc(out, '\n');
}

/* ---- Series ------------------------------------------------------------------------------ */

/* One series being rendered: where its escaped label set sits in the output, once written. */
typedef struct series_ctx {
    promc_buf *out;
    const promc_family *f;
    const promc_series_view *s;
    size_t name_len;
    size_t labels_off, labels_len;
    bool labels_done;
} series_ctx;

static void put_base_labels(series_ctx *sc) {
    promc_buf *out = sc->out;
    if (sc->labels_done) {
        /* Copy from earlier in the same buffer: reserve first, as that may move it. */
        promc__buf_reserve(out, sc->labels_len);
        if (out->failed)
            return;
        memcpy(out->data + out->len, out->data + sc->labels_off, sc->labels_len);
        out->len += sc->labels_len;
        return;
    }
    sc->labels_off = out->len;
    for (size_t i = 0; i < sc->f->nlabels; i++) {
        if (i > 0)
            promc__buf_putc(out, ',');
        put_str(out, sc->f->label_names[i]);
        promc__buf_put(out, "=\"", 2);
        promc__put_escaped_label(out, sc->s->label_values[i]);
        promc__buf_putc(out, '"');
    }
    sc->labels_len = out->len - sc->labels_off;
    sc->labels_done = !out->failed;
}

/* Writes `name<suffix>{labels[,extra="value"]} `; extra NULL for none. The extra value is
 * escaped only when asked (le and quantile values never need it). */
static void put_sample_start(series_ctx *sc, const char *suffix, size_t suffix_len,
                             const char *extra, const char *extra_value, size_t extra_len,
                             bool escape_extra) {
    promc_buf *out = sc->out;
    promc__buf_put(out, sc->f->name, sc->name_len);
    promc__buf_put(out, suffix, suffix_len);
    if (sc->f->nlabels > 0 || extra) {
        promc__buf_putc(out, '{');
        if (sc->f->nlabels > 0)
            put_base_labels(sc);
        if (extra) {
            if (sc->f->nlabels > 0)
                promc__buf_putc(out, ',');
            put_str(out, extra);
            promc__buf_put(out, "=\"", 2);
            if (escape_extra)
                promc__put_escaped_label(out, extra_value);
            else
                promc__buf_put(out, extra_value, extra_len);
            promc__buf_putc(out, '"');
        }
        promc__buf_putc(out, '}');
    }
    promc__buf_putc(out, ' ');
}

#define SUFFIX(s) s, sizeof(s) - 1

/* An exemplar slot as " # {labels} value timestamp"; nothing for an empty slot. Caller
 * holds the exemplar lock. */
static void put_exemplar(promc_buf *out, const promc_exemplar *e) {
    if (!e->labels)
        return;
    promc__buf_put(out, " # {", 4);
    put_str(out, e->labels);
    promc__buf_put(out, "} ", 2);
    put_double(out, e->value);
    if (e->timestamp != 0) {
        promc__buf_putc(out, ' ');
        put_double(out, e->timestamp);
    }
}

static void lock_exemplars(const promc_exemplars *ex) {
    pthread_mutex_lock((pthread_mutex_t *)&ex->lock);
}
static void unlock_exemplars(const promc_exemplars *ex) {
    pthread_mutex_unlock((pthread_mutex_t *)&ex->lock);
}

static void put_created(series_ctx *sc, promc_format fmt) {
    if (fmt != PROMC_FORMAT_OPENMETRICS || sc->s->created == 0)
        return;
    put_sample_start(sc, SUFFIX("_created"), NULL, NULL, 0, false);
    put_double(sc->out, sc->s->created);
    promc__buf_putc(sc->out, '\n');
}

static void render_counter(series_ctx *sc, promc_format fmt) {
    promc_buf *out = sc->out;
    put_sample_start(sc, SUFFIX("_total"), NULL, NULL, 0, false);
    put_double(out, sc->s->value);
    const promc_exemplars *ex = sc->s->exemplars;
    if (fmt == PROMC_FORMAT_OPENMETRICS && ex && ex->n > 0) {
        lock_exemplars(ex);
        put_exemplar(out, &ex->slots[0]);
        unlock_exemplars(ex);
    }
    promc__buf_putc(out, '\n');
    put_created(sc, fmt);
}

static void render_histogram(series_ctx *sc, promc_format fmt) {
    promc_buf *out = sc->out;
    const promc_family *f = sc->f;
    const promc_series_view *s = sc->s;
    const promc_exemplars *ex = fmt == PROMC_FORMAT_OPENMETRICS ? s->exemplars : NULL;
    if (ex)
        lock_exemplars(ex);
    uint64_t cumulative = 0;
    char le[32];
    for (size_t i = 0; i <= f->nbuckets; i++) {
        size_t le_len;
        if (i < f->nbuckets) {
            le_len = promc__fmt_canonical(le, f->buckets[i]);
        } else {
            memcpy(le, "+Inf", 4);
            le_len = 4;
        }
        cumulative += s->bucket_counts[i];
        put_sample_start(sc, SUFFIX("_bucket"), "le", le, le_len, false);
        put_u64(out, cumulative);
        if (ex && i < ex->n)
            put_exemplar(out, &ex->slots[i]);
        promc__buf_putc(out, '\n');
    }
    if (ex)
        unlock_exemplars(ex);
    /* OpenMetrics: _sum is a counter, so it may not be negative or NaN, and a histogram with
     * a negative bucket bound MUST NOT have one; _count goes only with _sum. Decided once per
     * family, by its layout, so no series comes and goes with the data: a family whose bounds
     * start at >= 0 refuses negative observations (histogram.c) and always has both; one
     * whose first bound is negative never has them in OpenMetrics. The 0.0.4 format has no
     * such rule and always gets both. */
    bool om = fmt == PROMC_FORMAT_OPENMETRICS;
    bool negative_bounds = f->nbuckets > 0 && f->buckets[0] < 0;
    if (!om || !negative_bounds) {
        put_sample_start(sc, SUFFIX("_count"), NULL, NULL, 0, false);
        put_u64(out, cumulative);
        promc__buf_putc(out, '\n');
        put_sample_start(sc, SUFFIX("_sum"), NULL, NULL, 0, false);
        put_double(out, s->sum);
        promc__buf_putc(out, '\n');
    }
    put_created(sc, fmt);
}

static void render_summary(series_ctx *sc, promc_format fmt) {
    promc_buf *out = sc->out;
    const promc_family *f = sc->f;
    /* OpenMetrics forbids negative quantile values and a negative or NaN _sum (a counter);
     * those samples are left out there. NaN quantiles (no recent observations) are required. */
    bool om = fmt == PROMC_FORMAT_OPENMETRICS;
    char q[32];
    for (size_t i = 0; i < f->nquantiles; i++) {
        double v = sc->s->quantile_values[i];
        if (om && v < 0)
            continue;
        size_t q_len = promc__fmt_canonical(q, f->quantiles[i].quantile);
        put_sample_start(sc, "", 0, "quantile", q, q_len, false);
        put_double(out, v);
        promc__buf_putc(out, '\n');
    }
    put_sample_start(sc, SUFFIX("_count"), NULL, NULL, 0, false);
    put_u64(out, sc->s->count);
    promc__buf_putc(out, '\n');
    if (!om || sc->s->sum >= 0) {
        put_sample_start(sc, SUFFIX("_sum"), NULL, NULL, 0, false);
        put_double(out, sc->s->sum);
        promc__buf_putc(out, '\n');
    }
    put_created(sc, fmt);
}

static void render_stateset(series_ctx *sc) {
    const promc_family *f = sc->f;
    for (size_t i = 0; i < f->nstates; i++) {
        put_sample_start(sc, "", 0, f->name, f->states[i], 0, true);
        promc__buf_putc(sc->out, i == sc->s->state ? '1' : '0');
        promc__buf_putc(sc->out, '\n');
    }
}

void promc__render_series(promc_buf *out, promc_format fmt, const promc_family *f,
                          const promc_series_view *s) {
    series_ctx sc = {.out = out, .f = f, .s = s, .name_len = strlen(f->name)};
    switch (f->type) {
    case PROMC_COUNTER:
        render_counter(&sc, fmt);
        break;
    case PROMC_HISTOGRAM:
        render_histogram(&sc, fmt);
        break;
    case PROMC_SUMMARY:
        render_summary(&sc, fmt);
        break;
    case PROMC_STATESET:
        render_stateset(&sc);
        break;
    case PROMC_INFO:
        put_sample_start(&sc, SUFFIX("_info"), NULL, NULL, 0, false);
        promc__buf_put(out, "1\n", 2);
        break;
    case PROMC_GAUGE:
    case PROMC_UNTYPED:
    default:
        put_sample_start(&sc, "", 0, NULL, NULL, 0, false);
        put_double(out, s->value);
        promc__buf_putc(out, '\n');
        break;
    }
}

void promc__render_eof(promc_buf *out, promc_format fmt) {
    if (fmt == PROMC_FORMAT_OPENMETRICS)
        promc__buf_put(out, "# EOF\n", 6);
}

/* ---- Registry walk ----------------------------------------------------------------------- */

/* Reads one child into a view; scratch arrays belong to the caller. */
static void read_child(const promc_family *f, const promc_child *c, promc_series_view *s,
                       const char **values, uint64_t *counts, double *quantiles) {
    *s = (promc_series_view){.label_values = values, .created = c->created};
    if (f->nlabels > 0)
        promc__child_values(f, c, values);
    switch (f->type) {
    case PROMC_COUNTER:
        s->value = promc__counter_read(c);
        s->exemplars = atomic_load_explicit(&c->exemplars, memory_order_acquire);
        break;
    case PROMC_HISTOGRAM: {
        /* the text formats show the classic half, after a native reset's baseline */
        promc_native_scratch scratch = {0};
        promc_native_view nv;
        const promc_native_view *native;
        s->sum = promc__histogram_read_native(c, counts, &scratch, &nv, &native);
        promc__native_scratch_free(&scratch);
        if (native && native->created > 0)
            s->created = native->created;
        s->bucket_counts = counts;
        s->exemplars = atomic_load_explicit(&c->exemplars, memory_order_acquire);
        break;
    }
    case PROMC_SUMMARY:
        promc__summary_read(c->u.summary, quantiles, &s->sum, &s->count);
        s->quantile_values = quantiles;
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

static void render_family(promc_buf *out, promc_format fmt, promc_family *f) {
    const char *values[PROMC_MAX_LABELS];
    uint64_t counts[PROMC_MAX_BUCKETS + 1];
    double quantiles[PROMC_MAX_QUANTILES];
    promc__render_family_header(out, fmt, f);
    promc_arena *a = promc__arena();
    if (!a) {
        out->failed = true;
        return;
    }
    uint64_t sec = promc__enter(a);
    PROMC_FOREACH_CHILD(f, c) {
        if (c->is_parent)
            continue;
        promc_series_view s;
        read_child(f, c, &s, values, counts, quantiles);
        promc__render_series(out, fmt, f, &s);
    }
    promc__leave(a, sec);
}

/* promc_series_expired_total / promc_series_overflow_total: one counter family each, present
 * once some family has had a TTL / a limit, unless a registered family has the name. Rendered
 * in their place in the sorted order of the registry's families. */
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

static void render_drop_counter(promc_buf *out, promc_format fmt, size_t k, promc_family **fams,
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
    promc__render_family_header(out, fmt, &view);
    for (size_t i = 0; i < n; i++) {
        if (!(atomic_load_explicit(&fams[i]->lifecycle_flags, memory_order_relaxed) &
              drop_kinds[k].flag))
            continue;
        const char *value[1] = {fams[i]->name};
        _Atomic uint64_t *total = drop_kinds[k].flag == PROMC_HAS_TTL ? &fams[i]->expired_total
                                                                      : &fams[i]->overflow_total;
        promc_series_view s = {.label_values = value,
                               .value = (double)atomic_load_explicit(total, memory_order_relaxed)};
        promc__render_series(out, fmt, &view, &s);
    }
}

/* The sink collectors' families go to: rendered as they come. */
typedef struct render_sink_arg {
    promc_buf *out;
    promc_format fmt;
} render_sink_arg;

static void sink_family(void *arg, const promc_family *f) {
    render_sink_arg *a = arg;
    promc__render_family_header(a->out, a->fmt, f);
}

static void sink_series(void *arg, const promc_family *f, const promc_series_view *s) {
    render_sink_arg *a = arg;
    promc__render_series(a->out, a->fmt, f, s);
}

static int by_name(const void *a, const void *b) {
    const promc_family *fa = *(promc_family *const *)a, *fb = *(promc_family *const *)b;
    return strcmp(fa->name, fb->name);
}

/* Size of the last render, to reserve the output in one go next time (a hint only). */
static _Atomic size_t last_render_size;

int promc__render_registry(promc_registry *reg, promc_format fmt, promc_buf *out) {
    size_t start = out->len;
    promc__buf_reserve(out, atomic_load_explicit(&last_render_size, memory_order_relaxed) + 4096);
    /* Families are never freed before their registry, so a snapshot of the list taken under
     * the lock can be rendered without it: concurrent scrapes and registrations proceed. */
    pthread_mutex_lock(&reg->lock);
    size_t n = reg->nfamilies;
    promc_family **fams = malloc((n ? n : 1) * sizeof *fams);
    if (fams && n)
        memcpy(fams, reg->families, n * sizeof *fams);
    pthread_mutex_unlock(&reg->lock);
    if (!fams)
        return promc__seterr(PROMC_ENOMEM, "out of memory rendering metrics");
    qsort(fams, n, sizeof *fams, by_name);
    /* TTL sweeps first, so the drop counters, wherever they sort, count this scrape's */
    for (size_t i = 0; i < n; i++)
        promc__family_maintain(fams[i]);
    size_t k = 0;
    for (size_t i = 0; i < n && !out->failed; i++) {
        for (; k < NDROP_KINDS && strcmp(drop_kinds[k].name, fams[i]->name) < 0; k++)
            render_drop_counter(out, fmt, k, fams, n);
        render_family(out, fmt, fams[i]);
    }
    for (; k < NDROP_KINDS; k++)
        render_drop_counter(out, fmt, k, fams, n);
    free(fams);

    /* Collectors walk reg->collectors, which registration changes: under the lock. A failing
     * collector costs its own families only, so its error does not fail the scrape. */
    render_sink_arg arg = {out, fmt};
    promc_collect_sink sink = {sink_family, sink_series, &arg};
    pthread_mutex_lock(&reg->lock);
    (void)promc__collectors_run(reg, &sink);
    pthread_mutex_unlock(&reg->lock);

    promc__render_eof(out, fmt);
    if (out->failed)
        return promc__seterr(PROMC_ENOMEM, "out of memory rendering metrics");
    atomic_store_explicit(&last_render_size, out->len - start, memory_order_relaxed);
    return 0;
}

int promc_render(promc_registry *reg, promc_format fmt, char **out, size_t *len) {
    if (!out)
        return promc__seterr(PROMC_EINVAL, "promc_render: no output pointer");
    *out = NULL;
    if (len)
        *len = 0;
    if (!reg)
        reg = promc_registry_default();
    if (!reg)
        return promc__seterr(PROMC_ENOMEM, "no default registry");
    if (fmt != PROMC_FORMAT_TEXT && fmt != PROMC_FORMAT_OPENMETRICS)
        return promc__seterr(PROMC_EINVAL, "promc_render: unknown format %d", (int)fmt);
    promc_buf b = {0};
    int rc = promc__render_registry(reg, fmt, &b);
    promc__buf_putc(&b, '\0'); /* not counted in len: callers may treat it as a C string */
    if (rc == 0 && b.failed)
        rc = promc__seterr(PROMC_ENOMEM, "out of memory rendering metrics");
    if (rc != 0) {
        free(b.data);
        return rc;
    }
    *out = b.data;
    if (len)
        *len = b.len - 1;
    return 0;
}
