/* handlers.c -- GET /hello, GET /fruit and POST /fruit, as the seed's facts file describes. */
#include "handlers.h"
#include "hello_jobs.h"
#include "http.h"
#include "log.h"
#include "metrics.h" /* WORKSHOP:EX1 */
#include "orders.h"
#include "resources.h"
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const fe_config *config;
static struct MHD_Response *hello_response; /* shared by every /hello: built once */
static const char hello_body[] = "Hello, World!";

int fe_handlers_init(const fe_config *cfg) {
    config = cfg;
    hello_response = MHD_create_response_from_buffer(sizeof hello_body - 1, (void *)hello_body,
                                                     MHD_RESPMEM_PERSISTENT);
    if (!hello_response)
        return -1;
    MHD_add_response_header(hello_response, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "text/html; charset=utf-8");
    return 0;
}

void fe_handlers_free(void) {
    if (hello_response)
        MHD_destroy_response(hello_response);
    hello_response = NULL;
}

/* Answers an error. kind names it for errors_total{method,endpoint,error} (exercise 4). */
static enum MHD_Result fail(struct MHD_Connection *conn, fe_request *req, unsigned status,
                            const char *kind, const char *msg) {
    (void)req, (void)kind;
    fe_metric_error(req->method, req->endpoint, kind); /* WORKSHOP:EX4 */
    return ws_http_error(conn, status, msg);
}

enum MHD_Result fe_hello(struct MHD_Connection *conn, fe_request *req) {
    (void)req;
    fe_metric_hello(); /* WORKSHOP:EX1 */
    fe_hello_jobs_push();
    return MHD_queue_response(conn, MHD_HTTP_OK, hello_response);
}

/* Reads the total from the cache, else from PostgreSQL (then caches it). */
static int recent_total(fe_resources *res, const char *name, long long *total) {
    char key[32];
    snprintf(key, sizeof key, "fruit_%s", name);
    int rc = ws_cache_get_int(res->cache, key, total);
    if (rc == WS_CACHE_HIT) {
        fe_metric_cache(FE_CACHE_HIT); /* WORKSHOP:EX4 */
        return 0;
    }
    /* WORKSHOP:EX4 BEGIN */
    fe_metric_cache(rc == WS_CACHE_MISS ? FE_CACHE_MISS : FE_CACHE_ERROR);
    /* WORKSHOP:EX4 END */
    if (rc == WS_CACHE_ERROR) {
        fe_metric_error(FE_M_GET, FE_EP_FRUIT, "CacheError"); /* WORKSHOP:EX4 */
        log_every(5, WS_WARN, "cache read failed, using the database error=\"%s\"",
                  ws_cache_last_error(res->cache));
    }
    bool all = strcmp(name, "all") == 0;
    if (ws_db_recent_total(res->db, all ? NULL : name, total) != WS_DB_OK) {
        log_every(5, WS_WARN, "database read failed error=\"%s\"", ws_db_last_error(res->db));
        return -1;
    }
    if (rc == WS_CACHE_MISS && ws_cache_set_int(res->cache, key, *total, config->cache_ttl_s)) {
        fe_metric_error(FE_M_GET, FE_EP_FRUIT, "CacheError"); /* WORKSHOP:EX4 */
        log_every(5, WS_WARN, "cache write failed error=\"%s\"", ws_cache_last_error(res->cache));
    }
    return 0;
}

enum MHD_Result fe_fruit_get(struct MHD_Connection *conn, fe_request *req) {
    const char *arg = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "name");
    char name[16];
    if (!arg || !*arg)
        arg = "all";
    size_t n = strlen(arg);
    if (n >= sizeof name)
        return fail(conn, req, MHD_HTTP_BAD_REQUEST, "FruitValueError", "Invalid fruit");
    for (size_t i = 0; i <= n; i++)
        name[i] = (char)tolower((unsigned char)arg[i]);
    int fruit = ws_fruit_index(name);
    if (fruit < 0 && strcmp(name, "all") != 0)
        return fail(conn, req, MHD_HTTP_BAD_REQUEST, "FruitValueError", "Invalid fruit");
    fe_resources *res = fe_resources_get();
    long long total;
    if (!res || recent_total(res, name, &total) != 0)
        return fail(conn, req, MHD_HTTP_SERVICE_UNAVAILABLE, "DatabaseError",
                    "Database unavailable, try again later");
    /* WORKSHOP:EX2 BEGIN */
    if (fruit < 0)
        fe_metric_all_fruits(total);
    /* WORKSHOP:EX2 END */
    /* WORKSHOP:EX3 BEGIN */
    if (fruit >= 0)
        fe_metric_recent_fruits(fruit, total);
    /* WORKSHOP:EX3 END */
    char body[96];
    int len =
        snprintf(body, sizeof body, "{\"fruit\":\"%s\",\"total_quantity\":%lld}\n", name, total);
    return ws_http_send(conn, MHD_HTTP_OK, WS_JSON_TYPE, body, (size_t)len);
}

