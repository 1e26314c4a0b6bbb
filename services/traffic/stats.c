/* stats.c -- latency histogram with 5% log buckets and the end-of-run summary table. */
#include "stats.h"

#include <math.h>

static const double base = 1e-6, growth = 1.05;

void tr_latency_add(tr_latency *l, double seconds) {
    int b = 0;
    if (seconds > base)
        b = (int)ceil(log(seconds / base) / log(growth));
    if (b >= TR_LAT_BUCKETS)
        b = TR_LAT_BUCKETS - 1;
    if (b < 0)
        b = 0;
    l->buckets[b]++;
    l->count++;
    l->sum += seconds;
    if (seconds > l->max)
        l->max = seconds;
}

double tr_latency_quantile(const tr_latency *l, double q) {
    if (l->count == 0)
        return 0;
    uint64_t rank = (uint64_t)ceil(q * (double)l->count);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (int b = 0; b < TR_LAT_BUCKETS; b++) {
        seen += l->buckets[b];
        if (seen >= rank) {
            double upper = base * pow(growth, b);
            return upper < l->max ? upper : l->max;
        }
    }
    return l->max;
}

void tr_stats_record(tr_endpoint_stats *s, long status, double seconds) {
    if (status < 0 || status >= TR_MAX_STATUS)
        status = 0;
    s->status[status]++;
    s->total++;
    tr_latency_add(&s->latency, seconds);
}

static uint64_t class_count(const tr_endpoint_stats *s, int cls) {
    uint64_t n = 0;
    for (int c = cls * 100; c < cls * 100 + 100 && c < TR_MAX_STATUS; c++)
        n += s->status[c];
    return n;
}

void tr_stats_print(FILE *out, const tr_endpoint_stats *s, int n, double elapsed) {
    fprintf(out, "\n%-12s %9s %8s %8s %8s %8s %9s %9s %9s %9s %9s\n", "endpoint", "requests", "2xx",
            "4xx", "5xx", "errors", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms");
    for (int i = 0; i < n; i++) {
        const tr_endpoint_stats *e = &s[i];
        if (e->total == 0)
            continue;
        fprintf(out, "%-12s %9llu %8llu %8llu %8llu %8llu %9.1f %9.1f %9.1f %9.1f %9.1f\n", e->name,
                (unsigned long long)e->total, (unsigned long long)class_count(e, 2),
                (unsigned long long)class_count(e, 4), (unsigned long long)class_count(e, 5),
                (unsigned long long)e->status[0], elapsed > 0 ? (double)e->total / elapsed : 0,
                1000 * tr_latency_quantile(&e->latency, 0.5),
                1000 * tr_latency_quantile(&e->latency, 0.9),
                1000 * tr_latency_quantile(&e->latency, 0.99), 1000 * e->latency.max);
    }
    fprintf(out, "\nby status:");
    for (int i = 0; i < n; i++) {
        const tr_endpoint_stats *e = &s[i];
        if (e->total == 0)
            continue;
        fprintf(out, "\n  %-12s", e->name);
        for (int c = 0; c < TR_MAX_STATUS; c++) {
            if (e->status[c] && c == 0)
                fprintf(out, " error=%llu", (unsigned long long)e->status[c]);
            else if (e->status[c])
                fprintf(out, " %d=%llu", c, (unsigned long long)e->status[c]);
        }
    }
    fprintf(out, "\n");
}
