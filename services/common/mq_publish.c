/* mq_publish.c -- persistent publishing with publisher confirms on a long-lived connection,
 * one batch at a time (the caller waits for the batch's confirms). mq_pipeline.c keeps many
 * publishes in flight instead. */
#include "log.h"
#include "mq_internal.h"
#include "util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BATCH 256

struct ws_mq_publisher {
    pthread_mutex_t lock;
    ws_mq_config cfg;
    char queue[128];
    amqp_connection_state_t conn;
    uint64_t next_tag;      /* delivery tag the broker will give the next publish */
    ws_reconnect reconnect; /* which node next, and when */
    bool in_doubt;          /* the last publish left a message unconfirmed (it may be held) */
    bool blocked;           /* the broker sent connection.blocked (a resource alarm) */
    char error[256];
};

ws_mq_publisher *ws_mq_publisher_new(const ws_mq_config *cfg, const char *queue) {
    ws_mq_publisher *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    if (!ws_strlcpy(p->queue, queue, sizeof p->queue)) {
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->lock, NULL);
    p->cfg = *cfg;
    p->cfg.heartbeat_s = 0; /* nothing reads this connection between publishes */
    ws_mq_reconnect_init(&p->reconnect, &p->cfg, 100, 2000);
    return p;
}

/* A connection that failed, timed out or is blocked is not worth a close handshake that the
 * broker may never answer: drop it at once. The next attempt goes to the next node. */
static void drop(ws_mq_publisher *p) {
    if (p->conn) {
        amqp_destroy_connection(p->conn);
        p->conn = NULL;
    }
    p->blocked = false;
    ws_reconnect_failed(&p->reconnect);
}

