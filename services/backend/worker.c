/* worker.c -- one worker: take a message, do the job, ack only once its effect is durable.
 *
 * Orders are acked after the INSERT has committed, so a crash at any moment loses nothing;
 * the broker may then redeliver, and the unique message_id makes the second insert a no-op.
 * A failed attempt (simulated or real) is retried with backoff, never dropped. Messages that
 * are neither "hello" nor a valid order go to the dead-letter queue. */
#include "worker.h"
#include "cache.h"
#include "db.h"
#include "log.h"
#include "metrics.h" /* WORKSHOP:EX5 */
#include "order.h"
#include "util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct worker {
    int id;
    pthread_t thread;
    const be_config *cfg;
    const atomic_bool *running;
    ws_mq_publisher *dead_letters;
    ws_mq_consumer *mq;
    ws_db *db;
    ws_cache *cache;
} worker;

static worker *workers;
static int nworkers;

static void forget_cached_totals(worker *w, const char *fruit) {
    char key[32];
    snprintf(key, sizeof key, "fruit_%s", fruit);
    double t0 = ws_now(); /* WORKSHOP:EX5 */
    int rc = ws_cache_del(w->cache, key);
    /* the "all" total includes this fruit too */
    if (rc == 0)
        rc = ws_cache_del(w->cache, "fruit_all");
    be_metric_cache_delete(ws_now() - t0); /* WORKSHOP:EX5 */
    if (rc != 0)
        log_every(5, WS_WARN, "cache delete failed (entries expire by TTL) error=\"%s\"",
                  ws_cache_last_error(w->cache));
}

enum { STORED = 1, DUPLICATE = 0, ABANDONED = -1 };

/* Stores an order, retrying until it is committed; ABANDONED only when shutting down first. */
static int store_order(worker *w, const ws_order *o, const char *message_id) {
    ws_backoff backoff;
    ws_backoff_init(&backoff, w->cfg->retry_ms.lo, w->cfg->retry_ms.hi);
    ws_db_stored stored = WS_DB_INSERTED;
    const char *fruit = ws_fruits[o->fruit];
    for (;;) {
        bool simulate = ws_rand_unit() < w->cfg->db_failure_rate;
        double t0 = ws_now(); /* WORKSHOP:EX5 */
        int rc = ws_db_insert_order(w->db, fruit, o->quantity, message_id, simulate, &stored);
        be_metric_db_insert(ws_now() - t0); /* WORKSHOP:EX5 */
        if (rc == WS_DB_OK)
            break;
        be_metric_outcome(BE_FAILED); /* WORKSHOP:EX5 */
        if (rc == WS_DB_SIMULATED)
            log_debug("simulated database timeout, will retry worker=%d", w->id);
        else
            log_every(5, WS_WARN, "order not stored, will retry worker=%d error=\"%s\"", w->id,
                      ws_db_last_error(w->db));
        if (!ws_sleep_ms(ws_backoff_next(&backoff), w->running))
            return ABANDONED;
        be_metric_outcome(BE_RETRIED); /* WORKSHOP:EX5 */
    }
    if (stored == WS_DB_DUPLICATE) {
        be_metric_duplicate(); /* WORKSHOP:EX5 */
        log_info("redelivered order already stored worker=%d message_id=%s", w->id, message_id);
        return DUPLICATE;
    }
    if (stored == WS_DB_CANCELLED) {
        be_metric_cancelled(); /* WORKSHOP:EX5 */
        log_info("order cancelled by the frontend (it answered 503), not stored worker=%d "
                 "message_id=%s",
                 w->id, message_id);
        return DUPLICATE;
    }
    forget_cached_totals(w, fruit);
    be_metric_outcome(BE_OK); /* WORKSHOP:EX5 */
    return STORED;
}

/* Moves a poison message to the dead-letter queue; true once the broker has it. */
static bool dead_letter(worker *w, const ws_mq_delivery *d) {
    ws_mq_msg m = {d->body, d->len, d->message_id[0] ? d->message_id : NULL};
    double t0 = ws_now(); /* WORKSHOP:EX5 */
    int ok = ws_mq_publish(w->dead_letters, &m, 1, w->cfg->publish_timeout_ms);
    be_metric_publish(1, ws_now() - t0, ok); /* WORKSHOP:EX5 */
    if (ok != 1) {
        char err[256];
        log_every(5, WS_WARN, "cannot dead-letter a poison message error=\"%s\"",
                  ws_mq_publisher_error(w->dead_letters, err, sizeof err));
        return false;
    }
    be_metric_outcome(BE_POISON); /* WORKSHOP:EX5 */
    int shown = d->len > 60 ? 60 : (int)d->len;
    char preview[61];
    for (int i = 0; i < shown; i++) {
        char c = ((const char *)d->body)[i];
        preview[i] = (c >= 32 && c < 127 && c != '"') ? c : '?';
    }
    preview[shown] = '\0';
    log_warn("poison message dead-lettered worker=%d bytes=%zu queue=%s body=\"%s\"", w->id, d->len,
             ws_mq_publisher_queue(w->dead_letters), preview);
    return true;
}

