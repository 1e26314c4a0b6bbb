/* mq_publish.c -- persistent publishing with publisher confirms on a long-lived connection. */
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
    uint64_t next_tag; /* delivery tag the broker will give the next publish */
    double retry_at;
    ws_backoff backoff;
    bool in_doubt; /* the last publish left a message unconfirmed and unrefused */
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
    ws_backoff_init(&p->backoff, 100, 2000);
    return p;
}

static void drop(ws_mq_publisher *p) {
    if (p->conn) {
        ws_mq_close(p->conn);
        p->conn = NULL;
    }
    p->retry_at = ws_now() + ws_backoff_next(&p->backoff) / 1000.0;
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
const char *ws_mq_publisher_error(ws_mq_publisher *p) {
    return p->error;
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
    if (ws_now() < p->retry_at) {
        snprintf(p->error, sizeof p->error, "broker down: waiting before reconnecting");
        return -1;
    }
    p->conn = ws_mq_open(&p->cfg, p->queue, p->error, sizeof p->error);
    if (!p->conn) {
        drop(p);
        return -1;
    }
    amqp_confirm_select(p->conn, WS_MQ_CHANNEL);
    amqp_rpc_reply_t r = amqp_get_rpc_reply(p->conn);
    if (r.reply_type != AMQP_RESPONSE_NORMAL) {
        ws_mq_reply_error(r, "confirm.select", p->error, sizeof p->error);
        drop(p);
        return -1;
    }
    p->next_tag = 1;
    ws_backoff_reset(&p->backoff);
    log_info("mq publisher connected queue=%s host=%s:%d", p->queue, p->cfg.host, p->cfg.port);
    return 0;
}

/* Confirm state of one batch: st[i] is 0 pending, 1 confirmed, 2 refused. */
typedef struct batch {
    uint64_t first;
    size_t n, pending;
    unsigned char st[MAX_BATCH];
    bool returned; /* a basic.return arrived: the next single ack is for an unroutable message */
} batch;

static void mark(batch *b, uint64_t tag, bool multiple, bool ok) {
    uint64_t from = multiple ? b->first : tag;
    for (uint64_t t = from; t <= tag; t++) {
        if (t < b->first || t - b->first >= b->n)
            continue;
        size_t i = (size_t)(t - b->first);
        if (b->st[i] == 0) {
            b->st[i] = ok ? 1 : 2;
            b->pending--;
        }
    }
}

/* Reads frames until every message of the batch is settled or the deadline passes.
 * Returns 0, or -1 when the connection must be dropped. */
static int wait_confirms(ws_mq_publisher *p, batch *b, double deadline) {
    while (b->pending > 0) {
        double left = deadline - ws_now();
        if (left <= 0) {
            snprintf(p->error, sizeof p->error, "no confirm within the timeout");
            return -1;
        }
        struct timeval tv = {(time_t)left, (suseconds_t)((left - (double)(time_t)left) * 1e6)};
        amqp_frame_t f;
        int rc = amqp_simple_wait_frame_noblock(p->conn, &f, &tv);
        if (rc == AMQP_STATUS_TIMEOUT)
            continue;
        if (rc != AMQP_STATUS_OK) {
            snprintf(p->error, sizeof p->error, "waiting for confirms: %s", amqp_error_string2(rc));
            return -1;
        }
        if (f.frame_type != AMQP_FRAME_METHOD)
            continue;
        switch (f.payload.method.id) {
        case AMQP_BASIC_ACK_METHOD: {
            amqp_basic_ack_t *a = f.payload.method.decoded;
            bool ok = !(b->returned && !a->multiple);
            b->returned = false;
            mark(b, a->delivery_tag, a->multiple, ok);
            break;
        }
        case AMQP_BASIC_NACK_METHOD: {
            amqp_basic_nack_t *a = f.payload.method.decoded;
            mark(b, a->delivery_tag, a->multiple, false);
            break;
        }
        case AMQP_BASIC_RETURN_METHOD: {
            amqp_message_t m;
            amqp_rpc_reply_t r = amqp_read_message(p->conn, f.channel, &m, 0);
            if (r.reply_type != AMQP_RESPONSE_NORMAL)
                return ws_mq_reply_error(r, "reading a returned message", p->error,
                                         sizeof p->error);
            amqp_destroy_message(&m);
            b->returned = true;
            break;
        }
        case AMQP_CHANNEL_CLOSE_METHOD:
        case AMQP_CONNECTION_CLOSE_METHOD:
            snprintf(p->error, sizeof p->error, "broker closed the channel");
            return -1;
        default:
            break;
        }
    }
    return 0;
}

/* One attempt on the current connection: -1 if it could not publish at all, else the number
 * of confirmed messages. */
static int attempt(ws_mq_publisher *p, const ws_mq_msg *msgs, size_t n, double deadline) {
    if (ensure_connected(p) != 0)
        return -1;
    batch b = {.first = p->next_tag, .n = n, .pending = n};
    for (size_t i = 0; i < n; i++) {
        amqp_basic_properties_t props = {0};
        props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG;
        props.content_type = amqp_cstring_bytes("application/json");
        props.delivery_mode = AMQP_DELIVERY_PERSISTENT;
        if (msgs[i].message_id) {
            props._flags |= AMQP_BASIC_MESSAGE_ID_FLAG;
            props.message_id = amqp_cstring_bytes(msgs[i].message_id);
        }
        amqp_bytes_t body = {msgs[i].len, (void *)msgs[i].body};
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
    if (wait_confirms(p, &b, deadline) != 0) {
        drop(p); /* late confirms would otherwise be mistaken for the next batch's */
        p->in_doubt = true;
        if (b.pending == n)
            return -1;
    }
    if (p->conn)
        amqp_maybe_release_buffers(p->conn);
    int ok = 0;
    for (size_t i = 0; i < n; i++)
        ok += b.st[i] == 1;
    return ok;
}

int ws_mq_publish(ws_mq_publisher *p, const ws_mq_msg *msgs, size_t n, int timeout_ms) {
    int total = 0;
    pthread_mutex_lock(&p->lock);
    p->in_doubt = false;
    double deadline = ws_now() + timeout_ms / 1000.0;
    for (size_t off = 0; off < n; off += MAX_BATCH) {
        size_t k = n - off < MAX_BATCH ? n - off : MAX_BATCH;
        bool reused = p->conn != NULL;
        int rc = attempt(p, msgs + off, k, deadline);
        /* A connection that sat idle may have died unnoticed: one retry on a fresh one. */
        if (rc < 0 && reused && ws_now() < deadline) {
            p->retry_at = 0;
            rc = attempt(p, msgs + off, k, deadline);
        }
        if (rc < 0) {
            total = total > 0 ? total : -1;
            break;
        }
        total += rc;
    }
    if (total == (int)n)
        p->in_doubt = false;
    pthread_mutex_unlock(&p->lock);
    return total;
}
