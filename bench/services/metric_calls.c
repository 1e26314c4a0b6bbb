/* metric_calls.c -- what the frontend's instrumentation costs per request, measured directly:
 * the exact metric calls of one POST /fruit (http_latency, http_requests_total, mq_publish_*,
 * quantity_total) and of one GET /hello, from 1 and 2 threads. wrk's throughput on a small
 * shared machine is too noisy to resolve a cost this small; this is the number it hides. */
#include "metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <time.h>

/* What metrics.c needs from the rest of the frontend. */
const char *const fe_method_names[FE_NM] = {"GET",    "POST",  "HEAD",    "PUT",
                                            "DELETE", "PATCH", "OPTIONS", "other"};
long fe_hello_jobs_pending(void) {
    return 0;
}

#define N 5000000

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *post_calls(void *arg) {
    (void)arg;
    for (int i = 0; i < N; i++) {
        fe_metric_publish(0.003, 1);
        fe_metric_order(i % 5, 3);
        fe_metric_request(FE_M_POST, FE_EP_FRUIT, 0.01);
    }
    return NULL;
}

static void *hello_calls(void *arg) {
    (void)arg;
    for (int i = 0; i < N; i++) {
        fe_metric_hello();
        fe_metric_request(FE_M_GET, FE_EP_HELLO, 0.0001);
    }
    return NULL;
}

static void measure(const char *what, void *(*fn)(void *)) {
    for (int threads = 1; threads <= 2; threads++) {
        pthread_t t[2];
        double t0 = now();
        for (int i = 0; i < threads; i++)
            pthread_create(&t[i], NULL, fn, NULL);
        for (int i = 0; i < threads; i++)
            pthread_join(t[i], NULL);
        printf("metric calls of one %-11s %d thread%s: %5.1f ns per request per thread\n", what,
               threads, threads > 1 ? "s" : " ", (now() - t0) / N * 1e9);
    }
}

int main(void) {
    if (fe_metrics_init() != 0 || fe_metrics_queue("task_queue") != 0)
        return 1;
    measure("GET /hello,", hello_calls);
    measure("POST /fruit,", post_calls);
    return 0;
}
