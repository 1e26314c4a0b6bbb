/* test_push.c -- promc_push (push.c) against a tiny HTTP listener in a thread that records each
 * request's method, path, Content-Type and body: the URLs client_python would build (base64
 * for '/' and empty values, quote_plus for the rest), the rendered body, the three methods, and
 * the failures (HTTP error status, refused connection, invalid arguments).
 *
 * With --gateway URL it is instead the pushing half of push_gateway.sh, which runs a real
 * Pushgateway: --method put|post|delete, --name NAME, --value V, --type counter|gauge and
 * --instance I (default "a/b") push one metric under job "promc_test", grouping instance=I,
 * empty="". Exit status 0 on success, 1 with the error message on stderr. --free-port prints a
 * loopback port the kernel just handed out. */
#include "check.h"
#include "promc_push.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct request {
    char method[16];
    char path[2048];
    char content_type[128];
    char body[65536];
    size_t body_len;
    int ok; /* a complete request was read */
} request;

static int listen_fd = -1, port;
static int reply_status = 200;
static const char *reply_body = "";
static request got;

/* Reads one request from fd into got; bounded, with a 10 s timeout per read. */
static void read_request(int fd) {
    static char buf[sizeof got.body + 8192];
    size_t len = 0;
    char *end_of_headers = NULL;
    memset(&got, 0, sizeof got);
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (len == sizeof buf - 1 || poll(&p, 1, 10000) != 1)
            return;
        ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
        if (n <= 0)
            return;
        len += (size_t)n;
        buf[len] = '\0';
        if (!end_of_headers && (end_of_headers = strstr(buf, "\r\n\r\n")) != NULL)
            end_of_headers += 4;
        if (end_of_headers) {
            size_t clen = 0;
            for (char *h = strstr(buf, "\r\n"); h && h < end_of_headers;
                 h = strstr(h + 2, "\r\n")) {
                if (strncasecmp(h + 2, "Content-Length:", 15) == 0)
                    clen = strtoul(h + 17, NULL, 10);
                if (strncasecmp(h + 2, "Content-Type:", 13) == 0)
                    sscanf(h + 15, " %127[^\r]", got.content_type);
            }
            size_t have = len - (size_t)(end_of_headers - buf);
            if (have >= clen) {
                if (sscanf(buf, "%15s %2047s", got.method, got.path) != 2 ||
                    clen >= sizeof got.body)
                    return;
                memcpy(got.body, end_of_headers, clen);
                got.body_len = clen;
                got.ok = 1;
                return;
            }
        }
    }
}

/* Serves exactly one connection. */
static void *serve_one(void *arg) {
    (void)arg;
    struct pollfd p = {.fd = listen_fd, .events = POLLIN};
    if (poll(&p, 1, 10000) != 1)
        return NULL;
    int fd = accept(listen_fd, NULL, NULL);
    if (fd < 0)
        return NULL;
    read_request(fd);
    char head[256];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d Whatever\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                     reply_status, strlen(reply_body));
    if (write(fd, head, (size_t)n) < 0 || write(fd, reply_body, strlen(reply_body)) < 0)
        perror("test_push: write");
    close(fd);
    return NULL;
}

static int start_listener(void) {
    listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(listen_fd, 4) != 0 || getsockname(listen_fd, (struct sockaddr *)&a, &alen) != 0)
        return -1;
    port = ntohs(a.sin_port);
    return 0;
}

/* Pushes with the listener serving that one request; returns promc_push's result. */
static int push_once(const char *gateway, const char *job, const char *const *grouping,
                     promc_registry *reg, promc_push_method m) {
    pthread_t t;
    pthread_create(&t, NULL, serve_one, NULL);
    int rc = promc_push(reg, gateway, job, grouping, m);
    pthread_join(t, NULL);
    return rc;
}

