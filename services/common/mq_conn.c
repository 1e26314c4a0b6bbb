/* mq_conn.c -- RabbitMQ connection setup and teardown, and the AMQP URL parser. */
#include "mq_internal.h"
#include "util.h"

#include <amqp_tcp_socket.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Parses one amqp:// URL into node and the credentials. 0 or -1. */
static int parse_one(const char *url, ws_mq_node *node, char *user, char *password, char *vhost,
                     size_t cap) {
    char buf[512];
    if (!ws_strlcpy(buf, url, sizeof buf))
        return -1;
    struct amqp_connection_info info;
    amqp_default_connection_info(&info);
    if (amqp_parse_url(buf, &info) != AMQP_STATUS_OK || info.ssl)
        return -1;
    /* "amqp://host/" names the empty vhost; everyone means the default one, "/". */
    const char *vh = info.vhost && *info.vhost ? info.vhost : "/";
    if (!ws_strlcpy(node->host, info.host, sizeof node->host) ||
        !ws_strlcpy(user, info.user, cap) || !ws_strlcpy(password, info.password, cap) ||
        !ws_strlcpy(vhost, vh, cap))
        return -1;
    node->port = info.port;
    return 0;
}

int ws_mq_config_parse(const char *urls, ws_mq_config *cfg) {
    char list[WS_MQ_MAX_NODES * 512];
    if (!ws_strlcpy(list, urls, sizeof list))
        return -1;
    ws_mq_config c = {.heartbeat_s = WS_MQ_DEFAULT_HEARTBEAT_S, .queue_type = WS_MQ_CLASSIC};
    char *save = NULL;
    for (char *url = strtok_r(list, ",", &save); url; url = strtok_r(NULL, ",", &save)) {
        while (*url == ' ')
            url++;
        if (c.n_nodes == WS_MQ_MAX_NODES)
            return -1;
        char user[64], password[64], vhost[64];
        if (parse_one(url, &c.nodes[c.n_nodes], user, password, vhost, sizeof user) != 0)
            return -1;
        if (c.n_nodes == 0) {
            memcpy(c.user, user, sizeof user);
            memcpy(c.password, password, sizeof password);
            memcpy(c.vhost, vhost, sizeof vhost);
        } else if (strcmp(user, c.user) != 0 || strcmp(password, c.password) != 0 ||
                   strcmp(vhost, c.vhost) != 0) {
            return -1; /* the nodes of one cluster share users and vhosts */
        }
        c.n_nodes++;
    }
    if (c.n_nodes == 0)
        return -1;
    *cfg = c;
    return 0;
}

int ws_mq_queue_type_parse(const char *s, ws_mq_queue_type *out) {
    if (strcmp(s, "classic") == 0)
        *out = WS_MQ_CLASSIC;
    else if (strcmp(s, "quorum") == 0)
        *out = WS_MQ_QUORUM;
    else
        return -1;
    return 0;
}

const char *ws_mq_queue_type_name(ws_mq_queue_type t) {
    return t == WS_MQ_QUORUM ? "quorum" : "classic";
}

int ws_mq_reply_error(amqp_rpc_reply_t r, const char *what, char *err, size_t cap) {
    switch (r.reply_type) {
    case AMQP_RESPONSE_NORMAL:
        snprintf(err, cap, "%s: ok", what);
        break;
    case AMQP_RESPONSE_NONE:
        snprintf(err, cap, "%s: missing reply", what);
        break;
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
        snprintf(err, cap, "%s: %s", what, amqp_error_string2(r.library_error));
        break;
    case AMQP_RESPONSE_SERVER_EXCEPTION:
        if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
            amqp_connection_close_t *m = r.reply.decoded;
            snprintf(err, cap, "%s: connection closed by server: %u %.*s", what, m->reply_code,
                     (int)m->reply_text.len, (const char *)m->reply_text.bytes);
        } else if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
            amqp_channel_close_t *m = r.reply.decoded;
            snprintf(err, cap, "%s: channel closed by server: %u %.*s", what, m->reply_code,
                     (int)m->reply_text.len, (const char *)m->reply_text.bytes);
        } else {
            snprintf(err, cap, "%s: server error, method 0x%08x", what, r.reply.id);
        }
        break;
    }
    return -1;
}

int ws_mq_declare(amqp_connection_state_t conn, const char *queue, ws_mq_queue_type queue_type,
                  char *err, size_t cap) {
    /* Classic: no arguments at all, as the seed declares task_queue (a declaration with other
     * arguments than the queue's own is refused). Quorum: durable is required, and consumers
     * must use QoS (every ws_mq_consumer does). */
    amqp_table_entry_t quorum[] = {
        {amqp_cstring_bytes("x-queue-type"),
         {AMQP_FIELD_KIND_UTF8, {.bytes = amqp_cstring_bytes("quorum")}}},
    };
    amqp_table_t args = amqp_empty_table;
    if (queue_type == WS_MQ_QUORUM)
        args = (amqp_table_t){1, quorum};
    amqp_queue_declare(conn, WS_MQ_CHANNEL, amqp_cstring_bytes(queue), 0, 1, 0, 0, args);
    amqp_rpc_reply_t r = amqp_get_rpc_reply(conn);
    if (r.reply_type != AMQP_RESPONSE_NORMAL)
        return ws_mq_reply_error(r, "queue.declare", err, cap);
    return 0;
}

