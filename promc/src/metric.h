/* metric.h -- what the metric types (counter.c, histogram.c, ...) give the layers above them:
 * registration of a spec (registry.c, through the types' constructors) and the values a scrape
 * reads from a child. Depends on registry.h. Never installed. */
#ifndef PROMC_METRIC_H
#define PROMC_METRIC_H

#include "registry.h"

/* counter.c: the counter's value, summed over every thread's words. */
double promc__counter_read(const promc_child *c);
/* histogram.c: non-cumulative bucket counts into counts[nbuckets+1]; returns the sum. Every
 * thread's words are read under its sequence, so counts and sum are of one instant. */
double promc__histogram_read(const promc_child *c, uint64_t *counts);

#endif /* PROMC_METRIC_H */
