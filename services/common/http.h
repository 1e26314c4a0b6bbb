/* http.h -- small libmicrohttpd response helpers: JSON bodies, errors, static responses. */
#ifndef WS_HTTP_H
#define WS_HTTP_H

#include <microhttpd.h>
#include <stddef.h>

#define WS_JSON_TYPE "application/json"

/* Queues a copy of body with this status and Content-Type. */
enum MHD_Result ws_http_send(struct MHD_Connection *conn, unsigned status, const char *type,
                             const char *body, size_t len);
/* Queues {"error": msg} (escaped) plus a newline, as Flask's jsonify would. */
enum MHD_Result ws_http_error(struct MHD_Connection *conn, unsigned status, const char *msg);
/* Queues 405 with an Allow header and a JSON error. */
enum MHD_Result ws_http_method_not_allowed(struct MHD_Connection *conn, const char *allow);
/* Writes {"error": msg}\n into buf; returns its length (0 if it did not fit). */
size_t ws_json_error_body(const char *msg, char *buf, size_t cap);

#endif
