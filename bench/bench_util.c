/* bench_util.c -- the measuring machinery behind bench_ops.c and bench_render.c: a barrier-started
 * thread runner with CPU pinning, medians, RSS probes from /proc/self/status, and JSON-line
 * output for report.py. */
#define _GNU_SOURCE
#include "bench_util.h"

#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_THREADS 64

double bench_values[BENCH_NVALUES];

void bench_values_init(void) {
    for (int i = 0; i < BENCH_NVALUES; i++)
        bench_values[i] = 0.001 * pow(20000.0, fmod(i * 0.6180339887498949, 1.0));
}

uint64_t bench_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int bench_cpu_count(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return 0;
    return CPU_COUNT(&set);
}

int bench_cpu_nth(int n) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return -1;
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, &set) && n-- == 0)
            return cpu;
    return -1;
}

typedef struct runner {
    pthread_barrier_t start;
    bench_body_fn body;
    void *ctx;
    uint64_t iters;
    int nthreads;
    bool pin;
} runner;

typedef struct worker {
    runner *r;
    int index;
    int cpu; /* -1: not pinned */
    bool pinned;
    uint64_t wall_ns;
    uint64_t cpu_ns; /* the thread's own CPU time */
} worker;

static uint64_t thread_cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *worker_main(void *arg) {
    worker *w = arg;
    if (w->cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(w->cpu, &set);
        w->pinned = pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
    }
    /* A short warm-up outside the timed region: first-touch allocations (a thread's arena,
     * a summary slot) are not what is being measured. */
    w->r->body(w->r->ctx, w->index, 1000);
    pthread_barrier_wait(&w->r->start);
    uint64_t t0 = bench_now_ns(), c0 = thread_cpu_ns();
    w->r->body(w->r->ctx, w->index, w->r->iters);
    w->cpu_ns = thread_cpu_ns() - c0;
    w->wall_ns = bench_now_ns() - t0;
    return NULL;
}

double bench_run_threads(int nthreads, uint64_t iters, bench_body_fn body, void *ctx, bool *pinned,
                         double *cpu) {
    if (nthreads < 1 || nthreads > MAX_THREADS)
        return NAN;
    runner r = {.body = body, .ctx = ctx, .iters = iters, .nthreads = nthreads};
    bool can_pin = bench_cpu_count() >= nthreads;
    worker w[MAX_THREADS];
    pthread_t tid[MAX_THREADS];
    pthread_barrier_init(&r.start, NULL, (unsigned)nthreads);
    for (int i = 0; i < nthreads; i++) {
        w[i] = (worker){.r = &r, .index = i, .cpu = can_pin ? bench_cpu_nth(i) : -1};
        if (pthread_create(&tid[i], NULL, worker_main, &w[i]) != 0) {
            fprintf(stderr, "bench: pthread_create failed\n");
            exit(1);
        }
    }
    double wall_sum = 0, cpu_sum = 0;
    bool all_pinned = true;
    for (int i = 0; i < nthreads; i++) {
        pthread_join(tid[i], NULL);
        wall_sum += (double)w[i].wall_ns / (double)iters;
        cpu_sum += (double)w[i].cpu_ns / (double)iters;
        all_pinned = all_pinned && w[i].pinned;
    }
    pthread_barrier_destroy(&r.start);
    if (pinned)
        *pinned = all_pinned;
    if (cpu)
        *cpu = cpu_sum / nthreads;
    return wall_sum / nthreads;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_median(double *v, size_t n) {
    if (n == 0)
        return NAN;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static long long status_kib(const char *key) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    size_t klen = strlen(key);
    long long kib = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
            kib = strtoll(line + klen + 1, NULL, 10);
            break;
        }
    fclose(f);
    return kib;
}

long long bench_rss_bytes(void) {
    long long kib = status_kib("VmRSS");
    return kib < 0 ? -1 : kib * 1024;
}

long long bench_hwm_bytes(void) {
    long long kib = status_kib("VmHWM");
    return kib < 0 ? -1 : kib * 1024;
}

int bench_reset_hwm(void) {
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (!f)
        return -1;
    int ok = fputs("5", f) >= 0;
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

void bench_emit(const char *impl, const char *bench, int threads, double value, const char *unit,
                const char *note) {
    printf("{\"impl\": \"%s\", \"bench\": \"%s\", \"threads\": %d, \"value\": %.6g, "
           "\"unit\": \"%s\", \"note\": \"%s\"}\n",
           impl, bench, threads, value, unit, note ? note : "");
    fflush(stdout);
}
