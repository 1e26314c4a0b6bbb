/* db.c -- PostgreSQL access over libpq: one reconnecting connection per ws_db. */
#include "db.h"
#include "log.h"
#include "util.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ws_db {
    char *conninfo;
    PGconn *conn;
    bool schema_ok;
    double retry_at; /* monotonic time before which we do not reconnect */
    ws_backoff backoff;
    char error[256];
};

/* One advisory lock id for the schema DDL, so concurrent starters do not race on CREATE. */
static const char *const schema_sql =
    "SELECT pg_advisory_xact_lock(4242001);"
    "CREATE TABLE IF NOT EXISTS fruits (id SERIAL PRIMARY KEY, name TEXT, quantity INTEGER,"
    " created_at TIMESTAMP DEFAULT now());"
    "ALTER TABLE fruits ADD COLUMN IF NOT EXISTS message_id TEXT;"
    "CREATE UNIQUE INDEX IF NOT EXISTS fruits_message_id_key ON fruits (message_id);"
    "CREATE INDEX IF NOT EXISTS fruits_created_at_idx ON fruits (created_at);"
    "CREATE TABLE IF NOT EXISTS order_outcomes (message_id TEXT PRIMARY KEY,"
    " stored BOOLEAN NOT NULL, decided_at TIMESTAMP DEFAULT now());";

static void set_error(ws_db *db, const char *what, const char *detail) {
    snprintf(db->error, sizeof db->error, "%s: %s", what, detail ? detail : "");
    /* libpq messages end with a newline; keep log lines single */
    for (char *p = db->error; *p; p++) {
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    }
}

ws_db *ws_db_new(const char *conninfo) {
    ws_db *db = calloc(1, sizeof *db);
    if (!db)
        return NULL;
    db->conninfo = strdup(conninfo);
    if (!db->conninfo) {
        free(db);
        return NULL;
    }
    ws_backoff_init(&db->backoff, 100, 2000);
    return db;
}

void ws_db_free(ws_db *db) {
    if (!db)
        return;
    if (db->conn)
        PQfinish(db->conn);
    free(db->conninfo);
    free(db);
}

const char *ws_db_last_error(const ws_db *db) {
    return db->error;
}

static void drop_connection(ws_db *db) {
    if (db->conn) {
        PQfinish(db->conn);
        db->conn = NULL;
    }
    db->retry_at = ws_now() + ws_backoff_next(&db->backoff) / 1000.0;
}

static int run_schema(ws_db *db) {
    PGresult *r = PQexec(db->conn, "BEGIN");
    PQclear(r);
    r = PQexec(db->conn, schema_sql);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok)
        set_error(db, "schema", PQresultErrorMessage(r));
    PQclear(r);
    r = PQexec(db->conn, ok ? "COMMIT" : "ROLLBACK");
    ok = ok && PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    return ok ? WS_DB_OK : WS_DB_ERROR;
}

/* Server notices ("relation already exists, skipping") are not worth a log line. */
static void on_notice(void *arg, const char *message) {
    (void)arg;
    log_debug("postgres notice: %.*s", (int)strcspn(message, "\n"), message);
}

int ws_db_ready(ws_db *db) {
    if (db->conn && PQstatus(db->conn) != CONNECTION_OK)
        drop_connection(db);
    if (!db->conn) {
        if (ws_now() < db->retry_at)
            return WS_DB_DOWN;
        /* Defaults first: values in the caller's conninfo (expanded from dbname) override them. */
        const char *const keys[] = {"connect_timeout", "options", "application_name", "dbname",
                                    NULL};
        const char *const vals[] = {"3",
                                    "-c statement_timeout=10000 -c client_min_messages=warning",
                                    "workshop", db->conninfo, NULL};
        db->conn = PQconnectdbParams(keys, vals, 1);
        if (!db->conn || PQstatus(db->conn) != CONNECTION_OK) {
            set_error(db, "connect", db->conn ? PQerrorMessage(db->conn) : "out of memory");
            drop_connection(db);
            return WS_DB_DOWN;
        }
        PQsetNoticeProcessor(db->conn, on_notice, NULL);
        db->schema_ok = false;
    }
    if (!db->schema_ok) {
        if (run_schema(db) != WS_DB_OK) {
            drop_connection(db);
            return WS_DB_ERROR;
        }
        db->schema_ok = true;
        ws_backoff_reset(&db->backoff);
    }
    return WS_DB_OK;
}

/* After a failed statement: a broken connection is dropped so the next call reconnects. */
static int fail(ws_db *db, const char *what, PGresult *r) {
    set_error(db, what, r ? PQresultErrorMessage(r) : PQerrorMessage(db->conn));
    PQclear(r);
    if (PQstatus(db->conn) != CONNECTION_OK) {
        drop_connection(db);
        return WS_DB_DOWN;
    }
    return WS_DB_ERROR;
}

/* The id is claimed (stored = true) and the row written by one statement: if the claim
 * conflicts, with a redelivery or with the frontend's cancellation, nothing is written. */
