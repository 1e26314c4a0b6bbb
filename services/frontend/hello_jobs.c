/* hello_jobs.c -- the bounded hello-job queue and the thread that publishes it. */
#include "hello_jobs.h"
#include "log.h"
#include "metrics.h" /* WORKSHOP:EX4 */
#include "order.h"
#include "util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#define BATCH 256

static atomic_long pending;
static long capacity;
static atomic_bool running;
static atomic_bool sleeping;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_t thread;
static ws_mq_publisher *publisher;
static int timeout_ms;
static double drain_deadline;

bool fe_hello_jobs_push(void) {
    long n = atomic_load_explicit(&pending, memory_order_relaxed);
    do {
        if (n >= capacity) {
            fe_metric_hello_dropped(); /* WORKSHOP:EX4 */
            return false;
        }
    } while (!atomic_compare_exchange_weak(&pending, &n, n + 1));
    /* Only wake the publisher when it is parked; while it is busy it re-reads `pending`. */
    if (atomic_load_explicit(&sleeping, memory_order_acquire)) {
        pthread_mutex_lock(&lock);
        pthread_cond_signal(&wake);
        pthread_mutex_unlock(&lock);
    }
    return true;
}

/* WORKSHOP:EX4 BEGIN */
long fe_hello_jobs_pending(void) {
    return atomic_load(&pending);
}
/* WORKSHOP:EX4 END */

static void wait_for_work(void) {
    pthread_mutex_lock(&lock);
    atomic_store(&sleeping, true);
    while (atomic_load(&pending) == 0 && atomic_load(&running)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100 * 1000 * 1000; /* bounded wait: a missed wake-up costs 100 ms */
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&wake, &lock, &ts);
    }
    atomic_store(&sleeping, false);
    pthread_mutex_unlock(&lock);
}

static void *publisher_main(void *arg) {
    (void)arg;
    ws_mq_msg msgs[BATCH];
    for (int i = 0; i < BATCH; i++)
        msgs[i] = (ws_mq_msg){WS_HELLO_MSG, strlen(WS_HELLO_MSG), NULL};
    ws_backoff backoff;
    ws_backoff_init(&backoff, 100, 2000);
    for (;;) {
        wait_for_work();
        long n = atomic_load(&pending);
        if (n == 0 || (!atomic_load(&running) && ws_now() > drain_deadline))
            break;
        size_t take = n > BATCH ? BATCH : (size_t)n;
        double t0 = ws_now(); /* WORKSHOP:EX4 */
        int ok = ws_mq_publish(publisher, msgs, take, timeout_ms);
        fe_metric_publish(ws_now() - t0, ok); /* WORKSHOP:EX4 */
        if (ok > 0)
            atomic_fetch_sub(&pending, ok);
        if (ok < (int)take) {
            char err[256];
            log_every(5, WS_WARN, "hello jobs not published pending=%ld error=\"%s\"",
                      atomic_load(&pending), ws_mq_publisher_error(publisher, err, sizeof err));
            ws_sleep_ms(ws_backoff_next(&backoff), NULL);
        } else {
            ws_backoff_reset(&backoff);
        }
    }
    return NULL;
}

int fe_hello_jobs_start(const ws_mq_config *cfg, const char *queue, long cap,
                        int publish_timeout_ms) {
    capacity = cap;
    timeout_ms = publish_timeout_ms;
    publisher = ws_mq_publisher_new(cfg, queue);
    if (!publisher)
        return -1;
    atomic_store(&running, true);
    if (pthread_create(&thread, NULL, publisher_main, NULL) != 0) {
        ws_mq_publisher_free(publisher);
        publisher = NULL;
        return -1;
    }
    pthread_setname_np(thread, "hello-publish");
    return 0;
}

void fe_hello_jobs_stop(int drain_ms) {
    if (!publisher)
        return;
    drain_deadline = ws_now() + drain_ms / 1000.0;
    pthread_mutex_lock(&lock);
    atomic_store(&running, false);
    pthread_cond_signal(&wake);
    pthread_mutex_unlock(&lock);
    pthread_join(thread, NULL);
    long left = atomic_load(&pending);
    if (left > 0)
        log_warn("hello jobs not published at shutdown count=%ld", left);
    ws_mq_publisher_free(publisher);
    publisher = NULL;
}
