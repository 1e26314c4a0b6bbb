/* mqtool.c -- RabbitMQ helper for the integration tests: publish a raw message (poison,
 * duplicates), count, read, purge or delete a queue. Not part of the services. */
#include "mq.h"
#include "mq_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void) {
    fprintf(stderr, "usage: mqtool URL[,URL...] QUEUE publish BODY [MESSAGE_ID]\n"
                    "       mqtool URL[,URL...] QUEUE count|purge|delete|get\n"
                    "QUEUE_TYPE=quorum in the environment declares quorum queues\n");
    return 2;
}

static int declare(amqp_connection_state_t c, const char *queue, uint32_t *count) {
    /* passive: counts the queue as it is, whatever its type (ws_mq_open declared it) */
    amqp_queue_declare_ok_t *ok = amqp_queue_declare(c, WS_MQ_CHANNEL, amqp_cstring_bytes(queue), 1,
                                                     1, 0, 0, amqp_empty_table);
    if (!ok)
        return -1;
    *count = ok->message_count;
    return 0;
}

static int get_one(amqp_connection_state_t c, const char *queue) {
    amqp_rpc_reply_t r = amqp_basic_get(c, WS_MQ_CHANNEL, amqp_cstring_bytes(queue), 1);
    if (r.reply_type != AMQP_RESPONSE_NORMAL)
        return -1;
    if (r.reply.id == AMQP_BASIC_GET_EMPTY_METHOD)
        return 1;
    amqp_message_t m;
    r = amqp_read_message(c, WS_MQ_CHANNEL, &m, 0);
    if (r.reply_type != AMQP_RESPONSE_NORMAL)
        return -1;
    fwrite(m.body.bytes, 1, m.body.len, stdout);
    putchar('\n');
    amqp_destroy_message(&m);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 4)
        return usage();
    ws_mq_config cfg;
    if (ws_mq_config_parse(argv[1], &cfg) != 0)
        return usage();
    const char *qt = getenv("QUEUE_TYPE");
    if (qt && *qt && ws_mq_queue_type_parse(qt, &cfg.queue_type) != 0)
        return usage();
    const char *queue = argv[2], *cmd = argv[3];
    if (strcmp(cmd, "publish") == 0) {
        if (argc < 5)
            return usage();
        ws_mq_publisher *p = ws_mq_publisher_new(&cfg, queue);
        ws_mq_msg m = {argv[4], strlen(argv[4]), argc > 5 ? argv[5] : NULL};
        int ok = p ? ws_mq_publish(p, &m, 1, 5000) : -1;
        char err[256] = "";
        if (ok != 1)
            fprintf(stderr, "mqtool: publish failed: %s\n",
                    p ? ws_mq_publisher_error(p, err, sizeof err) : "");
        ws_mq_publisher_free(p);
        return ok == 1 ? 0 : 1;
    }
    char err[256];
    ws_reconnect r;
    ws_mq_reconnect_init(&r, &cfg, 100, 1000);
    amqp_connection_state_t c = ws_mq_open_next(&cfg, &r, queue, err, sizeof err);
    if (!c) {
        fprintf(stderr, "mqtool: %s\n", err);
        return 1;
    }
    int rc = 0;
    uint32_t count = 0;
    if (strcmp(cmd, "count") == 0) {
        rc = declare(c, queue, &count);
        if (rc == 0)
            printf("%u\n", count);
    } else if (strcmp(cmd, "purge") == 0) {
        rc = amqp_queue_purge(c, WS_MQ_CHANNEL, amqp_cstring_bytes(queue)) ? 0 : -1;
    } else if (strcmp(cmd, "delete") == 0) {
        rc = amqp_queue_delete(c, WS_MQ_CHANNEL, amqp_cstring_bytes(queue), 0, 0) ? 0 : -1;
    } else if (strcmp(cmd, "get") == 0) {
        rc = get_one(c, queue);
    } else {
        rc = usage();
    }
    ws_mq_close(c);
    if (rc < 0)
        fprintf(stderr, "mqtool: %s failed\n", cmd);
    return rc < 0 ? 1 : rc;
}
