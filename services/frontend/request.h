/* request.h -- what the frontend keeps about one request while it arrives and is answered:
 * server.c fills it and hands it to the handlers (handlers.c, orders.c), which never call the
 * server back. */
#ifndef FE_REQUEST_H
#define FE_REQUEST_H

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

/* One request, from the access handler's first call to on_completed (server.c frees it). */
typedef struct fe_request {
    fe_method method;
    fe_endpoint endpoint;
    double start;   /* WORKSHOP:EX4 */
    bool delayed;   /* the simulated latency has been served */
    bool too_large; /* the body went over WS_MAX_ORDER_BODY */
    bool healthz;   /* GET /healthz: a load balancer's probe, not a user request (no metrics) */
    fe_wait wait;
    size_t seen; /* body bytes received, kept or discarded (bounded by FE_MAX_DISCARD) */
    size_t len;
    char body[WS_MAX_ORDER_BODY + 1];
} fe_request;

#endif
