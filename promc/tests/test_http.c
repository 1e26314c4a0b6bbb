/* test_http.c -- promc_http over real sockets: GET, HEAD, 405 with Allow, 404, format
 * negotiation, gzip, the embeddable handler, concurrent scrapes while metrics change, and
 * thousands of half-open connections (a slowloris) that must neither keep a scrape out nor stay
 * open past the client timeout. */
#include "check.h"
#include "http_check.h"
#include "promc.h"
#include "promc_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <strings.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

static char *gunzip(const char *z, size_t zlen, size_t *out_len) {
    size_t cap = zlen * 20 + 1024;
    char *out = malloc(cap + 1);
    z_stream zs = {0};
    inflateInit2(&zs, 15 + 16);
    zs.next_in = (Bytef *)z;
    zs.avail_in = (uInt)zlen;
    zs.next_out = (Bytef *)out;
    zs.avail_out = (uInt)cap;
    int rc = inflate(&zs, Z_FINISH);
    *out_len = zs.total_out;
    inflateEnd(&zs);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    out[*out_len] = '\0';
    return out;
}

static char *render(promc_registry *reg, promc_format fmt) {
    char *out = NULL;
    size_t len;
    CHECK_INT(promc_render(reg, fmt, &out, &len), 0);
    return out;
}

static void test_get_and_head(uint16_t port, promc_registry *reg) {
    response r;
    CHECK_INT(http(port, "GET", "/metrics", NULL, &r), 0);
    CHECK_INT(r.status, 200);
    CHECK_STR(header(&r, "Content-Type"),
              "text/plain; version=0.0.4; charset=utf-8; escaping=underscores");
    CHECK_STR(header(&r, "Content-Encoding"), "");
    char *want = render(reg, PROMC_FORMAT_TEXT);
    CHECK_STR(r.body, want);
    CHECK_INT(atol(header(&r, "Content-Length")), strlen(want));
    size_t get_len = r.body_len;
    free(want);
    free(r.body);

    /* HEAD: the headers a GET gets, Content-Length included, and no body. */
    CHECK_INT(http(port, "HEAD", "/metrics", NULL, &r), 0);
    CHECK_INT(r.status, 200);
    CHECK_STR(header(&r, "Content-Type"),
              "text/plain; version=0.0.4; charset=utf-8; escaping=underscores");
    CHECK_INT(atol(header(&r, "Content-Length")), get_len);
    CHECK_INT(r.body_len, 0);
    free(r.body);

    CHECK_INT(http(port, "GET", "/", NULL, &r), 0);
    CHECK_INT(r.status, 200);
    CHECK_CONTAINS(r.body, "# TYPE http_test_total counter\n");
    free(r.body);

    CHECK_INT(http(port, "GET", "/nope", NULL, &r), 0);
    CHECK_INT(r.status, 404);
    free(r.body);
    printf("http: GET %zu bytes, HEAD same Content-Length, 404 elsewhere\n", get_len);
}

static void test_methods(uint16_t port) {
    const char *methods[] = {"POST", "PUT", "DELETE", "PATCH", "OPTIONS"};
    for (int i = 0; i < 5; i++) {
        response r;
        CHECK_INT(http(port, methods[i], "/metrics", NULL, &r), 0);
        CHECK_INT(r.status, 405);
        CHECK_STR(header(&r, "Allow"), "GET, HEAD");
        free(r.body);
    }
    /* A POST with a body is refused just the same. */
    response r;
    CHECK_INT(http_raw(port,
                       "POST /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                       "Content-Length: 5\r\n\r\nhello",
                       &r),
              0);
    CHECK_INT(r.status, 405);
    free(r.body);
}

