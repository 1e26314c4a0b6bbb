/* mq_consume.c -- consuming a queue with manual acks, bounded prefetch and reconnects. */
#include "log.h"
#include "mq_internal.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ws_mq_consumer {
    ws_mq_config cfg;
    char queue[128];
    int prefetch;
    amqp_connection_state_t conn;
    unsigned generation;
    ws_reconnect reconnect; /* which node next, and when */
    char error[256];
};

ws_mq_consumer *ws_mq_consumer_new(const ws_mq_config *cfg, const char *queue, int prefetch) {
    ws_mq_consumer *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (!ws_strlcpy(c->queue, queue, sizeof c->queue)) {
        free(c);
        return NULL;
    }
    c->cfg = *cfg;
    c->prefetch = prefetch < 1 ? 1 : prefetch;
    ws_mq_reconnect_init(&c->reconnect, &c->cfg, 100, 5000);
    return c;
}

static void drop(ws_mq_consumer *c) {
    if (c->conn) {
        ws_mq_close(c->conn);
        c->conn = NULL;
    }
    ws_reconnect_failed(&c->reconnect);
}

void ws_mq_consumer_free(ws_mq_consumer *c) {
    if (!c)
        return;
    if (c->conn)
        ws_mq_close(c->conn);
    free(c);
}

const char *ws_mq_consumer_error(const ws_mq_consumer *c) {
    return c->error;
}

static int connect_consumer(ws_mq_consumer *c) {
    c->conn = ws_mq_open_next(&c->cfg, &c->reconnect, c->queue, c->error, sizeof c->error);
    if (!c->conn)
        return -1;
    amqp_basic_qos(c->conn, WS_MQ_CHANNEL, 0, (uint16_t)c->prefetch, 0);
    amqp_rpc_reply_t r = amqp_get_rpc_reply(c->conn);
    if (r.reply_type != AMQP_RESPONSE_NORMAL)
        return ws_mq_reply_error(r, "basic.qos", c->error, sizeof c->error);
    amqp_basic_consume(c->conn, WS_MQ_CHANNEL, amqp_cstring_bytes(c->queue), amqp_empty_bytes, 0,
                       0 /* manual acks */, 0, amqp_empty_table);
    r = amqp_get_rpc_reply(c->conn);
    if (r.reply_type != AMQP_RESPONSE_NORMAL)
        return ws_mq_reply_error(r, "basic.consume", c->error, sizeof c->error);
    c->generation++;
    ws_reconnect_ok(&c->reconnect);
    return 0;
}

/* amqp_consume_message saw a frame other than a delivery: read it and decide whether the
 * connection survives (a returned or acked publish, a heartbeat) or not (a close). */
static int handle_other_frame(ws_mq_consumer *c) {
    amqp_frame_t f;
    struct timeval tv = {0, 0};
    int rc = amqp_simple_wait_frame_noblock(c->conn, &f, &tv);
    if (rc == AMQP_STATUS_TIMEOUT)
        return 0;
    if (rc != AMQP_STATUS_OK) {
        snprintf(c->error, sizeof c->error, "reading a frame: %s", amqp_error_string2(rc));
        return -1;
    }
    if (f.frame_type != AMQP_FRAME_METHOD)
        return 0;
    switch (f.payload.method.id) {
    case AMQP_CHANNEL_CLOSE_METHOD:
    case AMQP_CONNECTION_CLOSE_METHOD:
        snprintf(c->error, sizeof c->error, "broker closed the consumer's channel");
        return -1;
    case AMQP_BASIC_CANCEL_METHOD:
        /* The queue was deleted (or its node went away): nothing more will come on this
         * consumer. A new connection declares the queue again and consumes from it. */
        snprintf(c->error, sizeof c->error, "broker cancelled the consumer (queue deleted?)");
        return -1;
    default:
        return 0;
    }
}

