/* run.h -- traffic's load loop over libcurl multi. */
#ifndef TR_RUN_H
#define TR_RUN_H

#include "opts.h"
#include "stats.h"

#include <stdatomic.h>
#include <stdbool.h>

enum { TR_HELLO, TR_FRUIT_GET, TR_FRUIT_POST, TR_NKINDS };

typedef struct tr_config {
    const char *url;
    int concurrency;
    double rate;       /* requests per second over all loops; 0: only the pauses limit it */
    ws_range pause_ms; /* pause of each loop between its requests */
    double duration;   /* seconds; 0: until interrupted or --requests */
    int requests;      /* 0: unlimited */
    const char *fruits;
    const char *mix;
    ws_range quantity;
    int timeout_ms;
    bool progress;
    /* derived */
    char *fruit_list[32];
    int nfruits;
    int weights[TR_NKINDS];
} tr_config;

/* Parses cfg->fruits and cfg->mix into the derived fields. 0, or -1 with a message on stderr. */
int tr_config_finish(tr_config *cfg);
void tr_config_free(tr_config *cfg);

/* Runs until the duration or request count is reached or *stop turns true; fills stats. */
int tr_run(const tr_config *cfg, tr_endpoint_stats stats[TR_NKINDS], const atomic_bool *stop,
           double *elapsed);

#endif
