/* mq_pipeline.c -- pipelined publisher confirms: many publishes in flight on one channel.
 *
 * Callers (HTTP threads) only append to a locked queue and wake the I/O thread; the I/O thread
 * owns the connection (rabbitmq-c is not thread-safe): it writes queued messages while fewer
 * than max_inflight are unconfirmed, each getting the next delivery tag, reads the broker's
 * confirms and matches them to the in-flight list (kept in tag order, so `multiple` settles a
 * prefix), and settles every message by its deadline. Every wait is bounded: it never writes
 * while the broker blocks publishers (connection.blocked) or when the socket would block, and
 * it polls with a timeout, so a request never waits beyond its deadline on the broker.
 *
 * Retries, each at most once per message and only before its deadline: a message returned
 * unroutable (basic.return: the queue was deleted) is republished after redeclaring the
 * queue; messages in flight when the connection dies go out again on the next one (their
 * message id lets the backend store them once). */
#include "log.h"
#include "mq_internal.h"
#include "util.h"

#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

typedef struct node {
    struct node *prev, *next;
    uint64_t tag;
    double deadline;
    bool maybe_sent;     /* written on a connection that died: the broker may hold it */
    bool returned;       /* a basic.return for it came: its ack means "unroutable" */
    bool retried_return; /* republished once after a return already */
    bool retried_conn;   /* republished once after a lost connection already */
    bool retried_nack;   /* republished once after a quorum queue's nack already */
    ws_mq_done_fn *done;
    void *arg;
    char id[80];
    size_t len;
    char body[];
} node;

typedef struct list {
    node *head, *tail;
    size_t n;
} list;

struct ws_mq_pipeline {
    pthread_mutex_t lock; /* guards queued, stopping and error */
    list queued;          /* handed in, not written yet */
    bool stopping;
    char error[256];
    int wake_fd;
    pthread_t thread;
    /* Owned by the I/O thread. */
    ws_mq_config cfg;
    char queue[128];
    size_t max_inflight;
    amqp_connection_state_t conn;
    uint64_t next_tag;
    list inflight; /* written, in tag order */
    bool blocked, redeclare;
    bool renew; /* a quorum queue nacked: open a fresh channel (on the next node) */
    double last_rx, next_scan;
    ws_reconnect reconnect; /* which node next, and when */
};

/* ---- lists ---- */

static void push_back(list *l, node *n) {
    n->next = NULL;
    n->prev = l->tail;
    if (l->tail)
        l->tail->next = n;
    else
        l->head = n;
    l->tail = n;
    l->n++;
}

static void push_front(list *l, node *n) {
    n->prev = NULL;
    n->next = l->head;
    if (l->head)
        l->head->prev = n;
    else
        l->tail = n;
    l->head = n;
    l->n++;
}

static void unlink_node(list *l, node *n) {
    if (n->prev)
        n->prev->next = n->next;
    else
        l->head = n->next;
    if (n->next)
        n->next->prev = n->prev;
    else
        l->tail = n->prev;
    l->n--;
}

/* ---- settling ---- */

static void set_error(ws_mq_pipeline *p, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    pthread_mutex_lock(&p->lock);
    vsnprintf(p->error, sizeof p->error, fmt, ap);
    pthread_mutex_unlock(&p->lock);
    va_end(ap);
}

static void settle(node *n, ws_mq_outcome o) {
    n->done(n->arg, o);
    free(n);
}

/* Puts messages back at the head of the queue, keeping their order (retries go first). */
static void requeue_front(ws_mq_pipeline *p, list *l) {
    pthread_mutex_lock(&p->lock);
    while (l->tail) {
        node *n = l->tail;
        unlink_node(l, n);
        push_front(&p->queued, n);
    }
    pthread_mutex_unlock(&p->lock);
}

/* The connection is gone: what was in flight may or may not have reached the broker. */
static void drop(ws_mq_pipeline *p) {
    if (p->conn) {
        amqp_destroy_connection(p->conn); /* no close handshake with a failed connection */
        p->conn = NULL;
    }
    p->blocked = false;
    p->redeclare = false;
    ws_reconnect_failed(&p->reconnect); /* the next node, at once unless all have failed */
    list again = {0};
    double now = ws_now();
    while (p->inflight.head) {
        node *n = p->inflight.head;
        unlink_node(&p->inflight, n);
        n->maybe_sent = true;
        if (!n->retried_conn && now < n->deadline) {
            n->retried_conn = true;
            push_back(&again, n);
        } else {
            settle(n, WS_MQ_IN_DOUBT);
        }
    }
    requeue_front(p, &again);
}

