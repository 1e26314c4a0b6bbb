/* view.h -- one series as a renderer sees it, whether it comes from a registered child
 * (render.c reads it) or from a collector's callback (collector.c builds it). Depends on
 * exemplar.h and native_schema.h. Never installed. */
#ifndef PROMC_VIEW_H
#define PROMC_VIEW_H

#include "exemplar.h"
#include "native_schema.h"

/* The native half of a histogram, as the protobuf schema has it: spans and delta-encoded
 * counts per side (native_schema.c's promc__native_spans), the zero bucket, the schema and
 * zero threshold in force. The count of all observations is the classic view's (the sum of
 * bucket_counts: a histogram with native buckets only has the +Inf bucket alone). */
typedef struct promc_native_view {
    int32_t schema;
    double zero_threshold;
    uint64_t zero_count;
    const promc__native_span *pos_spans, *neg_spans;
    size_t n_pos_spans, n_neg_spans;
    const int64_t *pos_deltas, *neg_deltas;
    size_t n_pos_deltas, n_neg_deltas;
    double created; /* > 0: a reset (max_buckets with a min reset duration) restarted the series
                       then, and the series' created timestamp is this one */
} promc_native_view;

typedef struct promc_series_view {
    const char *const *label_values; /* family nlabels of them */
    double created;                  /* 0: none */
    double value;                    /* counter, gauge, untyped, info */
    const uint64_t *bucket_counts;   /* histogram: nbuckets+1 non-cumulative */
    double sum;                      /* histogram, summary */
    uint64_t count;                  /* summary */
    const double *quantile_values;   /* summary */
    size_t state;                    /* enum: index of the current state */
    const promc_exemplars *exemplars;
    const promc_native_view *native; /* histogram with native buckets; NULL otherwise */
} promc_series_view;

#endif /* PROMC_VIEW_H */
