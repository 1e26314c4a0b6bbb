/* WORKSHOP:EX0 FILE */
/* metrics.h -- the frontend's metrics, behind small functions that the server and handlers call:
 * the exercises' (hello_total, all_fruits, recent_fruits, quantity_total, http_latency) and the
 * reference solution's (requests, errors, cache lookups, broker publishes, hello-job queue). */
#ifndef FE_METRICS_H
#define FE_METRICS_H

#include "routes.h" /* WORKSHOP:EX4 */

/* WORKSHOP:EX4 BEGIN */
typedef enum fe_cache_result { FE_CACHE_HIT, FE_CACHE_MISS, FE_CACHE_ERROR } fe_cache_result;
/* WORKSHOP:EX4 END */

/* WORKSHOP:OUT BEGIN */
/* Built with WORKSHOP_NO_METRICS (frontend-nometrics), every call compiles to nothing: the
 * benchmark's reference for what instrumentation costs. */
#ifdef WORKSHOP_NO_METRICS
static inline int fe_metrics_init(void) {
    return 0;
}
static inline void fe_metric_hello(void) {}
static inline void fe_metric_all_fruits(long long total) {
    (void)total;
}
static inline void fe_metric_recent_fruits(int fruit, long long total) {
    (void)fruit, (void)total;
}
static inline void fe_metric_order(int fruit, int qty) {
    (void)fruit, (void)qty;
}
static inline int fe_metrics_queue(const char *queue) {
    return (void)queue, 0;
}
static inline int fe_metrics_hello_jobs(long (*pending)(void)) {
    return (void)pending, 0;
}
static inline void fe_metric_request(fe_method m, fe_endpoint e, double s) {
    (void)m, (void)e, (void)s;
}
static inline void fe_metric_error(fe_method m, fe_endpoint e, const char *k) {
    (void)m, (void)e, (void)k;
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
/* WORKSHOP:OUT END */

/* Registers the metrics in promc's default registry, with the process collectors. 0 or -1. */
int fe_metrics_init(void);

/* WORKSHOP:EX1 BEGIN */
/* One GET /hello: hello_total. */
void fe_metric_hello(void);
/* WORKSHOP:EX1 END */

/* WORKSHOP:EX2 BEGIN */
/* What GET /fruit (all fruits) answered: all_fruits. */
void fe_metric_all_fruits(long long total);
/* WORKSHOP:EX2 END */

/* WORKSHOP:EX3 BEGIN */
/* What GET /fruit?name= answered for one fruit (an index into ws_fruits): recent_fruits{fruit}. */
void fe_metric_recent_fruits(int fruit, long long total);
/* An accepted order: quantity_total{fruit}. */
void fe_metric_order(int fruit, int qty);
/* WORKSHOP:EX3 END */

/* WORKSHOP:EX4 BEGIN */
/* Creates the broker metrics' series of this queue (exported at 0 before the first publish). */
int fe_metrics_queue(const char *queue);
/* hello_jobs_pending, a gauge read from pending() at each scrape: main.c hands it
 * fe_hello_jobs_pending, so that the metrics need not know the queue that counts them. */
int fe_metrics_hello_jobs(long (*pending)(void));
/* One answered request on a route: http_latency and http_requests_total. */
void fe_metric_request(fe_method m, fe_endpoint e, double seconds);
/* errors_total{method,endpoint,error}. */
void fe_metric_error(fe_method m, fe_endpoint e, const char *kind);
/* cache_requests_total{result}. */
void fe_metric_cache(fe_cache_result r);
/* One publish call to the queue: its latency and how many messages the broker confirmed. */
void fe_metric_publish(double seconds, int confirmed);
/* hello_jobs_dropped_total: the bounded hello-job queue was full. */
void fe_metric_hello_dropped(void);
/* orders_in_doubt_total: answered 503, but the broker may hold them and they could not be
 * cancelled (the database was down too). */
void fe_metric_order_in_doubt(void);
/* WORKSHOP:EX4 END */
#endif /* WORKSHOP:OUT */

#endif