/* ---- confirms ---- */

static void confirmed(ws_mq_pipeline *p, node *n, bool ack) {
    unlink_node(&p->inflight, n);
    if (ack && n->returned && !n->retried_return) {
        /* Unroutable: the queue is gone. Redeclare it, then publish this once more. */
        n->returned = false;
        n->retried_return = true;
        p->redeclare = true;
        list one = {0};
        push_back(&one, n);
        requeue_front(p, &one);
        return;
    }
    if (!ack)
        n->maybe_sent = true; /* a nack does not prove the queue lacks it (see mq.h) */
    if (!ack && p->cfg.queue_type == WS_MQ_QUORUM && !n->retried_nack && ws_now() < n->deadline) {
        /* A quorum queue nacks when the channel's idea of its leader is stale: a channel
         * opened during an election keeps sending to the dead leader and nacks everything
         * until that node is back (seen with 3.10). A fresh channel looks the leader up anew.
         * Publishing again is safe: the backend stores a message id once. */
        n->retried_nack = true;
        p->renew = true;
        list one = {0};
        push_back(&one, n);
        requeue_front(p, &one);
        return;
    }
    settle(n, !ack ? WS_MQ_IN_DOUBT : n->returned ? WS_MQ_REFUSED : WS_MQ_CONFIRMED);
}

static void on_confirm(ws_mq_pipeline *p, uint64_t tag, bool multiple, bool ack) {
    if (multiple) {
        while (p->inflight.head && p->inflight.head->tag <= tag)
            confirmed(p, p->inflight.head, ack);
        return;
    }
    for (node *n = p->inflight.head; n && n->tag <= tag; n = n->next) {
        if (n->tag == tag) {
            confirmed(p, n, ack);
            return;
        }
    }
    /* A confirm for a message already settled (its deadline passed): nothing to do. */
}

/* basic.return precedes the ack of the same message; find it by message id. */
static void on_return(ws_mq_pipeline *p, const amqp_basic_properties_t *props) {
    bool by_id = (props->_flags & AMQP_BASIC_MESSAGE_ID_FLAG) != 0;
    for (node *n = p->inflight.head; n; n = n->next) {
        if (n->returned)
            continue;
        if (by_id && (strlen(n->id) != props->message_id.len ||
                      memcmp(n->id, props->message_id.bytes, props->message_id.len) != 0))
            continue;
        n->returned = true;
        return;
    }
}

/* Handles one frame; -1 when the connection must be dropped. */
static int on_frame(ws_mq_pipeline *p, const amqp_frame_t *f) {
    if (f->frame_type != AMQP_FRAME_METHOD)
        return 0;
    switch (f->payload.method.id) {
    case AMQP_BASIC_ACK_METHOD: {
        const amqp_basic_ack_t *a = f->payload.method.decoded;
        on_confirm(p, a->delivery_tag, a->multiple, true);
        return 0;
    }
    case AMQP_BASIC_NACK_METHOD: {
        const amqp_basic_nack_t *a = f->payload.method.decoded;
        on_confirm(p, a->delivery_tag, a->multiple, false);
        return 0;
    }
    case AMQP_BASIC_RETURN_METHOD: {
        amqp_message_t m;
        amqp_rpc_reply_t r = amqp_read_message(p->conn, f->channel, &m, 0);
        if (r.reply_type != AMQP_RESPONSE_NORMAL) {
            char err[200];
            ws_mq_reply_error(r, "reading a returned message", err, sizeof err);
            set_error(p, "%s", err);
            return -1;
        }
        on_return(p, &m.properties);
        amqp_destroy_message(&m);
        return 0;
    }
    case AMQP_CONNECTION_BLOCKED_METHOD:
        p->blocked = true;
        set_error(p, "broker blocks publishers (resource alarm)");
        log_warn("mq publisher blocked by the broker (resource alarm) queue=%s", p->queue);
        return 0;
    case AMQP_CONNECTION_UNBLOCKED_METHOD:
        p->blocked = false;
        log_info("mq publisher unblocked queue=%s", p->queue);
        return 0;
    case AMQP_CHANNEL_CLOSE_METHOD: {
        const amqp_channel_close_t *m = f->payload.method.decoded;
        set_error(p, "broker closed the channel: %u %.*s", m->reply_code, (int)m->reply_text.len,
                  (const char *)m->reply_text.bytes);
        return -1;
    }
    case AMQP_CONNECTION_CLOSE_METHOD:
        set_error(p, "broker closed the connection");
        return -1;
    default:
        return 0;
    }
}

