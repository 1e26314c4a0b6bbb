/* server.h -- the frontend's HTTP server: routing, request bodies, simulated latency. */
#ifndef FE_SERVER_H
#define FE_SERVER_H

#include "config.h"
#include "order.h"
#include "routes.h"

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

/* What a handler keeps while it has suspended the connection (POST /fruit waiting for the
 * broker's confirm); handlers.c owns it, the server only checks `suspended`. */
typedef struct fe_wait {
    bool suspended; /* the handler is waiting: it is called again once resumed */
    struct MHD_Connection *conn;
    int outcome;
    double start;
    char message_id[37];
} fe_wait;
/* An oversized body is read and thrown away up to this many bytes before the 413, so that a
 * client that sends the whole body before reading (most HTTP libraries) gets the answer rather
 * than a reset; past it, or announced past it, the connection is closed (nginx's lingering
 * close does the same, bounded). */
#define FE_MAX_DISCARD (16u << 20)

/* What the server knows about one request while it arrives. */
typedef struct fe_request {
    fe_method method;
    fe_endpoint endpoint;
    double start;   /* WORKSHOP:EX4 */
    bool delayed;   /* the simulated latency has been served */
    bool too_large; /* the body went over WS_MAX_ORDER_BODY */
    fe_wait wait;
    size_t seen; /* body bytes received, kept or discarded (bounded by FE_MAX_DISCARD) */
    size_t len;
    char body[WS_MAX_ORDER_BODY + 1];
} fe_request;

/* Starts listening; NULL on failure (logged). */
struct MHD_Daemon *fe_server_start(const fe_config *cfg);
void fe_server_stop(struct MHD_Daemon *d);

#endif
