/* test_service.c -- the shared start-up (services/common/service.c): exit statuses for --help
 * and bad input, and what it sets up for a run (AMQP config, signals, fd limit). */
#include "check.h"
#include "service.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

static const char *log_level, *amqp_url;
static int port, heartbeat;
static ws_mq_config mq;
static const ws_opt opts[] = {
    {"port", "T_SVC_PORT", WS_OPT_INT, &port, 0, 65535, "PORT", "port"},
    {"amqp-url", "T_SVC_AMQP_URL", WS_OPT_STR, &amqp_url, 0, 0, "URL", "broker"},
    {"amqp-heartbeat", NULL, WS_OPT_INT, &heartbeat, 0, 3600, "S", "heartbeat"},
    {"log-level", NULL, WS_OPT_STR, &log_level, 0, 0, "LEVEL", "level"},
};

static int init(int argc, char **argv) {
    log_level = "warn", amqp_url = "amqp://guest:guest@127.0.0.1:5672/", port = 1, heartbeat = 7;
    ws_service svc = {.name = "test_service",
                      .summary = "test",
                      .opts = opts,
                      .nopts = sizeof opts / sizeof opts[0],
                      .log_level = &log_level,
                      .amqp_url = &amqp_url,
                      .amqp_heartbeat_s = &heartbeat,
                      .mq = &mq};
    return ws_service_init(&svc, argc, argv);
}

int main(void) {
    /* --help prints the table and asks main() to exit 0. */
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    CHECK(freopen("/dev/null", "w", stdout) != NULL);
    char *help[] = {"prog", "--help", NULL};
    int rc = init(2, help);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    CHECK(rc == 0);
    printf("ok   - --help: exit status 0\n");

    char *bad_flag[] = {"prog", "--port=x", NULL};
    CHECK(init(2, bad_flag) == 2);
    char *bad_level[] = {"prog", "--log-level=loud", NULL};
    CHECK(init(2, bad_level) == 2);
    char *bad_url[] = {"prog", "--amqp-url=http://nope", NULL};
    CHECK(init(2, bad_url) == 2);
    printf("ok   - a bad flag, log level or AMQP URL: exit status 2\n");

    /* A run: the URL and heartbeat reach the mq config, the stop signals are blocked for the
     * threads to come, SIGPIPE is ignored, the fd limit is the hard one. */
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max > 256 ? 256 : rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    setenv("T_SVC_PORT", "8080", 1);
    char *run[] = {"prog", "--amqp-url", "amqp://u:p@broker.example:5673/v", "--amqp-heartbeat=3",
                   NULL};
    CHECK(init(4, run) == WS_SERVICE_RUN);
    CHECK(port == 8080);
    CHECK(mq.n_nodes == 1);
    CHECK_STR(mq.nodes[0].host, "broker.example");
    CHECK(mq.nodes[0].port == 5673 && mq.heartbeat_s == 3);
    CHECK_STR(mq.user, "u");
    CHECK_STR(mq.vhost, "v");
    sigset_t now;
    pthread_sigmask(SIG_BLOCK, NULL, &now);
    CHECK(sigismember(&now, SIGINT) == 1 && sigismember(&now, SIGTERM) == 1);
    struct sigaction sa;
    sigaction(SIGPIPE, NULL, &sa);
    CHECK(sa.sa_handler == SIG_IGN);
    struct rlimit after;
    getrlimit(RLIMIT_NOFILE, &after);
    CHECK(after.rlim_cur == after.rlim_max);
    printf("ok   - a run: mq config from the URL, SIGINT/SIGTERM blocked, SIGPIPE ignored, "
           "fd limit %llu (the hard limit)\n",
           (unsigned long long)after.rlim_cur);
    return check_done("test_service");
}