static void test_methods_paths_bodies(const char *gw, promc_registry *reg) {
    char *want;
    size_t want_len;
    CHECK_INT(promc_render(reg, PROMC_FORMAT_TEXT, &want, &want_len), 0);

    CHECK_INT(push_once(gw, "batch",
                        PROMC_LABELS("instance", "a/b", "empty", "", "sp", "x y&z=ü+~._-"), reg,
                        PROMC_PUSH_PUT),
              0);
    CHECK(got.ok);
    CHECK_STR(got.method, "PUT");
    CHECK_STR(got.path, "/metrics/job/batch/instance@base64/YS9i/empty@base64/=/sp/"
                        "x+y%26z%3D%C3%BC%2B~._-");
    CHECK_STR(got.content_type, "text/plain; version=0.0.4; charset=utf-8");
    CHECK_INT(got.body_len, want_len);
    CHECK(got.body_len == want_len && memcmp(got.body, want, want_len) == 0);
    CHECK_CONTAINS(got.body, "pushed_things_total 3\n");

    CHECK_INT(push_once(gw, "batch", NULL, reg, PROMC_PUSH_POST), 0);
    CHECK_STR(got.method, "POST");
    CHECK_STR(got.path, "/metrics/job/batch");
    CHECK(got.body_len == want_len && memcmp(got.body, want, want_len) == 0);

    CHECK_INT(push_once(gw, "batch", PROMC_LABELS("instance", "i1"), reg, PROMC_PUSH_DELETE), 0);
    CHECK_STR(got.method, "DELETE");
    CHECK_STR(got.path, "/metrics/job/batch/instance/i1");
    CHECK_INT(got.body_len, 0);

    /* The job itself is encoded the same way. */
    CHECK_INT(push_once(gw, "tëst/x?", NULL, reg, PROMC_PUSH_PUT), 0);
    CHECK_STR(got.path, "/metrics/job@base64/dMOrc3QveD8=");
    CHECK_INT(push_once(gw, "a b", PROMC_LABELS("x", "/", "y", "ab/"), reg, PROMC_PUSH_PUT), 0);
    CHECK_STR(got.path, "/metrics/job/a+b/x@base64/Lw==/y@base64/YWIv");
    free(want);
}

static void test_gateway_forms(void) {
    char gw[64];
    snprintf(gw, sizeof gw, "127.0.0.1:%d//", port); /* no scheme, trailing slashes */
    CHECK_INT(push_once(gw, "j", NULL, NULL, PROMC_PUSH_DELETE), 0);
    CHECK_STR(got.path, "/metrics/job/j");
}

static void test_failures(const char *gw, promc_registry *reg) {
    reply_status = 500;
    reply_body = "storage on fire";
    CHECK_INT(push_once(gw, "batch", NULL, reg, PROMC_PUSH_PUT), PROMC_EIO);
    CHECK_CONTAINS(promc_last_error_message(), "HTTP 500");
    CHECK_CONTAINS(promc_last_error_message(), "storage on fire");
    reply_status = 400;
    CHECK_INT(push_once(gw, "batch", NULL, reg, PROMC_PUSH_POST), PROMC_EIO);
    reply_status = 202; /* any 2xx is success (DELETE answers 202) */
    reply_body = "";
    CHECK_INT(push_once(gw, "batch", NULL, reg, PROMC_PUSH_DELETE), 0);
    reply_status = 200;

    /* Nobody listening: a port that was just free. */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    bind(s, (struct sockaddr *)&a, sizeof a);
    getsockname(s, (struct sockaddr *)&a, &alen);
    close(s);
    char closed[64];
    snprintf(closed, sizeof closed, "http://127.0.0.1:%d", ntohs(a.sin_port));
    CHECK_INT(promc_push(reg, closed, "batch", NULL, PROMC_PUSH_PUT), PROMC_EIO);
    CHECK(promc_last_error_message()[0] != '\0');
    printf("refused: %s\n", promc_last_error_message());

    /* Invalid arguments never reach the network. */
    CHECK_INT(promc_push(reg, NULL, "batch", NULL, PROMC_PUSH_PUT), PROMC_EINVAL);
    CHECK_INT(promc_push(reg, gw, "", NULL, PROMC_PUSH_PUT), PROMC_EINVAL);
    CHECK_INT(promc_push(reg, gw, NULL, NULL, PROMC_PUSH_PUT), PROMC_EINVAL);
    CHECK_INT(promc_push(reg, gw, "b", PROMC_LABELS("1x", "v"), PROMC_PUSH_PUT), PROMC_EINVAL);
    CHECK_INT(promc_push(reg, gw, "b", PROMC_LABELS("job", "v"), PROMC_PUSH_PUT), PROMC_EINVAL);
    CHECK_INT(promc_push(reg, gw, "b", PROMC_LABELS("odd"), PROMC_PUSH_PUT), PROMC_EINVAL);
    CHECK_INT(promc_push(reg, gw, "b", PROMC_LABELS("x", "\xff"), PROMC_PUSH_PUT), PROMC_EINVAL);
    CHECK_INT(promc_push(reg, gw, "b", NULL, (promc_push_method)7), PROMC_EINVAL);
}

