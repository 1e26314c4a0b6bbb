/* render.c -- the text exposition formats: Prometheus 0.0.4 / 1.0.0 and OpenMetrics 1.0.
 *
 * A sink of the registry walk (walk.c): each family's TYPE/HELP/UNIT lines, then its series,
 * then "# EOF" for OpenMetrics. Names follow client_python, whose output the workshop's queries
 * were written against: a counter family "hello" is "hello_total" in both formats (TYPE line
 * included in 0.0.4), an info family "build" is "build_info", and OpenMetrics adds "_created"
 * samples, "# UNIT" lines and exemplars, which the 0.0.4 format has no place for. OpenMetrics
 * also forbids a few values 0.0.4 carries (a negative or NaN summary _sum, negative quantiles, a
 * histogram _sum beside negative buckets): those samples are left out of it alone.
 *
 * Names outside the legacy character set (a registry that allows UTF-8 names, see promc.h) are
 * written as the negotiated escaping says: quoted under allow-utf-8, as Prometheus' text formats
 * and OpenMetrics take them -- a metric name inside the braces (`{"my.metric",a="x"} 1`,
 * `# TYPE "my.metric" gauge`), a label name as `"label.name"="v"` -- or escaped by
 * model.EscapeName's scheme (negotiate3.c) otherwise. Legacy names are written as they are,
 * except under dots escaping, which escapes underscores too, as model.EscapeName does. Text
 * 0.0.4 and 1.0.0 differ in nothing else promc writes.
 *
 * The renderer allocates nothing per series: each series' escaped label set is written once
 * into the output and copied from there for its other lines (a histogram has nbuckets + 3),
 * and numbers are formatted straight into the buffer (fmt.c).
 */
#include "negotiate3.h"
#include "render.h"
#include "walk.h"

#include <pthread.h>
#include <stdatomic.h>
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

/* ---- Names ------------------------------------------------------------------------------- */

/* How one scrape writes: the format, the escaping, and what the current family needs. */
typedef struct text_sink {
    promc_buf *out;
    bool om;
    promc_escaping esc;
    bool plain;      /* the family's names are written as they are (the fast path) */
    bool quote_name; /* allow-utf-8 and a family name outside the legacy set */
} text_sink;

/* name + suffix as the escaping says; quoted (allow-utf-8, not legacy) only where quote_ok. */
static void put_name(promc_buf *out, promc_escaping esc, bool label, const char *name,
                     const char *suffix, size_t suffix_len) {
    char full[PROMC_NAME_MAX + 16];
    size_t n = strlen(name);
    if (n + suffix_len >= sizeof full)
        n = sizeof full - 1 - suffix_len; /* names are at most PROMC_NAME_MAX: never */
    memcpy(full, name, n);
    memcpy(full + n, suffix, suffix_len);
    full[n + suffix_len] = '\0';
    if (esc == PROMC_ESCAPING_ALLOW_UTF8) {
        bool legacy = label ? promc__valid_label_name(full) : promc__valid_metric_name(full);
        if (legacy) {
            promc__buf_put(out, full, n + suffix_len);
        } else {
            promc__buf_putc(out, '"');
            promc__put_escaped_label(out, full);
            promc__buf_putc(out, '"');
        }
        return;
    }
    enum promc__neg3_escaping scheme = (enum promc__neg3_escaping)esc;
    size_t len = promc__neg3_escape_name(full, scheme, NULL, 0);
    promc__buf_reserve(out, len + 1);
    if (out->failed)
        return;
    promc__neg3_escape_name(full, scheme, out->data + out->len, len + 1);
    out->len += len;
}

static void put_label_name(text_sink *t, const char *name) {
    if (t->plain)
        put_str(t->out, name);
    else
        put_name(t->out, t->esc, true, name, "", 0);
}

/* Does every name of f go out as it is under esc? */
static bool family_is_plain(const promc_family *f, promc_escaping esc) {
    if (esc == PROMC_ESCAPING_DOTS || !promc__valid_metric_name(f->name))
        return false;
    for (size_t i = 0; i < f->nlabels; i++)
        if (!promc__valid_label_name(f->label_names[i]))
            return false;
    return true;
}

