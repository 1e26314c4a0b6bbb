/* render_pb.c -- the protobuf exposition: a registry as delimited io.prometheus.client.MetricFamily
 * messages (application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily;
 * encoding=delimited), a sink of the registry walk (walk.c) streaming into pb.c's encoder.
 *
 * The types map to the protobuf schema as client_golang writes them, and, for the two
 * OpenMetrics types the schema lacks, as Prometheus' own OpenMetrics parser ingests them:
 *  - counter: COUNTER named with its "_total" (client_golang's family names carry it), value,
 *    exemplar and created timestamp;
 *  - gauge, untyped: GAUGE, UNTYPED;
 *  - histogram: HISTOGRAM with count, sum, the finite classic bounds as cumulative buckets (the
 *    +Inf bucket is the count; it is written only to carry an exemplar, as client_golang does),
 *    bucket exemplars, created timestamp, and the native half when the family has native
 *    buckets (schema, zero threshold and count, spans and deltas). A native histogram with no
 *    bucket yet gets one empty positive span, as client_golang writes it, so that a scraper
 *    still sees a native histogram;
 *  - summary: SUMMARY with count, sum, quantiles (OpenMetrics' exclusion of negative values does
 *    not apply: client_golang sends them) and created timestamp;
 *  - info "build": GAUGE "build_info" with value 1, the series the text formats show (client_python
 *    and Prometheus' OpenMetrics parser store an info metric as that gauge);
 *  - stateset "state": GAUGE "state" with one metric per state, the label named after the family
 *    carrying the state, value 1 for the current state and 0 for the others (the series the
 *    text formats show).
 * Names (family and label names) are escaped by the negotiated scheme, or sent as they are under
 * allow-utf-8; label values and help text are raw UTF-8, as the schema has them.
 *
 * A family's body is streamed metric by metric (pb.c moves it once when its length needs more
 * than one byte), so nothing is kept per series: the whole scrape is one growing buffer.
 */
#include "negotiate3.h"
#include "pb.h"
#include "render.h"
#include "walk.h"

#include <math.h>
#include <stdatomic.h>
#include <stddef.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* An exemplar's labels, parsed back from the text exemplar.c keeps (`a="x",b="y"`). */
typedef struct pb_exemplar_scratch {
    promc__pb_exemplar e;
    promc__pb_label labels[64];
    char text[256]; /* unescaped names and values, NUL-separated; exemplars have <= 128 chars */
} pb_exemplar_scratch;

typedef struct pb_sink {
    promc__pb_buf b;
    promc_escaping esc;
    bool open;
    size_t at;
    enum promc__pb_type type;
    /* names of the current family as the scrape writes them */
    char *names;
    size_t names_len, names_cap;
    const char *label_names[PROMC_MAX_LABELS + 1]; /* + the stateset's label */
    bool failed;
    promc__pb_bucket buckets[PROMC_MAX_BUCKETS + 1];
    promc__pb_quantile quantiles[PROMC_MAX_QUANTILES];
    promc__pb_label labels[PROMC_MAX_LABELS + 1];
    pb_exemplar_scratch ex[PROMC_MAX_BUCKETS + 1];
} pb_sink;

/* Appends name + suffix, escaped by the scrape's scheme, to s->names; returns its offset. */
static size_t add_name(pb_sink *s, const char *name, const char *suffix) {
    char full[PROMC_NAME_MAX + 16];
    size_t n = strlen(name), sn = strlen(suffix);
    if (n + sn >= sizeof full)
        n = sizeof full - 1 - sn; /* names are at most PROMC_NAME_MAX: never */
    memcpy(full, name, n);
    memcpy(full + n, suffix, sn + 1);
    size_t len = s->esc == PROMC_ESCAPING_ALLOW_UTF8
                     ? n + sn
                     : promc__neg3_escape_name(full, (enum promc__neg3_escaping)s->esc, NULL, 0);
    if (s->names_len + len + 1 > s->names_cap) {
        size_t cap = (s->names_len + len + 1) * 2;
        char *p = realloc(s->names, cap);
        if (!p) {
            s->failed = true;
            return 0;
        }
        s->names = p;
        s->names_cap = cap;
    }
    size_t at = s->names_len;
    if (s->esc == PROMC_ESCAPING_ALLOW_UTF8)
        memcpy(s->names + at, full, len + 1);
    else
        promc__neg3_escape_name(full, (enum promc__neg3_escaping)s->esc, s->names + at, len + 1);
    s->names_len += len + 1;
    return at;
}

static void close_family(pb_sink *s) {
    if (s->open && promc__pb_family_close(&s->b, s->at) != 0)
        s->failed = true;
    s->open = false;
}

