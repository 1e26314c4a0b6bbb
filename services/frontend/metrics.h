/* metrics.h -- the frontend's metrics: the seed exercises', the original solution's, cache
 * results, hello-job hand-off. Built with WORKSHOP_NO_METRICS every call compiles to nothing,
 * which is how the benchmark measures what instrumentation costs. */
#ifndef FE_METRICS_H
#define FE_METRICS_H

#include <stdbool.h>

typedef enum fe_endpoint {
    FE_EP_HELLO,
    FE_EP_FRUIT,
    FE_EP_METRICS,
    FE_EP_OTHER,
    FE_NEP
} fe_endpoint;
typedef enum fe_method {
    FE_M_GET,
    FE_M_POST,
    FE_M_HEAD,
    FE_M_PUT,
    FE_M_DELETE,
    FE_M_PATCH,
    FE_M_OPTIONS,
    FE_M_OTHER,
    FE_NM
} fe_method;
typedef enum fe_cache_result { FE_CACHE_HIT, FE_CACHE_MISS, FE_CACHE_ERROR } fe_cache_result;

#ifdef WORKSHOP_NO_METRICS
#define FE_METRICS_ENABLED 0
static inline int fe_metrics_init(const char *queue) {
    return (void)queue, 0;
}
static inline void fe_metric_request(fe_method m, fe_endpoint e, double s) {
    (void)m, (void)e, (void)s;
}
static inline void fe_metric_error(fe_method m, fe_endpoint e, const char *k) {
    (void)m, (void)e, (void)k;
}
static inline void fe_metric_hello(void) {}
static inline void fe_metric_order(int fruit, int qty) {
    (void)fruit, (void)qty;
}
static inline void fe_metric_recent(int fruit, long long total) {
    (void)fruit, (void)total;
}
static inline void fe_metric_cache(fe_cache_result r) {
    (void)r;
}
static inline void fe_metric_publish(double s, int confirmed) {
    (void)s, (void)confirmed;
}
static inline void fe_metric_hello_dropped(void) {}
static inline void fe_metric_order_in_doubt(void) {}
#else
#define FE_METRICS_ENABLED 1
/* Registers every metric in the default registry, with the process collectors. 0 or -1. */
int fe_metrics_init(const char *queue);
/* One answered request on a route: http_requests_total and http_latency. */
void fe_metric_request(fe_method m, fe_endpoint e, double seconds);
/* errors_total{method,endpoint,error}. */
void fe_metric_error(fe_method m, fe_endpoint e, const char *kind);
void fe_metric_hello(void);
/* An accepted order: quantity_total{fruit}. */
void fe_metric_order(int fruit, int qty);
/* all_fruits (fruit < 0) or recent_fruits{fruit}. */
void fe_metric_recent(int fruit, long long total);
void fe_metric_cache(fe_cache_result r);
/* One publish call to the queue: its latency and how many messages the broker confirmed. */
void fe_metric_publish(double seconds, int confirmed);
void fe_metric_hello_dropped(void);
/* orders_in_doubt_total: answered 503, but the broker may hold them and they could not be
 * cancelled (the database was down too). */
void fe_metric_order_in_doubt(void);
#endif

extern const char *const fe_endpoint_names[FE_NEP];
extern const char *const fe_method_names[FE_NM];

#endif