/* Reads every frame that has arrived, without waiting. */
static int read_frames(ws_mq_pipeline *p) {
    for (;;) {
        amqp_frame_t f;
        struct timeval tv = {0, 0};
        int rc = amqp_simple_wait_frame_noblock(p->conn, &f, &tv);
        if (rc == AMQP_STATUS_TIMEOUT)
            break;
        if (rc != AMQP_STATUS_OK) {
            set_error(p, "reading confirms: %s", amqp_error_string2(rc));
            return -1;
        }
        p->last_rx = ws_now();
        if (on_frame(p, &f) != 0)
            return -1;
    }
    amqp_maybe_release_buffers(p->conn);
    return 0;
}

/* ---- writing ---- */

static int connect_pipeline(ws_mq_pipeline *p) {
    char err[256];
    p->conn = ws_mq_open_next(&p->cfg, &p->reconnect, p->queue, err, sizeof err);
    if (p->conn) {
        amqp_confirm_select(p->conn, WS_MQ_CHANNEL);
        amqp_rpc_reply_t r = amqp_get_rpc_reply(p->conn);
        if (r.reply_type != AMQP_RESPONSE_NORMAL) {
            ws_mq_reply_error(r, "confirm.select", err, sizeof err);
            ws_mq_close(p->conn);
            p->conn = NULL;
            ws_reconnect_failed(&p->reconnect);
        }
    }
    if (!p->conn) {
        set_error(p, "%s", err);
        log_every(5, WS_WARN, "mq publisher cannot connect queue=%s error=\"%s\"", p->queue, err);
        return -1;
    }
    p->next_tag = 1;
    p->last_rx = ws_now();
    ws_reconnect_ok(&p->reconnect);
    const ws_mq_node *nd = &p->cfg.nodes[p->reconnect.server];
    log_info("mq publisher connected queue=%s host=%s:%d type=%s inflight=%zu heartbeat=%ds",
             p->queue, nd->host, nd->port, ws_mq_queue_type_name(p->cfg.queue_type),
             p->max_inflight, p->cfg.heartbeat_s);
    return 0;
}

static int publish_one(ws_mq_pipeline *p, node *n) {
    amqp_basic_properties_t props = {0};
    props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG;
    props.content_type = amqp_cstring_bytes("application/json");
    props.delivery_mode = AMQP_DELIVERY_PERSISTENT;
    if (n->id[0]) {
        props._flags |= AMQP_BASIC_MESSAGE_ID_FLAG;
        props.message_id = amqp_cstring_bytes(n->id);
    }
    amqp_bytes_t body = {n->len, n->body};
    return amqp_basic_publish(p->conn, WS_MQ_CHANNEL, amqp_empty_bytes,
                              amqp_cstring_bytes(p->queue), 1 /* mandatory */, 0, &props, body);
}

/* Writes queued messages while the window and the socket allow. Returns true when it stopped
 * because the socket would block (so the caller waits for POLLOUT). */
static bool write_queued(ws_mq_pipeline *p) {
    while (p->conn && !p->blocked && p->inflight.n < p->max_inflight) {
        if (!ws_mq_writable(p->conn))
            return true;
        pthread_mutex_lock(&p->lock);
        node *n = p->queued.head;
        if (n)
            unlink_node(&p->queued, n);
        pthread_mutex_unlock(&p->lock);
        if (!n)
            break;
        n->tag = p->next_tag;
        push_back(&p->inflight, n); /* a failed write may still have sent part of it */
        int rc = publish_one(p, n);
        if (rc != AMQP_STATUS_OK) {
            set_error(p, "publish: %s", amqp_error_string2(rc));
            drop(p);
            break;
        }
        p->next_tag++;
    }
    return false;
}

