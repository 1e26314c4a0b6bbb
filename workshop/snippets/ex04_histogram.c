/* ex04_histogram.c -- exercise 4: request latency by method and endpoint, in client_python's
 * default buckets, and the request and error counters that go with it. The snippets are what
 * the guide shows; main() times two requests and counts a refused one. */
#include "promc.h"
#include "snippet_check.h"

#include <time.h>

static promc_histogram *http_latency;
static promc_counter *http_requests, *errors;

static void pretend_work(long ms) {
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

static int metrics_init(void) {
    http_latency = promc_histogram_new(NULL, "http_latency", "Histogram of HTTP latencies",
                                       PROMC_LABELS("method", "endpoint"), NULL, 0);
    http_requests = promc_counter_new(NULL, "http_requests_total", "HTTP requests by route",
                                      PROMC_LABELS("method", "endpoint"));
    errors = promc_counter_new(NULL, "errors_total", "Failed requests by kind of error",
                               PROMC_LABELS("method", "endpoint", "error"));
    return http_latency && http_requests && errors ? 0 : -1;
}

static void on_answered(const char *method, const char *endpoint, const char *error) {
    promc_counter_inc(promc_counter_labels(http_requests, method, endpoint));
    if (error) /* the kind of error answered, e.g. "FruitValueError" */
        promc_counter_inc(promc_counter_labels(errors, method, endpoint, error));
}

static void on_request(const char *method, const char *endpoint) {
    double start = promc_now();
    /* ... answer the request ... */
    pretend_work(30);
    promc_histogram_observe(promc_histogram_labels(http_latency, method, endpoint),
                            promc_now() - start);
}

static void on_hello(void) {
    /* snippet: time-block */
    PROMC_TIME_HISTOGRAM(promc_histogram_labels(http_latency, "GET", "/hello")) {
        pretend_work(30); /* the block being timed */
    }
    /* end snippet */
}

int main(void) {
    if (metrics_init() != 0)
        return 1;
    on_request("GET", "/fruit");
    on_hello();
    on_answered("GET", "/fruit", NULL);
    on_answered("GET", "/fruit", "FruitValueError");
    char *page = snippet_render();
    snippet_expect_line(page, "# TYPE http_latency histogram");
    snippet_expect_line(page,
                        "http_latency_bucket{method=\"GET\",endpoint=\"/fruit\",le=\"0.025\"} 0");
    snippet_expect_line(page,
                        "http_latency_bucket{method=\"GET\",endpoint=\"/fruit\",le=\"0.05\"} 1");
    snippet_expect_line(page,
                        "http_latency_bucket{method=\"GET\",endpoint=\"/fruit\",le=\"+Inf\"} 1");
    snippet_expect_line(page, "http_latency_count{method=\"GET\",endpoint=\"/hello\"} 1");
    snippet_expect_line(page, "http_latency_sum{method=\"GET\",endpoint=\"/hello\"} 0.0");
    snippet_expect_line(page, "# TYPE http_requests_total counter");
    snippet_expect_line(page, "http_requests_total{method=\"GET\",endpoint=\"/fruit\"} 2");
    snippet_expect_line(
        page, "errors_total{method=\"GET\",endpoint=\"/fruit\",error=\"FruitValueError\"} 1");
    free(page);
    return snippet_result("ex04_histogram");
}
