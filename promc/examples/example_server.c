/* example_server.c -- a small program that serves promc metrics: the shape of every service.
 *
 * It registers one metric of each kind plus the default process collectors, updates them from
 * a worker loop, and serves /metrics until SIGINT/SIGTERM.
 * Usage: promc_example_server [--port N] [--seconds N]
 */
#include "promc.h"
#include "promc_http.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stopping;

static void on_signal(int sig) {
    (void)sig;
    stopping = 1;
}

static void usage(FILE *out) {
    fprintf(out, "usage: promc_example_server [--port N] [--seconds N]\n"
                 "  --port N     port to serve /metrics on (default 8000, env PROMC_EXAMPLE_PORT)\n"
                 "  --seconds N  stop after N seconds (default: run until SIGINT/SIGTERM)\n");
}

int main(int argc, char **argv) {
    const char *env_port = getenv("PROMC_EXAMPLE_PORT");
    long port = env_port ? strtol(env_port, NULL, 10) : 8000, seconds = 0;
    static const struct option opts[] = {{"port", required_argument, NULL, 'p'},
                                         {"seconds", required_argument, NULL, 's'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    for (int c; (c = getopt_long(argc, argv, "p:s:h", opts, NULL)) != -1;) {
        if (c == 'p')
            port = strtol(optarg, NULL, 10);
        else if (c == 's')
            seconds = strtol(optarg, NULL, 10);
        else {
            usage(c == 'h' ? stdout : stderr);
            return c == 'h' ? 0 : 2;
        }
    }
    if (port < 0 || port > 65535) {
        fprintf(stderr, "promc_example_server: invalid port %ld\n", port);
        return 2;
    }
    promc_register_default_collectors(NULL);
    promc_counter *jobs = promc_counter_new(NULL, "example_jobs_total", "Jobs done.", NULL);
    promc_gauge *temp = promc_gauge_new(NULL, "example_temperature_celsius", "A made-up reading.",
                                        PROMC_LABELS("room"));
    promc_histogram *latency =
        promc_histogram_new(NULL, "example_job_seconds", "How long jobs take.", NULL, NULL, 0);
    promc_quantile q[] = {{0.5, 0.05}, {0.9, 0.01}, {0.99, 0.001}};
    promc_summary *sizes =
        promc_summary_new(NULL, "example_job_bytes", "Job sizes.", NULL, q, 3, 60, 5);
    if (!jobs || !temp || !latency || !sizes) {
        fprintf(stderr, "promc_example_server: %s\n", promc_last_error_message());
        return 1;
    }
    promc_http_server *srv = promc_http_start(NULL, NULL, (uint16_t)port, NULL);
    if (!srv) {
        fprintf(stderr, "promc_example_server: cannot serve on port %ld: %s\n", port,
                promc_last_error_message());
        return 1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    printf("serving metrics on http://localhost:%u/metrics\n", promc_http_port(srv));
    fflush(stdout);
    time_t end = seconds > 0 ? time(NULL) + seconds : 0;
    unsigned seed = (unsigned)time(NULL);
    while (!stopping && (!end || time(NULL) < end)) {
        double work = (rand_r(&seed) % 100) / 1000.0;
        PROMC_TIME_HISTOGRAM(latency) {
            usleep((useconds_t)(work * 1e6));
        }
        promc_counter_inc(jobs);
        promc_summary_observe(sizes, rand_r(&seed) % 4096);
        promc_gauge_set(promc_gauge_labels(temp, "kitchen"), 18 + rand_r(&seed) % 5);
    }
    promc_http_stop(srv);
    return 0;
}