static void test_negotiation(uint16_t port, promc_registry *reg) {
    response r;
    CHECK_INT(http(port, "GET", "/metrics",
                   "Accept: application/openmetrics-text;version=1.0.0,application/"
                   "openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;"
                   "q=0.1\r\n",
                   &r),
              0);
    CHECK_INT(r.status, 200);
    CHECK_STR(header(&r, "Content-Type"),
              "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores");
    CHECK_CONTAINS(r.body, "# TYPE http_test counter\n");
    CHECK(r.body_len >= 6 && strcmp(r.body + r.body_len - 6, "# EOF\n") == 0);
    free(r.body);

    /* gzip when asked, and the same document inside */
    CHECK_INT(http(port, "GET", "/metrics", "Accept-Encoding: gzip, deflate\r\n", &r), 0);
    CHECK_INT(r.status, 200);
    CHECK_STR(header(&r, "Content-Encoding"), "gzip");
    CHECK_CONTAINS(header(&r, "Vary"), "Accept-Encoding");
    CHECK_INT(atol(header(&r, "Content-Length")), r.body_len);
    size_t plain_len = 0;
    char *plain = gunzip(r.body, r.body_len, &plain_len);
    char *want = render(reg, PROMC_FORMAT_TEXT);
    CHECK_STR(plain, want);
    printf("http: gzip %zu -> %zu bytes\n", plain_len, r.body_len);
    free(plain);
    free(want);
    free(r.body);

    /* gzip refused by q=0 */
    CHECK_INT(http(port, "GET", "/metrics", "Accept-Encoding: gzip;q=0, identity\r\n", &r), 0);
    CHECK_STR(header(&r, "Content-Encoding"), "");
    CHECK_CONTAINS(r.body, "http_test_total");
    free(r.body);

    /* HEAD of a gzipped OpenMetrics answer: its headers, without the body */
    CHECK_INT(http(port, "HEAD", "/metrics",
                   "Accept: application/openmetrics-text\r\nAccept-Encoding: gzip\r\n", &r),
              0);
    CHECK_STR(header(&r, "Content-Encoding"), "gzip");
    CHECK_STR(header(&r, "Content-Type"),
              "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores");
    CHECK(atol(header(&r, "Content-Length")) > 0);
    CHECK_INT(r.body_len, 0);
    free(r.body);
}

/* ---- Concurrent scrapes while the metrics change ----------------------------------------- */

typedef struct scrape_arg {
    uint16_t port;
    int requests, ok;
} scrape_arg;

static atomic_int stop_updates;

static void *scraper(void *p) {
    scrape_arg *a = p;
    for (int i = 0; i < a->requests; i++) {
        response r;
        bool gz = i % 2;
        if (http(a->port, "GET", "/metrics", gz ? "Accept-Encoding: gzip\r\n" : NULL, &r) != 0)
            continue;
        size_t len = r.body_len;
        char *body = gz ? gunzip(r.body, r.body_len, &len) : r.body;
        if (r.status == 200 && body && strstr(body, "http_test_total ") &&
            strstr(body, "http_latency_bucket{le=\"+Inf\"}"))
            a->ok++;
        if (gz)
            free(body);
        free(r.body);
    }
    return NULL;
}

static void *updater(void *p) {
    promc_registry *reg = p;
    promc_counter *c = promc_counter_new(reg, "http_test_total", "Test.", NULL);
    promc_histogram *h = promc_histogram_new(reg, "http_latency", "L.", NULL, NULL, 0);
    promc_gauge *g = promc_gauge_new(reg, "http_children", "C.", PROMC_LABELS("n"));
    int i = 0;
    while (!atomic_load(&stop_updates)) {
        promc_counter_inc(c);
        promc_histogram_observe(h, (i % 100) * 0.01);
        char name[16];
        snprintf(name, sizeof name, "%d", i % 200); /* children appear while scraped */
        promc_gauge_set(promc_gauge_labels(g, name), i);
        i++;
    }
    return NULL;
}

static void test_concurrent(uint16_t port, promc_registry *reg) {
    enum { SCRAPERS = 6, REQUESTS = 40 };
    pthread_t up, th[SCRAPERS];
    scrape_arg args[SCRAPERS];
    atomic_store(&stop_updates, 0);
    pthread_create(&up, NULL, updater, reg);
    for (int i = 0; i < SCRAPERS; i++) {
        args[i] = (scrape_arg){.port = port, .requests = REQUESTS};
        pthread_create(&th[i], NULL, scraper, &args[i]);
    }
    int ok = 0;
    for (int i = 0; i < SCRAPERS; i++) {
        pthread_join(th[i], NULL);
        ok += args[i].ok;
    }
    atomic_store(&stop_updates, 1);
    pthread_join(up, NULL);
    CHECK_INT(ok, SCRAPERS * REQUESTS);
    printf("http: %d concurrent scrapes answered while updating\n", ok);
}

