/* ex00_backend.c -- exercise 0, the backend: it has no web server, so promc starts one that
 * serves /metrics (client_python's start_http_server). The snippet is what the guide shows; the
 * rest proves it serves the process metrics. */
#include "promc.h"
#include "promc_http.h"
#include "snippet_check.h"

static promc_http_server *start_metrics(uint16_t port) {
    if (promc_register_default_collectors(NULL) != 0)
        fprintf(stderr, "backend: no process metrics: %s\n", promc_last_error_message());
    promc_http_server *metrics = promc_http_start(NULL, "127.0.0.1", port, NULL);
    if (!metrics) {
        fprintf(stderr, "backend: cannot serve /metrics on port %u: %s\n", port,
                promc_last_error_message());
        return NULL; /* in main(): exit with an error */
    }
    return metrics;
}

int main(void) {
    promc_http_server *metrics = start_metrics(0); /* 0: any free port, for the test */
    if (!metrics)
        return 1;
    char *page = snippet_fetch(promc_http_port(metrics), "/metrics");
    if (!page) {
        printf("FAIL cannot fetch /metrics\n");
        return 1;
    }
    snippet_expect_line(page, "HTTP/1.1 200 OK");
    snippet_expect_line(page, "# TYPE process_cpu_seconds_total counter");
    snippet_expect_line(page, "process_open_fds ");
    free(page);
    promc_http_stop(metrics); /* on SIGINT/SIGTERM, before exiting */
    return snippet_result("ex00_backend");
}
