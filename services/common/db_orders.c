/* db_orders.c -- the backend's writes: a batch of orders stored by one statement, exactly once
 * per message id, and the pruning of old order_outcomes rows.
 *
 * One multi-row statement per batch is what makes the backend fast: one round trip and one
 * commit (one WAL flush) for the whole batch instead of one per order. Everything is
 * parameterised: the SQL text only ever holds placeholders. */
#include "db_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Claims every message id in order_outcomes (stored = true) and writes the rows whose claim
 * succeeded (or that carry no id) into fruits, in one statement, so one transaction. A
 * conflicting claim -- a redelivery, or an order the frontend cancelled -- writes no row. The
 * fruits insert also skips ids already in fruits, so an order redelivered after its
 * order_outcomes row was pruned is still stored only once. Returns the ord (0-based) of each
 * id-carrying row written. Within one statement ids must be distinct: the caller folds repeats
 * first.
 *
 * The rows come as three arrays (unnest), not as a VALUES list of 3n parameters: one statement
 * for every batch size, prepared once per connection, so PostgreSQL neither parses nor plans
 * it again per batch (parsing, analysing and planning the VALUES form was a fifth of
 * PostgreSQL's time in the backend's profile). */
#define INSERT_ORDERS "ws_insert_orders"
static const char insert_orders_sql[] =
    "WITH input (name, quantity, message_id, ord) AS (SELECT * FROM"
    " unnest($1::text[], $2::integer[], $3::text[]) WITH ORDINALITY),"
    " claim AS (INSERT INTO order_outcomes (message_id, stored)"
    " SELECT message_id, true FROM input WHERE message_id IS NOT NULL"
    " ON CONFLICT (message_id) DO NOTHING RETURNING message_id),"
    " ins AS (INSERT INTO fruits (name, quantity, message_id)"
    " SELECT name, quantity, message_id FROM input"
    " WHERE message_id IS NULL OR message_id IN (SELECT message_id FROM claim)"
    " ORDER BY ord ON CONFLICT (message_id) DO NOTHING RETURNING message_id)"
    " SELECT input.ord - 1 FROM input JOIN ins USING (message_id)";

/* Appends s to a text-array literal as one quoted element (quotes and backslashes escaped) or
 * as NULL. */
static size_t put_element(char *out, size_t len, const char *s, bool first) {
    if (!first)
        out[len++] = ',';
    if (!s) {
        memcpy(out + len, "NULL", 4);
        return len + 4;
    }
    out[len++] = '"';
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            out[len++] = '\\';
        out[len++] = *s;
    }
    out[len++] = '"';
    return len;
}

/* The three array literals of n orders: returns the names' ({"apples",...}) and sets *qty and
 * *ids; the caller frees all three. NULL when out of memory (nothing to free). */
static char *array_literals(ws_db_order **u, int n, char **qty, char **ids) {
    size_t cap_names = 3, cap_qty = 3, cap_ids = 3; /* "{", "}" and the NUL */
    for (int i = 0; i < n; i++) {
        cap_names += 3 + 2 * strlen(u[i]->fruit);
        cap_qty += 12;
        cap_ids += 5 + (u[i]->message_id ? 2 * strlen(u[i]->message_id) : 0);
    }
    char *names = malloc(cap_names);
    *qty = malloc(cap_qty);
    *ids = malloc(cap_ids);
    if (!names || !*qty || !*ids) {
        free(names);
        free(*qty);
        free(*ids);
        return NULL;
    }
    size_t ln = 0, lq = 0, li = 0;
    names[ln++] = '{';
    (*qty)[lq++] = '{';
    (*ids)[li++] = '{';
    for (int i = 0; i < n; i++) {
        ln = put_element(names, ln, u[i]->fruit, i == 0);
        lq += (size_t)snprintf(*qty + lq, cap_qty - lq, "%s%d", i ? "," : "", u[i]->quantity);
        li = put_element(*ids, li, u[i]->message_id, i == 0);
    }
    names[ln++] = '}';
    (*qty)[lq++] = '}';
    (*ids)[li++] = '}';
    names[ln] = (*qty)[lq] = (*ids)[li] = '\0';
    return names;
}