/* ---- The handler inside an application's own libmicrohttpd server ----------------------- */

static enum MHD_Result app_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                   const char *method, const char *version, const char *upload_data,
                                   size_t *upload_data_size, void **con_cls) {
    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)con_cls;
    if (strcmp(url, "/app/metrics") == 0)
        return promc_http_handle(conn, method, cls);
    static const char hello[] = "hello";
    struct MHD_Response *r =
        MHD_create_response_from_buffer(5, (void *)hello, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result rc = MHD_queue_response(conn, 200, r);
    MHD_destroy_response(r);
    return rc;
}

static void test_embedded(promc_registry *reg) {
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
                                            app_handler, reg, MHD_OPTION_END);
    CHECK(d != NULL);
    if (!d)
        return;
    uint16_t port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
    response r;
    CHECK_INT(http(port, "GET", "/app/metrics", "Accept: application/openmetrics-text\r\n", &r), 0);
    CHECK_INT(r.status, 200);
    CHECK_CONTAINS(r.body, "http_test_total");
    CHECK_STR(header(&r, "Content-Type"),
              "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores");
    free(r.body);
    CHECK_INT(http(port, "DELETE", "/app/metrics", NULL, &r), 0);
    CHECK_INT(r.status, 405);
    free(r.body);
    CHECK_INT(http(port, "GET", "/app", NULL, &r), 0);
    CHECK_STR(r.body, "hello");
    free(r.body);
    MHD_stop_daemon(d);
}

/* Opens up to n sockets to port that each send half a request header and then nothing (a
 * slowloris); fds[] gets them, -1 where the socket could not be made. Non-blocking connect: a
 * socket still in the server's backlog counts too, as it does for a real attacker. */
