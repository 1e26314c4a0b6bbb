/* http.c -- libmicrohttpd response helpers shared by the HTTP handlers. */
#include "http.h"

#include <jansson.h>
#include <string.h>

enum MHD_Result ws_http_send(struct MHD_Connection *conn, unsigned status, const char *type,
                             const char *body, size_t len) {
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

size_t ws_json_error_body(const char *msg, char *buf, size_t cap) {
    json_t *o = json_pack("{s:s}", "error", msg);
    if (!o)
        return 0;
    size_t n = json_dumpb(o, buf, cap, JSON_COMPACT);
    json_decref(o);
    if (n == 0 || n + 2 > cap)
        return 0;
    buf[n++] = '\n';
    buf[n] = '\0';
    return n;
}

enum MHD_Result ws_http_error(struct MHD_Connection *conn, unsigned status, const char *msg) {
    char buf[512];
    size_t n = ws_json_error_body(msg, buf, sizeof buf);
    if (n == 0) {
        static const char fallback[] = "{\"error\":\"error\"}\n";
        memcpy(buf, fallback, sizeof fallback);
        n = sizeof fallback - 1;
    }
    return ws_http_send(conn, status, WS_JSON_TYPE, buf, n);
}

enum MHD_Result ws_http_method_not_allowed(struct MHD_Connection *conn, const char *allow) {
    char buf[128];
    size_t n = ws_json_error_body("Method not allowed", buf, sizeof buf);
    struct MHD_Response *r = MHD_create_response_from_buffer(n, buf, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, WS_JSON_TYPE);
    MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_METHOD_NOT_ALLOWED, r);
    MHD_destroy_response(r);
    return ret;
}
