/* base.h -- the bottom layer of promc's internals: limits, the thread-local last error, and
 * double <-> word bit casts. Every other internal header builds on this one; it depends on
 * nothing but the public header. Never installed.
 *
 * The layers, each using only those below it (no file calls upwards):
 *   base (errors.c, validate.c) -> fmt (fmt.c: output buffer, numbers, escaping)
 *   -> values (shard.c words, summary.c + ckms.c streams, exemplar.c)
 *   -> family (family.c: children, lookup, removal)
 *   -> registry (registry.c) -> metric types (counter.c, gauge.c, histogram.c,
 *      summary_metric.c, info_enum.c) and collectors (collector.c)
 *   -> render (render.c) -> http.c, push.c
 */
#ifndef PROMC_BASE_H
#define PROMC_BASE_H

#include "promc.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* PROMC_MAX_LABELS (16 label names per family) is public, in promc.h. */
#define PROMC_MAX_BUCKETS   256 /* finite bucket bounds per histogram */
#define PROMC_MAX_QUANTILES 32  /* quantiles per summary */
#define PROMC_NAME_MAX      200 /* bytes of a metric name */

/* errors.c: records a failure for promc_last_error(); returns code, so that callers can
 * `return promc__seterr(...)`. */
int promc__seterr(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* validate.c: the exposition formats' name rules and UTF-8. */
bool promc__valid_metric_name(const char *s);
bool promc__valid_label_name(const char *s);
bool promc__valid_utf8(const char *s, size_t len);
bool promc__valid_utf8_name(const char *s);

/* Doubles as 64-bit words (bit casts), so that they can live in atomic words. */
static inline uint64_t promc__d2u(double d) {
    union {
        double d;
        uint64_t u;
    } x = {.d = d};
    return x.u;
}
static inline double promc__u2d(uint64_t u) {
    union {
        double d;
        uint64_t u;
    } x = {.u = u};
    return x.d;
}

#endif /* PROMC_BASE_H */