static void sink_family(void *arg, const promc_family *f) {
    pb_sink *s = arg;
    close_family(s);
    static const char *const suffix[PROMC_UNTYPED + 1] = {
        [PROMC_COUNTER] = "_total", [PROMC_INFO] = "_info"};
    static const enum promc__pb_type type[PROMC_UNTYPED + 1] = {
        [PROMC_COUNTER] = PROMC__PB_COUNTER,     [PROMC_GAUGE] = PROMC__PB_GAUGE,
        [PROMC_HISTOGRAM] = PROMC__PB_HISTOGRAM, [PROMC_SUMMARY] = PROMC__PB_SUMMARY,
        [PROMC_INFO] = PROMC__PB_GAUGE,          [PROMC_STATESET] = PROMC__PB_GAUGE,
        [PROMC_UNTYPED] = PROMC__PB_UNTYPED,
    };
    s->names_len = 0;
    size_t offs[PROMC_MAX_LABELS + 2];
    offs[0] = add_name(s, f->name, suffix[f->type] ? suffix[f->type] : "");
    size_t n = f->nlabels;
    for (size_t i = 0; i < n; i++)
        offs[i + 1] = add_name(s, f->label_names[i], "");
    if (f->type == PROMC_STATESET)
        offs[++n] = add_name(s, f->name, "");
    if (s->failed)
        return;
    for (size_t i = 0; i < n; i++)
        s->label_names[i] = s->names + offs[i + 1];
    s->type = type[f->type];
    promc__pb_family fam = {
        .name = s->names + offs[0], .help = f->help, .unit = f->unit, .type = s->type};
    s->at = promc__pb_family_open(&s->b, &fam);
    s->open = true;
}

static promc__pb_timestamp pb_time(double t) {
    if (t == 0 || !isfinite(t))
        return (promc__pb_timestamp){0};
    double sec = floor(t);
    long nanos = lround((t - sec) * 1e9);
    if (nanos > 999999999)
        nanos = 999999999;
    return (promc__pb_timestamp){1, (int64_t)sec, (int32_t)nanos};
}

/* Unescapes the text format's \\, \" and \n up to the closing quote; returns what follows it. */
static const char *unquote(const char *p, char **w, const char *wend) {
    for (; *p && *p != '"'; p++) {
        char c = *p;
        if (c == '\\' && p[1]) {
            c = *++p == 'n' ? '\n' : *p;
        }
        if (*w < wend)
            *(*w)++ = c;
    }
    if (*w < wend)
        *(*w)++ = '\0';
    return *p ? p + 1 : p;
}

/* An exemplar slot as the schema has it; NULL for an empty slot. Caller holds the lock. */
static const promc__pb_exemplar *pb_exemplar(const promc_exemplar *e, pb_exemplar_scratch *x) {
    if (!e->labels)
        return NULL;
    char *w = x->text, *wend = x->text + sizeof x->text - 1;
    size_t n = 0;
    for (const char *p = e->labels; *p && n < 64;) {
        const char *eq = strchr(p, '=');
        if (!eq || eq[1] != '"' || (size_t)(eq - p) >= (size_t)(wend - w))
            break;
        x->labels[n].name = w;
        memcpy(w, p, (size_t)(eq - p));
        w += eq - p;
        *w++ = '\0';
        x->labels[n].value = w;
        p = unquote(eq + 2, &w, wend);
        n++;
        if (*p == ',')
            p++;
    }
    x->e = (promc__pb_exemplar){
        .labels = x->labels, .n_labels = n, .value = e->value, .timestamp = pb_time(e->timestamp)};
    return &x->e;
}

static void lock_exemplars(const promc_exemplars *ex) {
    pthread_mutex_lock((pthread_mutex_t *)&ex->lock);
}
static void unlock_exemplars(const promc_exemplars *ex) {
    pthread_mutex_unlock((pthread_mutex_t *)&ex->lock);
}

_Static_assert(sizeof(promc__pb_span) == sizeof(promc__native_span) &&
                   offsetof(promc__pb_span, length) == offsetof(promc__native_span, length),
               "native_schema.h's spans are pb.h's");

static void pb_histogram(pb_sink *s, const promc_family *f, const promc_series_view *v,
                         promc__pb_metric *m, promc__pb_native *nat) {
    const promc_exemplars *ex = v->exemplars;
    if (ex)
        lock_exemplars(ex);
    uint64_t cumulative = 0;
    size_t nb = 0;
    for (size_t i = 0; i <= f->nbuckets; i++) {
        cumulative += v->bucket_counts[i];
        const promc__pb_exemplar *e =
            ex && i < ex->n ? pb_exemplar(&ex->slots[i], &s->ex[i]) : NULL;
        if (i == f->nbuckets && f->nbuckets == 0) {
            m->exemplar = e; /* native only: Histogram.exemplars, as client_golang sends it */
            break;
        }
        if (i == f->nbuckets && !e)
            break; /* +Inf: only to carry an exemplar beside classic buckets */
        s->buckets[nb++] =
            (promc__pb_bucket){.cumulative_count = cumulative,
                               .upper_bound = i < f->nbuckets ? f->buckets[i] : INFINITY,
                               .exemplar = e};
    }
    m->count = cumulative;
    m->sum = v->sum;
    m->buckets = s->buckets;
    m->n_buckets = nb;
    const promc_native_view *n = v->native;
    if (n) {
        static const promc__pb_span empty = {0, 0};
        *nat = (promc__pb_native){
            .schema = n->schema,
            .zero_threshold = n->zero_threshold,
            .zero_count = n->zero_count,
            .neg_spans = (const promc__pb_span *)n->neg_spans,
            .pos_spans = (const promc__pb_span *)n->pos_spans,
            .n_neg_spans = n->n_neg_spans,
            .n_pos_spans = n->n_pos_spans,
            .neg_deltas = n->neg_deltas,
            .pos_deltas = n->pos_deltas,
            .n_neg_deltas = n->n_neg_deltas,
            .n_pos_deltas = n->n_pos_deltas,
        };
        if (!n->n_neg_spans && !n->n_pos_spans && n->zero_threshold == 0 && n->zero_count == 0) {
            nat->pos_spans = &empty;
            nat->n_pos_spans = 1;
        }
        m->native = nat;
    }
    promc__pb_family_metric(&s->b, s->type, m);
    if (ex)
        unlock_exemplars(ex);
}

