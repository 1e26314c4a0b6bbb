/* service.h -- the start-up the frontend and the backend share: flags and environment, the log,
 * the fd limit, the AMQP URL, the signals, and one log line with the configuration.
 *
 * A service describes itself in a ws_service, calls ws_service_init() first thing in main(),
 * starts its threads (they inherit the blocked signals), then waits in ws_service_wait(). */
#ifndef WS_SERVICE_H
#define WS_SERVICE_H

#include "mq.h"
#include "opts.h"

#include <signal.h>
#include <stddef.h>

typedef struct ws_service {
    /* Set by the caller. */
    const char *name;    /* the log's component and --help's program name */
    const char *summary; /* --help's first line */
    const ws_opt *opts;  /* the option table and its targets (the service's config) */
    size_t nopts;
    const char *const *log_level; /* option targets read after parsing: "debug"... "error" */
    const char *const *amqp_url;
    const int *amqp_heartbeat_s;
    const char *const *queue_type; /* "classic" or "quorum"; NULL: classic */
    ws_mq_config *mq;              /* filled from *amqp_url, *amqp_heartbeat_s and *queue_type */
    /* Set by ws_service_init(). */
    long fd_limit; /* the soft RLIMIT_NOFILE now in force (raised to the hard limit) */
    sigset_t stop_signals;
} ws_service;

/* ws_service_init()'s answer when main() should go on; anything else is its exit status. */
#define WS_SERVICE_RUN (-1)

/* Parses the environment and argv into the option targets, sets up the log, raises the fd
 * limit, parses the AMQP URL, blocks SIGINT and SIGTERM in this thread (and so in every thread
 * it starts later), ignores SIGPIPE, and logs "config key=value..." (passwords masked).
 * Returns WS_SERVICE_RUN, or what main() returns: 0 after --help, 2 for a bad flag, variable,
 * log level or URL (said in one line on stderr). */
int ws_service_init(ws_service *svc, int argc, char **argv);

/* Waits for SIGINT or SIGTERM; returns the signal. */
int ws_service_wait(const ws_service *svc);

#endif
