/* server.c -- libmicrohttpd setup and the access handler: route, read the body (bounded),
 * serve the simulated latency and dispatch.
 *
 * Hostile clients cost descriptors and nothing else: libmicrohttpd waits with poll() (no
 * FD_SETSIZE ceiling; not its epoll, which in 0.9.75 is edge-triggered and misses the close of
 * a connection whose request and FIN arrived together, as a flood's backlog delivers them, so
 * such zombies held their slots until the timeout and the server stayed full after the flood
 * had gone), the connection limit comes from the fd limit (main.c) so accept() never
 * meets EMFILE, connections idle for --client-timeout are closed, and an oversized body is
 * drained (up to FE_MAX_DISCARD) before its 413 so the client reads the answer. */
#include "server.h"
#include "delay.h"
#include "handlers.h"
#include "http.h"
#include "log.h"
#include "metrics.h" /* WORKSHOP:EX4 */
#include "request.h"
#include "routes.h"
#include "util.h"

#ifndef WORKSHOP_NO_METRICS /* WORKSHOP:OUT */
#include <promc_http.h>     /* WORKSHOP:EX0 */
#endif                      /* WORKSHOP:OUT */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const fe_config *config;

static fe_endpoint parse_endpoint(const char *url) {
    /* WORKSHOP:EX0 BEGIN */
#ifndef WORKSHOP_NO_METRICS /* WORKSHOP:OUT */
    if (strcmp(url, "/metrics") == 0)
        return FE_EP_METRICS;
#endif /* WORKSHOP:OUT */
    /* WORKSHOP:EX0 END */
    if (strcmp(url, "/hello") == 0)
        return FE_EP_HELLO;
    if (strcmp(url, "/fruit") == 0)
        return FE_EP_FRUIT;
    return FE_EP_OTHER;
}

/* First call for a request: allocate its state and note an announced oversized body. */
static fe_request *new_request(struct MHD_Connection *conn, const char *url, const char *method) {
    fe_request *req = malloc(sizeof *req);
    if (!req)
        return NULL;
    req->method = fe_method_parse(method);
    req->endpoint = parse_endpoint(url);
    req->start = ws_now(); /* WORKSHOP:EX4 */
    req->delayed = false;
    req->too_large = false;
    req->healthz = strcmp(url, "/healthz") == 0;
    req->wait.suspended = false;
    req->seen = 0;
    req->len = 0;
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    if (cl && strtoull(cl, NULL, 10) > WS_MAX_ORDER_BODY)
        req->too_large = true;
    return req;
}

/* Whether to answer an oversized body before it arrives: when the client waits for "100
 * Continue" (it then sends nothing more) or announces more than we would drain. */
static bool refuse_early(struct MHD_Connection *conn) {
    const char *expect = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Expect");
    if (expect && strcasecmp(expect, "100-continue") == 0)
        return true;
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    return cl && strtoull(cl, NULL, 10) > FE_MAX_DISCARD;
}

static enum MHD_Result reply_too_large(struct MHD_Connection *conn, fe_request *req) {
    (void)req; /* the request metrics of exercise 4 use it */
    /* WORKSHOP:EX4 BEGIN */
    fe_metric_error(req->method, req->endpoint, "PayloadTooLargeError");
    fe_metric_request(req->method, req->endpoint, ws_now() - req->start);
    /* WORKSHOP:EX4 END */
    return ws_http_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, "Request body too large");
}

static void append_body(fe_request *req, const char *data, size_t n) {
    if (req->too_large || n > WS_MAX_ORDER_BODY - req->len) {
        req->too_large = true;
        return;
    }
    memcpy(req->body + req->len, data, n);
    req->len += n;
    req->body[req->len] = '\0';
}

static bool allowed(const fe_request *req) {
    if (req->endpoint == FE_EP_HELLO)
        return req->method == FE_M_GET || req->method == FE_M_HEAD;
    return req->method == FE_M_GET || req->method == FE_M_HEAD || req->method == FE_M_POST;
}

