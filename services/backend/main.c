/* main.c -- the workshop backend: flags and environment, workers, the order generator, and a
 * clean stop on SIGINT/SIGTERM. */
#include "config.h"
#include "generator.h"
#include "log.h"
#include "metrics.h" /* WORKSHOP:EX0 */
#include "service.h"
#include "worker.h"

#include <promc_http.h> /* WORKSHOP:EX0 */
#include <stdatomic.h>

static be_config cfg = {
    .workers = 20,
    .batch = 100,
    .prefetch = 0,
    .batch_wait_ms = 5,
    .outcomes_retention_s = 86400,
    .job_ms = {100, 500, false},
    .generator_ms = {100, 500, false},
    .db_failure_rate = 0.1,
    .retry_ms = {100, 5000, false},
    .metrics_addr = "127.0.0.1", /* WORKSHOP:EX0 */
    .metrics_port = 5001,        /* WORKSHOP:EX0 */
    .client_timeout_s = 5,       /* WORKSHOP:EX0 */
    .pg_dsn = "postgresql://demo:demo@localhost:5432/demo",
    .amqp_url = "amqp://guest:guest@localhost:5672/",
    .queue = "task_queue",
    .dead_letter_queue = "task_queue.dead",
    .redis_host = "localhost",
    .redis_port = 6379,
    .redis_timeout_ms = 200,
    .publish_timeout_ms = 2000,
    .amqp_heartbeat_s = WS_MQ_DEFAULT_HEARTBEAT_S,
    .log_level = "info",
};

static const char *queue_type = "classic"; /* parsed into cfg.mq.queue_type */

static const ws_opt options[] = {
    {"workers", "BACKEND_WORKERS", WS_OPT_INT, &cfg.workers, 1, 1000, "N", "worker threads"},
    {"batch", "BACKEND_BATCH", WS_OPT_INT, &cfg.batch, 1, 4096, "N",
     "messages a worker handles together: their orders in one transaction, then one ack "
     "(1: one at a time)"},
    {"batch-wait-ms", "BACKEND_BATCH_WAIT_MS", WS_OPT_INT, &cfg.batch_wait_ms, 0, 10000, "MS",
     "how long a batch's first message waits for the rest of the batch (0: take what has "
     "arrived)"},
    {"prefetch", "BACKEND_PREFETCH", WS_OPT_INT, &cfg.prefetch, 0, 65535, "N",
     "unacked messages the broker may hand each worker (0: twice the batch; 1 for --batch 1)"},
    {"outcomes-retention-s", "ORDER_OUTCOMES_RETENTION_S", WS_OPT_INT, &cfg.outcomes_retention_s, 0,
     100000000, "S",
     "prune order_outcomes rows older than this; must exceed the longest time an order may wait "
     "in the queue (0: never prune)"},
    {"job-ms", "JOB_DURATION_MS", WS_OPT_RANGE, &cfg.job_ms, 0, 600000, "LO-HI",
     "duration of a simulated \"hello\" job in milliseconds"},
    {"generator-ms", "GENERATOR_PAUSE_MS", WS_OPT_RANGE, &cfg.generator_ms, 1, 600000, "LO-HI|off",
     "pause between generated orders of oranges (sets the generator's rate; off disables it)"},
    {"db-failure-rate", "DB_FAILURE_RATE", WS_OPT_DOUBLE, &cfg.db_failure_rate, 0, 1, "P",
     "probability that a database session fails (simulated timeout; the order is retried)"},
    {"retry-ms", "RETRY_BACKOFF_MS", WS_OPT_RANGE, &cfg.retry_ms, 1, 600000, "MIN-MAX",
     "backoff between attempts to store an order"},
    /* WORKSHOP:EX0 BEGIN */
    {"metrics-port", "METRICS_PORT", WS_OPT_INT, &cfg.metrics_port, 0, 65535, "PORT",
     "port of the /metrics server"},
    {"metrics-addr", "METRICS_ADDR", WS_OPT_STR, &cfg.metrics_addr, 0, 0, "ADDR",
     "address of the /metrics server (default 127.0.0.1; \"\" for every interface)"},
    {"client-timeout", "CLIENT_TIMEOUT", WS_OPT_INT, &cfg.client_timeout_s, 1, 3600, "SECONDS",
     "the /metrics server closes a connection idle or slow for this long"},
    /* WORKSHOP:EX0 END */
    {"pg-dsn", "PG_DSN", WS_OPT_STR, &cfg.pg_dsn, 0, 0, "DSN", "PostgreSQL connection string"},
    {"amqp-url", "AMQP_URL", WS_OPT_STR, &cfg.amqp_url, 0, 0, "URL[,URL...]",
     "RabbitMQ URL, or the comma-separated URLs of a cluster's nodes (on failure the next one)"},
    {"queue-type", "QUEUE_TYPE", WS_OPT_STR, &queue_type, 0, 0, "classic|quorum",
     "type the queues are declared with (quorum: replicated over a cluster's nodes)"},
    {"queue", "QUEUE", WS_OPT_STR, &cfg.queue, 0, 0, "NAME", "queue of jobs and orders"},
    {"dead-letter-queue", "DEAD_LETTER_QUEUE", WS_OPT_STR, &cfg.dead_letter_queue, 0, 0, "NAME",
     "queue that receives poison messages"},
    {"redis-host", "REDIS_HOST", WS_OPT_STR, &cfg.redis_host, 0, 0, "HOST", "Redis host"},
    {"redis-port", "REDIS_PORT", WS_OPT_INT, &cfg.redis_port, 1, 65535, "PORT", "Redis port"},
    {"redis-db", "REDIS_DB", WS_OPT_INT, &cfg.redis_db, 0, 1000, "N", "Redis database number"},
    {"redis-timeout-ms", "REDIS_TIMEOUT_MS", WS_OPT_INT, &cfg.redis_timeout_ms, 1, 60000, "MS",
     "bound on connecting to Redis and on each command"},
    {"publish-timeout-ms", "PUBLISH_TIMEOUT_MS", WS_OPT_INT, &cfg.publish_timeout_ms, 10, 60000,
     "MS", "how long to wait for the broker's confirm"},
    {"amqp-heartbeat", "AMQP_HEARTBEAT", WS_OPT_INT, &cfg.amqp_heartbeat_s, 0, 3600, "SECONDS",
     "AMQP heartbeat of the consumers' connections, so a dead broker is noticed without "
     "traffic (0: off)"},
    {"log-level", "LOG_LEVEL", WS_OPT_STR, &cfg.log_level, 0, 0, "LEVEL",
     "debug, info, warn or error"},
};

