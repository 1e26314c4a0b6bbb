/* ckms.h -- CKMS targeted-quantile streams (Cormode, Korn, Muthukrishnan, Srivastava 2005),
 * the estimator behind summaries; summary.c owns the windowing and the concurrency. */
#ifndef PROMC_CKMS_H
#define PROMC_CKMS_H

#include <stddef.h>
#include <stdint.h>

typedef struct ckms_tuple {
    double v; /* a value seen */
    double g; /* rank of v minus rank of the previous tuple's value (lower bound) */
    double d; /* uncertainty of v's rank */
} ckms_tuple;

/* f for one target with e = error / 2: 2e*r/phi above phi*n, 2e*(n-r)/(1-phi) below; the halved
 * error is what makes the bound hold for every input order (see ckms_query). */
typedef struct ckms_target {
    double phi;
    double a; /* error / phi */
    double b; /* error / (1 - phi) */
} ckms_target;

typedef struct ckms_stream {
    ckms_tuple *l, *tmp; /* tuples sorted by value; tmp is merge scratch of the same capacity */
    size_t len, cap;
    double n;            /* observations in the stream */
    int64_t reset_epoch; /* holds the values observed since this epoch */
} ckms_stream;

/* Merges n sorted values into the stream; 0, or PROMC_ENOMEM with the stream left valid. */
int promc__ckms_insert_sorted(ckms_stream *st, const ckms_target *t, size_t nt, const double *x,
                              size_t n);
/* The value whose rank is within the targeted error of q * n; NaN when the stream is empty. */
double promc__ckms_query(const ckms_stream *st, double q);
/* Sorts n <= 65535 doubles given as their bits (tmp: scratch of n) into out, ascending. */
void promc__sort_doubles(uint64_t *bits, uint64_t *tmp, size_t n, double *out);

#endif /* PROMC_CKMS_H */