static enum MHD_Result dispatch(struct MHD_Connection *conn, fe_request *req) {
    if (req->endpoint == FE_EP_HELLO)
        return fe_hello(conn, req);
    if (req->method == FE_M_POST)
        return fe_fruit_post(conn, req);
    return fe_fruit_get(conn, req);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls) {
    (void)cls, (void)version;
    fe_request *req = *con_cls;
    if (!req) {
        req = *con_cls = new_request(conn, url, method);
        if (!req)
            return MHD_NO;
        /* Else the body is drained below and the 413 sent once it has all arrived. */
        if (req->too_large && req->endpoint == FE_EP_FRUIT && req->method == FE_M_POST &&
            refuse_early(conn))
            return reply_too_large(conn, req); /* MHD then closes the connection */
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        req->seen += *upload_data_size;
        if (req->seen > FE_MAX_DISCARD)
            return MHD_NO; /* past the drain bound: close */
        append_body(req, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (req->too_large && req->endpoint == FE_EP_FRUIT && req->method == FE_M_POST)
        return reply_too_large(conn, req);
    if (req->healthz) /* answered while the process serves; counted nowhere (haproxy's check) */
        return ws_http_send(conn, MHD_HTTP_OK, WS_JSON_TYPE, "{\"status\":\"ok\"}", 15);
        /* WORKSHOP:EX0 BEGIN */
#ifndef WORKSHOP_NO_METRICS /* WORKSHOP:OUT */
    if (req->endpoint == FE_EP_METRICS)
        return promc_http_handle(conn, method, NULL);
#endif /* WORKSHOP:OUT */
    /* WORKSHOP:EX0 END */
    if (req->endpoint == FE_EP_OTHER) {
        fe_metric_error(req->method, FE_EP_OTHER, "NotFoundError"); /* WORKSHOP:EX4 */
        return ws_http_error(conn, MHD_HTTP_NOT_FOUND, "Not found");
    }
    enum MHD_Result ret;
    if (!allowed(req)) {
        fe_metric_error(req->method, req->endpoint, "MethodNotAllowedError"); /* WORKSHOP:EX4 */
        ret = ws_http_method_not_allowed(conn, req->endpoint == FE_EP_HELLO ? "GET, HEAD"
                                                                            : "GET, HEAD, POST");
    } else {
        if (config->simulate_latency && !req->delayed && !config->latency_ms.off) {
            req->delayed = true;
            if (fe_delay(conn, ws_rand_range(config->latency_ms.lo, config->latency_ms.hi)))
                return MHD_YES; /* called again when the timer resumes us */
        }
        ret = dispatch(conn, req);
        if (req->wait.suspended)
            return ret; /* called again when the handler resumes us */
    }
    fe_metric_request(req->method, req->endpoint, ws_now() - req->start); /* WORKSHOP:EX4 */
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    (void)cls, (void)conn, (void)toe;
    free(*con_cls);
    *con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
    (void)cls;
    char buf[512];
    vsnprintf(buf, sizeof buf, fmt, ap);
    size_t n = strlen(buf);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    log_every(5, WS_WARN, "http server: %s", buf);
}

struct MHD_Daemon *fe_server_start(const fe_config *cfg) {
    config = cfg;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG;
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)cfg->port)};
    bool bind_one = cfg->addr && *cfg->addr;
    if (bind_one && inet_pton(AF_INET, cfg->addr, &sin.sin_addr) != 1) {
        log_error("invalid --addr (an IPv4 address) addr=%s", cfg->addr);
        return NULL;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        /* All interfaces: try IPv4 and IPv6 together, then IPv4 alone. */
        unsigned f = flags | (!bind_one && attempt == 0 ? MHD_USE_DUAL_STACK : 0);
        if (bind_one && attempt > 0)
            break;
        struct MHD_Daemon *d = MHD_start_daemon(
            f, (uint16_t)cfg->port, NULL, NULL, on_request, NULL, MHD_OPTION_EXTERNAL_LOGGER,
            on_mhd_log, NULL, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->threads,
            MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->connection_limit,
            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->client_timeout_s,
            MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
            bind_one ? MHD_OPTION_SOCK_ADDR : MHD_OPTION_END, (struct sockaddr *)&sin,
            MHD_OPTION_END);
        if (d)
            return d;
    }
    log_error("cannot listen port=%d", cfg->port);
    return NULL;
}

void fe_server_stop(struct MHD_Daemon *d) {
    if (d)
        MHD_stop_daemon(d);
}
