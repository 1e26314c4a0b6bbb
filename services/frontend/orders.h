/* orders.h -- publishing a POSTed order to the broker and waiting for its confirm.
 *
 * Pipelined (the default): one shared publisher keeps many orders in flight on one channel,
 * and a request is suspended in libmicrohttpd until its confirm, nack or timeout arrives, so
 * it holds no thread while it waits. With --publish-inflight 1, each HTTP thread publishes on
 * its own connection and waits for each confirm in turn (the old path, kept as the
 * benchmark's baseline). */
#ifndef FE_ORDERS_H
#define FE_ORDERS_H

#include "config.h"
#include "mq.h"
#include "request.h"

/* Starts the shared publisher when publishing is pipelined. 0 or -1. */
int fe_orders_start(const fe_config *cfg);
/* Refuses new orders and waits until every suspended one has its outcome. */
void fe_orders_drain(void);
/* Frees the shared publisher; after the HTTP server has stopped. */
void fe_orders_stop(void);

/* Publishes msg (an order with message id req->wait.message_id). Pipelined: suspends conn
 * and returns true; the handler is called again with req->wait.suspended set and the
 * outcome in req->wait.outcome. One at a time: publishes, sets req->wait.outcome, returns
 * false. */
bool fe_orders_publish(struct MHD_Connection *conn, fe_request *req, const char *msg, size_t len);
/* The last publish failure of the calling thread's publisher (for logs), copied into buf. */
const char *fe_orders_error(char *buf, size_t cap);

#endif
