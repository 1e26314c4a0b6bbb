/* util.h -- clocks, sleeps, per-thread random numbers, message ids and retry backoff. */
#ifndef WS_UTIL_H
#define WS_UTIL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Monotonic clock in seconds. */
double ws_now(void);
/* Sleeps ms milliseconds; returns early (false) once *running turns false (NULL: never). */
bool ws_sleep_ms(int ms, const atomic_bool *running);

/* A fast per-thread generator (xoshiro256**), seeded from getrandom on first use. */
uint64_t ws_rand(void);
/* Uniform integer in [lo, hi]. */
int ws_rand_range(int lo, int hi);
/* Uniform double in [0, 1). */
double ws_rand_unit(void);

/* A random (version 4) UUID as 36 characters plus NUL. */
void ws_uuid(char out[37]);

/* Exponential backoff with jitter between min_ms and max_ms. */
typedef struct ws_backoff {
    int min_ms, max_ms, cur_ms;
} ws_backoff;
void ws_backoff_init(ws_backoff *b, int min_ms, int max_ms);
/* The next delay to wait (grows each call). */
int ws_backoff_next(ws_backoff *b);
void ws_backoff_reset(ws_backoff *b);

/* Copies at most cap-1 bytes and terminates; returns false when src did not fit. */
bool ws_strlcpy(char *dst, const char *src, size_t cap);

#endif
