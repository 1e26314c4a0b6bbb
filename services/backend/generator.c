/* generator.c -- publishes {"fruit": "oranges", "quantity": 1..10} at the configured pace,
 * each with a message id and publisher confirms, like the frontend's orders. */
#include "generator.h"
#include "log.h"
#include "metrics.h" /* WORKSHOP:EX5 */
#include "order.h"
#include "util.h"

#include <pthread.h>

static pthread_t thread;
static bool started;
static const be_config *config;
static const atomic_bool *keep_running;

static void *generator_main(void *arg) {
    ws_mq_publisher *pub = arg;
    const int oranges = ws_fruit_index("oranges");
    while (ws_sleep_ms(ws_rand_range(config->generator_ms.lo, config->generator_ms.hi),
                       keep_running)) {
        ws_order o = {oranges, ws_rand_range(1, 10)};
        char body[WS_ORDER_MSG_MAX], id[37];
        ws_uuid(id);
        ws_mq_msg m = {body, ws_order_format(&o, body, sizeof body), id};
        double t0 = ws_now(); /* WORKSHOP:EX5 */
        int ok = ws_mq_publish(pub, &m, 1, config->publish_timeout_ms);
        be_metric_publish(0, ws_now() - t0, ok); /* WORKSHOP:EX5 */
        char err[256];
        if (ok != 1)
            log_every(5, WS_WARN, "generated order not published error=\"%s\"",
                      ws_mq_publisher_error(pub, err, sizeof err));
    }
    ws_mq_publisher_free(pub);
    return NULL;
}

int be_generator_start(const be_config *cfg, const atomic_bool *running) {
    if (cfg->generator_ms.off)
        return 0;
    config = cfg;
    keep_running = running;
    ws_mq_publisher *pub = ws_mq_publisher_new(&cfg->mq, cfg->queue);
    if (!pub)
        return -1;
    if (pthread_create(&thread, NULL, generator_main, pub) != 0) {
        ws_mq_publisher_free(pub);
        return -1;
    }
    pthread_setname_np(thread, "generator");
    started = true;
    return 0;
}

void be_generator_join(void) {
    if (started)
        pthread_join(thread, NULL);
    started = false;
}
