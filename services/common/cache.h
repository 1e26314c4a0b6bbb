/* cache.h -- the Redis cache of recent totals (hiredis): keys fruit_<name>, short TTL.
 *
 * A ws_cache is one connection used by one thread at a time; it reconnects by itself after
 * a backoff delay, like ws_db. Every call is bounded by a short timeout: the cache is an
 * optimisation, and a slow or dead Redis must never hold a request for long. */
#ifndef WS_CACHE_H
#define WS_CACHE_H

typedef struct ws_cache ws_cache;

/* db: the Redis database number (SELECT). timeout_ms bounds connecting and each command.
 * NULL on ENOMEM. */
ws_cache *ws_cache_new(const char *host, int port, int db, int timeout_ms);
void ws_cache_free(ws_cache *c);

enum { WS_CACHE_HIT = 1, WS_CACHE_MISS = 0, WS_CACHE_ERROR = -1 };

/* Reads an integer value: WS_CACHE_HIT (and *value), WS_CACHE_MISS, or WS_CACHE_ERROR (also
 * for a value that is not an integer). */
int ws_cache_get_int(ws_cache *c, const char *key, long long *value);
/* SET key value EX ttl_s. 0 or WS_CACHE_ERROR. */
int ws_cache_set_int(ws_cache *c, const char *key, long long value, int ttl_s);
/* DEL key. 0 or WS_CACHE_ERROR. */
int ws_cache_del(ws_cache *c, const char *key);
/* DEL of n keys (1..16) in one command, one round trip. 0 or WS_CACHE_ERROR. */
int ws_cache_del_many(ws_cache *c, const char *const *keys, int n);

const char *ws_cache_last_error(const ws_cache *c);

#endif