static void sink_series(void *arg, const promc_family *f, const promc_series_view *v) {
    pb_sink *s = arg;
    if (!s->open)
        return;
    for (size_t i = 0; i < f->nlabels; i++)
        s->labels[i] = (promc__pb_label){s->label_names[i], v->label_values[i]};
    promc__pb_metric m = {.labels = s->labels, .n_labels = f->nlabels, .value = v->value};
    promc__pb_native nat;
    switch (f->type) {
    case PROMC_COUNTER: {
        m.created = pb_time(v->created);
        const promc_exemplars *ex = v->exemplars;
        if (ex && ex->n > 0) {
            lock_exemplars(ex);
            m.exemplar = pb_exemplar(&ex->slots[0], &s->ex[0]);
            promc__pb_family_metric(&s->b, s->type, &m);
            unlock_exemplars(ex);
            return;
        }
        break;
    }
    case PROMC_HISTOGRAM:
        m.created = pb_time(v->created);
        pb_histogram(s, f, v, &m, &nat);
        return;
    case PROMC_SUMMARY:
        m.created = pb_time(v->created);
        m.count = v->count;
        m.sum = v->sum;
        for (size_t i = 0; i < f->nquantiles; i++)
            s->quantiles[i] = (promc__pb_quantile){f->quantiles[i].quantile, v->quantile_values[i]};
        m.quantiles = s->quantiles;
        m.n_quantiles = f->nquantiles;
        break;
    case PROMC_STATESET:
        m.n_labels = f->nlabels + 1;
        for (size_t i = 0; i < f->nstates; i++) {
            s->labels[f->nlabels] = (promc__pb_label){s->label_names[f->nlabels], f->states[i]};
            m.value = i == v->state ? 1 : 0;
            promc__pb_family_metric(&s->b, s->type, &m);
        }
        return;
    default:
        break;
    }
    promc__pb_family_metric(&s->b, s->type, &m);
}

int promc__render_pb_family(const promc_family *f, const promc_series_view *views, size_t n,
                            promc_escaping esc, promc_buf *out) {
    pb_sink *s = calloc(1, sizeof *s);
    if (!s)
        return promc__seterr(PROMC_ENOMEM, "out of memory rendering metrics");
    s->esc = esc;
    sink_family(s, f);
    for (size_t i = 0; i < n; i++)
        sink_series(s, f, &views[i]);
    close_family(s);
    int rc = s->failed || s->b.oom ? promc__seterr(PROMC_ENOMEM, "out of memory") : 0;
    if (rc == 0)
        promc__buf_put(out, (const char *)s->b.p, s->b.len);
    promc__pb_buf_free(&s->b);
    free(s->names);
    free(s);
    return rc;
}

/* Size of the last render, to reserve the output in one go next time (a hint only). */
static _Atomic size_t last_pb_size;

int promc__render_pb(promc_registry *reg, promc_escaping esc, promc_buf *out) {
    pb_sink *s = calloc(1, sizeof *s);
    if (!s)
        return promc__seterr(PROMC_ENOMEM, "out of memory rendering metrics");
    s->esc = esc;
    size_t hint = atomic_load_explicit(&last_pb_size, memory_order_relaxed);
    if (hint) {
        s->b.p = malloc(hint + 4096);
        s->b.cap = s->b.p ? hint + 4096 : 0;
    }
    promc_collect_sink sink = {sink_family, sink_series, s};
    int rc = promc__walk_registry(reg, &sink);
    close_family(s);
    if (rc == 0 && (s->failed || s->b.oom))
        rc = promc__seterr(PROMC_ENOMEM, "out of memory rendering metrics");
    if (rc == 0) {
        atomic_store_explicit(&last_pb_size, s->b.len, memory_order_relaxed);
        if (!out->data) { /* hand the bytes over rather than copy them */
            out->data = (char *)s->b.p;
            out->len = s->b.len;
            out->cap = s->b.cap;
            s->b.p = NULL;
        } else {
            promc__buf_put(out, (const char *)s->b.p, s->b.len);
        }
        if (out->failed)
            rc = promc__seterr(PROMC_ENOMEM, "out of memory rendering metrics");
    }
    promc__pb_buf_free(&s->b);
    free(s->names);
    free(s);
    return rc;
}
