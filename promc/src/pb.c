/* pb.c -- hand-written encoder of the fixed io.prometheus.client.MetricFamily schema.
 *
 * render_pb.c streams a registry through it (promc__pb_family_open / _metric / _close). Why by hand
 * and not protobuf-c: the schema is fixed and small (a dozen messages), so a generic runtime buys
 * nothing; protobuf-c would add a dependency to every promc user and a pre-pass over an
 * intermediate message tree (allocations per metric) where promc wants to stream a snapshot
 * straight into bytes.
 *
 * Submessages are written in one pass: a 1-byte length is reserved, the body written after it,
 * and if the body turns out to be 128 bytes or more it is moved right by the extra length bytes.
 * Small messages (labels, buckets, spans: nearly all of them) never move; a large one moves
 * once per nesting level, which costs less than computing every size bottom-up first.
 *
 * Repeated scalars (deltas) are written unpacked, as client_golang writes this proto2 schema,
 * so every decoder that reads client_golang's output reads ours.
 */
#include "pb.h"

#include <stdlib.h>
#include <string.h>

enum { WT_VARINT = 0, WT_FIXED64 = 1, WT_LEN = 2 };

void promc__pb_buf_free(promc__pb_buf *b) {
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

static int reserve(promc__pb_buf *b, size_t n) {
    if (b->oom)
        return -1;
    if (b->len + n <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n)
        cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p) {
        b->oom = 1;
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

static size_t varint_len(uint64_t v) {
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static void put_varint_at(uint8_t *p, uint64_t v) {
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p = (uint8_t)v;
}

static void varint(promc__pb_buf *b, uint64_t v) {
    if (reserve(b, 10) == 0) {
        put_varint_at(b->p + b->len, v);
        b->len += varint_len(v);
    }
}

static void tag(promc__pb_buf *b, unsigned field, unsigned wt) {
    varint(b, (uint64_t)field << 3 | wt);
}

static void f_uint(promc__pb_buf *b, unsigned field, uint64_t v) {
    tag(b, field, WT_VARINT);
    varint(b, v);
}

/* int32/int64 fields: negative values are 10-byte two's complement varints. */
static void f_int(promc__pb_buf *b, unsigned field, int64_t v) {
    f_uint(b, field, (uint64_t)v);
}

static void f_sint(promc__pb_buf *b, unsigned field, int64_t v) {
    f_uint(b, field, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63)); /* zigzag */
}

static void f_double(promc__pb_buf *b, unsigned field, double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    tag(b, field, WT_FIXED64);
    if (reserve(b, 8) == 0)
        for (int i = 0; i < 8; i++)
            b->p[b->len++] = (uint8_t)(u >> (8 * i)); /* little-endian on every host */
}

static void f_bytes(promc__pb_buf *b, unsigned field, const char *s, size_t n) {
    tag(b, field, WT_LEN);
    varint(b, n);
    if (reserve(b, n) == 0) {
        memcpy(b->p + b->len, s, n);
        b->len += n;
    }
}

static void f_string(promc__pb_buf *b, unsigned field, const char *s) {
    f_bytes(b, field, s, strlen(s));
}

/* Opens a length-delimited body (field 0: no tag, the top-level delimiter); returns where it
 * starts, to pass to close_len. */
static size_t open_len(promc__pb_buf *b, unsigned field) {
    if (field)
        tag(b, field, WT_LEN);
    if (reserve(b, 1) == 0)
        b->p[b->len++] = 0;
    return b->len;
}

static void close_len(promc__pb_buf *b, size_t start) {
    if (b->oom)
        return;
    size_t n = b->len - start, extra = varint_len(n) - 1;
    if (extra) {
        if (reserve(b, extra))
            return;
        memmove(b->p + start + extra, b->p + start, n);
        b->len += extra;
    }
    put_varint_at(b->p + start - 1, n);
}

static void labels(promc__pb_buf *b, unsigned field, const promc__pb_label *l, size_t n) {
    for (size_t i = 0; i < n; i++) {
        size_t at = open_len(b, field);
        f_string(b, 1, l[i].name);
        f_string(b, 2, l[i].value);
        close_len(b, at);
    }
}

static void timestamp(promc__pb_buf *b, unsigned field, const promc__pb_timestamp *t) {
    if (!t->has)
        return;
    size_t at = open_len(b, field);
    if (t->seconds)
        f_int(b, 1, t->seconds);
    if (t->nanos)
        f_int(b, 2, t->nanos);
    close_len(b, at);
}

static void exemplar(promc__pb_buf *b, unsigned field, const promc__pb_exemplar *e) {
    if (!e)
        return;
    size_t at = open_len(b, field);
    labels(b, 1, e->labels, e->n_labels);
    f_double(b, 2, e->value);
    timestamp(b, 3, &e->timestamp);
    close_len(b, at);
}

static void spans(promc__pb_buf *b, unsigned field, const promc__pb_span *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        size_t at = open_len(b, field);
        f_sint(b, 1, s[i].offset);
        f_uint(b, 2, s[i].length);
        close_len(b, at);
    }
}

static void histogram(promc__pb_buf *b, const promc__pb_metric *m) {
    size_t at = open_len(b, 7);
    f_uint(b, 1, m->count);
    f_double(b, 2, m->sum);
    for (size_t i = 0; i < m->n_buckets; i++) {
        size_t bt = open_len(b, 3);
        f_uint(b, 1, m->buckets[i].cumulative_count);
        f_double(b, 2, m->buckets[i].upper_bound);
        exemplar(b, 3, m->buckets[i].exemplar);
        close_len(b, bt);
    }
    const promc__pb_native *n = m->native;
    if (n) {
        f_sint(b, 5, n->schema);
        f_double(b, 6, n->zero_threshold);
        f_uint(b, 7, n->zero_count);
        spans(b, 9, n->neg_spans, n->n_neg_spans);
        for (size_t i = 0; i < n->n_neg_deltas; i++)
            f_sint(b, 10, n->neg_deltas[i]);
        spans(b, 12, n->pos_spans, n->n_pos_spans);
        for (size_t i = 0; i < n->n_pos_deltas; i++)
            f_sint(b, 13, n->pos_deltas[i]);
    }
    timestamp(b, 15, &m->created);
    exemplar(b, 16, m->exemplar); /* a native-only histogram's exemplar (Histogram.exemplars) */
    close_len(b, at);
}

static void metric(promc__pb_buf *b, enum promc__pb_type type, const promc__pb_metric *m) {
    size_t at = open_len(b, 4), v;
    labels(b, 1, m->labels, m->n_labels);
    switch (type) {
    case PROMC__PB_GAUGE:
        v = open_len(b, 2);
        f_double(b, 1, m->value);
        close_len(b, v);
        break;
    case PROMC__PB_COUNTER:
        v = open_len(b, 3);
        f_double(b, 1, m->value);
        exemplar(b, 2, m->exemplar);
        timestamp(b, 3, &m->created);
        close_len(b, v);
        break;
    case PROMC__PB_SUMMARY:
        v = open_len(b, 4);
        f_uint(b, 1, m->count);
        f_double(b, 2, m->sum);
        for (size_t i = 0; i < m->n_quantiles; i++) {
            size_t q = open_len(b, 3);
            f_double(b, 1, m->quantiles[i].quantile);
            f_double(b, 2, m->quantiles[i].value);
            close_len(b, q);
        }
        timestamp(b, 4, &m->created);
        close_len(b, v);
        break;
    case PROMC__PB_UNTYPED:
        v = open_len(b, 5);
        f_double(b, 1, m->value);
        close_len(b, v);
        break;
    case PROMC__PB_HISTOGRAM:
    case PROMC__PB_GAUGE_HISTOGRAM:
        histogram(b, m);
        break;
    }
    if (m->has_timestamp_ms)
        f_int(b, 6, m->timestamp_ms);
    close_len(b, at);
}

size_t promc__pb_family_open(promc__pb_buf *b, const promc__pb_family *f) {
    size_t at = open_len(b, 0);
    f_string(b, 1, f->name);
    if (f->help && *f->help)
        f_string(b, 2, f->help);
    f_uint(b, 3, (uint64_t)f->type);
    if (f->unit && *f->unit)
        f_string(b, 5, f->unit);
    return at;
}

void promc__pb_family_metric(promc__pb_buf *b, enum promc__pb_type type,
                             const promc__pb_metric *m) {
    metric(b, type, m);
}

int promc__pb_family_close(promc__pb_buf *b, size_t at) {
    close_len(b, at);
    return b->oom ? -1 : 0;
}

int promc__pb_family_delimited(promc__pb_buf *b, const promc__pb_family *f) {
    size_t at = open_len(b, 0);
    f_string(b, 1, f->name);
    if (f->help && *f->help)
        f_string(b, 2, f->help);
    f_uint(b, 3, (uint64_t)f->type);
    for (size_t i = 0; i < f->n_metrics; i++)
        metric(b, f->type, &f->metrics[i]);
    if (f->unit && *f->unit)
        f_string(b, 5, f->unit);
    close_len(b, at);
    return b->oom ? -1 : 0;
}