/* ---- Header ------------------------------------------------------------------------------ */

static const char *type_word(bool om, promc_type t) {
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
static void put_meta_name(text_sink *t, const promc_family *f) {
    const char *suffix = "";
    size_t suffix_len = 0;
    if (!t->om && f->type == PROMC_COUNTER)
        suffix = "_total", suffix_len = 6;
    else if (!t->om && f->type == PROMC_INFO)
        suffix = "_info", suffix_len = 5;
    if (t->plain) {
        put_str(t->out, f->name);
        promc__buf_put(t->out, suffix, suffix_len);
    } else {
        put_name(t->out, t->esc, false, f->name, suffix, suffix_len);
    }
}

static void put_meta_line(text_sink *t, const promc_family *f, const char *word, const char *text,
                          void (*escape)(promc_buf *, const char *)) {
    promc__buf_put(t->out, word, 7);
    put_meta_name(t, f);
    promc__buf_putc(t->out, ' ');
    if (escape)
        escape(t->out, text);
    else
        put_str(t->out, text);
    promc__buf_putc(t->out, '\n');
}

static void render_family_header(text_sink *t, const promc_family *f) {
    t->plain = family_is_plain(f, t->esc);
    t->quote_name = t->esc == PROMC_ESCAPING_ALLOW_UTF8 && !promc__valid_metric_name(f->name);
    bool has_help = f->help && *f->help;
    if (t->om) {
        /* OpenMetrics: TYPE, UNIT, HELP in that order; an empty HELP or UNIT is left out,
         * which the spec treats the same as an empty one. */
        put_meta_line(t, f, "# TYPE ", type_word(true, f->type), NULL);
        if (f->unit && *f->unit)
            put_meta_line(t, f, "# UNIT ", f->unit, NULL);
        if (has_help)
            put_meta_line(t, f, "# HELP ", f->help, promc__put_escaped_help_om);
        return;
    }
    if (has_help)
        put_meta_line(t, f, "# HELP ", f->help, promc__put_escaped_help);
    put_meta_line(t, f, "# TYPE ", type_word(false, f->type), NULL);
}

/* ---- Series ------------------------------------------------------------------------------ */

/* One series being rendered: where its escaped label set sits in the output, once written. */
typedef struct series_ctx {
    text_sink *t;
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
        put_label_name(sc->t, sc->f->label_names[i]);
        promc__buf_put(out, "=\"", 2);
        promc__put_escaped_label(out, sc->s->label_values[i]);
        promc__buf_putc(out, '"');
    }
    sc->labels_len = out->len - sc->labels_off;
    sc->labels_done = !out->failed;
}

/* Writes `name<suffix>{labels[,extra="value"]} ` (or `{"name"<suffix>,labels...} ` for a quoted
 * name); extra NULL for none. The extra value is escaped only when asked (le and quantile values
 * never need it). */
