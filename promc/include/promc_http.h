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

/* Starts a thread-pooled server on addr:port (addr: a numeric address or a host name; NULL
 * means all interfaces, IPv6 and IPv4) serving reg
 * (NULL: default registry) at /metrics and at /. NULL on failure (see promc_last_error()). */
promc_http_server *promc_http_start(const char *addr, uint16_t port, promc_registry *reg);
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
