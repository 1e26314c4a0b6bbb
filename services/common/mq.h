/* mq.h -- RabbitMQ (rabbitmq-c): confirmed publishing and manually acked consuming.
 *
 * Every object owns one connection and reconnects by itself after a backoff delay. A broker
 * that is down costs callers a fast failure, never a hang: connecting, handshakes, RPCs and
 * confirms are all bounded by timeouts. Queues are declared durable on the default exchange,
 * classic and without arguments by default, so they stay compatible with the seed's own
 * declaration of task_queue; or as quorum queues (x-queue-type=quorum) for a cluster.
 *
 * A configuration may name several nodes of one cluster: each object connects to one of them
 * and, when that fails or its connection is lost, goes on to the next one at once (backoff.h);
 * only a whole round of failures waits out the backoff delay. */
#ifndef WS_MQ_H
#define WS_MQ_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WS_MQ_MAX_NODES 8

typedef struct ws_mq_node {
    char host[128];
    int port;
} ws_mq_node;

typedef enum ws_mq_queue_type {
    WS_MQ_CLASSIC, /* the broker's default: one node holds the queue */
    WS_MQ_QUORUM,  /* replicated by Raft over the cluster's nodes (x-queue-type=quorum) */
} ws_mq_queue_type;

typedef struct ws_mq_config {
    ws_mq_node nodes[WS_MQ_MAX_NODES]; /* tried in this order, starting with the first */
    int n_nodes;
    char user[64];
    char password[64];
    char vhost[64];
    /* AMQP heartbeat asked for, in seconds (0: off), on connections read all the time
     * (consumers, the pipelined publisher); occasional publishers always ask for 0. */
    int heartbeat_s;
    /* How every queue of this configuration is declared; a queue that exists with another
     * type makes the declaration fail (PRECONDITION_FAILED), as the broker decides. */
    ws_mq_queue_type queue_type;
} ws_mq_config;

#define WS_MQ_DEFAULT_HEARTBEAT_S 30

/* Parses amqp://user:pass@host:port/vhost (rabbitmq-c's URL syntax), or a comma-separated
 * list of up to WS_MQ_MAX_NODES such URLs naming the nodes of one cluster, which must agree on
 * user, password and vhost. heartbeat_s gets its default, queue_type WS_MQ_CLASSIC. 0 or -1. */
int ws_mq_config_parse(const char *urls, ws_mq_config *cfg);
/* Parses "classic" or "quorum" into *out. 0 or -1. */
int ws_mq_queue_type_parse(const char *s, ws_mq_queue_type *out);
/* "classic" or "quorum". */
const char *ws_mq_queue_type_name(ws_mq_queue_type t);

/* ---- Publishing ---- */

typedef struct ws_mq_publisher ws_mq_publisher;

/* A publisher to one queue, in confirm mode. Thread-safe (one lock per publisher). */
ws_mq_publisher *ws_mq_publisher_new(const ws_mq_config *cfg, const char *queue);
void ws_mq_publisher_free(ws_mq_publisher *p);
/* Connects now, which declares the queue, instead of at the first publish: a queue that is
 * published to rarely (dead letters) then exists, with its type, from the start. Returns 0,
 * or -1 when no broker could be reached (ws_mq_publisher_error says why); publishing later
 * connects and declares again. */
int ws_mq_publisher_connect(ws_mq_publisher *p);

typedef struct ws_mq_msg {
    const void *body;
    size_t len;
    const char *message_id; /* NULL for none */
} ws_mq_msg;

/* Publishes n persistent, mandatory messages and waits up to timeout_ms for the broker to
 * confirm them. Returns how many were confirmed (messages nacked, returned or left
 * unconfirmed count as not confirmed), or -1 when the broker could not be reached at all. A
 * publish that fails on an established connection is retried once on a new one (the message
 * id makes this safe); messages returned unroutable (the queue was deleted) are retried once
 * after redeclaring the queue. While the broker blocks publishers (connection.blocked) it
 * fails at once instead of writing. */
int ws_mq_publish(ws_mq_publisher *p, const ws_mq_msg *msgs, size_t n, int timeout_ms);
const char *ws_mq_publisher_queue(const ws_mq_publisher *p);
/* After a ws_mq_publish that did not confirm everything: true when a message went out but
 * was not confirmed (the connection died first, or the broker nacked it), so the broker may
 * hold it. */
bool ws_mq_publisher_in_doubt(ws_mq_publisher *p);

/* ---- Consuming ---- */

