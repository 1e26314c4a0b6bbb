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

enum {
    WS_DB_OK = 0,
    WS_DB_ERROR = -1,
    WS_DB_DOWN = -2,
    WS_DB_SIMULATED = -3,
    WS_DB_REJECTED = -4, /* PostgreSQL refused the data itself (SQLSTATE class 22 or 23) */
};

/* Connects if needed (respecting the backoff) and creates the table, its message_id unique
 * index and its created_at index if missing. WS_DB_OK, WS_DB_DOWN or WS_DB_ERROR. */
int ws_db_ready(ws_db *db);

/* What became of an order the backend tried to store. */
typedef enum ws_db_stored {
    WS_DB_INSERTED,  /* a new row */
    WS_DB_DUPLICATE, /* already stored under this message id (a redelivery) */
    WS_DB_CANCELLED, /* the frontend answered 503 for it and cancelled it: never stored */
} ws_db_stored;

typedef struct ws_db_order {
    const char *fruit;
    int quantity;
    const char *message_id; /* NULL: no deduplication possible */
    ws_db_stored stored;    /* set by ws_db_insert_orders */
} ws_db_order;

/* Stores n orders (1..WS_DB_MAX_BATCH) in one statement, so in one transaction, each exactly
 * once per message id: the ids are claimed in order_outcomes and the rows written by the same
 * statement, so a redelivery or an order the frontend cancelled (ws_db_cancel_order) writes
 * nothing, and an id seen twice in the batch is stored once. Sets each order's stored.
 * With simulate_failure the statement runs in a transaction that is then rolled back, as a
 * timed-out session would be, and WS_DB_SIMULATED is returned. WS_DB_REJECTED: the data of
 * some order was refused (say, a message id that is not UTF-8) and nothing was written; store
 * the batch in smaller parts to find it. */
#define WS_DB_MAX_BATCH 4096
int ws_db_insert_orders(ws_db *db, ws_db_order *orders, int n, bool simulate_failure);

/* Deletes order_outcomes rows decided more than older_than_s seconds ago, at most max_rows
 * (in chunks, each its own short transaction); *deleted says how many went. */
int ws_db_prune_outcomes(ws_db *db, int older_than_s, long long max_rows, long long *deleted);

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
