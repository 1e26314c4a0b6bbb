/* worker.c -- one worker: take a batch of messages, do each one's job, ack once the effects are
 * durable.
 *
 * A worker takes what the broker has handed it, up to --batch messages, and handles them
 * together: the orders of a batch are stored by one statement (one commit), the batch is acked
 * with one multiple ack after that commit, and the cache keys of the fruits it changed are
 * deleted once. A crash at any moment loses nothing: the broker redelivers what was not acked,
 * and the unique message_id makes storing it again a no-op. A failed attempt (simulated or
 * real) is retried with backoff, never dropped. Messages that are neither "hello" nor a valid
 * order go to the dead-letter queue; so does an order PostgreSQL refuses, found by splitting
 * its batch, so that it never holds up the others. --batch 1 is the one-at-a-time worker. */
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

/* One message of a batch and what became of it. */
typedef struct job {
    ws_mq_delivery d;
    ws_msg_kind kind;
    ws_order order;
    double finished; /* when its effect became durable (a hello: the end of its sleep) */
    bool done;       /* acknowledge it: stored, dead-lettered, or a finished hello */
    bool counted;    /* a job of its own (a redelivered or cancelled order is not) */
} job;

typedef struct worker {
    int id;
    pthread_t thread;
    const be_config *cfg;
    const atomic_bool *running;
    ws_mq_publisher *dead_letters;
    ws_mq_consumer *mq;
    ws_db *db;
    ws_cache *cache;
    job *jobs;         /* the batch in hand, cfg->batch of them */
    job **orders;      /* its orders ... */
    ws_db_order *rows; /* ... and their rows */
    double next_prune; /* worker 0 prunes order_outcomes */
} worker;

static worker *workers;
static int nworkers;

/* One DEL for the fruits a batch stored, with the "all" total, which includes them. */
static void forget_cached_totals(worker *w, const bool touched[WS_NFRUITS]) {
    char names[WS_NFRUITS][32];
    const char *keys[WS_NFRUITS + 1];
    int n = 0;
    for (int f = 0; f < WS_NFRUITS; f++) {
        if (!touched[f])
            continue;
        snprintf(names[n], sizeof names[n], "fruit_%s", ws_fruits[f]);
        keys[n] = names[n];
        n++;
    }
    if (n == 0)
        return;
    keys[n++] = "fruit_all";
    double t0 = ws_now(); /* WORKSHOP:EX5 */
    int rc = ws_cache_del_many(w->cache, keys, n);
    be_metric_cache_delete(ws_now() - t0); /* WORKSHOP:EX5 */
    if (rc != 0)
        log_every(5, WS_WARN, "cache delete failed (entries expire by TTL) error=\"%s\"",
                  ws_cache_last_error(w->cache));
}

enum { STORED = 1, ABANDONED = 0, REFUSED = -1 };

/* Stores n orders in one transaction, retrying until it commits. A batch PostgreSQL refuses is
 * stored in halves, down to the one order at fault (REFUSED, marked as poison). ABANDONED only
 * when shutting down first. */
static int store_rows(worker *w, job **o, ws_db_order *rows, int n) {
    ws_backoff backoff;
    ws_backoff_init(&backoff, w->cfg->retry_ms.lo, w->cfg->retry_ms.hi);
    for (;;) {
        bool simulate = ws_rand_unit() < w->cfg->db_failure_rate;
        double t0 = ws_now(); /* WORKSHOP:EX5 */
        int rc = ws_db_insert_orders(w->db, rows, n, simulate);
        be_metric_db_insert(ws_now() - t0); /* WORKSHOP:EX5 */
        if (rc == WS_DB_OK)
            return STORED;
        if (rc == WS_DB_REJECTED && n == 1) {
            log_warn("order refused by PostgreSQL, dead-lettering it worker=%d error=\"%s\"", w->id,
                     ws_db_last_error(w->db));
            o[0]->kind = WS_MSG_POISON;
            return REFUSED;
        }
        if (rc == WS_DB_REJECTED) {
            int h = n / 2;
            int a = store_rows(w, o, rows, h);
            int b = store_rows(w, o + h, rows + h, n - h);
            return a == ABANDONED || b == ABANDONED ? ABANDONED : STORED;
        }
        be_metric_outcomes(BE_FAILED, n); /* WORKSHOP:EX5 */
        if (rc == WS_DB_SIMULATED)
            log_debug("simulated database timeout, will retry worker=%d orders=%d", w->id, n);
        else
            log_every(5, WS_WARN, "orders not stored, will retry worker=%d orders=%d error=\"%s\"",
                      w->id, n, ws_db_last_error(w->db));
        if (!ws_sleep_ms(ws_backoff_next(&backoff), w->running))
            return ABANDONED;
        be_metric_outcomes(BE_RETRIED, n); /* WORKSHOP:EX5 */
    }
}

