/* log.h -- single-line logs on stderr: "ts level component message key=value...". */
#ifndef WS_LOG_H
#define WS_LOG_H

#include <stdatomic.h>

typedef enum ws_log_level { WS_DEBUG, WS_INFO, WS_WARN, WS_ERROR } ws_log_level;

/* Sets the component name written on every line and the lowest level printed. */
void ws_log_init(const char *component, ws_log_level min);
/* Parses "debug", "info", "warn" or "error"; 0 or -1. */
int ws_log_level_parse(const char *s, ws_log_level *out);
/* Writes one line (truncated to 1 KiB) with a single write(2), so lines never interleave. */
void ws_log(ws_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* True when a line at this call site may be printed: at most one per `seconds` seconds.
 * Used to keep a dead server from flooding the log with the same failure per request. */
int ws_log_ratelimit(_Atomic double *last, double seconds);

#define log_debug(...) ws_log(WS_DEBUG, __VA_ARGS__)
#define log_info(...)  ws_log(WS_INFO, __VA_ARGS__)
#define log_warn(...)  ws_log(WS_WARN, __VA_ARGS__)
#define log_error(...) ws_log(WS_ERROR, __VA_ARGS__)
/* Logs at most once every `secs` seconds from this call site. */
#define log_every(secs, lvl, ...)                                                                  \
    do {                                                                                           \
        static _Atomic double ws__last_;                                                           \
        if (ws_log_ratelimit(&ws__last_, (secs)))                                                  \
            ws_log((lvl), __VA_ARGS__);                                                            \
    } while (0)

#endif
