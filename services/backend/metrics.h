/* WORKSHOP:EX0 FILE */
/* metrics.h -- the backend's metrics, behind small functions that the workers call: exercise
 * 5's job summary, the reference solution's job, database, cache and broker metrics, and the
 * default process metrics. */
#ifndef BE_METRICS_H
#define BE_METRICS_H

/* Registers the metrics in promc's default registry, with the process collectors. 0 or -1. */
int be_metrics_init(void);

/* WORKSHOP:EX5 BEGIN */
typedef enum be_outcome { BE_OK, BE_FAILED, BE_POISON, BE_RETRIED, BE_NOUTCOMES } be_outcome;

/* Creates the broker metrics' series of both queues (exported at 0 before the first publish). */
int be_metrics_queues(const char *queue, const char *dead_letter_queue);

void be_metric_job(double seconds);           /* jobs_total, job_duration_seconds */
void be_metric_busy(int delta);               /* worker_busy */
void be_metric_outcome(be_outcome o);         /* jobs_outcome_total{outcome} */
void be_metric_outcomes(be_outcome o, int n); /* the same, for n orders of a batch */
void be_metric_duplicate(void);               /* orders_duplicate_total */
void be_metric_cancelled(void);               /* orders_cancelled_total */
void be_metric_db_insert(double seconds);     /* database_insert_latency (one per batch) */
void be_metric_cache_delete(double seconds);  /* cache_delete_latency */
void be_metric_mq_read(double seconds);       /* mq_read_latency (wait for a batch) */
/* mq_publish_total{queue} (confirmed messages) and mq_publish_latency{queue}. dead: the
 * dead-letter queue rather than the job queue. */
void be_metric_publish(int dead, double seconds, int confirmed);
/* WORKSHOP:EX5 END */

#endif
