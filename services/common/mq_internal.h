/* mq_internal.h -- connection plumbing shared by mq_publish.c and mq_consume.c. */
#ifndef WS_MQ_INTERNAL_H
#define WS_MQ_INTERNAL_H

#include "backoff.h"
#include "mq.h"

#include <amqp.h>
#include <stdbool.h>
#include <stddef.h>

#define WS_MQ_CHANNEL 1

/* Opens a connection to cfg->nodes[node], logs in, opens channel 1 and declares queue durable
 * (of cfg->queue_type). NULL on failure with a reason in err. */
amqp_connection_state_t ws_mq_open(const ws_mq_config *cfg, int node, const char *queue, char *err,
                                   size_t cap);
/* Opens a connection to the node r names, going on to the next ones while r says an attempt
 * is due (each failure moves r on; a whole round of failures makes it wait). On success r
 * points at the node connected to; the caller calls ws_reconnect_ok(r) once its own set-up
 * (confirm.select, basic.consume) has worked too, so a node that fails there still backs off. */
amqp_connection_state_t ws_mq_open_next(const ws_mq_config *cfg, ws_reconnect *r, const char *queue,
                                        char *err, size_t cap);
/* A ws_reconnect for cfg's nodes with the given backoff bounds. */
void ws_mq_reconnect_init(ws_reconnect *r, const ws_mq_config *cfg, int min_ms, int max_ms);
/* (Re)declares queue durable, of queue_type, on channel 1 (after a deletion, say). 0, or -1
 * with err. */
int ws_mq_declare(amqp_connection_state_t conn, const char *queue, ws_mq_queue_type queue_type,
                  char *err, size_t cap);
/* True when the socket takes more bytes now: false means a write could block (the broker
 * stopped reading, as under a resource alarm) and should not be started. */
bool ws_mq_writable(amqp_connection_state_t conn);
/* Closes politely (bounded by the RPC timeout) and destroys the connection. */
void ws_mq_close(amqp_connection_state_t conn);
/* Describes a failed RPC reply into err; returns -1. */
int ws_mq_reply_error(amqp_rpc_reply_t r, const char *what, char *err, size_t cap);

#endif
