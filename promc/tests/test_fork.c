/* test_fork.c -- fork() while other threads are mid-update: the child process can scrape.
 *
 * Two threads observe into histograms without pause while the main thread forks over and over;
 * each child renders (under an alarm), observes, renders again and exits. A writer caught
 * between making its sequence odd and even again vanishes in the child, and a scrape used to
 * spin on that sequence for ever (the alarm kills such a child: the test fails). Each child
 * also checks the invariants a repaired sequence still keeps: _count equals the +Inf bucket.
 */
#include "check.h"

#include <promc.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define FORKS 60

static promc_histogram *plain, *labelled;
static atomic_bool stop;

static void *writer(void *arg) {
    promc_histogram *h = arg;
    while (!atomic_load_explicit(&stop, memory_order_relaxed))
        for (int i = 0; i < 1000; i++)
            promc_histogram_observe(h, 0.3);
    return NULL;
}

/* value after "<prefix>" at the start of a line, or -1 */
static double sample(const char *text, const char *prefix) {
    size_t n = strlen(prefix);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, prefix, n) == 0)
            return atof(p + n);
    return -1;
}

static int child_main(promc_registry *r) {
    alarm(3); /* a scrape spinning for ever ends here */
    for (int round = 0; round < 2; round++) {
        char *out = NULL;
        if (promc_render(r, PROMC_FORMAT_TEXT, &out, NULL) != 0)
            return 1;
        double inf = sample(out, "fork_seconds_bucket{le=\"+Inf\"} ");
        double count = sample(out, "fork_seconds_count ");
        double linf = sample(out, "fork_labelled_seconds_bucket{k=\"a\",le=\"+Inf\"} ");
        double lcount = sample(out, "fork_labelled_seconds_count{k=\"a\"} ");
        free(out);
        if (inf < 0 || inf != count || linf < 0 || linf != lcount)
            return 2;
        if (promc_histogram_observe(plain, 0.3) != 0 || promc_histogram_observe(labelled, 0.3))
            return 3;
    }
    return 0;
}

int main(void) {
    promc_registry *r = promc_registry_new();
    plain = promc_histogram_new(r, "fork_seconds", "f", NULL, NULL, 0);
    promc_histogram *family =
        promc_histogram_new(r, "fork_labelled_seconds", "f", PROMC_LABELS("k"), NULL, 0);
    labelled = promc_histogram_labels(family, "a");
    CHECK(plain && labelled);
    pthread_t t[2];
    pthread_create(&t[0], NULL, writer, plain);
    pthread_create(&t[1], NULL, writer, labelled);
    usleep(10000);
    int bad = 0;
    for (int i = 0; i < FORKS && !bad; i++) {
        pid_t pid = fork();
        if (pid == 0)
            _exit(child_main(r));
        int status = 0;
        waitpid(pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            bad = 1;
            fprintf(stderr, "fork %d: child %s %d\n", i,
                    WIFSIGNALED(status) ? "killed by signal" : "exited with",
                    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
        }
        usleep(1000);
    }
    CHECK_INT(bad, 0);
    atomic_store(&stop, true);
    pthread_join(t[0], NULL);
    pthread_join(t[1], NULL);
    promc_registry_free(r);
    return check_report("fork");
}
