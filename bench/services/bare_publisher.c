/* bare_publisher.c -- the benchmark's reference for POST /fruit: rabbitmq-c alone publishing
 * persistent orders (with message ids, mandatory, as the frontend does) to a queue for a
 * given time, with publisher confirms pipelined (a window of unconfirmed messages), and
 * printing confirmed messages per second. No HTTP, no JSON parsing, no waiters: what the
 * broker takes on this machine.
 *
 * Usage: bare_publisher AMQP_URL QUEUE SECONDS [WINDOW=2000] */
#include "mq.h"

#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int die(const char *what) {
    fprintf(stderr, "bare_publisher: %s\n", what);
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 4)
        return die("usage: bare_publisher AMQP_URL QUEUE SECONDS [WINDOW]");
    ws_mq_config cfg;
    if (ws_mq_config_parse(argv[1], &cfg) != 0)
        return die("bad AMQP URL");
    const char *queue = argv[2];
    double seconds = atof(argv[3]);
    uint64_t window = argc > 4 ? strtoull(argv[4], NULL, 10) : 2000;
    amqp_connection_state_t c = amqp_new_connection();
    amqp_socket_t *s = amqp_tcp_socket_new(c);
    if (!s || amqp_socket_open(s, cfg.nodes[0].host, cfg.nodes[0].port) != AMQP_STATUS_OK)
        return die("cannot connect");
    if (amqp_login(c, cfg.vhost, 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, cfg.user, cfg.password)
            .reply_type != AMQP_RESPONSE_NORMAL)
        return die("login failed");
    amqp_channel_open(c, 1);
    amqp_queue_declare(c, 1, amqp_cstring_bytes(queue), 0, 1, 0, 0, amqp_empty_table);
    amqp_confirm_select(c, 1);
    if (amqp_get_rpc_reply(c).reply_type != AMQP_RESPONSE_NORMAL)
        return die("channel setup failed");

    const char body[] = "{\"fruit\":\"apples\",\"quantity\":3}";
    uint64_t sent = 0, confirmed = 0, nacked = 0;
    double t0 = now(), end = t0 + seconds;
    char id[40];
    while (now() < end || confirmed + nacked < sent) {
        while (now() < end && sent - confirmed - nacked < window) {
            amqp_basic_properties_t p = {0};
            p._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG |
                       AMQP_BASIC_MESSAGE_ID_FLAG;
            p.content_type = amqp_cstring_bytes("application/json");
            p.delivery_mode = AMQP_DELIVERY_PERSISTENT;
            snprintf(id, sizeof id, "bare-%llu", (unsigned long long)sent);
            p.message_id = amqp_cstring_bytes(id);
            amqp_bytes_t b = {sizeof body - 1, (void *)body};
            if (amqp_basic_publish(c, 1, amqp_empty_bytes, amqp_cstring_bytes(queue), 1, 0, &p,
                                   b) != AMQP_STATUS_OK)
                return die("publish failed");
            sent++;
        }
        struct timeval tv = {1, 0};
        amqp_frame_t f;
        int rc = amqp_simple_wait_frame_noblock(c, &f, &tv);
        if (rc == AMQP_STATUS_TIMEOUT)
            continue;
        if (rc != AMQP_STATUS_OK)
            return die("reading confirms failed");
        if (f.frame_type != AMQP_FRAME_METHOD)
            continue;
        /* Confirms come in order: `multiple` settles every tag up to this one. */
        uint64_t tag = 0;
        bool multiple = false, ack = true;
        if (f.payload.method.id == AMQP_BASIC_ACK_METHOD) {
            amqp_basic_ack_t *a = f.payload.method.decoded;
            tag = a->delivery_tag, multiple = a->multiple;
        } else if (f.payload.method.id == AMQP_BASIC_NACK_METHOD) {
            amqp_basic_nack_t *a = f.payload.method.decoded;
            tag = a->delivery_tag, multiple = a->multiple, ack = false;
        } else {
            continue;
        }
        uint64_t settled = multiple ? tag - (confirmed + nacked) : 1;
        if (ack)
            confirmed += settled;
        else
            nacked += settled;
        amqp_maybe_release_buffers(c);
    }
    double dt = now() - t0;
    printf("bare publisher: %llu confirmed (%llu nacked) in %.2f s = %.0f msg/s, window %llu\n",
           (unsigned long long)confirmed, (unsigned long long)nacked, dt, confirmed / dt,
           (unsigned long long)window);
    amqp_channel_close(c, 1, AMQP_REPLY_SUCCESS);
    amqp_connection_close(c, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(c);
    return 0;
}
