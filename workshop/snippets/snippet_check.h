/* snippet_check.h -- tiny helpers for the guide's snippet programs: render the default registry,
 * fetch a URL path from a local port, and check that a text holds a line. Each snippet program is
 * a CTest test, so a snippet that stops compiling or stops producing what the guide shows fails
 * the build or the tests. */
#ifndef SNIPPET_CHECK_H
#define SNIPPET_CHECK_H

#include "promc.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int snippet_failures;

/* The default registry in the text format, malloc'd (the caller frees). */
static inline char *snippet_render(void) {
    char *out = NULL;
    size_t len = 0;
    if (promc_render(NULL, PROMC_FORMAT_TEXT, &out, &len) != 0) {
        fprintf(stderr, "promc_render failed: %s\n", promc_last_error_message());
        exit(1);
    }
    return out;
}

/* Checks that text has a line starting with prefix; prints the outcome. */
static inline void snippet_expect_line(const char *text, const char *prefix) {
    size_t n = strlen(prefix);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, prefix, n) == 0) {
            printf("ok   %s\n", prefix);
            return;
        }
    }
    printf("FAIL no line starting with: %s\n", prefix);
    snippet_failures++;
}

/* GET path from 127.0.0.1:port over a plain socket; the whole answer (headers and body),
 * malloc'd, or NULL. Bounded to 1 MiB. */
static inline char *snippet_fetch(unsigned port, const char *path) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    char req[256];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n", path);
    if (write(fd, req, (size_t)n) != n) {
        close(fd);
        return NULL;
    }
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap + 1);
    for (ssize_t r; buf && len < cap && (r = read(fd, buf + len, cap - len)) > 0;)
        len += (size_t)r;
    close(fd);
    if (buf)
        buf[len] = '\0';
    return buf;
}

static inline int snippet_result(const char *name) {
    printf("%s: %s\n", name, snippet_failures ? "FAILED" : "all checks passed");
    return snippet_failures ? 1 : 0;
}

#endif
