/* exemplar.h -- exemplars: the latest traced observation per counter or histogram bucket
 * (exemplar.c). A child holds a lazily created set of slots; this layer knows the slots, not
 * the child. Depends on fmt.h. Never installed. */
#ifndef PROMC_EXEMPLAR_H
#define PROMC_EXEMPLAR_H

#include "fmt.h"

#include <pthread.h>
#include <stdatomic.h>

typedef struct promc_exemplar {
    char *labels; /* rendered label set, e.g. trace_id="abc" (already escaped) */
    double value;
    double timestamp; /* unix seconds */
} promc_exemplar;

typedef struct promc_exemplars {
    pthread_mutex_t lock; /* taken only by exemplar updates and by scrapes */
    size_t n;             /* 1 for counters, nbuckets+1 for histograms */
    promc_exemplar slots[];
} promc_exemplars;

/* Records an exemplar in slot (< nslots) of the set at *where, creating the set on first use.
 * name is the family's, for error messages. 0, or PROMC_EINVAL / PROMC_ENOMEM. */
int promc__exemplar_set(_Atomic(promc_exemplars *) *where, size_t nslots, const char *name,
                        size_t slot, double value, const char *const *labels);
/* Frees a set (NULL is fine). */
void promc__exemplars_free(promc_exemplars *ex);

#endif /* PROMC_EXEMPLAR_H */