static void redeclare(ws_mq_pipeline *p) {
    char err[256];
    log_warn("mq publish returned unroutable, redeclaring the queue queue=%s", p->queue);
    p->redeclare = false;
    if (ws_mq_declare(p->conn, p->queue, p->cfg.queue_type, err, sizeof err) != 0) {
        set_error(p, "%s", err);
        drop(p);
    }
}

/* ---- deadlines ---- */

static void expire(ws_mq_pipeline *p, double now) {
    list late = {0};
    pthread_mutex_lock(&p->lock);
    for (node *n = p->queued.head, *next; n; n = next) {
        next = n->next;
        if (now >= n->deadline) {
            unlink_node(&p->queued, n);
            push_back(&late, n);
        }
    }
    if (late.n > 0)
        snprintf(p->error, sizeof p->error, "%s",
                 !p->conn     ? "broker down: not connected"
                 : p->blocked ? "broker blocks publishers (resource alarm)"
                              : "not written within the timeout");
    pthread_mutex_unlock(&p->lock);
    while (late.head) {
        node *n = late.head;
        unlink_node(&late, n);
        settle(n, n->maybe_sent ? WS_MQ_IN_DOUBT : WS_MQ_FAILED);
    }
    bool expired = false;
    for (node *n = p->inflight.head, *next; n; n = next) {
        next = n->next;
        if (now >= n->deadline) {
            unlink_node(&p->inflight, n);
            settle(n, WS_MQ_IN_DOUBT);
            expired = true;
        }
    }
    if (expired) {
        set_error(p, "no confirm within the timeout");
        /* Unless the broker said it blocks us, a broker that confirms nothing in time is
         * probably gone: reconnect rather than wait for the heartbeat to tell. */
        if (!p->blocked && p->conn)
            drop(p);
    }
}

/* When to come round again for deadlines: the earliest of the two lists' heads (both are
 * nearly in deadline order: messages are queued and written in order, retries go first), and
 * no later than 100 ms while anything waits, for the few out of order (expire scans all). */
static double next_deadline(ws_mq_pipeline *p, double now) {
    double t = now + 1.0;
    pthread_mutex_lock(&p->lock);
    if (p->queued.head && p->queued.head->deadline < t)
        t = p->queued.head->deadline;
    bool waiting = p->queued.n > 0;
    pthread_mutex_unlock(&p->lock);
    if (p->inflight.head && p->inflight.head->deadline < t)
        t = p->inflight.head->deadline;
    if ((waiting || p->inflight.n > 0) && t > now + 0.1)
        t = now + 0.1;
    return t;
}

/* ---- the I/O thread ---- */

static void wait_for_events(ws_mq_pipeline *p, bool want_write) {
    double now = ws_now();
    double until = next_deadline(p, now);
    if (!p->conn && p->reconnect.retry_at < until)
        until = p->reconnect.retry_at;
    /* rabbitmq-c sends heartbeats only from inside its calls: come round often enough. */
    if (p->conn && p->cfg.heartbeat_s > 0 && until > now + p->cfg.heartbeat_s / 4.0)
        until = now + p->cfg.heartbeat_s / 4.0;
    if (p->conn && (amqp_frames_enqueued(p->conn) || amqp_data_in_buffer(p->conn)))
        until = now;
    int ms = until > now ? (int)((until - now) * 1000) + 1 : 0;
    struct pollfd fds[2] = {{.fd = p->wake_fd, .events = POLLIN}};
    nfds_t nfds = 1;
    if (p->conn) {
        fds[1] = (struct pollfd){.fd = amqp_get_sockfd(p->conn),
                                 .events = (short)(POLLIN | (want_write ? POLLOUT : 0))};
        nfds = 2;
    }
    if (poll(fds, nfds, ms) > 0) {
        if (fds[0].revents & POLLIN) {
            uint64_t v;
            if (read(p->wake_fd, &v, sizeof v) < 0) {
                /* nothing: the counter was already drained */
            }
        }
        if (nfds == 2 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)))
            p->last_rx = ws_now();
    }
}

static bool finished(ws_mq_pipeline *p) {
    pthread_mutex_lock(&p->lock);
    bool done = p->stopping && p->queued.n == 0 && p->inflight.n == 0;
    pthread_mutex_unlock(&p->lock);
    return done;
}

