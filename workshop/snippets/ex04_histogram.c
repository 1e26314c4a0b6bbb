/* ex04_histogram.c -- exercise 4: request latency by method and endpoint, in client_python's
 * default buckets. The snippets are what the guide shows; main() times two requests. */
#include "promc.h"
#include "snippet_check.h"

#include <time.h>

static promc_histogram *http_latency;

static void pretend_work(long ms) {
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

static int metrics_init(void) {
    /* snippet: register */
    http_latency = promc_histogram_new(NULL, "http_latency", "Histogram of HTTP latencies",
                                       PROMC_LABELS("method", "endpoint"), NULL, 0);
    /* end snippet */
    return http_latency ? 0 : -1;
}

static void on_request(const char *method, const char *endpoint) {
    /* snippet: observe */
    double start = promc_now();
    /* ... answer the request ... */
    pretend_work(30);
    promc_histogram_observe(promc_histogram_labels(http_latency, method, endpoint),
                            promc_now() - start);
    /* end snippet */
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
    free(page);
    return snippet_result("ex04_histogram");
}
