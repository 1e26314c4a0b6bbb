/* config.h -- the frontend's settings, filled from flags and environment by main.c. */
#ifndef FE_CONFIG_H
#define FE_CONFIG_H

#include "mq.h"
#include "opts.h"

#include <stdbool.h>

typedef struct fe_config {
    const char *addr; /* "" = every interface */
    int port;
    int threads;
    int connection_limit; /* 0: from the fd limit (ws_connection_budget) */
    int client_timeout_s; /* idle or slow connections are closed after this */
    bool simulate_latency;
    ws_range latency_ms;
    const char *pg_dsn;
    const char *amqp_url;
    ws_mq_config mq;
    const char *queue;
    const char *redis_host;
    int redis_port;
    int redis_db;
    int redis_timeout_ms;
    int cache_ttl_s;
    int publish_timeout_ms;
    int publish_inflight; /* 1: each HTTP thread publishes one order at a time */
    int amqp_heartbeat_s;
    int hello_queue_size;
    const char *log_level;
} fe_config;

#endif
