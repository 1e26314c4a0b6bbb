/* orders.c -- an order's way to the broker: the shared pipelined publisher and the callback
 * that resumes the waiting request, or the per-thread one-at-a-time publisher. */
#include "orders.h"
#include "resources.h"
#include "util.h"

#include <stdio.h>

static const fe_config *config;
static ws_mq_pipeline *pipeline; /* NULL: one at a time (--publish-inflight 1) */

int fe_orders_start(const fe_config *cfg) {
    config = cfg;
    if (cfg->publish_inflight <= 1)
        return 0;
    pipeline = ws_mq_pipeline_new(&cfg->mq, cfg->queue, cfg->publish_inflight);
    return pipeline ? 0 : -1;
}

void fe_orders_drain(void) {
    ws_mq_pipeline_drain(pipeline);
}

void fe_orders_stop(void) {
    ws_mq_pipeline_free(pipeline);
    pipeline = NULL;
}

/* From the pipeline's I/O thread: record the outcome, then let libmicrohttpd call the
 * handler again (on the connection's own thread). */
static void on_settled(void *arg, ws_mq_outcome outcome) {
    fe_request *req = arg;
    req->wait.outcome = (int)outcome;
    MHD_resume_connection(req->wait.conn);
}

/* The old path: this thread's own publisher, waiting for the confirm. */
static ws_mq_outcome publish_here(const ws_mq_msg *m) {
    fe_resources *res = fe_resources_get();
    if (!res)
        return WS_MQ_FAILED;
    int confirmed = ws_mq_publish(res->orders, m, 1, config->publish_timeout_ms);
    if (confirmed == 1)
        return WS_MQ_CONFIRMED;
    return ws_mq_publisher_in_doubt(res->orders) ? WS_MQ_IN_DOUBT : WS_MQ_FAILED;
}

bool fe_orders_publish(struct MHD_Connection *conn, fe_request *req, const char *msg, size_t len) {
    ws_mq_msg m = {msg, len, req->wait.message_id};
    req->wait.start = ws_now();
    if (!pipeline) {
        req->wait.outcome = (int)publish_here(&m);
        return false;
    }
    req->wait.conn = conn;
    req->wait.suspended = true;
    /* Suspend first: the confirm may come back before ws_mq_pipeline_publish returns. */
    MHD_suspend_connection(conn);
    if (ws_mq_pipeline_publish(pipeline, &m, config->publish_timeout_ms, on_settled, req) != 0)
        on_settled(req, WS_MQ_FAILED); /* stopping, or out of memory: answer at once */
    return true;
}

const char *fe_orders_error(char *buf, size_t cap) {
    if (pipeline)
        return ws_mq_pipeline_error(pipeline, buf, cap);
    fe_resources *res = fe_resources_get();
    if (!res) {
        snprintf(buf, cap, "out of memory");
        return buf;
    }
    return ws_mq_publisher_error(res->orders, buf, cap);
}
