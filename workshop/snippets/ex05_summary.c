/* ex05_summary.c -- exercise 5's solution: a summary of the backend's job durations with the
 * 0.5, 0.9 and 0.99 quantiles, and the jobs' outcomes. The snippets are what the guide shows
 * under "Solution". */
#include "promc.h"
#include "snippet_check.h"

static promc_summary *job_duration;
static promc_counter *outcomes;

static int metrics_init(void) {
    static const promc_quantile quantiles[] = {{0.5, 0.05}, {0.9, 0.01}, {0.99, 0.001}};
    job_duration = promc_summary_new(NULL, "job_duration_seconds", "Duration of worker jobs", NULL,
                                     quantiles, 3, 0, 0); /* 0, 0: a 10-minute window, 5 buckets */
    outcomes = promc_counter_new(NULL, "jobs_outcome_total", "Job attempts by outcome",
                                 PROMC_LABELS("outcome"));
    return job_duration && outcomes ? 0 : -1;
}

static int run_job(int n) {
    return n % 10 == 0 ? -1 : 0;
} /* every tenth job fails */

static int worker_step(int n) {
    /* snippet: scope */
    PROMC_SCOPE_TIME_SUMMARY(job_duration); /* observed when this function returns */
    if (run_job(n) != 0)
        return -1; /* failed jobs are timed too */
    /* ... ack the message ... */
    return 0;
    /* end snippet */
}

static void count_outcome(int n) {
    promc_counter_inc(promc_counter_labels(outcomes, run_job(n) == 0 ? "ok" : "failed"));
}

int main(void) {
    if (metrics_init() != 0)
        return 1;
    for (int i = 0; i < 50; i++) {
        worker_step(i);
        count_outcome(i);
    }
    promc_summary_observe(job_duration, 0.25); /* or observe a duration you measured */
    char *page = snippet_render();
    snippet_expect_line(page, "# TYPE job_duration_seconds summary");
    snippet_expect_line(page, "job_duration_seconds{quantile=\"0.5\"} ");
    snippet_expect_line(page, "job_duration_seconds{quantile=\"0.9\"} ");
    snippet_expect_line(page, "job_duration_seconds{quantile=\"0.99\"} ");
    snippet_expect_line(page, "job_duration_seconds_count 51");
    snippet_expect_line(page, "jobs_outcome_total{outcome=\"ok\"} 45");
    snippet_expect_line(page, "jobs_outcome_total{outcome=\"failed\"} 5");
    free(page);
    return snippet_result("ex05_summary");
}
