/* test_mq_config.c -- AMQP URL lists and queue types (services/common/mq_conn.c); no broker. */
#include "check.h"
#include "mq.h"

int main(void) {
    ws_mq_config c;
    CHECK(ws_mq_config_parse("amqp://guest:guest@localhost:5672/", &c) == 0);
    CHECK(c.n_nodes == 1 && c.nodes[0].port == 5672);
    CHECK_STR(c.nodes[0].host, "localhost");
    CHECK_STR(c.vhost, "/");
    CHECK(c.queue_type == WS_MQ_CLASSIC && c.heartbeat_s == WS_MQ_DEFAULT_HEARTBEAT_S);

    CHECK(ws_mq_config_parse("amqp://u:p@127.0.0.1:25672/v, amqp://u:p@127.0.0.2:25673/v", &c) ==
          0);
    CHECK(c.n_nodes == 2 && c.nodes[1].port == 25673);
    CHECK_STR(c.nodes[1].host, "127.0.0.2");
    CHECK_STR(c.user, "u");
    CHECK_STR(c.vhost, "v");

    /* The nodes of one cluster share credentials and vhost. */
    CHECK(ws_mq_config_parse("amqp://u:p@a:1/v,amqp://x:p@b:2/v", &c) != 0);
    CHECK(ws_mq_config_parse("amqp://u:p@a:1/v,amqp://u:p@b:2/w", &c) != 0);
    CHECK(ws_mq_config_parse("", &c) != 0);
    CHECK(ws_mq_config_parse(",", &c) != 0);
    CHECK(ws_mq_config_parse("amqp://a:1/,http://b:2/", &c) != 0);
    CHECK(ws_mq_config_parse("amqp://a:1,amqp://a:2,amqp://a:3,amqp://a:4,amqp://a:5,amqp://a:6,"
                             "amqp://a:7,amqp://a:8",
                             &c) == 0 &&
          c.n_nodes == WS_MQ_MAX_NODES);
    CHECK(ws_mq_config_parse("amqp://a:1,amqp://a:2,amqp://a:3,amqp://a:4,amqp://a:5,amqp://a:6,"
                             "amqp://a:7,amqp://a:8,amqp://a:9",
                             &c) != 0);

    ws_mq_queue_type t = WS_MQ_CLASSIC;
    CHECK(ws_mq_queue_type_parse("quorum", &t) == 0 && t == WS_MQ_QUORUM);
    CHECK(ws_mq_queue_type_parse("classic", &t) == 0 && t == WS_MQ_CLASSIC);
    CHECK(ws_mq_queue_type_parse("stream", &t) != 0 && t == WS_MQ_CLASSIC);
    CHECK_STR(ws_mq_queue_type_name(WS_MQ_QUORUM), "quorum");
    printf("checked: one URL, a node list, mismatched credentials/vhost refused, empty and "
           "foreign URLs refused, %d nodes at most, queue types\n",
           WS_MQ_MAX_NODES);
    return check_done("test_mq_config");
}