static void *io_main(void *arg) {
    ws_mq_pipeline *p = arg;
    while (!finished(p)) {
        double now = ws_now();
        if (!p->conn && ws_reconnect_due(&p->reconnect, now))
            connect_pipeline(p);
        if (p->conn && read_frames(p) != 0)
            drop(p);
        /* A dead peer: nothing at all (not even a heartbeat) for two heartbeat intervals. */
        if (p->conn && p->cfg.heartbeat_s > 0 && now - p->last_rx > 2.0 * p->cfg.heartbeat_s) {
            set_error(p, "broker missed its heartbeats");
            log_warn("mq publisher: broker missed its heartbeats queue=%s", p->queue);
            drop(p);
        }
        if (p->conn && p->renew) {
            set_error(p, "the quorum queue nacked: reconnecting for a fresh channel");
            log_warn("mq publisher: nacked by the quorum queue, reconnecting queue=%s", p->queue);
            drop(p);
        }
        p->renew = false;
        if (p->conn && p->redeclare)
            redeclare(p);
        bool want_write = write_queued(p);
        now = ws_now();
        if (now >= p->next_scan) {
            expire(p, now);
            p->next_scan = now + 0.005;
        }
        wait_for_events(p, want_write);
    }
    return NULL;
}

/* ---- public ---- */

ws_mq_pipeline *ws_mq_pipeline_new(const ws_mq_config *cfg, const char *queue, int max_inflight) {
    ws_mq_pipeline *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    if (!ws_strlcpy(p->queue, queue, sizeof p->queue)) {
        free(p);
        return NULL;
    }
    p->cfg = *cfg;
    p->max_inflight = max_inflight < 1 ? 1 : (size_t)max_inflight;
    ws_mq_reconnect_init(&p->reconnect, &p->cfg, 100, 2000);
    snprintf(p->error, sizeof p->error, "not connected yet");
    pthread_mutex_init(&p->lock, NULL);
    p->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (p->wake_fd < 0 || pthread_create(&p->thread, NULL, io_main, p) != 0) {
        if (p->wake_fd >= 0)
            close(p->wake_fd);
        pthread_mutex_destroy(&p->lock);
        free(p);
        return NULL;
    }
    pthread_setname_np(p->thread, "mq-pipeline");
    return p;
}

int ws_mq_pipeline_publish(ws_mq_pipeline *p, const ws_mq_msg *m, int timeout_ms,
                           ws_mq_done_fn *done, void *arg) {
    node *n = malloc(sizeof *n + m->len);
    if (!n)
        return -1;
    memset(n, 0, sizeof *n);
    if (m->message_id && !ws_strlcpy(n->id, m->message_id, sizeof n->id)) {
        free(n);
        return -1;
    }
    memcpy(n->body, m->body, m->len);
    n->len = m->len;
    n->deadline = ws_now() + timeout_ms / 1000.0;
    n->done = done;
    n->arg = arg;
    pthread_mutex_lock(&p->lock);
    bool stopping = p->stopping;
    if (!stopping)
        push_back(&p->queued, n);
    pthread_mutex_unlock(&p->lock);
    if (stopping) {
        free(n);
        return -1;
    }
    uint64_t one = 1;
    if (write(p->wake_fd, &one, sizeof one) < 0) {
        /* the counter is full: the I/O thread is awake anyway */
    }
    return 0;
}

void ws_mq_pipeline_drain(ws_mq_pipeline *p) {
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    bool was = p->stopping;
    p->stopping = true;
    pthread_mutex_unlock(&p->lock);
    if (was)
        return;
    uint64_t one = 1;
    if (write(p->wake_fd, &one, sizeof one) < 0) {
        /* awake anyway */
    }
    pthread_join(p->thread, NULL);
}

void ws_mq_pipeline_free(ws_mq_pipeline *p) {
    if (!p)
        return;
    ws_mq_pipeline_drain(p);
    if (p->conn)
        ws_mq_close(p->conn);
    close(p->wake_fd);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

const char *ws_mq_pipeline_error(ws_mq_pipeline *p, char *buf, size_t cap) {
    pthread_mutex_lock(&p->lock);
    ws_strlcpy(buf, p->error, cap);
    pthread_mutex_unlock(&p->lock);
    return buf;
}