static const char *const insert_claimed_sql =
    "WITH claim AS (INSERT INTO order_outcomes (message_id, stored) VALUES ($3, true)"
    " ON CONFLICT (message_id) DO NOTHING RETURNING message_id)"
    " INSERT INTO fruits (name, quantity, message_id) SELECT $1, $2::integer, message_id"
    " FROM claim";
static const char *const insert_plain_sql =
    "INSERT INTO fruits (name, quantity) VALUES ($1, $2::integer)";

static int exec_insert(ws_db *db, const char *const params[3], bool *wrote) {
    const char *sql = params[2] ? insert_claimed_sql : insert_plain_sql;
    PGresult *r = PQexecParams(db->conn, sql, params[2] ? 3 : 2, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        return fail(db, "insert", r);
    *wrote = strcmp(PQcmdTuples(r), "1") == 0;
    PQclear(r);
    return WS_DB_OK;
}

/* Nothing was written: was the id stored before, or cancelled by the frontend? */
static int why_not_written(ws_db *db, const char *message_id, ws_db_stored *stored) {
    const char *params[1] = {message_id};
    PGresult *r = PQexecParams(db->conn, "SELECT stored FROM order_outcomes WHERE message_id = $1",
                               1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
        return fail(db, "select outcome", r);
    *stored = strcmp(PQgetvalue(r, 0, 0), "t") == 0 ? WS_DB_DUPLICATE : WS_DB_CANCELLED;
    PQclear(r);
    return WS_DB_OK;
}

static int simple(ws_db *db, const char *sql) {
    PGresult *r = PQexec(db->conn, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        return fail(db, sql, r);
    PQclear(r);
    return WS_DB_OK;
}

static int insert_once(ws_db *db, const char *fruit, int quantity, const char *message_id,
                       bool simulate_failure, ws_db_stored *stored) {
    int rc = ws_db_ready(db);
    if (rc != WS_DB_OK)
        return rc;
    char qty[16];
    snprintf(qty, sizeof qty, "%d", quantity);
    const char *params[3] = {fruit, qty, message_id};
    bool wrote = false;
    if (simulate_failure) {
        if ((rc = simple(db, "BEGIN")) != WS_DB_OK)
            return rc;
        rc = exec_insert(db, params, &wrote);
        if (rc == WS_DB_DOWN)
            return rc;
        if ((rc = simple(db, "ROLLBACK")) != WS_DB_OK)
            return rc;
        set_error(db, "insert", "simulated session timeout");
        return WS_DB_SIMULATED;
    }
    if ((rc = exec_insert(db, params, &wrote)) != WS_DB_OK)
        return rc;
    if (wrote) {
        *stored = WS_DB_INSERTED;
        return WS_DB_OK;
    }
    return why_not_written(db, message_id, stored);
}

static int cancel_once(ws_db *db, const char *message_id, bool *cancelled) {
    int rc = ws_db_ready(db);
    if (rc != WS_DB_OK)
        return rc;
    const char *params[1] = {message_id};
    PGresult *r = PQexecParams(db->conn,
                               "INSERT INTO order_outcomes (message_id, stored) VALUES ($1, false)"
                               " ON CONFLICT (message_id) DO NOTHING",
                               1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        return fail(db, "cancel", r);
    *cancelled = strcmp(PQcmdTuples(r), "1") == 0;
    PQclear(r);
    return WS_DB_OK;
}

static int recent_total_once(ws_db *db, const char *fruit, long long *total) {
    int rc = ws_db_ready(db);
    if (rc != WS_DB_OK)
        return rc;
    const char *sql = fruit ? "SELECT COALESCE(SUM(quantity), 0) FROM fruits"
                              " WHERE created_at > now() - interval '1 minute' AND name = $1"
                            : "SELECT COALESCE(SUM(quantity), 0) FROM fruits"
                              " WHERE created_at > now() - interval '1 minute'";
    const char *params[1] = {fruit};
    PGresult *r = PQexecParams(db->conn, sql, fruit ? 1 : 0, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
        return fail(db, "select", r);
    *total = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return WS_DB_OK;
}

/* A connection that sat idle may have died with a restarted server without our noticing:
 * when a call fails that way on a reused connection, reconnect at once and try again. Every
 * operation here is safe to repeat (the insert is idempotent per message id). */
#define WITH_RECONNECT(db, call)                                                                   \
    __extension__({                                                                                \
        bool reused_ = (db)->conn != NULL;                                                         \
        int rc_ = (call);                                                                          \
        if (rc_ == WS_DB_DOWN && reused_) {                                                        \
            (db)->retry_at = 0;                                                                    \
            rc_ = (call);                                                                          \
        }                                                                                          \
        rc_;                                                                                       \
    })

int ws_db_insert_order(ws_db *db, const char *fruit, int quantity, const char *message_id,
                       bool simulate_failure, ws_db_stored *stored) {
    return WITH_RECONNECT(db,
                          insert_once(db, fruit, quantity, message_id, simulate_failure, stored));
}

int ws_db_cancel_order(ws_db *db, const char *message_id, bool *cancelled) {
    return WITH_RECONNECT(db, cancel_once(db, message_id, cancelled));
}

int ws_db_recent_total(ws_db *db, const char *fruit, long long *total) {
    return WITH_RECONNECT(db, recent_total_once(db, fruit, total));
}
