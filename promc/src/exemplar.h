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

/* In two steps, so that a call that fails changes nothing: prepare validates and renders the
 * labels into *rendered and makes sure the set at *where exists with nslots slots (0 or a
 * PROMC_E* code, last error set; family names the metric in messages); store, once the value
 * was applied, puts them in slot and cannot fail. */
int promc__exemplar_prepare(_Atomic(promc_exemplars *) *where, size_t nslots, const char *family,
                            const char *const *labels, char **rendered);
void promc__exemplar_store(_Atomic(promc_exemplars *) *where, size_t slot, double value,
                           char *rendered);
/* Frees a set (NULL is fine). */
void promc__exemplars_free(promc_exemplars *ex);

#endif /* PROMC_EXEMPLAR_H */
