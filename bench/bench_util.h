/* bench_util.h -- timing, CPU pinning, memory probes and result output shared by the benches. */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Monotonic clock in nanoseconds. */
uint64_t bench_now_ns(void);

/* CPUs this process may run on (its affinity mask), and the n-th of them (-1 if none). */
int bench_cpu_count(void);
int bench_cpu_nth(int n);

/* The loop a benchmark runs: `iters` operations on behalf of thread `thread` (0-based). */
typedef void (*bench_body_fn)(void *ctx, int thread, uint64_t iters);

/* Runs body on nthreads threads at once (released together by a barrier), each doing iters
 * operations, each thread pinned to its own CPU when there are enough. Returns the mean over
 * the threads of their wall-clock time divided by iters: the per-thread cost of one operation
 * in ns, contention included. *pinned tells whether every thread was pinned; *cpu (if not
 * NULL) gets the same figure from each thread's CPU time: well below the wall-clock figure,
 * it shows that other work on the machine took the CPUs away (a disturbed measurement). */
double bench_run_threads(int nthreads, uint64_t iters, bench_body_fn body, void *ctx, bool *pinned,
                         double *cpu);

/* Median of v[n] (sorts v in place). */
double bench_median(double *v, size_t n);

/* Resident set size and its high-water mark (VmRSS, VmHWM) in bytes; -1 when unreadable. */
long long bench_rss_bytes(void);
long long bench_hwm_bytes(void);
/* Resets the high-water mark to the current RSS (writes 5 to /proc/self/clear_refs).
 * Returns 0, or -1 when the kernel does not allow it. */
int bench_reset_hwm(void);

/* One result as a JSON line on stdout, the format bench/report.py reads:
 * {"impl":..., "bench":..., "threads":..., "value":..., "unit":..., "note":...}. */
void bench_emit(const char *impl, const char *bench, int threads, double value, const char *unit,
                const char *note);

/* The values every observe benchmark cycles through (the same in the Python and Go references):
 * value k = 0.001 * 20000^frac(k * golden ratio), log-uniform over [0.001, 20) in an order no
 * branch predictor learns, so every default bucket and +Inf is hit, in no useful pattern. */
#define BENCH_NVALUES 4096
extern double bench_values[BENCH_NVALUES];
void bench_values_init(void);

#endif /* BENCH_UTIL_H */
