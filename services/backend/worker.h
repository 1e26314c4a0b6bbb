/* worker.h -- the backend's worker threads: consume task_queue, run jobs, store orders. */
#ifndef BE_WORKER_H
#define BE_WORKER_H

#include "config.h"

#include <stdatomic.h>

/* Starts cfg->workers threads; they run until *running turns false, then finish the job in
 * hand, ack it and close their connections. dead_letters is shared (it is thread-safe).
 * 0 or -1 (threads already started are stopped again). */
int be_workers_start(const be_config *cfg, const atomic_bool *running,
                     ws_mq_publisher *dead_letters);
/* Waits for every worker to finish. */
void be_workers_join(void);

#endif
