/* WORKSHOP:EX0 FILE */
/* metrics.c -- the frontend's promc metrics: registered at start-up, updated by fe_metric_*(). */
#include "metrics.h"
#include "order.h" /* WORKSHOP:EX3 */

#include <promc.h>
#include <stdatomic.h> /* WORKSHOP:EX4 */
#include <stddef.h>

static promc_counter *hello_total; /* WORKSHOP:EX1 */
static promc_gauge *all_fruits;    /* WORKSHOP:EX2 */
/* WORKSHOP:EX3 BEGIN */
static promc_gauge *recent_fruits, *recent_child[WS_NFRUITS];
static promc_counter *quantity, *quantity_child[WS_NFRUITS];
/* WORKSHOP:EX3 END */
/* WORKSHOP:EX4 BEGIN */
static promc_histogram *http_latency;
/* The same latencies in native buckets, a family of its own: Prometheus 2.42 ingests a histogram
 * that has native buckets as native only, and the exercise-6 queries need http_latency_bucket
 * (stack/README.md). */
static promc_histogram *http_latency_native;
static promc_counter *http_requests, *errors;
/* Children looked up once and kept: the hot path then costs one atomic add. */
static _Atomic(promc_histogram *) latency_child[FE_NM][FE_NEP];
static _Atomic(promc_histogram *) latency_native_child[FE_NM][FE_NEP];
static _Atomic(promc_counter *) requests_child[FE_NM][FE_NEP];
/* The endpoint label: the route, never the raw URL. */
static const char *const endpoint_names[FE_NEP] = {
    [FE_EP_HELLO] = "/hello",
    [FE_EP_FRUIT] = "/fruit",
    [FE_EP_METRICS] = "/metrics",
    [FE_EP_OTHER] = "other",
};
static promc_counter *cache_requests, *cache_child[3], *hello_dropped, *in_doubt;
static promc_counter *mq_publish, *publish_child;
static promc_histogram *mq_publish_latency, *publish_latency_child;
static long (*hello_jobs_pending)(void);
/* WORKSHOP:EX4 END */

/* WORKSHOP:EX4 BEGIN */
static int collect_hello_queue(promc_collect_ctx *ctx, void *userdata) {
    (void)userdata;
    int rc = promc_collect_family(ctx, "hello_jobs_pending",
                                  "hello jobs waiting in the bounded queue for the publisher",
                                  PROMC_GAUGE, NULL);
    return rc ? rc : promc_collect_sample(ctx, NULL, (double)hello_jobs_pending());
}

/* http_latency, http_requests_total, errors_total and the reference's other request metrics. */
static int register_request_metrics(void) {
    http_latency = promc_histogram_new(NULL, "http_latency", "Histogram of HTTP latencies",
                                       PROMC_LABELS("method", "endpoint"), NULL, 0);
    /* schema 3 (buckets 9% wide); at most 160 buckets, a reset at most once an hour when more
     * are needed, as client_golang's documentation suggests */
    promc_histogram_opts native = {
        .bucket_factor = 1.1, .max_buckets = 160, .min_reset_duration_ms = 3600 * 1000};
    http_latency_native = promc_histogram_new_opts(NULL, "http_latency_native",
                                                   "HTTP latencies in native buckets (seconds)",
                                                   PROMC_LABELS("method", "endpoint"), &native);
    http_requests = promc_counter_new(NULL, "http_requests_total", "HTTP requests by route",
                                      PROMC_LABELS("method", "endpoint"));
    errors = promc_counter_new(NULL, "errors_total", "Failed requests by kind of error",
                               PROMC_LABELS("method", "endpoint", "error"));
    cache_requests = promc_counter_new(NULL, "cache_requests_total", "Cache lookups by result",
                                       PROMC_LABELS("result"));
    hello_dropped =
        promc_counter_new(NULL, "hello_jobs_dropped_total",
                          "hello jobs dropped because the bounded queue was full", NULL);
    in_doubt = promc_counter_new(NULL, "orders_in_doubt_total",
                                 "Orders answered 503 that the broker may still hold (not "
                                 "cancellable: the database was down too)",
                                 NULL);
    mq_publish = promc_counter_new(NULL, "mq_publish_total", "Messages confirmed by the broker",
                                   PROMC_LABELS("queue"));
    mq_publish_latency =
        promc_histogram_new(NULL, "mq_publish_latency", "Seconds to publish and get confirms",
                            PROMC_LABELS("queue"), NULL, 0);
    if (!http_latency || !http_latency_native || !http_requests || !errors || !cache_requests ||
        !hello_dropped || !in_doubt || !mq_publish || !mq_publish_latency)
        return -1;
    static const char *const results[3] = {"hit", "miss", "error"};
    for (int i = 0; i < 3; i++)
        cache_child[i] = promc_counter_labels(cache_requests, results[i]);
    return 0;
}
/* WORKSHOP:EX4 END */