/* Prepares the insert statement on this connection once (again after a reconnect). */
static int prepare_insert(ws_db *db) {
    if (db->insert_prepared)
        return WS_DB_OK;
    PGresult *r = PQprepare(db->conn, INSERT_ORDERS, insert_orders_sql, 3, NULL);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        return ws_db_fail(db, "prepare insert", r);
    PQclear(r);
    db->insert_prepared = true;
    return WS_DB_OK;
}

static int exec_simple(ws_db *db, const char *sql) {
    PGresult *r = PQexec(db->conn, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        return ws_db_fail(db, sql, r);
    PQclear(r);
    return WS_DB_OK;
}

/* Runs the batch statement over the n distinct orders in u[]; marks the written ones. */
static int exec_batch(ws_db *db, ws_db_order **u, int n, bool *written) {
    char *qty = NULL, *ids = NULL;
    char *names = array_literals(u, n, &qty, &ids);
    if (!names) {
        ws_db_set_error(db, "insert", "out of memory");
        return WS_DB_ERROR;
    }
    for (int i = 0; i < n; i++)
        written[i] = u[i]->message_id == NULL; /* a row without id is written whatever happens */
    int rc = prepare_insert(db);
    if (rc == WS_DB_OK) {
        const char *params[3] = {names, qty, ids};
        PGresult *r = PQexecPrepared(db->conn, INSERT_ORDERS, 3, params, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            rc = ws_db_fail(db, "insert", r);
        } else {
            for (int t = 0; t < PQntuples(r); t++) {
                int ord = atoi(PQgetvalue(r, t, 0));
                if (ord >= 0 && ord < n)
                    written[ord] = true;
            }
            PQclear(r);
        }
    }
    free(names);
    free(qty);
    free(ids);
    return rc;
}

/* The ids of u[] that were not written: stored before (a redelivery), or cancelled by the
 * frontend? A statement of its own, so that it sees claims committed while the insert ran. */
static int why_not_written(ws_db *db, ws_db_order **u, int n, const bool *written) {
    int k = 0;
    const char **params = calloc((size_t)n, sizeof *params);
    char *sql = malloc(128 + (size_t)n * 8);
    if (!params || !sql) {
        free(params);
        free(sql);
        ws_db_set_error(db, "select outcome", "out of memory");
        return WS_DB_ERROR;
    }
    size_t len = (size_t)sprintf(sql, "SELECT message_id, stored FROM order_outcomes"
                                      " WHERE message_id IN (");
    for (int i = 0; i < n; i++) {
        if (written[i])
            continue;
        params[k] = u[i]->message_id;
        len += (size_t)sprintf(sql + len, "%s$%d", k ? ", " : "", k + 1);
        k++;
    }
    strcpy(sql + len, ")");
    int rc = WS_DB_OK;
    if (k > 0) {
        PGresult *r = PQexecParams(db->conn, sql, k, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            rc = ws_db_fail(db, "select outcome", r);
        } else {
            for (int i = 0; i < n; i++) {
                if (written[i])
                    continue;
                /* claimed by this statement but already in fruits: stored before */
                u[i]->stored = WS_DB_DUPLICATE;
                for (int t = 0; t < PQntuples(r); t++) {
                    if (strcmp(PQgetvalue(r, t, 0), u[i]->message_id) == 0 &&
                        strcmp(PQgetvalue(r, t, 1), "f") == 0)
                        u[i]->stored = WS_DB_CANCELLED;
                }
            }
            PQclear(r);
        }
    }
    free(params);
    free(sql);
    return rc;
}

/* first[i]: the index of the first order of the batch with i's message id (i itself when it is
 * the first, or carries no id). Batches are small, so the quadratic scan is cheap. */
static void fold_repeats(const ws_db_order *orders, int n, int *first) {
    for (int i = 0; i < n; i++) {
        first[i] = i;
        if (!orders[i].message_id)
            continue;
        for (int j = 0; j < i; j++) {
            if (first[j] == j && orders[j].message_id &&
                strcmp(orders[j].message_id, orders[i].message_id) == 0) {
                first[i] = j;
                break;
            }
        }
    }
}

static int insert_once(ws_db *db, ws_db_order *orders, int n, bool simulate_failure) {
    int rc = ws_db_ready(db);
    if (rc != WS_DB_OK)
        return rc;
    int *first = calloc((size_t)n, sizeof *first);
    ws_db_order **u = calloc((size_t)n, sizeof *u);
    bool *written = calloc((size_t)n, sizeof *written);
    if (!first || !u || !written) {
        ws_db_set_error(db, "insert", "out of memory");
        rc = WS_DB_ERROR;
        goto out;
    }
    fold_repeats(orders, n, first);
    int nu = 0;
    for (int i = 0; i < n; i++) {
        if (first[i] == i)
            u[nu++] = &orders[i];
    }
    if (simulate_failure) {
        if ((rc = exec_simple(db, "BEGIN")) != WS_DB_OK)
            goto out;
        rc = exec_batch(db, u, nu, written);
        if (rc == WS_DB_DOWN)
            goto out;
        if ((rc = exec_simple(db, "ROLLBACK")) != WS_DB_OK)
            goto out;
        ws_db_set_error(db, "insert", "simulated session timeout");
        rc = WS_DB_SIMULATED;
        goto out;
    }
    if ((rc = exec_batch(db, u, nu, written)) != WS_DB_OK)
        goto out;
    for (int i = 0; i < nu; i++) {
        if (written[i])
            u[i]->stored = WS_DB_INSERTED;
    }
    if ((rc = why_not_written(db, u, nu, written)) != WS_DB_OK)
        goto out;
    for (int i = 0; i < n; i++) {
        if (first[i] != i) /* a repeat within the batch: its first copy decided */
            orders[i].stored =
                orders[first[i]].stored == WS_DB_CANCELLED ? WS_DB_CANCELLED : WS_DB_DUPLICATE;
    }
out:
    free(first);
    free(u);
    free(written);
    return rc;
}

int ws_db_insert_orders(ws_db *db, ws_db_order *orders, int n, bool simulate_failure) {
    if (n < 1 || n > WS_DB_MAX_BATCH) {
        ws_db_set_error(db, "insert", "batch size out of range");
        return WS_DB_ERROR;
    }
    return WITH_RECONNECT(db, insert_once(db, orders, n, simulate_failure));
}

static int prune_once(ws_db *db, int older_than_s, long long max_rows, long long *deleted) {
    int rc = ws_db_ready(db);
    if (rc != WS_DB_OK)
        return rc;
    /* Chunks of 10 000 rows through the decided_at index: short transactions that never hold
     * many locks, whatever the backlog. */
    char age[16];
    snprintf(age, sizeof age, "%d", older_than_s);
    const char *params[1] = {age};
    while (*deleted < max_rows) {
        PGresult *r = PQexecParams(
            db->conn,
            "DELETE FROM order_outcomes WHERE ctid = ANY(ARRAY(SELECT ctid FROM order_outcomes"
            " WHERE decided_at < now() - make_interval(secs => $1::integer) LIMIT 10000))",
            1, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            return ws_db_fail(db, "prune", r);
        long long n = strtoll(PQcmdTuples(r), NULL, 10);
        PQclear(r);
        *deleted += n;
        if (n < 10000)
            break;
    }
    return WS_DB_OK;
}

int ws_db_prune_outcomes(ws_db *db, int older_than_s, long long max_rows, long long *deleted) {
    *deleted = 0;
    return WITH_RECONNECT(db, prune_once(db, older_than_s, max_rows, deleted));
}
