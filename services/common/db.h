/* db.h -- the fruits table in PostgreSQL (libpq): schema, idempotent inserts, recent totals.
 *
 * A ws_db is one connection, used by one thread at a time. It reconnects by itself: after a
 * failure the next call tries again, but not before a backoff delay has passed, so a dead
 * server costs a caller one fast failure rather than a connect timeout per request. */
#ifndef WS_DB_H
#define WS_DB_H

#include <stdbool.h>

typedef struct ws_db ws_db;

/* conninfo: a libpq connection string or URI. Does not connect yet. NULL on ENOMEM. */
ws_db *ws_db_new(const char *conninfo);
void ws_db_free(ws_db *db);

enum { WS_DB_OK = 0, WS_DB_ERROR = -1, WS_DB_DOWN = -2, WS_DB_SIMULATED = -3 };

/* Connects if needed (respecting the backoff) and creates the table, its message_id unique
 * index and its created_at index if missing. WS_DB_OK, WS_DB_DOWN or WS_DB_ERROR. */
int ws_db_ready(ws_db *db);

/* Inserts one order. message_id may be NULL (no deduplication possible). *inserted is false
 * when a row with this message_id already exists (a redelivery). With simulate_failure the
 * row is written in a transaction that is then rolled back, as a timed-out session would be,
 * and WS_DB_SIMULATED is returned. */
int ws_db_insert_order(ws_db *db, const char *fruit, int quantity, const char *message_id,
                       bool simulate_failure, bool *inserted);

/* Sum of the quantities inserted in the last minute for fruit, or for every fruit when fruit
 * is NULL. */
int ws_db_recent_total(ws_db *db, const char *fruit, long long *total);

/* Text of the last error on this connection (for logs; never sent to clients). */
const char *ws_db_last_error(const ws_db *db);

#endif
