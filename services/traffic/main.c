/* main.c -- traffic: the seed's load generator (10 loops of random requests with 100-500 ms
 * pauses), plus flags for rate, concurrency, duration, request count, fruits and mix, a live
 * progress line, and a summary by endpoint and status with latency percentiles. */
#include "opts.h"
#include "run.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

static atomic_bool stop;

static void on_signal(int sig) {
    (void)sig;
    atomic_store(&stop, true);
}

static tr_config cfg = {
    .url = "http://localhost:5000",
    .concurrency = 10,
    .pause_ms = {100, 500, false},
    .fruits = "apples,oranges,bananas,grapes,pears",
    .mix = "hello=1,get=1,post=1",
    .quantity = {1, 10, false},
    .timeout_ms = 10000,
    .progress = true,
};

static const ws_opt options[] = {
    {"url", "TRAFFIC_URL", WS_OPT_STR, &cfg.url, 0, 0, "URL", "base URL of the frontend"},
    {"concurrency", "TRAFFIC_CONCURRENCY", WS_OPT_INT, &cfg.concurrency, 1, 10000, "N",
     "concurrent request loops (also the first argument, as in the seed)"},
    {"rate", "TRAFFIC_RATE", WS_OPT_DOUBLE, &cfg.rate, 0, 1e7, "R",
     "at most R requests per second over all loops (0: no limit but the pauses)"},
    {"pause-ms", "TRAFFIC_PAUSE_MS", WS_OPT_RANGE, &cfg.pause_ms, 0, 600000, "LO-HI|off",
     "pause of each loop between two requests"},
    {"duration", "TRAFFIC_DURATION", WS_OPT_DOUBLE, &cfg.duration, 0, 1e7, "SECONDS",
     "stop after this long (0: run until interrupted)"},
    {"requests", "TRAFFIC_REQUESTS", WS_OPT_INT, &cfg.requests, 0, 2000000000, "N",
     "stop after N requests (0: no limit)"},
    {"fruits", "TRAFFIC_FRUITS", WS_OPT_STR, &cfg.fruits, 0, 0, "LIST",
     "comma-separated fruits to order and query"},
    {"mix", "TRAFFIC_MIX", WS_OPT_STR, &cfg.mix, 0, 0, "hello=W,get=W,post=W",
     "relative weights of GET /hello, GET /fruit and POST /fruit"},
    {"quantity", "TRAFFIC_QUANTITY", WS_OPT_RANGE, &cfg.quantity, 1, 1000000, "LO-HI",
     "range of ordered quantities"},
    {"timeout-ms", "TRAFFIC_TIMEOUT_MS", WS_OPT_INT, &cfg.timeout_ms, 1, 600000, "MS",
     "timeout of each request"},
    {"progress", "TRAFFIC_PROGRESS", WS_OPT_BOOL, &cfg.progress, 0, 0, "on|off",
     "live progress line on stderr"},
};

int main(int argc, char **argv) {
    int first = 0;
    int rc = ws_opts_parse("traffic", "Sends the workshop's traffic to the frontend.", options,
                           sizeof options / sizeof options[0], argc, argv, &first);
    if (rc != WS_OPTS_OK)
        return rc == WS_OPTS_HELP ? 0 : 2;
    if (first < argc) {
        /* the seed's `traffic/main.py 10` */
        ws_opt positional = options[1];
        if (argc - first > 1 || ws_opt_set(&positional, argv[first]) != 0) {
            fprintf(stderr, "traffic: the only argument is the concurrency (see --help)\n");
            return 2;
        }
    }
    if (cfg.quantity.off || cfg.requests < 0 || tr_config_finish(&cfg) != 0) {
        tr_config_free(&cfg);
        return 2;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    tr_endpoint_stats st[TR_NKINDS] = {
        {.name = "GET /hello"}, {.name = "GET /fruit"}, {.name = "POST /fruit"}};
    double elapsed = 0;
    rc = tr_run(&cfg, st, &stop, &elapsed);
    if (rc == 0)
        tr_stats_print(stdout, st, TR_NKINDS, elapsed);
    curl_global_cleanup();
    tr_config_free(&cfg);
    return rc == 0 ? 0 : 1;
}