int main(int argc, char **argv) {
    ws_service svc = {
        .name = "backend",
        .summary = "The workshop backend: workers consuming task_queue into PostgreSQL, "
                   "an order generator"
                   ", /metrics on port 5001" /* WORKSHOP:EX0 */
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
    if (cfg.prefetch == 0)
        cfg.prefetch = cfg.batch == 1 ? 1 : 2 * cfg.batch > 65535 ? 65535 : 2 * cfg.batch;

    /* WORKSHOP:EX0 BEGIN */
    if (be_metrics_init() != 0) {
        log_error("cannot register metrics");
        return 1;
    }
    /* WORKSHOP:EX0 END */
    /* WORKSHOP:EX5 BEGIN */
    if (be_metrics_queues(cfg.queue, cfg.dead_letter_queue) != 0) {
        log_error("cannot register metrics");
        return 1;
    }
    /* WORKSHOP:EX5 END */
    /* WORKSHOP:EX0 BEGIN */
    promc_http_options http_opts = {.timeout_seconds = (unsigned)cfg.client_timeout_s};
    promc_http_server *http = promc_http_start(NULL, *cfg.metrics_addr ? cfg.metrics_addr : NULL,
                                               (uint16_t)cfg.metrics_port, &http_opts);
    if (!http) {
        log_error("cannot serve metrics port=%d error=\"%s\"", cfg.metrics_port,
                  promc_last_error_message());
        return 1;
    }
    /* WORKSHOP:EX0 END */
    static atomic_bool running = true;
    ws_mq_publisher *dead_letters = ws_mq_publisher_new(&cfg.mq, cfg.dead_letter_queue);
    /* Declare the dead-letter queue now (a quorum queue is then replicated from the start),
     * not at the first poison message. A broker down at start is no reason to stop: the
     * first dead letter connects and declares it. */
    char mq_err[256];
    if (dead_letters && ws_mq_publisher_connect(dead_letters) != 0)
        log_warn("cannot declare the dead-letter queue yet queue=%s error=\"%s\"",
                 cfg.dead_letter_queue, ws_mq_publisher_error(dead_letters, mq_err, sizeof mq_err));
    int status = 0;
    if (!dead_letters || be_workers_start(&cfg, &running, dead_letters) != 0 ||
        be_generator_start(&cfg, &running) != 0) {
        log_error("cannot start the workers");
        status = 1;
    } else {
        log_info("running workers=%d batch=%d prefetch=%d", cfg.workers, cfg.batch, cfg.prefetch);
        log_info("serving /metrics port=%u", promc_http_port(http)); /* WORKSHOP:EX0 */
        int sig = ws_service_wait(&svc);
        log_info("stopping: finishing jobs in hand signal=%d", sig);
    }
    atomic_store(&running, false);
    be_generator_join();
    be_workers_join();
    ws_mq_publisher_free(dead_letters);
    promc_http_stop(http); /* WORKSHOP:EX0 */
    log_info("stopped");
    return status;
}
