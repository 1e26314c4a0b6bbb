/* hello_jobs.h -- fire-and-forget "hello" jobs: /hello hands each one to a bounded queue that
 * a publisher thread drains in confirmed batches, so /hello never waits on the broker.
 *
 * Every hello job is the same message, so the queue is a bounded count of pending messages:
 * enqueueing is one compare-and-swap, and a full queue drops the job. While the
 * broker is down, pending jobs wait (up to the bound) and are published after it returns. */
#ifndef FE_HELLO_JOBS_H
#define FE_HELLO_JOBS_H

#include "mq.h"

#include <stdbool.h>

/* Starts the publisher thread. 0 or -1. */
int fe_hello_jobs_start(const ws_mq_config *cfg, const char *queue, long capacity,
                        int publish_timeout_ms);
/* Queues one job; false when the queue was full and the job was dropped. */
bool fe_hello_jobs_push(void);
/* WORKSHOP:EX4 BEGIN */
/* Jobs waiting to be published (the metric hello_jobs_pending). */
long fe_hello_jobs_pending(void);
/* WORKSHOP:EX4 END */
/* Publishes what is pending (for up to timeout_ms), stops the thread, frees everything. */
void fe_hello_jobs_stop(int timeout_ms);

#endif
