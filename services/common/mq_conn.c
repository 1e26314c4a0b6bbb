/* mq_conn.c -- RabbitMQ connection setup and teardown, and the AMQP URL parser. */
#include "mq_internal.h"
#include "util.h"

#include <amqp_tcp_socket.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int ws_mq_config_parse(const char *url, ws_mq_config *cfg) {
    char buf[512];
    if (!ws_strlcpy(buf, url, sizeof buf))
        return -1;
    struct amqp_connection_info info;
    amqp_default_connection_info(&info);
    if (amqp_parse_url(buf, &info) != AMQP_STATUS_OK || info.ssl)
        return -1;
    /* "amqp://host/" names the empty vhost; everyone means the default one, "/". */
    const char *vhost = info.vhost && *info.vhost ? info.vhost : "/";
    if (!ws_strlcpy(cfg->host, info.host, sizeof cfg->host) ||
        !ws_strlcpy(cfg->user, info.user, sizeof cfg->user) ||
        !ws_strlcpy(cfg->password, info.password, sizeof cfg->password) ||
        !ws_strlcpy(cfg->vhost, vhost, sizeof cfg->vhost))
        return -1;
    cfg->port = info.port;
    cfg->heartbeat_s = WS_MQ_DEFAULT_HEARTBEAT_S;
    return 0;
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

int ws_mq_declare(amqp_connection_state_t conn, const char *queue, char *err, size_t cap) {
    amqp_queue_declare(conn, WS_MQ_CHANNEL, amqp_cstring_bytes(queue), 0, 1, 0, 0,
                       amqp_empty_table);
    amqp_rpc_reply_t r = amqp_get_rpc_reply(conn);
    if (r.reply_type != AMQP_RESPONSE_NORMAL)
        return ws_mq_reply_error(r, "queue.declare", err, cap);
    return 0;
}

bool ws_mq_writable(amqp_connection_state_t conn) {
    struct pollfd pfd = {.fd = amqp_get_sockfd(conn), .events = POLLOUT};
    return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLOUT);
}

amqp_connection_state_t ws_mq_open(const ws_mq_config *cfg, const char *queue, char *err,
                                   size_t cap) {
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
    int rc = amqp_socket_open_noblock(sock, cfg->host, cfg->port, &connect_tv);
    if (rc != AMQP_STATUS_OK) {
        snprintf(err, cap, "connect %s:%d: %s", cfg->host, cfg->port, amqp_error_string2(rc));
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
    if (ws_mq_declare(conn, queue, err, cap) != 0)
        goto fail;
    return conn;
fail:
    amqp_destroy_connection(conn);
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