static bool is_json_content_type(struct MHD_Connection *conn) {
    const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    if (!ct)
        return false;
    size_t n = strlen("application/json");
    return strncasecmp(ct, "application/json", n) == 0 &&
           (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* The broker may hold an order it never confirmed. Before answering 503, cancel its id in the
 * database so the backend will never store it; if the backend already has, it was accepted
 * after all. Returns 1 (accepted) or 0. */
static int settle_in_doubt(fe_resources *res, const char *id) {
    bool cancelled = false;
    if (ws_db_cancel_order(res->db, id, &cancelled) != WS_DB_OK) {
        fe_metric_order_in_doubt(); /* WORKSHOP:EX4 */
        log_warn("order in doubt: the broker may hold it and it could not be cancelled "
                 "message_id=%s error=\"%s\"",
                 id, ws_db_last_error(res->db));
        return 0;
    }
    log_info("unconfirmed order %s message_id=%s", cancelled ? "cancelled" : "already stored", id);
    return cancelled ? 0 : 1;
}

/* The broker has answered for the order (or its deadline passed): 200 only if it confirmed. */
static enum MHD_Result answer_order(struct MHD_Connection *conn, fe_request *req,
                                    const ws_order *order) {
    ws_mq_outcome outcome = (ws_mq_outcome)req->wait.outcome;
    /* WORKSHOP:EX4 BEGIN */
    fe_metric_publish(ws_now() - req->wait.start, outcome == WS_MQ_CONFIRMED ? 1 : 0);
    /* WORKSHOP:EX4 END */
    bool accepted = outcome == WS_MQ_CONFIRMED;
    fe_resources *res = outcome == WS_MQ_IN_DOUBT ? fe_resources_get() : NULL;
    if (res)
        accepted = settle_in_doubt(res, req->wait.message_id) == 1;
    if (!accepted) {
        char err[256];
        log_every(5, WS_WARN, "order not confirmed by the broker error=\"%s\"",
                  fe_orders_error(err, sizeof err));
        return fail(conn, req, MHD_HTTP_SERVICE_UNAVAILABLE, "PublishError",
                    "Order not accepted: message broker unavailable, try again later");
    }
    fe_metric_order(order->fruit, order->quantity); /* WORKSHOP:EX3 */
    char body[96];
    int n = snprintf(body, sizeof body, "{\"message\":\"You sent %d %s!\"}\n", order->quantity,
                     ws_fruits[order->fruit]);
    return ws_http_send(conn, MHD_HTTP_OK, WS_JSON_TYPE, body, (size_t)n);
}

enum MHD_Result fe_fruit_post(struct MHD_Connection *conn, fe_request *req) {
    if (req->too_large)
        return fail(conn, req, MHD_HTTP_CONTENT_TOO_LARGE, "PayloadTooLargeError",
                    "Request body too large");
    if (!is_json_content_type(conn))
        return fail(conn, req, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "ContentTypeError",
                    "Content-Type must be application/json");
    ws_order order;
    ws_order_result r = ws_order_parse(req->body, req->len, &order);
    if (r != WS_ORDER_OK)
        return fail(conn, req, MHD_HTTP_BAD_REQUEST, ws_order_error_kind(r),
                    ws_order_error_message(r));
    if (req->wait.suspended) { /* called again: the broker has answered */
        req->wait.suspended = false;
        return answer_order(conn, req, &order);
    }
    /* Valid: publish persistently and answer only once the broker has confirmed. */
    char msg[WS_ORDER_MSG_MAX];
    size_t len = ws_order_format(&order, msg, sizeof msg);
    ws_uuid(req->wait.message_id);
    if (fe_orders_publish(conn, req, msg, len))
        return MHD_YES; /* suspended until the confirm, nack or timeout */
    return answer_order(conn, req, &order);
}
