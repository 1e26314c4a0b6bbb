/* pb_serve.c -- a promc registry of every type served over HTTP for prom_scrape_pb.sh: a
 * libmicrohttpd server whose handler notes each scrape's Accept header on stderr and answers it
 * with promc_http_handle, until SIGTERM. Usage: promc_pb_serve PORT */
#include "promc.h"
#include "promc_http.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig) {
    (void)sig;
    stop = 1;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls) {
    (void)url;
    (void)version;
    (void)upload;
    (void)upload_size;
    (void)con_cls;
    const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept");
    fprintf(stderr, "scrape accept=%s\n", accept ? accept : "");
    return promc_http_handle(conn, method, cls);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: promc_pb_serve PORT\n");
        return 2;
    }
    setvbuf(stderr, NULL, _IOLBF, 0);
    promc_registry *r = promc_registry_new();
    promc_registry_set_utf8_names(r, 1);
    promc_counter *c = promc_counter_new(r, "pbtest_requests", "Requests.", PROMC_LABELS("code"));
    promc_counter_add(promc_counter_labels(c, "200"), 42);
    promc_gauge_set(promc_gauge_new(r, "pbtest_depth", "Depth.", NULL), -2.5);
    double bounds[] = {0.1, 1};
    promc_histogram *h =
        promc_histogram_new(r, "pbtest_latency_seconds", "Latency.", NULL, bounds, 2);
    promc_histogram_observe(h, 0.05);
    promc_histogram_observe(h, 0.5);
    promc_histogram_observe(h, 5);
    promc_quantile q[] = {{0.5, 0.05}};
    promc_summary *s = promc_summary_new(r, "pbtest_size", "Sizes.", NULL, q, 1, 0, 0);
    promc_summary_observe(s, 7);
    promc_info_set(promc_info_new(r, "pbtest_build", "Build.", PROMC_LABELS("version")),
                   PROMC_LABELS("1.0"));
    promc_enum_set(promc_enum_new(r, "pbtest_state", "State.", NULL, PROMC_LABELS("a", "b")), 1);
    promc_gauge_set(promc_gauge_new(r, "pbtest.dotted", "UTF-8 name.", NULL), 3);
    struct MHD_Daemon *d =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)atoi(argv[1]), NULL, NULL,
                         on_request, r, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "promc_pb_serve: cannot listen on %s\n", argv[1]);
        return 1;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    while (!stop)
        pause();
    MHD_stop_daemon(d);
    promc_registry_free(r);
    return 0;
}
