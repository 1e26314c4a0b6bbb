/* bare_consumer.c -- the backend benchmark's references, straight on rabbitmq-c (no ws_common):
 *
 *   bare_consumer load URL QUEUE N      preloads N persistent order messages, each with a message
 *                                       id, confirms pipelined (1000 in flight)
 *   bare_consumer consume URL QUEUE N   consumes N messages with prefetch 2000 and a multiple ack
 *                                       every 500, doing no work: what the broker alone allows
 *   bare_consumer pace URL QUEUE N RATE publishes N order messages at RATE a second, evenly
 *                                       spaced, each message id "pace-<send time, unix µs>-<i>",
 *                                       so the rows' created_at gives each message's latency
 *
 * Each prints one line: messages, seconds and messages/s. Not a test; bench/services/run.sh
 * runs it next to the backend. */
#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int die(const char *what, amqp_rpc_reply_t r) {
    fprintf(stderr, "bare_consumer: %s failed (reply type %d, library error %s)\n", what,
            r.reply_type, amqp_error_string2(r.library_error));
    exit(1);
}

static amqp_connection_state_t open_queue(const char *url, const char *queue) {
    char buf[512];
    snprintf(buf, sizeof buf, "%s", url);
    struct amqp_connection_info info;
    amqp_default_connection_info(&info);
    if (amqp_parse_url(buf, &info) != AMQP_STATUS_OK) {
        fprintf(stderr, "bare_consumer: bad URL\n");
        exit(2);
    }
    amqp_connection_state_t c = amqp_new_connection();
    amqp_socket_t *s = amqp_tcp_socket_new(c);
    if (!s || amqp_socket_open(s, info.host, info.port) != AMQP_STATUS_OK) {
        fprintf(stderr, "bare_consumer: cannot connect to %s:%d\n", info.host, info.port);
        exit(1);
    }
    amqp_rpc_reply_t r = amqp_login(c, *info.vhost ? info.vhost : "/", 0, 131072, 0,
                                    AMQP_SASL_METHOD_PLAIN, info.user, info.password);
    if (r.reply_type != AMQP_RESPONSE_NORMAL)
        die("login", r);
    amqp_channel_open(c, 1);
    if ((r = amqp_get_rpc_reply(c)).reply_type != AMQP_RESPONSE_NORMAL)
        die("channel.open", r);
    amqp_queue_declare(c, 1, amqp_cstring_bytes(queue), 0, 1, 0, 0, amqp_empty_table);
    if ((r = amqp_get_rpc_reply(c)).reply_type != AMQP_RESPONSE_NORMAL)
        die("queue.declare", r);
    return c;
}

/* Reads confirms until at most max_in_flight publishes are unconfirmed. */
static void await_confirms(amqp_connection_state_t c, long *confirmed, long sent,
                           long max_in_flight) {
    while (sent - *confirmed > max_in_flight) {
        amqp_frame_t f;
        if (amqp_simple_wait_frame(c, &f) != AMQP_STATUS_OK) {
            fprintf(stderr, "bare_consumer: connection lost while loading\n");
            exit(1);
        }
        if (f.frame_type != AMQP_FRAME_METHOD)
            continue;
        if (f.payload.method.id == AMQP_BASIC_ACK_METHOD) {
            amqp_basic_ack_t *a = f.payload.method.decoded;
            *confirmed = a->multiple ? (long)a->delivery_tag : *confirmed + 1;
        } else if (f.payload.method.id == AMQP_BASIC_NACK_METHOD) {
            fprintf(stderr, "bare_consumer: the broker refused a message\n");
            exit(1);
        }
    }
}

static void confirm_select(amqp_connection_state_t c) {
    amqp_confirm_select(c, 1);
    amqp_rpc_reply_t r = amqp_get_rpc_reply(c);
    if (r.reply_type != AMQP_RESPONSE_NORMAL)
        die("confirm.select", r);
}

