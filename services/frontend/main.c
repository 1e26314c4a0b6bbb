/* main.c -- the workshop frontend: flags and environment, start, wait for a signal, stop. */
#include "config.h"
#include "delay.h"
#include "fdlimit.h"
#include "handlers.h"
#include "hello_jobs.h"
#include "log.h"
#include "metrics.h" /* WORKSHOP:EX0 */
#include "opts.h"
#include "orders.h"
#include "resources.h"
#include "server.h"
#include "service.h"

static fe_config cfg = {
    .addr = "127.0.0.1",
    .port = 5000,
    .threads = 8,
    .connection_limit = 0,
    .client_timeout_s = 5,
    .simulate_latency = true,
    .latency_ms = {100, 500, false},
    .pg_dsn = "postgresql://demo:demo@localhost:5432/demo",
    .amqp_url = "amqp://guest:guest@localhost:5672/",
    .queue = "task_queue",
    .redis_host = "localhost",
    .redis_port = 6379,
    .redis_timeout_ms = 200,
    .cache_ttl_s = 5,
    .publish_timeout_ms = 2000,
    .publish_inflight = 1024,
    .amqp_heartbeat_s = WS_MQ_DEFAULT_HEARTBEAT_S,
    .hello_queue_size = 10000,
    .log_level = "info",
};

static const char *queue_type = "classic"; /* parsed into cfg.mq.queue_type */

static const ws_opt options[] = {
    {"port", "FRONTEND_PORT", WS_OPT_INT, &cfg.port, 0, 65535, "PORT", "HTTP port"},
    {"addr", "FRONTEND_ADDR", WS_OPT_STR, &cfg.addr, 0, 0, "IPV4",
     "listen on this address (default 127.0.0.1, this machine only; \"\" for every interface)"},
    {"threads", "FRONTEND_THREADS", WS_OPT_INT, &cfg.threads, 1, 256, "N",
     "HTTP worker threads (each keeps its own database, cache and broker connection)"},
    {"connection-limit", "FRONTEND_CONNECTION_LIMIT", WS_OPT_INT, &cfg.connection_limit, 0, 1000000,
     "N", "most concurrent HTTP connections (0: 3/4 of the fd limit, also the most)"},
    {"client-timeout", "CLIENT_TIMEOUT", WS_OPT_INT, &cfg.client_timeout_s, 1, 3600, "SECONDS",
     "close a connection idle or slow for this long (half-sent headers, a stalled body)"},
    {"simulate-latency", "SIMULATE_LATENCY", WS_OPT_BOOL, &cfg.simulate_latency, 0, 0, "on|off",
     "add the seed's random latency to /hello and /fruit (off for benchmarks)"},
    {"latency-ms", "SIMULATED_LATENCY_MS", WS_OPT_RANGE, &cfg.latency_ms, 0, 60000, "LO-HI",
     "range of the simulated latency in milliseconds"},
    {"pg-dsn", "PG_DSN", WS_OPT_STR, &cfg.pg_dsn, 0, 0, "DSN", "PostgreSQL connection string"},
    {"amqp-url", "AMQP_URL", WS_OPT_STR, &cfg.amqp_url, 0, 0, "URL[,URL...]",
     "RabbitMQ URL, or the comma-separated URLs of a cluster's nodes (on failure the next one)"},
    {"queue-type", "QUEUE_TYPE", WS_OPT_STR, &queue_type, 0, 0, "classic|quorum",
     "type the queues are declared with (quorum: replicated over a cluster's nodes)"},
    {"queue", "QUEUE", WS_OPT_STR, &cfg.queue, 0, 0, "NAME", "queue of jobs and orders"},
    {"redis-host", "REDIS_HOST", WS_OPT_STR, &cfg.redis_host, 0, 0, "HOST", "Redis host"},
    {"redis-port", "REDIS_PORT", WS_OPT_INT, &cfg.redis_port, 1, 65535, "PORT", "Redis port"},
    {"redis-db", "REDIS_DB", WS_OPT_INT, &cfg.redis_db, 0, 1000, "N", "Redis database number"},
    {"redis-timeout-ms", "REDIS_TIMEOUT_MS", WS_OPT_INT, &cfg.redis_timeout_ms, 1, 60000, "MS",
     "bound on connecting to Redis and on each command"},
    {"cache-ttl", "CACHE_TTL", WS_OPT_INT, &cfg.cache_ttl_s, 1, 86400, "SECONDS",
     "lifetime of a cached total"},
    {"publish-timeout-ms", "PUBLISH_TIMEOUT_MS", WS_OPT_INT, &cfg.publish_timeout_ms, 10, 60000,
     "MS", "how long POST /fruit waits for the broker's confirm before answering 503"},
    {"publish-inflight", "PUBLISH_INFLIGHT", WS_OPT_INT, &cfg.publish_inflight, 1, 1000000, "N",
     "orders in flight to the broker at once on one pipelined channel (1: each HTTP thread "
     "publishes one order at a time and waits for its confirm)"},
    {"amqp-heartbeat", "AMQP_HEARTBEAT", WS_OPT_INT, &cfg.amqp_heartbeat_s, 0, 3600, "SECONDS",
     "AMQP heartbeat of the order publisher's connection, so a dead broker is noticed without "
     "traffic (0: off)"},
    {"hello-queue-size", "HELLO_QUEUE_SIZE", WS_OPT_INT, &cfg.hello_queue_size, 1, 10000000, "N",
     "hello jobs that may wait for the publisher before new ones are dropped"},
    {"log-level", "LOG_LEVEL", WS_OPT_STR, &cfg.log_level, 0, 0, "LEVEL",
     "debug, info, warn or error"},
};

