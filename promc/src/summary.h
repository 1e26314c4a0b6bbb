/* summary.h -- a summary child's state: CKMS quantile streams over a sliding window, fed
 * through lock-free per-thread rings (summary.c over ckms.c). Depends on base.h only: it knows
 * the quantiles and window it is given, not the family they come from. Never installed. */
#ifndef PROMC_SUMMARY_H
#define PROMC_SUMMARY_H

#include "base.h"

typedef struct summary_state summary_state;

/* The window and quantiles of a summary, as registration validated them (nq may be 0). */
typedef struct promc_summary_params {
    const promc_quantile *quantiles;
    size_t nq;
    double max_age;  /* seconds, > 0 */
    int age_buckets; /* > 0 */
} promc_summary_params;

/* The one rule set for summary parameters, applied at registration: 0 or PROMC_EINVAL with a
 * message naming the metric. promc__summary_state_new relies on it. */
int promc__summary_validate(const char *name, const promc_quantile *q, size_t nq, double max_age,
                            int age_buckets);
summary_state *promc__summary_state_new(const promc_summary_params *p);
void promc__summary_state_free(summary_state *s);
int promc__summary_observe(summary_state *s, double v);
/* values[nq] (NaN when empty), sum, count. */
void promc__summary_read(summary_state *s, double *values, double *sum, uint64_t *count);

/* Clock hook for tests: when non-NULL, summaries read time (seconds, any monotonic origin)
 * from this instead of CLOCK_MONOTONIC(_COARSE), so tests can drive window expiry without
 * sleeping. Set it before observing and not while other threads observe. */
extern double (*promc__summary_clock)(void);

#endif /* PROMC_SUMMARY_H */