bool ws_mq_writable(amqp_connection_state_t conn) {
    struct pollfd pfd = {.fd = amqp_get_sockfd(conn), .events = POLLOUT};
    return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLOUT);
}

amqp_connection_state_t ws_mq_open(const ws_mq_config *cfg, int node, const char *queue, char *err,
                                   size_t cap) {
    const ws_mq_node *n = &cfg->nodes[node >= 0 && node < cfg->n_nodes ? node : 0];
    amqp_connection_state_t conn = amqp_new_connection();
    if (!conn) {
        snprintf(err, cap, "out of memory");
        return NULL;
    }
    amqp_socket_t *sock = amqp_tcp_socket_new(conn);
    struct timeval connect_tv = {2, 0}, rpc_tv = {5, 0};
    if (!sock) {
        snprintf(err, cap, "socket: out of memory");
        goto fail;
    }
    int rc = amqp_socket_open_noblock(sock, n->host, n->port, &connect_tv);
    if (rc != AMQP_STATUS_OK) {
        snprintf(err, cap, "connect %s:%d: %s", n->host, n->port, amqp_error_string2(rc));
        goto fail;
    }
    amqp_set_handshake_timeout(conn, &rpc_tv);
    amqp_set_rpc_timeout(conn, &rpc_tv);
    /* rabbitmq-c 0.11 has no write timeout and polls a full socket for ever; a send timeout
     * bounds a blocking write, and ws_mq_writable lets callers avoid writing to a broker that
     * stopped reading (a resource alarm) at all. */
    struct timeval send_tv = {2, 0};
    setsockopt(amqp_get_sockfd(conn), SOL_SOCKET, SO_SNDTIMEO, &send_tv, sizeof send_tv);
    /* rabbitmq-c advertises only authentication_failure_close: ask for the notifications we
     * handle. connection.blocked tells a publisher the broker stopped reading its socket;
     * without consumer_cancel_notify the broker never tells a consumer that its queue was
     * deleted, and the consumer goes silent. */
    amqp_table_entry_t caps[] = {
        {amqp_cstring_bytes("connection.blocked"), {AMQP_FIELD_KIND_BOOLEAN, {.boolean = 1}}},
        {amqp_cstring_bytes("consumer_cancel_notify"), {AMQP_FIELD_KIND_BOOLEAN, {.boolean = 1}}},
    };
    amqp_table_entry_t props[] = {
        {amqp_cstring_bytes("capabilities"),
         {AMQP_FIELD_KIND_TABLE, {.table = {(int)(sizeof caps / sizeof caps[0]), caps}}}},
    };
    amqp_table_t client_props = {(int)(sizeof props / sizeof props[0]), props};
    /* Heartbeats: rabbitmq-c only sends and checks them from inside its own calls, so they
     * are for connections something reads all the time (consumers, the pipelined publisher);
     * a connection used now and then asks for 0 (cfg->heartbeat_s) and notices a dead peer at
     * its next use instead. */
    int heartbeat = cfg->heartbeat_s > 0 ? cfg->heartbeat_s : 0;
    amqp_rpc_reply_t r =
        amqp_login_with_properties(conn, cfg->vhost, 0, 131072, heartbeat, &client_props,
                                   AMQP_SASL_METHOD_PLAIN, cfg->user, cfg->password);
    if (r.reply_type != AMQP_RESPONSE_NORMAL) {
        ws_mq_reply_error(r, "login", err, cap);
        goto fail;
    }
    amqp_channel_open(conn, WS_MQ_CHANNEL);
    r = amqp_get_rpc_reply(conn);
    if (r.reply_type != AMQP_RESPONSE_NORMAL) {
        ws_mq_reply_error(r, "channel.open", err, cap);
        goto fail;
    }
    if (ws_mq_declare(conn, queue, cfg->queue_type, err, cap) != 0)
        goto fail;
    return conn;
fail:
    amqp_destroy_connection(conn);
    return NULL;
}

void ws_mq_reconnect_init(ws_reconnect *r, const ws_mq_config *cfg, int min_ms, int max_ms) {
    ws_reconnect_init(r, min_ms, max_ms, cfg->n_nodes);
}

amqp_connection_state_t ws_mq_open_next(const ws_mq_config *cfg, ws_reconnect *r, const char *queue,
                                        char *err, size_t cap) {
    while (ws_reconnect_due(r, ws_now())) {
        int node = r->server;
        amqp_connection_state_t conn = ws_mq_open(cfg, node, queue, err, cap);
        if (conn)
            return conn; /* the caller says ws_reconnect_ok once its own set-up worked too */
        if (cfg->n_nodes > 1) {
            /* Say which node failed: the error alone names only the last one tried. */
            char why[256];
            ws_strlcpy(why, err, sizeof why);
            snprintf(err, cap, "node %d of %d: %s", node + 1, cfg->n_nodes, why);
        }
        ws_reconnect_failed(r);
    }
    return NULL;
}

void ws_mq_close(amqp_connection_state_t conn) {
    if (!conn)
        return;
    /* A broker that stopped reading (blocked by an alarm) would not answer the close
     * handshake anyway; do not wait for it. */
    if (!ws_mq_writable(conn)) {
        amqp_destroy_connection(conn);
        return;
    }
    struct timeval tv = {1, 0};
    amqp_set_rpc_timeout(conn, &tv);
    amqp_channel_close(conn, WS_MQ_CHANNEL, AMQP_REPLY_SUCCESS);
    amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(conn);
}