int ws_mq_consumer_next(ws_mq_consumer *c, ws_mq_delivery *d, int timeout_ms) {
    memset(d, 0, sizeof *d);
    if (!c->conn) {
        double wait = ws_reconnect_wait_s(&c->reconnect, ws_now());
        if (wait > 0) {
            ws_sleep_ms(wait * 1000 < timeout_ms ? (int)(wait * 1000) + 1 : timeout_ms, NULL);
            return WS_MQ_DOWN;
        }
        if (connect_consumer(c) != 0) {
            log_every(5, WS_WARN, "mq consumer cannot connect queue=%s error=\"%s\"", c->queue,
                      c->error);
            if (c->conn) /* connected, then refused qos or consume: move on from this node */
                drop(c);
            return WS_MQ_DOWN;
        }
        const ws_mq_node *n = &c->cfg.nodes[c->reconnect.server];
        log_info("mq consumer connected queue=%s host=%s:%d type=%s prefetch=%d", c->queue, n->host,
                 n->port, ws_mq_queue_type_name(c->cfg.queue_type), c->prefetch);
    }
    amqp_maybe_release_buffers(c->conn);
    amqp_envelope_t *env = malloc(sizeof *env);
    if (!env)
        return WS_MQ_NONE;
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    amqp_rpc_reply_t r = amqp_consume_message(c->conn, env, &tv, 0);
    if (r.reply_type == AMQP_RESPONSE_NORMAL) {
        d->body = env->message.body.bytes;
        d->len = env->message.body.len;
        d->tag = env->delivery_tag;
        d->redelivered = env->redelivered;
        d->generation = c->generation;
        d->priv = env;
        const amqp_basic_properties_t *p = &env->message.properties;
        if ((p->_flags & AMQP_BASIC_MESSAGE_ID_FLAG) && p->message_id.len > 0 &&
            p->message_id.len < sizeof d->message_id) {
            memcpy(d->message_id, p->message_id.bytes, p->message_id.len);
            d->message_id[p->message_id.len] = '\0';
        }
        return WS_MQ_GOT;
    }
    free(env);
    if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION) {
        if (r.library_error == AMQP_STATUS_TIMEOUT)
            return WS_MQ_NONE;
        if (r.library_error == AMQP_STATUS_UNEXPECTED_STATE && handle_other_frame(c) == 0)
            return WS_MQ_NONE;
    }
    if (r.reply_type != AMQP_RESPONSE_LIBRARY_EXCEPTION ||
        r.library_error != AMQP_STATUS_UNEXPECTED_STATE)
        ws_mq_reply_error(r, "consume", c->error, sizeof c->error);
    log_warn("mq consumer lost its connection queue=%s error=\"%s\"", c->queue, c->error);
    drop(c);
    return WS_MQ_DOWN;
}

static int settle(ws_mq_consumer *c, const ws_mq_delivery *d, bool ack, bool multiple,
                  bool requeue) {
    if (!c->conn || d->generation != c->generation) {
        snprintf(c->error, sizeof c->error, "delivery belongs to a closed connection");
        return -1;
    }
    int rc = ack ? amqp_basic_ack(c->conn, WS_MQ_CHANNEL, d->tag, multiple)
                 : amqp_basic_reject(c->conn, WS_MQ_CHANNEL, d->tag, requeue);
    if (rc != AMQP_STATUS_OK) {
        snprintf(c->error, sizeof c->error, "%s: %s", ack ? "ack" : "reject",
                 amqp_error_string2(rc));
        drop(c);
        return -1;
    }
    return 0;
}

int ws_mq_ack(ws_mq_consumer *c, const ws_mq_delivery *d) {
    return settle(c, d, true, false, false);
}

int ws_mq_ack_through(ws_mq_consumer *c, const ws_mq_delivery *d) {
    return settle(c, d, true, true, false);
}

int ws_mq_reject(ws_mq_consumer *c, const ws_mq_delivery *d, bool requeue) {
    return settle(c, d, false, false, requeue);
}

void ws_mq_delivery_free(ws_mq_delivery *d) {
    if (d->priv) {
        amqp_destroy_envelope(d->priv);
        free(d->priv);
        d->priv = NULL;
    }
}
