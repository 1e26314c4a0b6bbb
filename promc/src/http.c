/* http.c -- promc_http: serving a registry over HTTP with libmicrohttpd.
 *
 * promc_http_handle() answers one request on any libmicrohttpd server: GET and HEAD render
 * the registry in the format and name escaping the Accept header prefers (Prometheus 3's
 * negotiation, promc_negotiate_accept: text 0.0.4 or 1.0.0, OpenMetrics, protobuf), with a
 * Content-Type that names the version and escaping used, gzipped when Accept-Encoding allows;
 * anything else gets 405 with an Allow header. HEAD renders too, so its Content-Length is the
 * one a GET would get. promc_http_start() wraps it in a standalone thread-pooled server that
 * answers /metrics and /. Every request renders into its own buffer, so scrapes run
 * concurrently without sharing anything but the registry, which is built for that.
 *
 * The standalone server must survive hostile clients: it waits with poll() (select() stops at
 * FD_SETSIZE, 1024 descriptors; libmicrohttpd 0.9.75's epoll is edge-triggered and misses the
 * close of a connection whose half request and FIN arrived together, as a flood's backlog
 * delivers them, so such zombies kept their slots until the timeout), sets a connection limit well
 * above libmicrohttpd's default of FD_SETSIZE - 4 (beyond which a scrape waited in the backlog
 * behind idle sockets), and closes connections idle for timeout_seconds, so thousands of half-sent
 * requests cost file descriptors and nothing else.
 */
#include "promc_http.h"

#include "gzip_internal.h"
#include "base.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#define HTTP_THREADS         4
#define HTTP_TIMEOUT_SECONDS 5
#define HTTP_MIN_CONNECTIONS 16

struct promc_http_server {
    struct MHD_Daemon *daemon;
    promc_registry *reg;
    uint16_t port;
};

/* Queues a small fixed response. */
static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned status, const char *text,
                                  const char *allow) {
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
    if (allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

enum MHD_Result promc_http_handle(struct MHD_Connection *conn, const char *method,
                                  promc_registry *reg) {
    if (!method ||
        (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0))
        return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "Method Not Allowed\n", "GET, HEAD");

    const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
    promc_escaping esc;
    promc_format fmt = promc_negotiate_accept(accept, &esc);
    char *body = NULL;
    size_t len = 0;
    if (promc_render_escaped(reg, fmt, esc, &body, &len) != 0)
        return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "rendering metrics failed\n", NULL);

    bool gzipped = false;
    const char *encoding =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
    if (promc__accepts_gzip(encoding)) {
        char *zbody;
        size_t zlen;
        if (promc__gzip(body, len, &zbody, &zlen) == 0) { /* else: send it uncompressed */
            free(body);
            body = zbody;
            len = zlen;
            gzipped = true;
        }
    }

    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, promc_content_type_escaped(fmt, esc));
    MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept, Accept-Encoding");
    if (gzipped)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    enum MHD_Result rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls) {
    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)con_cls;
    promc_http_server *srv = cls;
    if (strcmp(url, "/metrics") != 0 && strcmp(url, "/") != 0)
        return reply_text(conn, MHD_HTTP_NOT_FOUND, "Not Found: metrics are at /metrics\n", NULL);
    return promc_http_handle(conn, method, srv->reg);
}

/* The default connection limit: 3/4 of the descriptors this process may open, so that the rest
 * of the program keeps descriptors of its own when the server is full. */
static unsigned default_connection_limit(void) {
    struct rlimit rl;
    rlim_t n = 1024;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
        n = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1u << 20) ? (1u << 20) : rl.rlim_cur;
    n = n / 4 * 3;
    return n < HTTP_MIN_CONNECTIONS ? HTTP_MIN_CONNECTIONS : (unsigned)n;
}

static struct MHD_Daemon *start_daemon(promc_http_server *srv, unsigned flags, uint16_t port,
                                       const struct sockaddr *sa, const promc_http_options *o) {
    flags |= MHD_USE_INTERNAL_POLLING_THREAD;
    flags |= MHD_USE_POLL; /* see the top of the file: not select(), not epoll */
    /* MHD_OPTION_SOCK_ADDR last: without an address the list simply ends there. */
    return MHD_start_daemon(flags, port, NULL, NULL, on_request, srv, MHD_OPTION_THREAD_POOL_SIZE,
                            o->threads, MHD_OPTION_CONNECTION_TIMEOUT, o->timeout_seconds,
                            MHD_OPTION_CONNECTION_LIMIT, o->connection_limit,
                            sa ? MHD_OPTION_SOCK_ADDR : MHD_OPTION_END, sa, MHD_OPTION_END);
}

promc_http_server *promc_http_start(promc_registry *reg, const char *addr, uint16_t port,
                                    const promc_http_options *opts) {
    promc_http_options o = opts ? *opts : (promc_http_options){0};
    if (!o.threads)
        o.threads = HTTP_THREADS;
    if (!o.timeout_seconds)
        o.timeout_seconds = HTTP_TIMEOUT_SECONDS;
    if (!o.connection_limit)
        o.connection_limit = default_connection_limit();
    /* libmicrohttpd splits the limit between the threads: give each at least one. */
    if (o.connection_limit < o.threads)
        o.connection_limit = o.threads;
    promc_http_server *srv = calloc(1, sizeof *srv);
    if (!srv) {
        promc__seterr(PROMC_ENOMEM, "out of memory");
        return NULL;
    }
    srv->reg = reg ? reg : promc_registry_default();
    if (!addr) {
        /* Every interface: IPv6 and IPv4 on one socket where the host has IPv6, else IPv4. */
        srv->daemon = start_daemon(srv, MHD_USE_DUAL_STACK, port, NULL, &o);
        if (!srv->daemon)
            srv->daemon = start_daemon(srv, 0, port, NULL, &o);
    } else {
        /* A numeric address, or a name resolved to its first address (IPv4 or IPv6). */
        struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG};
        struct addrinfo *ai = NULL;
        int gai = getaddrinfo(addr, NULL, &hints, &ai);
        if (gai != 0 || !ai) {
            free(srv);
            promc__seterr(PROMC_EINVAL, "promc_http_start: cannot resolve \"%s\": %s", addr,
                          gai_strerror(gai));
            return NULL;
        }
        struct sockaddr_storage ss;
        memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
        unsigned flags = 0;
        if (ss.ss_family == AF_INET6) {
            ((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
            flags = MHD_USE_IPv6;
        } else {
            ((struct sockaddr_in *)&ss)->sin_port = htons(port);
        }
        freeaddrinfo(ai);
        srv->daemon = start_daemon(srv, flags, port, (const struct sockaddr *)&ss, &o);
    }
    if (!srv->daemon) {
        free(srv);
        promc__seterr(PROMC_EIO, "promc_http_start: cannot listen on %s:%u", addr ? addr : "*",
                      (unsigned)port);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info && info->port ? info->port : port;
    return srv;
}

uint16_t promc_http_port(const promc_http_server *srv) {
    return srv ? srv->port : 0;
}

void promc_http_stop(promc_http_server *srv) {
    if (!srv)
        return;
    MHD_stop_daemon(srv->daemon);
    free(srv);
}
