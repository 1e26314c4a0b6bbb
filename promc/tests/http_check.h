/* http_check.h -- the tiny HTTP/1.1 client of promc's HTTP tests (test_http.c,
 * test_http_scrapers.c): one request per connection to 127.0.0.1, the whole answer read into a
 * response (status, raw header block, body), and a header lookup. Static inline like check.h,
 * so a test that uses only some of it compiles without unused-function warnings.
 */
#ifndef PROMC_TEST_HTTP_CHECK_H
#define PROMC_TEST_HTTP_CHECK_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

typedef struct response {
    int status;
    char headers[4096];
    char *body;
    size_t body_len;
} response;

/* Sends raw_request to 127.0.0.1:port and reads the whole answer (the request asks the server
 * to close). Returns 0 or -1 on a socket failure. */
static inline int http_raw(uint16_t port, const char *raw_request, response *r) {
    memset(r, 0, sizeof *r);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {.tv_sec = 10};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    size_t n = strlen(raw_request);
    if (write(fd, raw_request, n) != (ssize_t)n) {
        close(fd);
        return -1;
    }
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (len == cap)
            buf = realloc(buf, cap *= 2);
        ssize_t got = read(fd, buf + len, cap - len);
        if (got <= 0)
            break;
        len += (size_t)got;
    }
    close(fd);
    char *end = NULL;
    for (size_t i = 0; i + 3 < len; i++)
        if (memcmp(buf + i, "\r\n\r\n", 4) == 0) {
            end = buf + i;
            break;
        }
    if (!end || sscanf(buf, "HTTP/1.%*d %d", &r->status) != 1) {
        free(buf);
        return -1;
    }
    size_t hlen = (size_t)(end - buf);
    if (hlen >= sizeof r->headers)
        hlen = sizeof r->headers - 1;
    memcpy(r->headers, buf, hlen);
    r->body_len = len - (size_t)(end + 4 - buf);
    r->body = malloc(r->body_len + 1);
    memcpy(r->body, end + 4, r->body_len);
    r->body[r->body_len] = '\0';
    free(buf);
    return 0;
}

static inline int http(uint16_t port, const char *method, const char *path,
                       const char *extra_headers, response *r) {
    char req[1024];
    snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n%s\r\n",
             method, path, extra_headers ? extra_headers : "");
    return http_raw(port, req, r);
}

/* Value of header name in r ("" when absent); case-insensitive name. */
static inline const char *header(response *r, const char *name) {
    static char value[512];
    value[0] = '\0';
    size_t n = strlen(name);
    for (char *p = strstr(r->headers, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
        char *line = p + 2;
        if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
            char *v = line + n + 1;
            while (*v == ' ')
                v++;
            size_t vl = strcspn(v, "\r");
            if (vl >= sizeof value)
                vl = sizeof value - 1;
            memcpy(value, v, vl);
            value[vl] = '\0';
            break;
        }
    }
    return value;
}

#endif
