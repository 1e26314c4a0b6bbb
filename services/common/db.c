/* db.c -- PostgreSQL access over libpq: one reconnecting connection per ws_db. */
#include "db_internal.h"
#include "log.h"
#include "util.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One advisory lock id for the schema DDL, so concurrent starters do not race on CREATE.
 * order_outcomes comes first: the backend's insert locks it before fruits, and DDL that took
 * them in the other order could deadlock with a running backend. */
static const char *const schema_sql =
    "SELECT pg_advisory_xact_lock(4242001);"
    "CREATE TABLE IF NOT EXISTS order_outcomes (message_id TEXT PRIMARY KEY,"
    " stored BOOLEAN NOT NULL, decided_at TIMESTAMP DEFAULT now());"
    "CREATE INDEX IF NOT EXISTS order_outcomes_decided_at_idx ON order_outcomes (decided_at);"
    "CREATE TABLE IF NOT EXISTS fruits (id SERIAL PRIMARY KEY, name TEXT, quantity INTEGER,"
    " created_at TIMESTAMP DEFAULT now());"
    "ALTER TABLE fruits ADD COLUMN IF NOT EXISTS message_id TEXT;"
    "CREATE UNIQUE INDEX IF NOT EXISTS fruits_message_id_key ON fruits (message_id);"
    "CREATE INDEX IF NOT EXISTS fruits_created_at_idx ON fruits (created_at);";

void ws_db_set_error(ws_db *db, const char *what, const char *detail) {
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
    ws_reconnect_init(&db->reconnect, 100, 2000, 1);
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

void ws_db_drop_connection(ws_db *db) {
    if (db->conn) {
        PQfinish(db->conn);
        db->conn = NULL;
    }
    ws_reconnect_failed(&db->reconnect);
}

static int run_schema(ws_db *db) {
    PGresult *r = PQexec(db->conn, "BEGIN");
    PQclear(r);
    r = PQexec(db->conn, schema_sql);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok)
        ws_db_set_error(db, "schema", PQresultErrorMessage(r));
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
        ws_db_drop_connection(db);
    if (!db->conn) {
        if (!ws_reconnect_due(&db->reconnect, ws_now()))
            return WS_DB_DOWN;
        /* Defaults first: values in the caller's conninfo (expanded from dbname) override them. */
        const char *const keys[] = {"connect_timeout", "options", "application_name", "dbname",
                                    NULL};
        const char *const vals[] = {"3",
                                    "-c statement_timeout=10000 -c client_min_messages=warning",
                                    "workshop", db->conninfo, NULL};
        db->conn = PQconnectdbParams(keys, vals, 1);
        if (!db->conn || PQstatus(db->conn) != CONNECTION_OK) {
            ws_db_set_error(db, "connect", db->conn ? PQerrorMessage(db->conn) : "out of memory");
            ws_db_drop_connection(db);
            return WS_DB_DOWN;
        }
        PQsetNoticeProcessor(db->conn, on_notice, NULL);
        db->schema_ok = false;
        db->insert_prepared = false;
    }
    if (!db->schema_ok) {
        if (run_schema(db) != WS_DB_OK) {
            ws_db_drop_connection(db);
            return WS_DB_ERROR;
        }
        db->schema_ok = true;
        ws_reconnect_ok(&db->reconnect);
    }
    return WS_DB_OK;
}

int ws_db_fail(ws_db *db, const char *what, PGresult *r) {
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    bool refused = state && (strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0);
    ws_db_set_error(db, what, r ? PQresultErrorMessage(r) : PQerrorMessage(db->conn));
    PQclear(r);
    if (PQstatus(db->conn) != CONNECTION_OK) {
        ws_db_drop_connection(db);
        return WS_DB_DOWN;
    }
    return refused ? WS_DB_REJECTED : WS_DB_ERROR;
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
        return ws_db_fail(db, "cancel", r);
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
        return ws_db_fail(db, "select", r);
    *total = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return WS_DB_OK;
}

int ws_db_cancel_order(ws_db *db, const char *message_id, bool *cancelled) {
    return WITH_RECONNECT(db, cancel_once(db, message_id, cancelled));
}

int ws_db_recent_total(ws_db *db, const char *fruit, long long *total) {
    return WITH_RECONNECT(db, recent_total_once(db, fruit, total));
}
