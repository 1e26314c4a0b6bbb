/* backoff.c -- reconnect scheduling over a list of servers (see backoff.h). */
#include "backoff.h"

void ws_reconnect_init(ws_reconnect *r, int min_ms, int max_ms, int n_servers) {
    ws_backoff_init(&r->backoff, min_ms, max_ms);
    r->retry_at = 0;
    r->server = 0;
    r->n_servers = n_servers < 1 ? 1 : n_servers;
    r->failed = 0;
}

bool ws_reconnect_due(const ws_reconnect *r, double now) {
    return now >= r->retry_at;
}

double ws_reconnect_wait_s(const ws_reconnect *r, double now) {
    return r->retry_at > now ? r->retry_at - now : 0;
}

void ws_reconnect_failed(ws_reconnect *r) {
    r->server = (r->server + 1) % r->n_servers;
    r->failed++;
    /* A lost connection to one node of a cluster is a reason to try the next one now, not to
     * wait; only when every server has failed in turn is the whole list down for a while. */
    if (r->failed % r->n_servers != 0) {
        r->retry_at = 0;
        return;
    }
    r->retry_at = ws_now() + ws_backoff_next(&r->backoff) / 1000.0;
}

void ws_reconnect_ok(ws_reconnect *r) {
    r->failed = 0;
    ws_backoff_reset(&r->backoff);
}