static void put_sample_start(series_ctx *sc, const char *suffix, size_t suffix_len,
                             const char *extra, const char *extra_value, size_t extra_len,
                             bool escape_extra) {
    promc_buf *out = sc->out;
    bool quoted = sc->t->quote_name;
    if (quoted)
        promc__buf_putc(out, '{');
    if (sc->t->plain) {
        promc__buf_put(out, sc->f->name, sc->name_len);
        promc__buf_put(out, suffix, suffix_len);
    } else {
        put_name(out, sc->t->esc, false, sc->f->name, suffix, suffix_len);
    }
    if (sc->f->nlabels > 0 || extra || quoted) {
        bool first = !quoted;
        if (!quoted)
            promc__buf_putc(out, '{');
        if (sc->f->nlabels > 0) {
            if (!first)
                promc__buf_putc(out, ',');
            put_base_labels(sc);
            first = false;
        }
        if (extra) {
            if (!first)
                promc__buf_putc(out, ',');
            put_label_name(sc->t, extra);
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

static void put_created(series_ctx *sc) {
    if (!sc->t->om || sc->s->created == 0)
        return;
    put_sample_start(sc, SUFFIX("_created"), NULL, NULL, 0, false);
    put_double(sc->out, sc->s->created);
    promc__buf_putc(sc->out, '\n');
}

static void render_counter(series_ctx *sc) {
    promc_buf *out = sc->out;
    put_sample_start(sc, SUFFIX("_total"), NULL, NULL, 0, false);
    put_double(out, sc->s->value);
    const promc_exemplars *ex = sc->s->exemplars;
    if (sc->t->om && ex && ex->n > 0) {
        lock_exemplars(ex);
        put_exemplar(out, &ex->slots[0]);
        unlock_exemplars(ex);
    }
    promc__buf_putc(out, '\n');
    put_created(sc);
}

static void render_histogram(series_ctx *sc) {
    promc_buf *out = sc->out;
    const promc_family *f = sc->f;
    const promc_series_view *s = sc->s;
    bool om = sc->t->om;
    const promc_exemplars *ex = om ? s->exemplars : NULL;
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
    bool negative_bounds = f->nbuckets > 0 && f->buckets[0] < 0;
    if (!om || !negative_bounds) {
        put_sample_start(sc, SUFFIX("_count"), NULL, NULL, 0, false);
        put_u64(out, cumulative);
        promc__buf_putc(out, '\n');
        put_sample_start(sc, SUFFIX("_sum"), NULL, NULL, 0, false);
        put_double(out, s->sum);
        promc__buf_putc(out, '\n');
    }
    put_created(sc);
}

static void render_summary(series_ctx *sc) {
    promc_buf *out = sc->out;
    const promc_family *f = sc->f;
    /* OpenMetrics forbids negative quantile values and a negative or NaN _sum (a counter);
     * those samples are left out there. NaN quantiles (no recent observations) are required. */
    bool om = sc->t->om;
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
    put_created(sc);
}

static void render_stateset(series_ctx *sc) {
    const promc_family *f = sc->f;
    for (size_t i = 0; i < f->nstates; i++) {
        put_sample_start(sc, "", 0, f->name, f->states[i], 0, true);
        promc__buf_putc(sc->out, i == sc->s->state ? '1' : '0');
        promc__buf_putc(sc->out, '\n');
    }
}

static void render_series(text_sink *t, const promc_family *f, const promc_series_view *s) {
    series_ctx sc = {.t = t, .out = t->out, .f = f, .s = s, .name_len = strlen(f->name)};
    switch (f->type) {
    case PROMC_COUNTER:
        render_counter(&sc);
        break;
    case PROMC_HISTOGRAM:
        render_histogram(&sc);
        break;
    case PROMC_SUMMARY:
        render_summary(&sc);
        break;
    case PROMC_STATESET:
        render_stateset(&sc);
        break;
    case PROMC_INFO:
        put_sample_start(&sc, SUFFIX("_info"), NULL, NULL, 0, false);
        promc__buf_put(t->out, "1\n", 2);
        break;
    case PROMC_GAUGE:
    case PROMC_UNTYPED:
    default:
        put_sample_start(&sc, "", 0, NULL, NULL, 0, false);
        put_double(t->out, s->value);
        promc__buf_putc(t->out, '\n');
        break;
    }
}

/* ---- The sink ---------------------------------------------------------------------------- */

static void sink_family(void *arg, const promc_family *f) {
    render_family_header(arg, f);
}

static void sink_series(void *arg, const promc_family *f, const promc_series_view *s) {
    render_series(arg, f, s);
}

/* Size of the last render, to reserve the output in one go next time (a hint only). */
static _Atomic size_t last_render_size;

int promc__render_text(promc_registry *reg, promc_format fmt, promc_escaping esc, promc_buf *out) {
    size_t start = out->len;
    promc__buf_reserve(out, atomic_load_explicit(&last_render_size, memory_order_relaxed) + 4096);
    text_sink t = {.out = out, .om = fmt == PROMC_FORMAT_OPENMETRICS, .esc = esc};
    promc_collect_sink sink = {sink_family, sink_series, &t};
    int rc = promc__walk_registry(reg, &sink);
    if (rc != 0)
        return rc;
    if (t.om)
        promc__buf_put(out, "# EOF\n", 6);
    if (out->failed)
        return promc__seterr(PROMC_ENOMEM, "out of memory rendering metrics");
    atomic_store_explicit(&last_render_size, out->len - start, memory_order_relaxed);
    return 0;
}
