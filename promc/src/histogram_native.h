/* histogram_native.h -- the scrape side of native buckets (histogram_native.c), for histogram.c.
 *
 * histogram.c's reader calls, for one child: promc__native_work_start() once, then for every
 * arena promc__native_copy() inside the arena's sequence read (again on each retry) and
 * promc__native_commit() once the read is consistent, and finally promc__native_finish(),
 * which applies a reset's baseline and the bucket limit and fills the view. Depends on
 * metric.h. Never installed. */
#ifndef PROMC_HISTOGRAM_NATIVE_H
#define PROMC_HISTOGRAM_NATIVE_H

#include "metric.h"

typedef struct promc_native_work promc_native_work;

/* The scratch's work area, emptied for a new child; NULL if out of memory. */
promc_native_work *promc__native_work_start(promc_native_scratch *scratch);
/* Copies one arena's zero bucket and native buckets (w: the child's words in that arena). */
void promc__native_copy(promc_native_work *nw, promc_word *w, size_t nbuckets);
/* Adds the last copy to the child's totals. */
void promc__native_commit(promc_native_work *nw);
/* The exposed native half of child c into v (NULL if memory ran out). counts (classic,
 * non-cumulative) and *sum are the child's totals, adjusted here when a reset left a baseline. */
const promc_native_view *promc__native_finish(promc_native_work *nw, const promc_child *c,
                                              uint64_t *counts, double *sum, promc_native_view *v);

#endif /* PROMC_HISTOGRAM_NATIVE_H */
