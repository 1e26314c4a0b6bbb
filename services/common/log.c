/* log.c -- single-line, leveled logging on stderr, shared by the three services. */
#include "log.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char *component = "workshop";
static ws_log_level min_level = WS_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void ws_log_init(const char *name, ws_log_level min) {
    component = name;
    min_level = min;
}

int ws_log_level_parse(const char *s, ws_log_level *out) {
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (ws_log_level)i;
            return 0;
        }
    }
    return -1;
}

int ws_log_ratelimit(_Atomic double *last, double seconds) {
    double now = ws_now();
    double prev = atomic_load(last);
    if (prev != 0 && now - prev < seconds)
        return 0;
    return atomic_compare_exchange_strong(last, &prev, now);
}

void ws_log(ws_log_level lvl, const char *fmt, ...) {
    if (lvl < min_level)
        return;
    char line[1024];
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    size_t n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
    int k = snprintf(line + n, sizeof line - n, ".%03ldZ %s %s ", (long)(tv.tv_usec / 1000),
                     level_names[lvl], component);
    if (k > 0)
        n += (size_t)k;
    if (n < sizeof line) {
        va_list ap;
        va_start(ap, fmt);
        k = vsnprintf(line + n, sizeof line - n, fmt, ap);
        va_end(ap);
        if (k > 0)
            n += (size_t)k;
    }
    if (n > sizeof line - 2)
        n = sizeof line - 2;
    line[n++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, n);
    (void)w;
}
