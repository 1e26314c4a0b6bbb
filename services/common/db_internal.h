/* db_internal.h -- what db.c (the connection, the schema, the frontend's queries) shares with
 * db_orders.c (the backend's batched inserts and the pruning of order_outcomes). */
#ifndef WS_DB_INTERNAL_H
#define WS_DB_INTERNAL_H

#include "backoff.h"
#include "db.h"

#include <libpq-fe.h>

struct ws_db {
    char *conninfo;
    PGconn *conn;
    bool schema_ok;
    bool insert_prepared;   /* db_orders.c's statement, on this connection */
    ws_reconnect reconnect; /* when to connect again (one server) */
    char error[256];
};

void ws_db_set_error(ws_db *db, const char *what, const char *detail);
/* Closes the connection; the next call reconnects once the backoff delay has passed. */
void ws_db_drop_connection(ws_db *db);
/* After a failed statement (r is cleared): WS_DB_DOWN when the connection broke (it is dropped
 * so the next call reconnects), WS_DB_REJECTED for a data or constraint error, else
 * WS_DB_ERROR. */
int ws_db_fail(ws_db *db, const char *what, PGresult *r);

/* A connection that sat idle may have died with a restarted server without our noticing:
 * when a call fails that way on a reused connection, reconnect at once and try again. Every
 * operation here is safe to repeat (the insert is idempotent per message id). */
#define WITH_RECONNECT(db, call)                                                                   \
    __extension__({                                                                                \
        bool reused_ = (db)->conn != NULL;                                                         \
        int rc_ = (call);                                                                          \
        if (rc_ == WS_DB_DOWN && reused_) {                                                        \
            (db)->reconnect.retry_at = 0;                                                          \
            rc_ = (call);                                                                          \
        }                                                                                          \
        rc_;                                                                                       \
    })

#endif