/* Stores the batch's orders; each one stored, or found stored or cancelled before, is done. */
static void store_orders(worker *w, job **o, int n) {
    for (int i = 0; i < n; i++) {
        const char *id = o[i]->d.message_id;
        w->rows[i] = (ws_db_order){ws_fruits[o[i]->order.fruit], o[i]->order.quantity,
                                   id[0] ? id : NULL, WS_DB_INSERTED};
    }
    if (store_rows(w, o, w->rows, n) == ABANDONED)
        return;
    double now = ws_now();
    bool touched[WS_NFRUITS] = {false};
    for (int i = 0; i < n; i++) {
        job *j = o[i];
        if (j->kind != WS_MSG_ORDER) /* refused: dead-lettered with the poison */
            continue;
        j->done = true;
        j->finished = now;
        switch (w->rows[i].stored) {
        case WS_DB_INSERTED:
            touched[j->order.fruit] = true;
            be_metric_outcome(BE_OK); /* WORKSHOP:EX5 */
            break;
        case WS_DB_DUPLICATE:
            j->counted = false;
            be_metric_duplicate(); /* WORKSHOP:EX5 */
            log_info("redelivered order already stored worker=%d message_id=%s", w->id,
                     j->d.message_id);
            break;
        case WS_DB_CANCELLED:
            j->counted = false;
            be_metric_cancelled(); /* WORKSHOP:EX5 */
            log_info("order cancelled by the frontend (it answered 503), not stored worker=%d "
                     "message_id=%s",
                     w->id, j->d.message_id);
            break;
        }
    }
    forget_cached_totals(w, touched);
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

/* One multiple ack when every message is done; otherwise each on its own, and what is not done
 * goes back to the queue. */
static void settle(worker *w, job *jobs, int n) {
    bool all = true;
    for (int i = 0; i < n; i++)
        all = all && jobs[i].done;
    for (int i = all ? n - 1 : 0; i < n; i++) {
        const ws_mq_delivery *d = &jobs[i].d;
        int rc = !jobs[i].done ? ws_mq_reject(w->mq, d, true)
                 : all         ? ws_mq_ack_through(w->mq, d)
                               : ws_mq_ack(w->mq, d);
        if (rc != 0) {
            log_warn("could not %s, the broker will redeliver worker=%d error=\"%s\"",
                     jobs[i].done ? "ack" : "requeue", w->id, ws_mq_consumer_error(w->mq));
            return; /* the connection is gone: so is every other delivery of the batch */
        }
    }
}

static void handle_batch(worker *w, int n) {
    double t0 = ws_now();
    be_metric_busy(1); /* WORKSHOP:EX5 */
    int norders = 0;
    double hellos_end = t0;
    for (int i = 0; i < n; i++) {
        job *j = &w->jobs[i];
        j->kind = ws_msg_classify(j->d.body, j->d.len, &j->order);
        j->done = false;
        j->counted = true;
        if (j->kind == WS_MSG_ORDER)
            w->orders[norders++] = j;
        /* The simulated jobs of a batch run side by side, each for its own duration. */
        if (j->kind == WS_MSG_HELLO) {
            j->finished = t0 + ws_rand_range(w->cfg->job_ms.lo, w->cfg->job_ms.hi) / 1000.0;
            j->done = true;
            hellos_end = j->finished > hellos_end ? j->finished : hellos_end;
        }
    }
    if (norders > 0)
        store_orders(w, w->orders, norders);
    for (int i = 0; i < n; i++) {
        job *j = &w->jobs[i];
        if (j->kind != WS_MSG_POISON)
            continue;
        j->done = dead_letter(w, &j->d);
        j->finished = ws_now();
        if (!j->done)
            ws_sleep_ms(500, w->running);
    }
    double wait = hellos_end - ws_now();
    if (wait > 0)
        ws_sleep_ms((int)(wait * 1000) + 1, NULL);
    settle(w, w->jobs, n);
    /* WORKSHOP:EX5 BEGIN */
    for (int i = 0; i < n; i++) {
        if (w->jobs[i].done && w->jobs[i].counted)
            be_metric_job(w->jobs[i].finished - t0);
        if (w->jobs[i].kind == WS_MSG_HELLO)
            be_metric_outcome(BE_OK);
    }
    be_metric_busy(-1);
    /* WORKSHOP:EX5 END */
}

/* Waits up to 250 ms for a first delivery, then up to --batch-wait-ms more for the rest of
 * the batch. PostgreSQL commits about as many transactions per second whatever their size,
 * so the rate is the batch's fill: the deliveries of a busy queue are shared by every worker,
 * and what had already arrived with the first one made batches of 37 rows on average (20
 * workers, --batch 100, bench/services/backend.sh). */
static int take_batch(worker *w) {
    int n = 0;
    double until = 0;
    while (n < w->cfg->batch) {
        int timeout_ms = 250;
        if (n > 0) {
            double left = until - ws_now();
            timeout_ms = left > 0 ? (int)(left * 1000 + 0.5) : 0;
        }
        if (ws_mq_consumer_next(w->mq, &w->jobs[n].d, timeout_ms) != WS_MQ_GOT)
            break;
        if (n++ == 0)
            until = ws_now() + w->cfg->batch_wait_ms / 1000.0;
    }
    return n;
}

/* Deletes order_outcomes rows older than the retention, once a minute (worker 0 only). */
static void maybe_prune(worker *w) {
    if (w->id != 0 || w->cfg->outcomes_retention_s <= 0 || ws_now() < w->next_prune)
        return;
    w->next_prune = ws_now() + 60;
    long long deleted = 0;
    if (ws_db_prune_outcomes(w->db, w->cfg->outcomes_retention_s, 1000000, &deleted) != WS_DB_OK)
        log_every(5, WS_WARN, "cannot prune order_outcomes error=\"%s\"", ws_db_last_error(w->db));
    else if (deleted > 0)
        log_info("pruned order_outcomes rows=%lld older_than_s=%d", deleted,
                 w->cfg->outcomes_retention_s);
}

static void *worker_main(void *arg) {
    worker *w = arg;
    /* Connect (and create the table) at start, as the seed's backend does; failures are
     * retried on the first order. */
    if (ws_db_ready(w->db) != WS_DB_OK)
        log_every(5, WS_WARN, "database not ready yet error=\"%s\"", ws_db_last_error(w->db));
    double waiting_since = ws_now(); /* WORKSHOP:EX5 */
    while (atomic_load(w->running)) {
        maybe_prune(w);
        int n = take_batch(w);
        if (n == 0)
            continue;
        be_metric_mq_read(ws_now() - waiting_since); /* WORKSHOP:EX5 */
        handle_batch(w, n);
        for (int i = 0; i < n; i++)
            ws_mq_delivery_free(&w->jobs[i].d);
        waiting_since = ws_now(); /* WORKSHOP:EX5 */
    }
    return NULL;
}

static void free_worker(worker *w) {
    ws_mq_consumer_free(w->mq);
    ws_db_free(w->db);
    ws_cache_free(w->cache);
    free(w->jobs);
    free(w->orders);
    free(w->rows);
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
        w->jobs = calloc((size_t)cfg->batch, sizeof *w->jobs);
        w->orders = calloc((size_t)cfg->batch, sizeof *w->orders);
        w->rows = calloc((size_t)cfg->batch, sizeof *w->rows);
        if (!w->mq || !w->db || !w->cache || !w->jobs || !w->orders || !w->rows ||
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
