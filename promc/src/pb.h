/* pb.h -- encoder of io.prometheus.client.MetricFamily, varint-delimited, internal.
 *
 * A self-contained module with its own byte buffer and a neutral input struct: render_pb.c
 * fills a promc__pb_metric per series from the registry walk and streams each family through
 * promc__pb_family_open/_metric/_close; http.c sends the buffer with the protobuf Content-Type
 * from negotiate3.c.
 *
 * Field numbers follow client_model's metrics.proto; the created timestamps, the unit and the
 * histogram exemplars are the newer client_model's fields (Counter 3, Summary 4, Histogram 15
 * and 16, MetricFamily 5): Debian's client_model 0.3.0 predates them and decodes them as
 * unknown fields.
 */
#ifndef PROMC_PB_H
#define PROMC_PB_H

#include <stddef.h>
#include <stdint.h>

typedef struct promc__pb_buf {
    uint8_t *p;
    size_t len, cap;
    int oom; /* set once an allocation failed; later writes are dropped */
} promc__pb_buf;

void promc__pb_buf_free(promc__pb_buf *b);

enum promc__pb_type { /* MetricType */
                      PROMC__PB_COUNTER = 0,
                      PROMC__PB_GAUGE = 1,
                      PROMC__PB_SUMMARY = 2,
                      PROMC__PB_UNTYPED = 3,
                      PROMC__PB_HISTOGRAM = 4,
                      PROMC__PB_GAUGE_HISTOGRAM = 5,
};

typedef struct promc__pb_label {
    const char *name, *value;
} promc__pb_label;

typedef struct promc__pb_timestamp { /* google.protobuf.Timestamp; has = 0: absent */
    int has;
    int64_t seconds;
    int32_t nanos;
} promc__pb_timestamp;

typedef struct promc__pb_exemplar {
    const promc__pb_label *labels;
    size_t n_labels;
    double value;
    promc__pb_timestamp timestamp;
} promc__pb_exemplar;

typedef struct promc__pb_bucket {
    uint64_t cumulative_count;
    double upper_bound;
    const promc__pb_exemplar *exemplar; /* NULL: none */
} promc__pb_bucket;

typedef struct promc__pb_quantile {
    double quantile, value;
} promc__pb_quantile;

typedef struct promc__pb_span {
    int32_t offset;
    uint32_t length;
} promc__pb_span;

typedef struct promc__pb_native { /* the native half of a histogram */
    int32_t schema;
    double zero_threshold;
    uint64_t zero_count;
    const promc__pb_span *neg_spans, *pos_spans;
    size_t n_neg_spans, n_pos_spans;
    const int64_t *neg_deltas, *pos_deltas;
    size_t n_neg_deltas, n_pos_deltas;
} promc__pb_native;

typedef struct promc__pb_metric {
    const promc__pb_label *labels;
    size_t n_labels;
    double value;                       /* counter, gauge, untyped */
    const promc__pb_exemplar *exemplar; /* counter, native-only histogram; NULL: none */
    uint64_t count;                     /* summary, histogram */
    double sum;
    const promc__pb_quantile *quantiles;
    size_t n_quantiles;
    const promc__pb_bucket *buckets; /* classic buckets */
    size_t n_buckets;
    const promc__pb_native *native; /* NULL: classic only */
    promc__pb_timestamp created;    /* counter, summary, histogram */
    int has_timestamp_ms;
    int64_t timestamp_ms;
} promc__pb_metric;

typedef struct promc__pb_family {
    const char *name, *help, *unit; /* help, unit: NULL or "" to leave out */
    enum promc__pb_type type;
    const promc__pb_metric *metrics;
    size_t n_metrics;
} promc__pb_family;

/* Appends one MetricFamily message, preceded by its length as a varint (the delimited
 * framing). Returns 0, or -1 if memory ran out (b->oom; the buffer is then unusable). */
int promc__pb_family_delimited(promc__pb_buf *b, const promc__pb_family *f);

/* The same in three steps, for a family streamed one metric at a time (render_pb.c): open
 * writes the delimiter, name, help, type and unit (f's metrics are not read) and returns where
 * the body starts; metric appends one Metric; close fixes the length. A family of any size is
 * written in one pass, its body moved once if its length needs more than one byte. */
size_t promc__pb_family_open(promc__pb_buf *b, const promc__pb_family *f);
void promc__pb_family_metric(promc__pb_buf *b, enum promc__pb_type type, const promc__pb_metric *m);
int promc__pb_family_close(promc__pb_buf *b, size_t at);

#endif
