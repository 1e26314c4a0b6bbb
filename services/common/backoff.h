/* backoff.h -- when to try a connection again, and to which server of a list.
 *
 * Every client of an outside system (mq over a list of nodes; db and cache over one) keeps one
 * ws_reconnect beside its connection: ws_reconnect_due() says whether an attempt may be made
 * now, ws_reconnect_failed() moves to the next server after a failed attempt or a lost
 * connection, and ws_reconnect_ok() after a good one. The next server is tried at once; only
 * a whole round of failures waits out the backoff delay (exponential with jitter, from util.h),
 * so a dead node costs one refused connect and a dead cluster costs no busy loop. */
#ifndef WS_BACKOFF_H
#define WS_BACKOFF_H

#include "util.h"

#include <stdbool.h>

typedef struct ws_reconnect {
    ws_backoff backoff;
    double retry_at; /* ws_now() before which no attempt is made */
    int server;      /* the server the next attempt goes to, 0 .. n_servers-1 */
    int n_servers;
    int failed; /* servers failed in a row since the last success */
} ws_reconnect;

/* Starts at server 0 with no delay; n_servers < 1 counts as 1. */
void ws_reconnect_init(ws_reconnect *r, int min_ms, int max_ms, int n_servers);
/* True when an attempt may be made at time now (ws_now()). */
bool ws_reconnect_due(const ws_reconnect *r, double now);
/* Seconds left before the next attempt may be made (0 when due). */
double ws_reconnect_wait_s(const ws_reconnect *r, double now);
/* An attempt on the current server failed, or its connection was lost: the next server is
 * tried at once, except after a whole round of failures, which waits the backoff delay. */
void ws_reconnect_failed(ws_reconnect *r);
/* Connected to the current server: the next failure starts a new round at the shortest delay. */
void ws_reconnect_ok(ws_reconnect *r);

#endif
