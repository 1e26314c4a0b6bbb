/* user_macros.c -- a user's file that uses every public macro of promc.h and every function of
 * promc_http.h and promc_push.h; api_compile.sh builds it with gcc and clang under
 * -Wall -Wextra -Werror -std=gnu17 and runs it. */
#include <promc.h>
#include <promc_http.h>
#include <promc_push.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if PROMC_VERSION_NUMBER < 20000
#error "this file is written for promc 2.0"
#endif

static int may_fail(int rc) {
    return rc;
}

static int early_return(promc_histogram *h, promc_summary *s, promc_gauge *g, int n) {
    PROMC_SCOPE_TIME_HISTOGRAM(h);
    PROMC_SCOPE_TIME_SUMMARY(s);
    PROMC_SCOPE_INPROGRESS(g);
    if (n > 0)
        return n;
    return 0;
}

int main(void) {
    promc_registry *reg = promc_registry_new();
    promc_counter *c = promc_counter_new(reg, "jobs_total", "Jobs.", PROMC_LABELS("queue"));
    promc_counter *failures = promc_counter_new(reg, "failures_total", "Failures.", NULL);
    promc_gauge *g = promc_gauge_new(reg, "inflight", "In flight.", PROMC_LABELS("a", "b"));
    promc_gauge *busy = promc_gauge_new(reg, "busy", "Busy.", NULL);
    promc_histogram *h = promc_histogram_new(reg, "lat_seconds", "Latency.", NULL, NULL, 0);
    promc_histogram *hl =
        promc_histogram_new(reg, "lat2_seconds", "Latency.", PROMC_LABELS("path"), NULL, 0);
    promc_quantile q[] = {{0.5, 0.05}};
    promc_summary *s = promc_summary_new(reg, "dur_seconds", "Durations.", NULL, q, 1, 0, 0);
    promc_summary *sl =
        promc_summary_new(reg, "dur2_seconds", "Durations.", PROMC_LABELS("job"), q, 1, 0, 0);
    promc_info *info = promc_info_new(reg, "build", "Build.", PROMC_LABELS("version"));
    promc_enum *e =
        promc_enum_new(reg, "mode", "Mode.", PROMC_LABELS("disk"), PROMC_LABELS("ok", "bad"));
    if (!c || !failures || !g || !busy || !h || !hl || !s || !sl || !info || !e)
        return 1;
    const char *queue = "q1";
    promc_counter_inc(promc_counter_labels(c, queue));
    promc_gauge_set(promc_gauge_labels(g, "x", "y"), 2);
    promc_histogram_observe(promc_histogram_labels(hl, "/"), 0.1);
    promc_summary_observe(promc_summary_labels(sl, "j"), 0.1);
    promc_enum_set(promc_enum_labels(e, "sda"), 1);
    promc_info_set(info, PROMC_LABELS(PROMC_VERSION));
    if (promc_set_unit(h, "seconds") != 0 || promc_set_unit(s, "seconds") != 0)
        return 2;
    promc_remove(g, PROMC_LABELS("x", "y"));
    promc_clear(c);
    PROMC_TIME_HISTOGRAM(h) {
        promc_gauge_inc(busy);
    }
    PROMC_TIME_SUMMARY(s) {
        promc_gauge_dec(busy);
    }
    PROMC_TRACK_INPROGRESS(busy) {
        promc_gauge_add(busy, 0);
    }
    early_return(h, s, busy, 1);
    int rc = PROMC_COUNT_FAILURES(failures, may_fail(-1));
    const char *names[PROMC_MAX_LABELS + 1] = {NULL};
    (void)names;

    /* promc_http.h and promc_push.h: each function, referenced (starting servers or pushing
     * is what test_http and test_push do). */
    void (*volatile fns[])(void) = {
        (void (*)(void))promc_http_start, (void (*)(void))promc_http_port,
        (void (*)(void))promc_http_stop,  (void (*)(void))promc_http_handle,
        (void (*)(void))promc_push,
    };
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
        if (!fns[i])
            return 3;
    (void)(promc_push_method)PROMC_PUSH_PUT;

    char *out = NULL;
    size_t len = 0;
    if (promc_render(reg, PROMC_FORMAT_OPENMETRICS, &out, &len) != 0)
        return 4;
    int ok = rc == -1 && strstr(out, "failures_total 1\n") &&
             strstr(out, "lat_seconds_count 2\n") && strstr(out, "dur_seconds_count 2\n") &&
             strstr(out, "busy 0\n") && strcmp(promc_version(), PROMC_VERSION) == 0;
    if (!ok)
        fputs(out, stderr);
    free(out);
    promc_registry_free(reg);
    puts(ok ? "user_macros: every macro compiled and worked" : "user_macros: wrong output");
    return ok ? 0 : 5;
}
