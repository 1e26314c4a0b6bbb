/* timing.c -- the clock and scope guards behind promc.h's timing macros. */
#include "promc.h"

#include <time.h>

double promc_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs when a PROMC_SCOPE_* variable goes out of scope. */
void promc_scope_end(promc_scope *s) {
    switch (s->kind) {
    case 1:
        promc_histogram_observe(s->metric, promc_now() - s->start);
        break;
    case 2:
        promc_summary_observe(s->metric, promc_now() - s->start);
        break;
    case 3:
        promc_gauge_dec(s->metric);
        break;
    default:
        break;
    }
}
