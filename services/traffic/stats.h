/* stats.h -- traffic's tallies: requests by endpoint and status, latency percentiles. */
#ifndef TR_STATS_H
#define TR_STATS_H

#include <stdint.h>
#include <stdio.h>

#define TR_LAT_BUCKETS 400 /* log buckets, 5% wide, from 1 microsecond to beyond 100 s */
#define TR_MAX_STATUS  600

typedef struct tr_latency {
    uint64_t buckets[TR_LAT_BUCKETS];
    uint64_t count;
    double sum, max;
} tr_latency;

void tr_latency_add(tr_latency *l, double seconds);
/* Upper bound of the bucket holding quantile q (0..1); 0 when empty. */
double tr_latency_quantile(const tr_latency *l, double q);

typedef struct tr_endpoint_stats {
    const char *name;
    uint64_t status[TR_MAX_STATUS]; /* [0] counts transport errors (no HTTP status) */
    uint64_t total;
    tr_latency latency;
} tr_endpoint_stats;

void tr_stats_record(tr_endpoint_stats *s, long status, double seconds);
/* Prints one table row per endpoint with non-zero traffic, then the status breakdown. */
void tr_stats_print(FILE *out, const tr_endpoint_stats *s, int n, double elapsed);

#endif