static int open_half_requests(uint16_t port, int *fds, int n) {
    static const char half[] = "GET /metrics HTTP/1.1\r\nHost: localhost\r\nX-Slow: ";
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int opened = 0;
    for (int i = 0; i < n; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (fds[i] < 0)
            continue;
        if (connect(fds[i], (struct sockaddr *)&sa, sizeof sa) != 0 && errno != EINPROGRESS) {
            close(fds[i]);
            fds[i] = -1;
            continue;
        }
        (void)!write(fds[i], half, sizeof half - 1); /* EAGAIN while connecting: still half-open */
        opened++;
    }
    return opened;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* With thousands of half-open connections (more than select()'s FD_SETSIZE and the old default
 * connection limit of 1020), a well-behaved scrape is still answered at once. */
static void test_slow_clients(uint16_t port) {
    enum { FLOOD = 2500 };
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < FLOOD + 200 && rl.rlim_max >= FLOOD + 200) {
        rl.rlim_cur = FLOOD + 200;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur < FLOOD + 200) {
        printf("skipped: slow clients (fd limit %lu < %d)\n", (unsigned long)rl.rlim_cur,
               FLOOD + 200);
        return;
    }
    static int fds[FLOOD];
    int opened = open_half_requests(port, fds, FLOOD);
    CHECK_INT(opened, FLOOD);
    usleep(300 * 1000); /* let the server accept what it will */
    double worst = 0;
    int answered = 0;
    for (int i = 0; i < 20; i++) {
        response r;
        double t0 = now_seconds();
        if (http(port, "GET", "/metrics", NULL, &r) == 0) {
            answered += r.status == 200;
            free(r.body);
        }
        double dt = now_seconds() - t0;
        worst = dt > worst ? dt : worst;
    }
    CHECK_INT(answered, 20);
    CHECK(worst < 1.0);
    printf("slow clients: %d half-open connections, 20 scrapes answered=%d slowest=%.1f ms\n",
           opened, answered, worst * 1000);
    for (int i = 0; i < FLOOD; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

/* A connection that sends half a request and then nothing is closed after timeout_seconds. */
static void test_client_timeout(promc_registry *reg) {
    promc_http_options o = {.timeout_seconds = 1, .threads = 1};
    promc_http_server *srv = promc_http_start(reg, "127.0.0.1", 0, &o);
    CHECK(srv != NULL);
    if (!srv)
        return;
    int fd;
    CHECK_INT(open_half_requests(promc_http_port(srv), &fd, 1), 1);
    struct timeval tv = {.tv_sec = 5};
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    double t0 = now_seconds();
    char buf[512];
    while (read(fd, buf, sizeof buf) > 0) /* a 408 may come first; then the close */
        ;
    double took = now_seconds() - t0;
    CHECK(took > 0.5 && took < 3.0);
    printf("client timeout: a half-sent request closed after %.1f s (timeout 1 s)\n", took);
    close(fd);
    promc_http_stop(srv);
}

/* After a flood beyond the connection limit is closed, the server answers again at once: the
 * backlog's dead connections (half a request and a FIN, delivered together on accept) must not
 * keep their slots until the timeout, as they did with libmicrohttpd's epoll. */
static void test_recovery(promc_registry *reg) {
    enum { FLOOD = 1500 };
    promc_http_options o = {.threads = 2, .connection_limit = 64, .timeout_seconds = 30};
    promc_http_server *srv = promc_http_start(reg, "127.0.0.1", 0, &o);
    CHECK(srv != NULL);
    if (!srv)
        return;
    static int fds[FLOOD];
    int opened = open_half_requests(promc_http_port(srv), fds, FLOOD);
    usleep(500 * 1000);
    for (int i = 0; i < FLOOD; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    double t0 = now_seconds(), took = -1;
    int tries = 0;
    while (now_seconds() - t0 < 5) {
        response r;
        tries++;
        int rc = http(promc_http_port(srv), "GET", "/metrics", NULL, &r);
        if (rc == 0)
            free(r.body);
        if (rc == 0 && r.status == 200) {
            took = now_seconds() - t0;
            break;
        }
        usleep(20 * 1000);
    }
    CHECK(took >= 0 && took < 1.0);
    printf("recovery: %d half-open connections past a limit of 64 closed; answered after %.3f s "
           "(%d tries)\n",
           opened, took, tries);
    promc_http_stop(srv);
}

static void test_start_errors(uint16_t busy_port) {
    CHECK(promc_http_start(NULL, "no-such-host.invalid", 0, NULL) == NULL);
    CHECK_INT(promc_last_error(), PROMC_EINVAL);
    /* a host name is resolved */
    promc_http_server *named = promc_http_start(NULL, "localhost", 0, NULL);
    CHECK(named != NULL);
    promc_http_stop(named);
    CHECK(promc_http_start(NULL, "127.0.0.1", busy_port, NULL) == NULL);
    CHECK_INT(promc_last_error(), PROMC_EIO);
    CHECK_INT(promc_http_port(NULL), 0);
    promc_http_stop(NULL);
    /* all interfaces, port 0 */
    promc_http_server *any = promc_http_start(NULL, NULL, 0, NULL);
    CHECK(any != NULL && promc_http_port(any) != 0);
    if (any) {
        response r;
        CHECK_INT(http(promc_http_port(any), "GET", "/metrics", NULL, &r), 0);
        CHECK_INT(r.status, 200);
        free(r.body);
    }
    promc_http_stop(any);
}

int main(void) {
    promc_registry *reg = promc_registry_new();
    promc_counter *c = promc_counter_new(reg, "http_test_total", "Test.", NULL);
    promc_counter_add(c, 41);
    promc_histogram_observe(promc_histogram_new(reg, "http_latency", "L.", NULL, NULL, 0), 0.2);
    promc_http_server *srv = promc_http_start(reg, "127.0.0.1", 0, NULL);
    CHECK(srv != NULL);
    if (!srv) {
        fprintf(stderr, "cannot start: %s\n", promc_last_error_message());
        return check_report("http");
    }
    uint16_t port = promc_http_port(srv);
    CHECK(port != 0);
    test_get_and_head(port, reg);
    test_methods(port);
    test_negotiation(port, reg);
    test_concurrent(port, reg);
    test_embedded(reg);
    test_slow_clients(port);
    test_client_timeout(reg);
    test_recovery(reg);
    test_start_errors(port);
    promc_http_stop(srv);
    promc_registry_free(reg);
    return check_report("http");
}