static void settle(worker *w, const ws_mq_delivery *d, bool done) {
    int rc = done ? ws_mq_ack(w->mq, d) : ws_mq_reject(w->mq, d, true);
    if (rc != 0)
        log_warn("could not %s a message, the broker will redeliver it worker=%d error=\"%s\"",
                 done ? "ack" : "requeue", w->id, ws_mq_consumer_error(w->mq));
}

static void handle(worker *w, const ws_mq_delivery *d) {
    /* WORKSHOP:EX5 BEGIN */
    double t0 = ws_now();
    be_metric_busy(1);
    bool count = true; /* time this job (a redelivered duplicate is not a second job) */
    /* WORKSHOP:EX5 END */
    ws_order order;
    bool done = true;
    int stored;
    switch (ws_msg_classify(d->body, d->len, &order)) {
    case WS_MSG_HELLO:
        ws_sleep_ms(ws_rand_range(w->cfg->job_ms.lo, w->cfg->job_ms.hi), NULL);
        be_metric_outcome(BE_OK); /* WORKSHOP:EX5 */
        break;
    case WS_MSG_ORDER:
        stored = store_order(w, &order, d->message_id[0] ? d->message_id : NULL);
        done = stored != ABANDONED;
        count = stored == STORED; /* WORKSHOP:EX5 */
        break;
    case WS_MSG_POISON:
        done = dead_letter(w, d);
        if (!done)
            ws_sleep_ms(500, w->running);
        break;
    }
    settle(w, d, done);
    /* WORKSHOP:EX5 BEGIN */
    if (done && count)
        be_metric_job(ws_now() - t0);
    be_metric_busy(-1);
    /* WORKSHOP:EX5 END */
}

static void *worker_main(void *arg) {
    worker *w = arg;
    /* Connect (and create the table) at start, as the seed's backend does; failures are
     * retried on the first order. */
    if (ws_db_ready(w->db) != WS_DB_OK)
        log_every(5, WS_WARN, "database not ready yet error=\"%s\"", ws_db_last_error(w->db));
    while (atomic_load(w->running)) {
        ws_mq_delivery d;
        double t0 = ws_now(); /* WORKSHOP:EX5 */
        if (ws_mq_consumer_next(w->mq, &d, 250) != WS_MQ_GOT)
            continue;
        be_metric_mq_read(ws_now() - t0); /* WORKSHOP:EX5 */
        handle(w, &d);
        ws_mq_delivery_free(&d);
    }
    return NULL;
}

static void free_worker(worker *w) {
    ws_mq_consumer_free(w->mq);
    ws_db_free(w->db);
    ws_cache_free(w->cache);
}

int be_workers_start(const be_config *cfg, const atomic_bool *running,
                     ws_mq_publisher *dead_letters) {
    workers = calloc((size_t)cfg->workers, sizeof *workers);
    if (!workers)
        return -1;
    for (nworkers = 0; nworkers < cfg->workers; nworkers++) {
        worker *w = &workers[nworkers];
        *w = (worker){.id = nworkers, .cfg = cfg, .running = running, .dead_letters = dead_letters};
        w->mq = ws_mq_consumer_new(&cfg->mq, cfg->queue, cfg->prefetch);
        w->db = ws_db_new(cfg->pg_dsn);
        w->cache =
            ws_cache_new(cfg->redis_host, cfg->redis_port, cfg->redis_db, cfg->redis_timeout_ms);
        if (!w->mq || !w->db || !w->cache ||
            pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            free_worker(w);
            return -1; /* the caller turns *running off and joins the ones started */
        }
        char name[16];
        snprintf(name, sizeof name, "worker-%d", nworkers);
        pthread_setname_np(w->thread, name);
    }
    return 0;
}

void be_workers_join(void) {
    for (int i = 0; i < nworkers; i++) {
        pthread_join(workers[i].thread, NULL);
        free_worker(&workers[i]);
    }
    free(workers);
    workers = NULL;
    nworkers = 0;
}
