/* cache.c -- Redis access over hiredis: one reconnecting connection per ws_cache. */
#include "cache.h"
#include "backoff.h"
#include "util.h"

#include <errno.h>
#include <stdbool.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ws_cache {
    char *host;
    int port, db;
    struct timeval timeout;
    redisContext *ctx;
    ws_reconnect reconnect; /* when to connect again (one server) */
    char error[160];
};

ws_cache *ws_cache_new(const char *host, int port, int db, int timeout_ms) {
    ws_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->host = strdup(host);
    if (!c->host) {
        free(c);
        return NULL;
    }
    c->port = port;
    c->db = db;
    c->timeout = (struct timeval){timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    ws_reconnect_init(&c->reconnect, 100, 2000, 1);
    return c;
}

void ws_cache_free(ws_cache *c) {
    if (!c)
        return;
    if (c->ctx)
        redisFree(c->ctx);
    free(c->host);
    free(c);
}

const char *ws_cache_last_error(const ws_cache *c) {
    return c->error;
}

static void drop(ws_cache *c, const char *what) {
    snprintf(c->error, sizeof c->error, "%s: %s", what,
             c->ctx && c->ctx->errstr[0] ? c->ctx->errstr : "failed");
    if (c->ctx) {
        redisFree(c->ctx);
        c->ctx = NULL;
    }
    ws_reconnect_failed(&c->reconnect);
}

static int ensure(ws_cache *c) {
    if (c->ctx)
        return 0;
    if (!ws_reconnect_due(&c->reconnect, ws_now())) {
        snprintf(c->error, sizeof c->error, "down: waiting before reconnecting");
        return -1;
    }
    c->ctx = redisConnectWithTimeout(c->host, c->port, c->timeout);
    if (!c->ctx || c->ctx->err || redisSetTimeout(c->ctx, c->timeout) != REDIS_OK) {
        drop(c, "connect");
        return -1;
    }
    if (c->db != 0) {
        redisReply *r = redisCommand(c->ctx, "SELECT %d", c->db);
        bool ok = r && r->type == REDIS_REPLY_STATUS;
        if (r)
            freeReplyObject(r);
        if (!ok) {
            drop(c, "select");
            return -1;
        }
    }
    ws_reconnect_ok(&c->reconnect);
    return 0;
}

/* Runs one command; on an I/O or protocol error the connection is dropped. */
static redisReply *command(ws_cache *c, int argc, const char **argv) {
    if (ensure(c) != 0)
        return NULL;
    redisReply *r = redisCommandArgv(c->ctx, argc, argv, NULL);
    if (!r) {
        drop(c, "command");
        return NULL;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        snprintf(c->error, sizeof c->error, "reply: %.*s", (int)r->len, r->str);
        freeReplyObject(r);
        return NULL;
    }
    return r;
}

int ws_cache_get_int(ws_cache *c, const char *key, long long *value) {
    const char *argv[] = {"GET", key};
    redisReply *r = command(c, 2, argv);
    if (!r)
        return WS_CACHE_ERROR;
    int rc = WS_CACHE_MISS;
    if (r->type == REDIS_REPLY_STRING) {
        char buf[32], *end;
        if (r->len > 0 && r->len < sizeof buf) {
            memcpy(buf, r->str, r->len);
            buf[r->len] = '\0';
            errno = 0;
            long long v = strtoll(buf, &end, 10);
            if (errno == 0 && *end == '\0') {
                *value = v;
                rc = WS_CACHE_HIT;
            }
        }
        if (rc != WS_CACHE_HIT) {
            snprintf(c->error, sizeof c->error, "value of %s is not an integer", key);
            rc = WS_CACHE_ERROR;
        }
    } else if (r->type != REDIS_REPLY_NIL) {
        snprintf(c->error, sizeof c->error, "unexpected reply type %d", r->type);
        rc = WS_CACHE_ERROR;
    }
    freeReplyObject(r);
    return rc;
}

int ws_cache_set_int(ws_cache *c, const char *key, long long value, int ttl_s) {
    char v[32], ttl[16];
    snprintf(v, sizeof v, "%lld", value);
    snprintf(ttl, sizeof ttl, "%d", ttl_s);
    const char *argv[] = {"SET", key, v, "EX", ttl};
    redisReply *r = command(c, 5, argv);
    if (!r)
        return WS_CACHE_ERROR;
    freeReplyObject(r);
    return 0;
}

int ws_cache_del(ws_cache *c, const char *key) {
    const char *argv[] = {"DEL", key};
    redisReply *r = command(c, 2, argv);
    if (!r)
        return WS_CACHE_ERROR;
    freeReplyObject(r);
    return 0;
}

int ws_cache_del_many(ws_cache *c, const char *const *keys, int n) {
    const char *argv[17] = {"DEL"};
    if (n < 1 || n > 16) {
        snprintf(c->error, sizeof c->error, "DEL of %d keys", n);
        return WS_CACHE_ERROR;
    }
    memcpy(argv + 1, keys, (size_t)n * sizeof *keys);
    redisReply *r = command(c, n + 1, argv);
    if (!r)
        return WS_CACHE_ERROR;
    freeReplyObject(r);
    return 0;
}
