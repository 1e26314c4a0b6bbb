/* metric.h -- what the metric types (counter.c, histogram.c, ...) give the layers above them:
 * registration of a spec (registry.c, through the types' constructors) and the values a scrape
 * reads from a child. Depends on registry.h. Never installed. */
#ifndef PROMC_METRIC_H
#define PROMC_METRIC_H

#include "registry.h"
#include "view.h"

/* counter.c: the counter's value, summed over every thread's words. */
double promc__counter_read(const promc_child *c);
/* histogram.c: non-cumulative bucket counts into counts[nbuckets+1]; returns the sum. Every
 * thread's words are read under its sequence, so counts and sum are of one instant. */
double promc__histogram_read(const promc_child *c, uint64_t *counts);

/* Scratch arrays for reading native buckets, grown as needed and reused across the children of
 * a scrape; zero-initialise, free with promc__native_scratch_free. */
typedef struct promc_native_scratch {
    struct promc_native_work *work; /* histogram_native.c's */
} promc_native_scratch;
void promc__native_scratch_free(promc_native_scratch *s);
/* histogram.c: as promc__histogram_read, and for a family with native buckets its native half
 * too, of the same instant: *native gets v, filled with arrays in scratch (valid until its next
 * use), or NULL when the family has none or memory ran out (the scrape then shows the classic
 * half alone). Call inside a section. */
double promc__histogram_read_native(const promc_child *c, uint64_t *counts,
                                    promc_native_scratch *scratch, promc_native_view *v,
                                    const promc_native_view **native);

#endif /* PROMC_METRIC_H */
