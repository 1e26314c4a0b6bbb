/* WORKSHOP:EX0 FILE */
/* metrics.c -- the backend's promc metrics. */
#include "metrics.h"

#include <promc.h>
#include <stddef.h>

/* WORKSHOP:EX5 BEGIN */
static promc_summary *job_duration;
static promc_gauge *busy;
static promc_counter *jobs, *outcomes, *duplicates, *cancelled, *publish_total;
static promc_counter *outcome_child[BE_NOUTCOMES], *publish_child[2];
static promc_histogram *db_insert, *cache_delete, *mq_read, *publish_latency;
static promc_histogram *publish_latency_child[2];

/* job_duration_seconds and the reference's other job, database, cache and broker metrics. */
static int register_job_metrics(void) {
    static const promc_quantile q[] = {{0.5, 0.05}, {0.9, 0.01}, {0.99, 0.001}};
    job_duration = promc_summary_new(NULL, "job_duration_seconds", "Duration of worker jobs", NULL,
                                     q, 3, 0, 0);
    busy = promc_gauge_new(NULL, "worker_busy", "Workers busy with a job", NULL);
    jobs = promc_counter_new(NULL, "jobs_total", "Jobs taken from the queue", NULL);
    outcomes = promc_counter_new(NULL, "jobs_outcome_total",
                                 "Job attempts by outcome: ok, failed (an attempt failed), "
                                 "retried (an attempt after a failure), poison (dead-lettered)",
                                 PROMC_LABELS("outcome"));
    duplicates = promc_counter_new(NULL, "orders_duplicate_total",
                                   "Redelivered orders already stored (not stored again)", NULL);
    cancelled = promc_counter_new(NULL, "orders_cancelled_total",
                                  "Orders the frontend cancelled after an unconfirmed publish "
                                  "(answered 503, so not stored)",
                                  NULL);
    db_insert =
        promc_histogram_new(NULL, "database_insert_latency",
                            "Seconds to insert a batch of orders into PostgreSQL", NULL, NULL, 0);
    cache_delete =
        promc_histogram_new(NULL, "cache_delete_latency",
                            "Seconds to delete the cache keys of a batch's fruits", NULL, NULL, 0);
    mq_read = promc_histogram_new(NULL, "mq_read_latency",
                                  "Seconds waiting for the next message (batch)", NULL, NULL, 0);
    publish_total = promc_counter_new(NULL, "mq_publish_total", "Messages confirmed by the broker",
                                      PROMC_LABELS("queue"));
    publish_latency =
        promc_histogram_new(NULL, "mq_publish_latency", "Seconds to publish and get confirms",
                            PROMC_LABELS("queue"), NULL, 0);
    if (!job_duration || !busy || !jobs || !outcomes || !duplicates || !cancelled || !db_insert ||
        !cache_delete || !mq_read || !publish_total || !publish_latency)
        return -1;
    static const char *const names[BE_NOUTCOMES] = {"ok", "failed", "poison", "retried"};
    for (int i = 0; i < BE_NOUTCOMES; i++)
        outcome_child[i] = promc_counter_labels(outcomes, names[i]);
    return 0;
}
/* WORKSHOP:EX5 END */

int be_metrics_init(void) {
    /* WORKSHOP:EX5 BEGIN */
    if (register_job_metrics() != 0)
        return -1;
    /* WORKSHOP:EX5 END */
    return promc_register_default_collectors(NULL) == 0 ? 0 : -1;
}

/* WORKSHOP:EX5 BEGIN */
int be_metrics_queues(const char *queue, const char *dead_letter_queue) {
    publish_child[0] = promc_counter_labels(publish_total, queue);
    publish_child[1] = promc_counter_labels(publish_total, dead_letter_queue);
    publish_latency_child[0] = promc_histogram_labels(publish_latency, queue);
    publish_latency_child[1] = promc_histogram_labels(publish_latency, dead_letter_queue);
    for (int i = 0; i < 2; i++) {
        if (!publish_child[i] || !publish_latency_child[i])
            return -1;
    }
    return 0;
}

void be_metric_job(double seconds) {
    promc_counter_inc(jobs);
    promc_summary_observe(job_duration, seconds);
}

void be_metric_busy(int delta) {
    promc_gauge_add(busy, delta);
}

void be_metric_outcome(be_outcome o) {
    promc_counter_inc(outcome_child[o]);
}
void be_metric_outcomes(be_outcome o, int n) {
    promc_counter_add(outcome_child[o], n);
}
void be_metric_duplicate(void) {
    promc_counter_inc(duplicates);
}
void be_metric_cancelled(void) {
    promc_counter_inc(cancelled);
}
void be_metric_db_insert(double seconds) {
    promc_histogram_observe(db_insert, seconds);
}
void be_metric_cache_delete(double seconds) {
    promc_histogram_observe(cache_delete, seconds);
}
void be_metric_mq_read(double seconds) {
    promc_histogram_observe(mq_read, seconds);
}

void be_metric_publish(int dead, double seconds, int confirmed) {
    promc_histogram_observe(publish_latency_child[dead != 0], seconds);
    if (confirmed > 0)
        promc_counter_add(publish_child[dead != 0], confirmed);
}
/* WORKSHOP:EX5 END */
