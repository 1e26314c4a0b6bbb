/* service.c -- one start-up for the frontend and the backend (service.h).
 *
 * The order matters: the log must be set before the fd limit is raised (it logs), and the
 * signals blocked before the first thread starts, so that only ws_service_wait() receives
 * them and every worker can finish what it holds. */
#include "service.h"
#include "fdlimit.h"
#include "log.h"

#include <pthread.h>
#include <stdio.h>

int ws_service_init(ws_service *svc, int argc, char **argv) {
    int rc = ws_opts_parse(svc->name, svc->summary, svc->opts, svc->nopts, argc, argv, NULL);
    if (rc != WS_OPTS_OK)
        return rc == WS_OPTS_HELP ? 0 : 2;
    ws_log_level level;
    if (ws_log_level_parse(*svc->log_level, &level) != 0) {
        fprintf(stderr, "%s: invalid log level '%s' (debug, info, warn or error)\n", svc->name,
                *svc->log_level);
        return 2;
    }
    ws_log_init(svc->name, level);
    if (ws_mq_config_parse(*svc->amqp_url, svc->mq) != 0) {
        fprintf(stderr, "%s: invalid AMQP URL (amqp://user:password@host:port/vhost)\n", svc->name);
        return 2;
    }
    svc->mq->heartbeat_s = *svc->amqp_heartbeat_s;
    if (svc->queue_type && ws_mq_queue_type_parse(*svc->queue_type, &svc->mq->queue_type) != 0) {
        fprintf(stderr, "%s: invalid --queue-type '%s' (classic or quorum)\n", svc->name,
                *svc->queue_type);
        return 2;
    }
    sigemptyset(&svc->stop_signals);
    sigaddset(&svc->stop_signals, SIGINT);
    sigaddset(&svc->stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &svc->stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN); /* a client gone mid-answer is an error return, not a death */
    svc->fd_limit = ws_raise_fd_limit();
    char line[900];
    log_info("config %s", ws_opts_describe(svc->opts, svc->nopts, line, sizeof line));
    return WS_SERVICE_RUN;
}

int ws_service_wait(const ws_service *svc) {
    int sig = 0;
    sigwait(&svc->stop_signals, &sig); /* fails only for an invalid set */
    return sig;
}