typedef struct ws_mq_consumer ws_mq_consumer;

typedef struct ws_mq_delivery {
    const void *body;
    size_t len;
    uint64_t tag;
    bool redelivered;
    char message_id[80]; /* "" when the message carried none (or an over-long one) */
    unsigned generation; /* connection the delivery came on: acks on a newer one are refused */
    void *priv;
} ws_mq_delivery;

/* A consumer of queue with manual acks and at most prefetch unacked deliveries. When the
 * broker cancels the consumer (the queue was deleted: consumer_cancel_notify), it reconnects,
 * which declares the queue again, and consumes anew. */
ws_mq_consumer *ws_mq_consumer_new(const ws_mq_config *cfg, const char *queue, int prefetch);
/* Closes the connection: unacked deliveries go back to the queue. */
void ws_mq_consumer_free(ws_mq_consumer *c);

enum { WS_MQ_GOT = 1, WS_MQ_NONE = 0, WS_MQ_DOWN = -1 };
/* Waits up to timeout_ms for a delivery. WS_MQ_GOT (free it with ws_mq_delivery_free),
 * WS_MQ_NONE on timeout, WS_MQ_DOWN when not connected (it waits out the backoff, up to
 * timeout_ms, before returning). */
int ws_mq_consumer_next(ws_mq_consumer *c, ws_mq_delivery *d, int timeout_ms);
/* Acks / rejects a delivery. -1 when its connection is gone (the broker will redeliver). */
int ws_mq_ack(ws_mq_consumer *c, const ws_mq_delivery *d);
/* Acks d and every earlier unacked delivery of its connection (basic.ack with multiple). */
int ws_mq_ack_through(ws_mq_consumer *c, const ws_mq_delivery *d);
int ws_mq_reject(ws_mq_consumer *c, const ws_mq_delivery *d, bool requeue);
void ws_mq_delivery_free(ws_mq_delivery *d);
/* Text of the last failure (for logs). */
const char *ws_mq_consumer_error(const ws_mq_consumer *c);
/* Copies the text of the publisher's last failure into buf (under its lock: other threads may
 * be publishing) and returns buf. */
const char *ws_mq_publisher_error(ws_mq_publisher *p, char *buf, size_t cap);

/* ---- Pipelined publishing ----
 *
 * Many publishes in flight on one channel: callers hand in messages and are called back when
 * each one is settled, while one I/O thread writes them, matches the broker's confirms to
 * them by delivery tag (and `multiple`), and enforces each message's deadline. */

typedef struct ws_mq_pipeline ws_mq_pipeline;

typedef enum ws_mq_outcome {
    WS_MQ_CONFIRMED, /* the broker confirmed it: it is on disk in the queue */
    WS_MQ_REFUSED,   /* returned unroutable twice: the broker does not hold it */
    WS_MQ_FAILED,    /* never written (broker down, blocked, or the deadline came first) */
    WS_MQ_IN_DOUBT,  /* written but not confirmed, or nacked: the broker may hold it. A quorum
                      * queue's nack can come for a command its Raft log commits later (a
                      * frontend answered 503 for an order the backend then stored). */
} ws_mq_outcome;

/* Called once per message, from the pipeline's I/O thread. Must not block. */
typedef void ws_mq_done_fn(void *arg, ws_mq_outcome outcome);

/* A pipelined publisher to queue with at most max_inflight unconfirmed messages. It connects
 * in the background (heartbeats as cfg->heartbeat_s). NULL on failure. */
ws_mq_pipeline *ws_mq_pipeline_new(const ws_mq_config *cfg, const char *queue, int max_inflight);
/* Queues one persistent, mandatory message (body and id are copied). done(arg, outcome) is
 * called exactly once, from the I/O thread, by timeout_ms from now at the latest. Returns 0,
 * or -1 (out of memory, or the pipeline is stopping) and then done is never called. */
int ws_mq_pipeline_publish(ws_mq_pipeline *p, const ws_mq_msg *m, int timeout_ms,
                           ws_mq_done_fn *done, void *arg);
/* Stops taking messages and waits until every queued one is settled (each by its deadline). */
void ws_mq_pipeline_drain(ws_mq_pipeline *p);
/* Drains, closes the connection and frees. */
void ws_mq_pipeline_free(ws_mq_pipeline *p);
/* Copies the text of the last failure into buf and returns buf. */
const char *ws_mq_pipeline_error(ws_mq_pipeline *p, char *buf, size_t cap);

#endif
