/* config.h -- the backend's settings, filled from flags and environment by main.c. */
#ifndef BE_CONFIG_H
#define BE_CONFIG_H

#include "mq.h"
#include "opts.h"

#include <stdbool.h>

typedef struct be_config {
    int workers;
    int batch;                /* messages handled together: one transaction, one multiple ack */
    int prefetch;             /* 0: 2 x batch (1 for --batch 1) */
    int batch_wait_ms;        /* how long a batch's first message waits for the others */
    int outcomes_retention_s; /* order_outcomes rows older than this are pruned; 0: never */
    ws_range job_ms;          /* duration of a simulated "hello" job */
    ws_range generator_ms;    /* pause between generated orders; off disables the generator */
    double db_failure_rate;
    ws_range retry_ms; /* backoff between attempts of a failed order */
    const char *pg_dsn;
    const char *amqp_url;
    ws_mq_config mq;
    const char *queue;
    const char *dead_letter_queue;
    const char *redis_host;
    int redis_port;
    int redis_db;
    int redis_timeout_ms;
    int publish_timeout_ms;
    int amqp_heartbeat_s;
    const char *log_level;
    const char *metrics_addr; /* WORKSHOP:EX0 */
    int metrics_port;         /* WORKSHOP:EX0 */
    int client_timeout_s;     /* WORKSHOP:EX0 */
} be_config;

#endif
