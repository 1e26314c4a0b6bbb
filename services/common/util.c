/* util.c -- small helpers shared by the services: time, random numbers, ids, backoff. */
#include "util.h"

#include <string.h>
#include <sys/random.h>
#include <time.h>

double ws_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bool ws_sleep_ms(int ms, const atomic_bool *running) {
    double end = ws_now() + ms / 1000.0;
    for (;;) {
        if (running && !atomic_load(running))
            return false;
        double left = end - ws_now();
        if (left <= 0)
            return true;
        if (left > 0.05)
            left = 0.05; /* wake up often enough to notice shutdown */
        struct timespec ts = {(time_t)left, (long)((left - (double)(time_t)left) * 1e9)};
        nanosleep(&ts, NULL);
    }
}

static _Thread_local uint64_t rng_state[4];
static _Thread_local bool rng_seeded;

static uint64_t rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

uint64_t ws_rand(void) {
    if (!rng_seeded) {
        if (getrandom(rng_state, sizeof rng_state, 0) != (ssize_t)sizeof rng_state ||
            (rng_state[0] | rng_state[1] | rng_state[2] | rng_state[3]) == 0) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            rng_state[0] = (uint64_t)ts.tv_nsec ^ 0x9E3779B97F4A7C15ull;
            rng_state[1] = (uint64_t)ts.tv_sec | 1;
            rng_state[2] = (uint64_t)(uintptr_t)&rng_seeded;
            rng_state[3] = 0xD1B54A32D192ED03ull;
        }
        rng_seeded = true;
    }
    uint64_t *s = rng_state;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

int ws_rand_range(int lo, int hi) {
    if (hi <= lo)
        return lo;
    uint64_t span = (uint64_t)((int64_t)hi - lo + 1);
    return (int)(lo + (int64_t)(ws_rand() % span));
}

double ws_rand_unit(void) {
    return (double)(ws_rand() >> 11) * 0x1.0p-53;
}

void ws_uuid(char out[37]) {
    unsigned char b[16];
    uint64_t a = ws_rand(), c = ws_rand();
    memcpy(b, &a, 8);
    memcpy(b + 8, &c, 8);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 15];
    }
    out[o] = '\0';
}

void ws_backoff_init(ws_backoff *b, int min_ms, int max_ms) {
    b->min_ms = min_ms;
    b->max_ms = max_ms;
    b->cur_ms = 0;
}

int ws_backoff_next(ws_backoff *b) {
    if (b->cur_ms <= 0)
        b->cur_ms = b->min_ms;
    else if (b->cur_ms < b->max_ms / 2)
        b->cur_ms *= 2;
    else
        b->cur_ms = b->max_ms;
    /* +-20% jitter so that many workers do not reconnect in lock step */
    int jitter = b->cur_ms / 5;
    return b->cur_ms - jitter + ws_rand_range(0, 2 * jitter);
}

void ws_backoff_reset(ws_backoff *b) {
    b->cur_ms = 0;
}

bool ws_strlcpy(char *dst, const char *src, size_t cap) {
    size_t n = strlen(src);
    if (n >= cap) {
        memcpy(dst, src, cap - 1);
        dst[cap - 1] = '\0';
        return false;
    }
    memcpy(dst, src, n + 1);
    return true;
}
