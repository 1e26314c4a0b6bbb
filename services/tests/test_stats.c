/* test_stats.c -- traffic's latency percentiles and tallies (services/traffic/stats.c). */
#include "check.h"
#include "stats.h"

#include <math.h>

int main(void) {
    static tr_latency l;
    for (int i = 1; i <= 1000; i++)
        tr_latency_add(&l, i / 1000.0); /* 1 ms .. 1 s */
    double p50 = tr_latency_quantile(&l, 0.5), p99 = tr_latency_quantile(&l, 0.99);
    CHECK(fabs(p50 - 0.5) / 0.5 < 0.06); /* within one 5% bucket */
    CHECK(fabs(p99 - 0.99) / 0.99 < 0.06);
    CHECK(tr_latency_quantile(&l, 1.0) == 1.0);
    static tr_latency empty;
    CHECK(tr_latency_quantile(&empty, 0.5) == 0);

    static tr_endpoint_stats s = {.name = "GET /hello"};
    tr_stats_record(&s, 200, 0.01);
    tr_stats_record(&s, 503, 0.01);
    tr_stats_record(&s, 0, 0.01);
    tr_stats_record(&s, 9999, 0.01); /* out of range counts as an error */
    CHECK(s.total == 4 && s.status[200] == 1 && s.status[503] == 1 && s.status[0] == 2);
    return check_done("test_stats");
}