int fe_metrics_init(void) {
    /* WORKSHOP:EX1 BEGIN */
    hello_total = promc_counter_new(NULL, "hello_total", "Total number of hello requests", NULL);
    if (!hello_total)
        return -1;
    /* WORKSHOP:EX1 END */
    /* WORKSHOP:EX2 BEGIN */
    all_fruits =
        promc_gauge_new(NULL, "all_fruits", "Total number of recent fruits in the database", NULL);
    if (!all_fruits)
        return -1;
    /* WORKSHOP:EX2 END */
    /* WORKSHOP:EX3 BEGIN */
    recent_fruits =
        promc_gauge_new(NULL, "recent_fruits", "Total number of recent fruits in the database",
                        PROMC_LABELS("fruit"));
    quantity = promc_counter_new(NULL, "quantity_total", "Quantity of fruit ordered (accepted)",
                                 PROMC_LABELS("fruit"));
    if (!recent_fruits || !quantity)
        return -1;
    for (int i = 0; i < WS_NFRUITS; i++) {
        recent_child[i] = promc_gauge_labels(recent_fruits, ws_fruits[i]);
        quantity_child[i] = promc_counter_labels(quantity, ws_fruits[i]);
    }
    /* WORKSHOP:EX3 END */
    /* WORKSHOP:EX4 BEGIN */
    if (register_request_metrics() != 0)
        return -1;
    /* WORKSHOP:EX4 END */
    return promc_register_default_collectors(NULL) == 0 ? 0 : -1;
}

/* WORKSHOP:EX1 BEGIN */
void fe_metric_hello(void) {
    promc_counter_inc(hello_total);
}
/* WORKSHOP:EX1 END */

/* WORKSHOP:EX2 BEGIN */
void fe_metric_all_fruits(long long total) {
    promc_gauge_set(all_fruits, (double)total);
}
/* WORKSHOP:EX2 END */

/* WORKSHOP:EX3 BEGIN */
void fe_metric_recent_fruits(int fruit, long long total) {
    promc_gauge_set(recent_child[fruit], (double)total);
}

void fe_metric_order(int fruit, int qty) {
    promc_counter_add(quantity_child[fruit], qty);
}
/* WORKSHOP:EX3 END */

/* WORKSHOP:EX4 BEGIN */
int fe_metrics_queue(const char *queue) {
    publish_child = promc_counter_labels(mq_publish, queue);
    publish_latency_child = promc_histogram_labels(mq_publish_latency, queue);
    return publish_child && publish_latency_child ? 0 : -1;
}

int fe_metrics_hello_jobs(long (*pending)(void)) {
    hello_jobs_pending = pending;
    return promc_collector_register(NULL, "hello_jobs", collect_hello_queue, NULL);
}

void fe_metric_request(fe_method m, fe_endpoint e, double seconds) {
    promc_histogram *h = atomic_load_explicit(&latency_child[m][e], memory_order_acquire);
    if (!h) {
        h = promc_histogram_labels(http_latency, fe_method_names[m], endpoint_names[e]);
        atomic_store_explicit(&latency_child[m][e], h, memory_order_release);
    }
    promc_counter *c = atomic_load_explicit(&requests_child[m][e], memory_order_acquire);
    if (!c) {
        c = promc_counter_labels(http_requests, fe_method_names[m], endpoint_names[e]);
        atomic_store_explicit(&requests_child[m][e], c, memory_order_release);
    }
    promc_histogram *n = atomic_load_explicit(&latency_native_child[m][e], memory_order_acquire);
    if (!n) {
        n = promc_histogram_labels(http_latency_native, fe_method_names[m], endpoint_names[e]);
        atomic_store_explicit(&latency_native_child[m][e], n, memory_order_release);
    }
    promc_histogram_observe(h, seconds);
    promc_histogram_observe(n, seconds);
    promc_counter_inc(c);
}

void fe_metric_error(fe_method m, fe_endpoint e, const char *kind) {
    promc_counter_inc(promc_counter_labels(errors, fe_method_names[m], endpoint_names[e], kind));
}

void fe_metric_cache(fe_cache_result r) {
    promc_counter_inc(cache_child[r]);
}

void fe_metric_publish(double seconds, int confirmed) {
    promc_histogram_observe(publish_latency_child, seconds);
    if (confirmed > 0)
        promc_counter_add(publish_child, confirmed);
}

void fe_metric_hello_dropped(void) {
    promc_counter_inc(hello_dropped);
}

void fe_metric_order_in_doubt(void) {
    promc_counter_inc(in_doubt);
}
/* WORKSHOP:EX4 END */
