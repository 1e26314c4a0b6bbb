/* pb_dump.c -- writes delimited MetricFamily messages of every metric type to stdout with
 * pb.c, for pb_protoc.sh to decode with independent decoders (protoc, client_golang's expfmt).
 */
#include <math.h>
#include <stdio.h>

#include "pb.h"

int main(void) {
    promc__pb_buf b = {0};
    promc__pb_label l_get[] = {{"method", "GET"}, {"path", "/a \"b\"\n"}};
    promc__pb_label l_trace[] = {{"trace_id", "abc123"}};
    promc__pb_exemplar ex = {l_trace, 1, 0.25, {1, 1700000000, 123000000}};
    promc__pb_exemplar ex_nots = {l_trace, 1, 7, {0}};

    promc__pb_metric counters[] = {
        {.labels = l_get,
         .n_labels = 2,
         .value = 42,
         .exemplar = &ex,
         .created = {1, 1699999999, 500000000}},
        {.labels = l_get, .n_labels = 1, .value = 0},
    };
    promc__pb_family counter = {"http_requests_total", "Requests served.", NULL,
                                PROMC__PB_COUNTER,     counters,           2};
    promc__pb_metric gauges[] = {
        {.value = -1.5}, {.value = INFINITY, .has_timestamp_ms = 1, .timestamp_ms = 1700000000123}};
    promc__pb_family gauge = {"temperature", "", NULL, PROMC__PB_GAUGE, gauges, 2};
    promc__pb_metric untyped_m = {.value = NAN};
    promc__pb_family untyped = {"raw", "Untyped.", NULL, PROMC__PB_UNTYPED, &untyped_m, 1};
    promc__pb_quantile qs[] = {{0.5, 0.1}, {0.99, 2.5}};
    promc__pb_metric summary_m = {.count = 10, .sum = 3.5, .quantiles = qs, .n_quantiles = 2};
    promc__pb_family summary = {"rpc_seconds",     "RPC latency.", NULL,
                                PROMC__PB_SUMMARY, &summary_m,     1};
    promc__pb_bucket buckets[] = {{1, 0.1, NULL}, {3, 1, &ex_nots}, {4, INFINITY, NULL}};
    promc__pb_metric classic_m = {.count = 4, .sum = 9.25, .buckets = buckets, .n_buckets = 3};
    promc__pb_family classic = {"latency_seconds",   "Classic.", NULL,
                                PROMC__PB_HISTOGRAM, &classic_m, 1};
    promc__pb_span pos[] = {{-3, 2}, {5, 1}}, neg[] = {{0, 1}};
    int64_t pos_d[] = {2, -1, 4}, neg_d[] = {1};
    promc__pb_native nat = {3, 2.938735877055719e-39, 1, neg, pos, 1, 2, neg_d, pos_d, 1, 3};
    promc__pb_metric native_m = {.count = 9, .sum = 1.75, .native = &nat};
    promc__pb_family native = {"latency_native_seconds", "Native.", NULL,
                               PROMC__PB_HISTOGRAM,      &native_m, 1};
    promc__pb_metric both_m = {
        .count = 4, .sum = 9.25, .buckets = buckets, .n_buckets = 3, .native = &nat};
    promc__pb_family both = {"latency_both_seconds",    "Both.", NULL,
                             PROMC__PB_GAUGE_HISTOGRAM, &both_m, 1};
    const promc__pb_family *all[] = {&counter, &gauge,  &untyped, &summary,
                                     &classic, &native, &both};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (promc__pb_family_delimited(&b, all[i]))
            return 1;
    fwrite(b.p, 1, b.len, stdout);
    promc__pb_buf_free(&b);
    return 0;
}