void ws_mq_publisher_free(ws_mq_publisher *p) {
    if (!p)
        return;
    if (p->conn)
        ws_mq_close(p->conn);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

const char *ws_mq_publisher_queue(const ws_mq_publisher *p) {
    return p->queue;
}
const char *ws_mq_publisher_error(ws_mq_publisher *p, char *buf, size_t cap) {
    pthread_mutex_lock(&p->lock);
    ws_strlcpy(buf, p->error, cap);
    pthread_mutex_unlock(&p->lock);
    return buf;
}

bool ws_mq_publisher_in_doubt(ws_mq_publisher *p) {
    pthread_mutex_lock(&p->lock);
    bool d = p->in_doubt;
    pthread_mutex_unlock(&p->lock);
    return d;
}

static int ensure_connected(ws_mq_publisher *p) {
    if (p->conn)
        return 0;
    if (!ws_reconnect_due(&p->reconnect, ws_now())) {
        snprintf(p->error, sizeof p->error, "broker down: waiting before reconnecting");
        return -1;
    }
    p->conn = ws_mq_open_next(&p->cfg, &p->reconnect, p->queue, p->error, sizeof p->error);
    if (!p->conn)
        return -1;
    amqp_confirm_select(p->conn, WS_MQ_CHANNEL);
    amqp_rpc_reply_t r = amqp_get_rpc_reply(p->conn);
    if (r.reply_type != AMQP_RESPONSE_NORMAL) {
        ws_mq_reply_error(r, "confirm.select", p->error, sizeof p->error);
        drop(p);
        return -1;
    }
    p->next_tag = 1;
    ws_reconnect_ok(&p->reconnect);
    const ws_mq_node *n = &p->cfg.nodes[p->reconnect.server];
    log_info("mq publisher connected queue=%s host=%s:%d type=%s", p->queue, n->host, n->port,
             ws_mq_queue_type_name(p->cfg.queue_type));
    return 0;
}

int ws_mq_publisher_connect(ws_mq_publisher *p) {
    pthread_mutex_lock(&p->lock);
    int rc = ensure_connected(p);
    pthread_mutex_unlock(&p->lock);
    return rc;
}

/* Confirm state of one batch: st[i] is one of these. */
enum { PENDING, CONFIRMED, REFUSED, RETURNED, UNSENT };
typedef struct batch {
    const ws_mq_msg *msgs;
    uint64_t first;
    size_t n, pending;
    unsigned char st[MAX_BATCH];
} batch;

static void mark(batch *b, uint64_t tag, bool multiple, bool ok) {
    uint64_t from = multiple ? b->first : tag;
    for (uint64_t t = from; t <= tag; t++) {
        if (t < b->first || t - b->first >= b->n)
            continue;
        size_t i = (size_t)(t - b->first);
        if (b->st[i] == PENDING) {
            b->st[i] = ok ? CONFIRMED : REFUSED;
            b->pending--;
        }
    }
}

/* A basic.return (unroutable: the queue is gone) precedes the ack of its message. Find the
 * message by its id; without one (hello jobs, all alike) take the oldest pending. */
static void mark_returned(batch *b, const amqp_basic_properties_t *props) {
    bool by_id = (props->_flags & AMQP_BASIC_MESSAGE_ID_FLAG) != 0;
    for (size_t i = 0; i < b->n; i++) {
        if (b->st[i] != PENDING)
            continue;
        const char *id = b->msgs[i].message_id;
        if (by_id && (!id || strlen(id) != props->message_id.len ||
                      memcmp(id, props->message_id.bytes, props->message_id.len) != 0))
            continue;
        b->st[i] = RETURNED;
        b->pending--;
        return;
    }
}

/* Handles one frame. Returns 0, or -1 when the connection must be dropped. */
static int on_frame(ws_mq_publisher *p, batch *b, const amqp_frame_t *f) {
    if (f->frame_type != AMQP_FRAME_METHOD)
        return 0;
    switch (f->payload.method.id) {
    case AMQP_BASIC_ACK_METHOD: {
        amqp_basic_ack_t *a = f->payload.method.decoded;
        mark(b, a->delivery_tag, a->multiple, true);
        return 0;
    }
    case AMQP_BASIC_NACK_METHOD: {
        amqp_basic_nack_t *a = f->payload.method.decoded;
        mark(b, a->delivery_tag, a->multiple, false);
        return 0;
    }
    case AMQP_BASIC_RETURN_METHOD: {
        amqp_message_t m;
        amqp_rpc_reply_t r = amqp_read_message(p->conn, f->channel, &m, 0);
        if (r.reply_type != AMQP_RESPONSE_NORMAL)
            return ws_mq_reply_error(r, "reading a returned message", p->error, sizeof p->error);
        mark_returned(b, &m.properties);
        amqp_destroy_message(&m);
        return 0;
    }
    case AMQP_CONNECTION_BLOCKED_METHOD:
        p->blocked = true;
        log_warn("mq publisher blocked by the broker queue=%s", p->queue);
        return 0;
    case AMQP_CONNECTION_UNBLOCKED_METHOD:
        p->blocked = false;
        log_info("mq publisher unblocked queue=%s", p->queue);
        return 0;
    case AMQP_CHANNEL_CLOSE_METHOD:
    case AMQP_CONNECTION_CLOSE_METHOD:
        snprintf(p->error, sizeof p->error, "broker closed the channel");
        return -1;
    default:
        return 0;
    }
}

/* Reads frames until every message of the batch is settled or the deadline passes (deadline
 * 0: only what has already arrived). Returns 0, or -1 when the connection must be dropped. */
static int wait_confirms(ws_mq_publisher *p, batch *b, double deadline) {
    while (b->pending > 0 || deadline == 0) {
        double left = deadline - ws_now();
        if (left < 0)
            left = 0;
        if (left <= 0 && deadline != 0) {
            snprintf(p->error, sizeof p->error, "no confirm within the timeout");
            return -1;
        }
        struct timeval tv = {(time_t)left, (suseconds_t)((left - (double)(time_t)left) * 1e6)};
        amqp_frame_t f;
        int rc = amqp_simple_wait_frame_noblock(p->conn, &f, &tv);
        if (rc == AMQP_STATUS_TIMEOUT) {
            if (deadline == 0)
                return 0;
            continue;
        }
        if (rc != AMQP_STATUS_OK) {
            snprintf(p->error, sizeof p->error, "waiting for confirms: %s", amqp_error_string2(rc));
            return -1;
        }
        if (on_frame(p, b, &f) != 0)
            return -1;
    }
    return 0;
}

/* One attempt on the current connection: -1 if it could not publish at all, else the number
 * of confirmed messages; b->st says what became of each. */
static int attempt(ws_mq_publisher *p, batch *b, const ws_mq_msg *msgs, size_t n, double deadline) {
    if (ensure_connected(p) != 0)
        return -1;
    *b = (batch){.msgs = msgs, .first = p->next_tag, .n = n, .pending = n};
    if (p->blocked && wait_confirms(p, b, 0) != 0) { /* an unblock may be waiting */
        drop(p);
        return -1;
    }
    if (p->blocked) {
        snprintf(p->error, sizeof p->error, "broker blocks publishers (resource alarm)");
        return -1;
    }
    size_t sent = 0;
    for (; sent < n; sent++) {
        /* A broker that stopped reading (an alarm not yet announced) would block the write
         * for ever: send only what the socket takes now. */
        if (!ws_mq_writable(p->conn)) {
            snprintf(p->error, sizeof p->error, "broker not reading (blocked?)");
            break;
        }
        amqp_basic_properties_t props = {0};
        props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG;
        props.content_type = amqp_cstring_bytes("application/json");
        props.delivery_mode = AMQP_DELIVERY_PERSISTENT;
        if (msgs[sent].message_id) {
            props._flags |= AMQP_BASIC_MESSAGE_ID_FLAG;
            props.message_id = amqp_cstring_bytes(msgs[sent].message_id);
        }
        amqp_bytes_t body = {msgs[sent].len, (void *)msgs[sent].body};
        int rc = amqp_basic_publish(p->conn, WS_MQ_CHANNEL, amqp_empty_bytes,
                                    amqp_cstring_bytes(p->queue), 1, 0, &props, body);
        if (rc != AMQP_STATUS_OK) {
            snprintf(p->error, sizeof p->error, "publish: %s", amqp_error_string2(rc));
            drop(p);
            p->in_doubt = true; /* part of this message, or earlier ones, may have gone out */
            return -1;
        }
        p->next_tag++;
    }
    for (size_t i = sent; i < n; i++)
        b->st[i] = UNSENT;
    b->n = sent;
    b->pending = sent;
    if (sent == 0)
        return -1;
    if (wait_confirms(p, b, deadline) != 0) {
        /* A blocked connection is not dead: keep it, so the next publishes fail at once
         * until the broker unblocks it (late confirms name older tags: ignored). */
        if (!p->blocked || !p->conn)
            drop(p);
        p->in_doubt = true;
        if (b->pending == sent)
            return -1;
    }
    int ok = 0;
    bool nacked = false;
    for (size_t i = 0; i < sent; i++) {
        ok += b->st[i] == CONFIRMED;
        nacked |= b->st[i] == REFUSED;
    }
    if (nacked)
        p->in_doubt = true; /* a nack does not prove the queue lacks it (see mq.h) */
    /* A quorum queue nacks while the channel's idea of its leader is stale (a channel opened
     * during an election): the next publish goes to a fresh channel (see mq_pipeline.c). */
    if (nacked && p->conn && p->cfg.queue_type == WS_MQ_QUORUM) {
        snprintf(p->error, sizeof p->error, "nacked by the quorum queue");
        drop(p);
    }
    if (p->conn)
        amqp_maybe_release_buffers(p->conn);
    return ok;
}

/* Messages of b returned unroutable: the queue was deleted under us. Redeclare it and publish
 * them once more. Returns how many of them were confirmed. */
static int retry_returned(ws_mq_publisher *p, const batch *b, double deadline) {
    ws_mq_msg again[MAX_BATCH];
    size_t k = 0;
    for (size_t i = 0; i < b->n; i++) {
        if (b->st[i] == RETURNED)
            again[k++] = b->msgs[i];
    }
    if (k == 0 || !p->conn)
        return 0;
    log_warn("mq publish returned unroutable, redeclaring the queue queue=%s count=%zu", p->queue,
             k);
    if (ws_mq_declare(p->conn, p->queue, p->cfg.queue_type, p->error, sizeof p->error) != 0) {
        drop(p);
        return 0;
    }
    batch b2;
    int rc = attempt(p, &b2, again, k, deadline);
    return rc > 0 ? rc : 0;
}

int ws_mq_publish(ws_mq_publisher *p, const ws_mq_msg *msgs, size_t n, int timeout_ms) {
    int total = 0;
    pthread_mutex_lock(&p->lock);
    p->in_doubt = false;
    double deadline = ws_now() + timeout_ms / 1000.0;
    for (size_t off = 0; off < n; off += MAX_BATCH) {
        size_t k = n - off < MAX_BATCH ? n - off : MAX_BATCH;
        bool reused = p->conn != NULL;
        batch b;
        int rc = attempt(p, &b, msgs + off, k, deadline);
        /* A connection that sat idle may have died unnoticed: one retry on a fresh one. */
        if (rc < 0 && reused && !p->conn && ws_now() < deadline) {
            p->reconnect.retry_at = 0;
            rc = attempt(p, &b, msgs + off, k, deadline);
        }
        if (rc < 0) {
            total = total > 0 ? total : -1;
            break;
        }
        rc += retry_returned(p, &b, deadline);
        total += rc;
        if (rc < (int)k)
            break;
    }
    if (total == (int)n)
        p->in_doubt = false;
    pthread_mutex_unlock(&p->lock);
    return total;
}
