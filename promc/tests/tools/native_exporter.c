/* native_exporter.c -- serves a native histogram of known values, for stack/tests/e2e_native.sh.
 *
 * Observes `rate` values per second, drawn from a fixed log-uniform distribution between 10 ms
 * and 1 s (its 0.9 quantile is exactly 10^-0.2 = 0.631 s), into e2e_known_seconds: native only,
 * bucket factor 1.1 (schema 3), and serves it with promc_http on 127.0.0.1:PORT, so a real
 * Prometheus scrapes it over the negotiated protobuf format and histogram_quantile() can be
 * compared with the true quantile. Prints "ready" when serving. Stops on SIGTERM/SIGINT.
 *
 * Usage: native_exporter PORT [rate per second, default 200]
 */
#include "promc.h"
#include "promc_http.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile sig_atomic_t stop;
static void on_signal(int sig) {
    (void)sig;
    stop = 1;
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: native_exporter PORT [rate per second]\n");
        return 2;
    }
    int port = atoi(argv[1]);
    long rate = argc > 2 ? atol(argv[2]) : 200;
    if (port <= 0 || port > 65535 || rate <= 0 || rate > 1000000) {
        fprintf(stderr, "native_exporter: bad port or rate\n");
        return 2;
    }
    promc_registry *reg = promc_registry_new();
    promc_histogram_opts o = {.bucket_factor = 1.1};
    promc_histogram *h = promc_histogram_new_opts(
        reg, "e2e_known_seconds", "Known log-uniform values, 10 ms to 1 s", NULL, &o);
    promc_http_server *srv = h ? promc_http_start(reg, "127.0.0.1", (uint16_t)port, NULL) : NULL;
    if (!srv) {
        fprintf(stderr, "native_exporter: %s\n", promc_last_error_message());
        return 1;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    printf("ready\n");
    fflush(stdout);
    /* a low-discrepancy stream: i * golden ratio mod 1, mapped log-uniformly to [0.01, 1) */
    const double phi = 0.6180339887498949;
    double u = 0;
    struct timespec tick = {0, 10 * 1000 * 1000};
    while (!stop) {
        for (long i = 0; i < rate / 100; i++) {
            u += phi;
            u -= floor(u);
            promc_histogram_observe(h, pow(10, -2 + 2 * u));
        }
        nanosleep(&tick, NULL);
    }
    promc_http_stop(srv);
    promc_registry_free(reg);
    return 0;
}
