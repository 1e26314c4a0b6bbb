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

/* What became of an order the backend tried to store. */
typedef enum ws_db_stored {
    WS_DB_INSERTED,  /* a new row */
    WS_DB_DUPLICATE, /* already stored under this message id (a redelivery) */
    WS_DB_CANCELLED, /* the frontend answered 503 for it and cancelled it: never stored */
} ws_db_stored;

/* Stores one order exactly once per message id: the id is claimed in order_outcomes and the
 * row written in the same statement, so a redelivery or an order the frontend cancelled
 * (ws_db_cancel_order) writes nothing. message_id may be NULL (no deduplication possible).
 * With simulate_failure the statement runs in a transaction that is then rolled back, as a
 * timed-out session would be, and WS_DB_SIMULATED is returned. */
int ws_db_insert_order(ws_db *db, const char *fruit, int quantity, const char *message_id,
                       bool simulate_failure, ws_db_stored *stored);

/* For an order whose publish is in doubt (the broker may hold it but never confirmed it):
 * claims its message id as cancelled so the backend will never store it. *cancelled is false
 * when the backend has already stored it: the order was accepted after all. */
int ws_db_cancel_order(ws_db *db, const char *message_id, bool *cancelled);

/* Sum of the quantities inserted in the last minute for fruit, or for every fruit when fruit
 * is NULL. */
int ws_db_recent_total(ws_db *db, const char *fruit, long long *total);

/* Text of the last error on this connection (for logs; never sent to clients). */
const char *ws_db_last_error(const ws_db *db);

#endif