/* Publishes order i (persistent, with message id id). */
static int publish_order(amqp_connection_state_t c, const char *queue, long i, const char *id) {
    static const char *const fruits[] = {"apples", "oranges", "bananas", "grapes", "pears"};
    char body[64];
    snprintf(body, sizeof body, "{\"fruit\": \"%s\", \"quantity\": %ld}", fruits[i % 5],
             i % 10 + 1);
    amqp_basic_properties_t p = {._flags =
                                     AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_MESSAGE_ID_FLAG,
                                 .delivery_mode = AMQP_DELIVERY_PERSISTENT,
                                 .message_id = amqp_cstring_bytes(id)};
    if (amqp_basic_publish(c, 1, amqp_empty_bytes, amqp_cstring_bytes(queue), 0, 0, &p,
                           amqp_cstring_bytes(body)) != AMQP_STATUS_OK) {
        fprintf(stderr, "bare_consumer: publish failed\n");
        return -1;
    }
    return 0;
}

/* Publishes n orders, confirms pipelined (1000 in flight). rate 0: as fast as the broker takes
 * them, ids "bench-<run>-<i>"; else message i is due at t0 + i / rate (monotonic clock) and its
 * id carries the wall-clock time it was sent, "pace-<unix µs>-<i>". */
static int publish_orders(amqp_connection_state_t c, const char *queue, long n, double rate) {
    confirm_select(c);
    long confirmed = 0;
    double t0 = now();
    unsigned run = (unsigned)time(NULL) ^ (unsigned)clock();
    for (long i = 0; i < n; i++) {
        char id[64];
        if (rate > 0) {
            double wait = t0 + (double)i / rate - now();
            if (wait > 0) {
                struct timespec ts = {(time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9)};
                nanosleep(&ts, NULL);
            }
            struct timespec wall;
            clock_gettime(CLOCK_REALTIME, &wall);
            snprintf(id, sizeof id, "pace-%lld-%ld",
                     (long long)wall.tv_sec * 1000000 + wall.tv_nsec / 1000, i);
        } else {
            snprintf(id, sizeof id, "bench-%08x-%ld", run, i);
        }
        if (publish_order(c, queue, i, id) != 0)
            return 1;
        await_confirms(c, &confirmed, i + 1, 1000);
    }
    await_confirms(c, &confirmed, n, 0);
    double s = now() - t0;
    printf("%s %ld messages in %.2f s = %.0f msg/s\n", rate > 0 ? "paced" : "loaded", n, s, n / s);
    return 0;
}

static int consume(amqp_connection_state_t c, const char *queue, long n) {
    double t0 = now();
    amqp_basic_qos(c, 1, 0, 2000, 0);
    amqp_rpc_reply_t r = amqp_get_rpc_reply(c);
    if (r.reply_type != AMQP_RESPONSE_NORMAL)
        die("basic.qos", r);
    amqp_basic_consume(c, 1, amqp_cstring_bytes(queue), amqp_empty_bytes, 0, 0, 0,
                       amqp_empty_table);
    if ((r = amqp_get_rpc_reply(c)).reply_type != AMQP_RESPONSE_NORMAL)
        die("basic.consume", r);
    long got = 0;
    while (got < n) {
        amqp_envelope_t env;
        amqp_maybe_release_buffers(c);
        r = amqp_consume_message(c, &env, NULL, 0);
        if (r.reply_type != AMQP_RESPONSE_NORMAL)
            die("consume", r);
        got++;
        if (got % 500 == 0 || got == n)
            amqp_basic_ack(c, 1, env.delivery_tag, 1);
        amqp_destroy_envelope(&env);
    }
    double s = now() - t0;
    printf("consumed %ld messages in %.2f s = %.0f msg/s\n", n, s, n / s);
    return 0;
}

int main(int argc, char **argv) {
    bool paced = argc == 6 && strcmp(argv[1], "pace") == 0;
    if (!paced &&
        (argc != 5 || (strcmp(argv[1], "load") != 0 && strcmp(argv[1], "consume") != 0))) {
        fprintf(stderr, "usage: bare_consumer load|consume URL QUEUE N\n"
                        "       bare_consumer pace URL QUEUE N RATE\n");
        return 2;
    }
    long n = atol(argv[4]);
    double rate = paced ? atof(argv[5]) : 0;
    if (n < 1 || (paced && !(rate > 0))) {
        fprintf(stderr, "bare_consumer: N and RATE must be positive\n");
        return 2;
    }
    amqp_connection_state_t c = open_queue(argv[2], argv[3]);
    bool publish = paced || strcmp(argv[1], "load") == 0;
    int rc = publish ? publish_orders(c, argv[3], n, rate) : consume(c, argv[3], n);
    amqp_channel_close(c, 1, AMQP_REPLY_SUCCESS);
    amqp_connection_close(c, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(c);
    return rc;
}
