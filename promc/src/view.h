/* view.h -- one series as a renderer sees it, whether it comes from a registered child
 * (render.c reads it) or from a collector's callback (collector.c builds it). Depends on
 * exemplar.h. Never installed. */
#ifndef PROMC_VIEW_H
#define PROMC_VIEW_H

#include "exemplar.h"

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
} promc_series_view;

#endif /* PROMC_VIEW_H */
