/* promc_http.h -- serve promc metrics over HTTP with libmicrohttpd.
 *
 * Two ways: a standalone server (client_python's start_http_server) or a handler that an
 * existing libmicrohttpd server calls for its /metrics route. Both negotiate the format from
 * the Accept header, gzip when Accept-Encoding allows it, answer HEAD without a body and other
 * methods with 405. Scrapes may run concurrently.
 */
#ifndef PROMC_HTTP_H
#define PROMC_HTTP_H

#include "promc.h"

#include <microhttpd.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct promc_http_server promc_http_server;

/* How a standalone server treats its clients. A zero field takes its default, so
 * `promc_http_options o = {0};` (or passing NULL) gives the defaults.
 *
 * The server waits with poll(), so the number of open connections is bounded by connection_limit,
 * not by select()'s FD_SETSIZE: thousands of idle or slow clients (a slowloris) neither block
 * the threads nor keep a scrape out. A connection that sends nothing for timeout_seconds, in
 * the middle of a request or between keep-alive requests, is closed. */
typedef struct promc_http_options {
    unsigned threads;          /* threads serving connections; 0: 4 */
    unsigned timeout_seconds;  /* idle or slow connections are closed after this; 0: 5 */
    unsigned connection_limit; /* most open connections; 0: 3/4 of the soft RLIMIT_NOFILE at
                                * start (leaving the rest to the program), at least 16; beyond
                                * it a new connection is accepted and closed at once */
} promc_http_options;

/* Starts a server serving reg (NULL: default registry) at /metrics and at / on addr:port
 * (addr: a numeric address or a host name; NULL means all interfaces, IPv6 and IPv4; pass
 * "127.0.0.1" to keep it on this machine). opts may be NULL (defaults); it is copied. NULL on
 * failure (see promc_last_error()). */
promc_http_server *promc_http_start(promc_registry *reg, const char *addr, uint16_t port,
                                    const promc_http_options *opts);
/* The port actually bound (useful with port 0). */
uint16_t promc_http_port(const promc_http_server *srv);
/* Stops the server and frees it. */
void promc_http_stop(promc_http_server *srv);

/* Answers one request on an existing libmicrohttpd server with reg's metrics (NULL: default).
 * Call it from your access handler for the metrics path once the request has fully arrived. */
enum MHD_Result promc_http_handle(struct MHD_Connection *conn, const char *method,
                                  promc_registry *reg);

#ifdef __cplusplus
}
#endif
#endif /* PROMC_HTTP_H */