int main(int argc, char **argv) {
    ws_service svc = {
        .name = "frontend",
        .summary = "The workshop frontend: GET /hello, POST /fruit, GET /fruit?name="
                   ", /metrics" /* WORKSHOP:EX0 */
                   ".",
        .opts = options,
        .nopts = sizeof options / sizeof options[0],
        .log_level = &cfg.log_level,
        .amqp_url = &cfg.amqp_url,
        .amqp_heartbeat_s = &cfg.amqp_heartbeat_s,
        .queue_type = &queue_type,
        .mq = &cfg.mq,
    };
    int rc = ws_service_init(&svc, argc, argv);
    if (rc != WS_SERVICE_RUN)
        return rc;
    /* More connections than descriptors would turn a flood into EMFILE for accept() and for
     * the database, cache and broker reconnects: keep the limit inside the budget. */
    int budget = ws_connection_budget(svc.fd_limit);
    if (cfg.connection_limit == 0 || cfg.connection_limit > budget) {
        if (cfg.connection_limit > budget)
            log_warn("connection limit lowered to what the fd limit allows limit=%d wanted=%d",
                     budget, cfg.connection_limit);
        cfg.connection_limit = budget;
    }

    /* WORKSHOP:EX0 BEGIN */
    if (fe_metrics_init() != 0) {
        log_error("cannot register the metrics");
        return 1;
    }
    /* WORKSHOP:EX0 END */
    /* WORKSHOP:EX4 BEGIN */
    if (fe_metrics_queue(cfg.queue) != 0 || fe_metrics_hello_jobs(fe_hello_jobs_pending) != 0) {
        log_error("cannot register the metrics");
        return 1;
    }
    /* WORKSHOP:EX4 END */
    if (fe_handlers_init(&cfg) != 0) {
        log_error("cannot initialise the handlers");
        return 1;
    }
    fe_resources_init(&cfg);
    if (fe_hello_jobs_start(&cfg.mq, cfg.queue, cfg.hello_queue_size, cfg.publish_timeout_ms)) {
        log_error("cannot start the hello job publisher");
        return 1;
    }
    if (fe_orders_start(&cfg) != 0) {
        log_error("cannot start the order publisher");
        return 1;
    }
    if (fe_delay_start(cfg.connection_limit) != 0) {
        log_error("cannot start the latency timer");
        return 1;
    }
    struct MHD_Daemon *d = fe_server_start(&cfg);
    if (!d) {
        fe_delay_stop();
        fe_orders_stop();
        fe_hello_jobs_stop(0);
        fe_handlers_free();
        return 1;
    }
    log_info("listening addr=%s port=%d connection_limit=%d", *cfg.addr ? cfg.addr : "*", cfg.port,
             cfg.connection_limit);
    int sig = ws_service_wait(&svc);
    log_info("stopping signal=%d", sig);
    fe_delay_stop();
    fe_orders_drain(); /* every suspended POST answered before the server stops */
    fe_server_stop(d);
    fe_orders_stop();
    fe_hello_jobs_stop(2000);
    fe_resources_free_all();
    fe_handlers_free();
    log_info("stopped");
    return 0;
}