static void test_default_registry(const char *gw) {
    promc_counter *c = promc_counter_new(NULL, "default_pushed_total", "In the default.", NULL);
    promc_counter_add(c, 2);
    CHECK_INT(push_once(gw, "d", NULL, NULL, PROMC_PUSH_PUT), 0);
    CHECK_CONTAINS(got.body, "default_pushed_total 2\n");
}

/* The pushing half of push_gateway.sh. */
static int gateway_mode(int argc, char **argv) {
    const char *gw = NULL, *method = "put", *name = "promc_push_test_total", *type = "counter";
    const char *instance = "a/b";
    double value = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--gateway") == 0)
            gw = argv[i + 1];
        else if (strcmp(argv[i], "--method") == 0)
            method = argv[i + 1];
        else if (strcmp(argv[i], "--name") == 0)
            name = argv[i + 1];
        else if (strcmp(argv[i], "--value") == 0)
            value = strtod(argv[i + 1], NULL);
        else if (strcmp(argv[i], "--type") == 0)
            type = argv[i + 1];
        else if (strcmp(argv[i], "--instance") == 0)
            instance = argv[i + 1];
    }
    promc_registry *reg = promc_registry_new();
    int set;
    if (strcmp(type, "gauge") == 0) {
        promc_gauge *g = promc_gauge_new(reg, name, "Pushed by test_push.", NULL);
        set = g ? promc_gauge_set(g, value) : -1;
    } else {
        promc_counter *c = promc_counter_new(reg, name, "Pushed by test_push.", NULL);
        set = c ? promc_counter_add(c, value) : -1;
    }
    if (set != 0) {
        fprintf(stderr, "test_push: %s\n", promc_last_error_message());
        return 1;
    }
    promc_push_method m = strcmp(method, "post") == 0     ? PROMC_PUSH_POST
                          : strcmp(method, "delete") == 0 ? PROMC_PUSH_DELETE
                                                          : PROMC_PUSH_PUT;
    int rc = promc_push(reg, gw, "promc_test", PROMC_LABELS("instance", instance, "empty", ""), m);
    if (rc != 0)
        fprintf(stderr, "test_push: %s\n", promc_last_error_message());
    promc_registry_free(reg);
    return rc != 0;
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "--free-port") == 0) { /* for push_gateway.sh */
        if (start_listener() != 0)
            return 1;
        printf("%d\n", port);
        close(listen_fd);
        return 0;
    }
    if (argc > 1)
        return gateway_mode(argc, argv);
    CHECK_INT(start_listener(), 0);
    char gw[64];
    snprintf(gw, sizeof gw, "http://127.0.0.1:%d", port);
    promc_registry *reg = promc_registry_new();
    promc_counter *c = promc_counter_new(reg, "pushed_things_total", "Things pushed.", NULL);
    promc_counter_add(c, 3);
    promc_gauge *g = promc_gauge_new(reg, "last_run_seconds", "When.", PROMC_LABELS("stage"));
    promc_gauge_set(promc_gauge_labels(g, "load"), 1.5);

    test_methods_paths_bodies(gw, reg);
    test_gateway_forms();
    test_failures(gw, reg);
    test_default_registry(gw);
    promc_registry_free(reg);
    close(listen_fd);
    return check_report("push");
}
