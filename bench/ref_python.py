#!/usr/bin/python3
"""ref_python.py -- the client_python reference for bench/: the same operations as bench_ops and
bench_render, measured the same way (timeit-style loops, median of repetitions), printed as the
same JSON lines. Run with Debian's interpreter, which has python3-prometheus-client:

    /usr/bin/python3 bench/ref_python.py ops [reps] [ms-per-rep]
    /usr/bin/python3 bench/ref_python.py render N [reps]

client_python has no summary quantiles: its summary_observe keeps only _count and _sum.
_created series are turned off (PROMETHEUS_DISABLE_CREATED_SERIES) so that its text output
holds the same series as promc's and client_golang's.
"""
import gc
import json
import math
import os
import sys
import threading
import time

os.environ["PROMETHEUS_DISABLE_CREATED_SERIES"] = "True"

from prometheus_client import (  # noqa: E402  (the environment must be set first)
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Summary,
    generate_latest,
)

N_VALUES = 4096
# The same sequence as bench_util.c: 0.001 * 20000^frac(k * golden ratio).
VALUES = [0.001 * 20000.0 ** math.fmod(k * 0.6180339887498949, 1.0) for k in range(N_VALUES)]


def emit(impl, bench, threads, value, unit, note):
    print(json.dumps({"impl": impl, "bench": bench, "threads": threads,
                      "value": float("%.6g" % value), "unit": unit, "note": note}), flush=True)


def median(v):
    s = sorted(v)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def run_threads(nthreads, iters, body):
    """Runs body(iters) on nthreads threads released by a barrier, each pinned to its own CPU
    when there are enough; returns (mean per-thread wall-clock ns/op, all pinned, the same
    from the threads' CPU time)."""
    cpus = sorted(os.sched_getaffinity(0))
    can_pin = len(cpus) >= nthreads
    barrier = threading.Barrier(nthreads)
    elapsed = [0] * nthreads
    cpu = [0] * nthreads
    pinned = [False] * nthreads

    def worker(t):
        if can_pin:
            try:
                os.sched_setaffinity(0, {cpus[t]})  # 0: the calling thread
                pinned[t] = True
            except OSError:
                pass
        body(100)  # warm-up
        barrier.wait()
        t0, c0 = time.perf_counter_ns(), time.thread_time_ns()
        body(iters)
        elapsed[t] = time.perf_counter_ns() - t0
        cpu[t] = time.thread_time_ns() - c0
        if can_pin:
            os.sched_setaffinity(0, set(cpus))

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(nthreads)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return (sum(e / iters for e in elapsed) / nthreads, all(pinned),
            sum(c / iters for c in cpu) / nthreads)


def calibrate(body, target_ms):
    iters = 100
    while True:
        ns, _, _ = run_threads(1, iters, body)
        total = ns * iters
        if total >= target_ms * 1e6 / 4:
            return int(iters * target_ms * 1e6 / max(total, 1)) + 1
        iters *= 4


def run_ops(reps, target_ms):
    reg = CollectorRegistry()
    counter = Counter("bench_counter", "c", registry=reg)
    gauge = Gauge("bench_gauge", "g", registry=reg)
    histogram = Histogram("bench_histogram", "h", registry=reg)  # the 14 default buckets
    summary = Summary("bench_summary", "s", registry=reg)
    vec = Counter("bench_requests", "r", ["method", "path"], registry=reg)
    for m in ("GET", "POST", "PUT", "DELETE"):
        for p in ("/", "/api/v1/users", "/api/v1/orders", "/login", "/static"):
            vec.labels(m, p)
    values = VALUES

    def counter_inc(n):
        inc = counter.inc
        for _ in range(n):
            inc()

    def gauge_set(n):
        set_ = gauge.set
        for i in range(n):
            set_(i)

    def histogram_observe(n):
        observe = histogram.observe
        for i in range(n):
            observe(values[i % N_VALUES])

    def summary_observe(n):
        observe = summary.observe
        for i in range(n):
            observe(values[i % N_VALUES])

    def labels_lookup(n):
        labels = vec.labels
        for _ in range(n):
            labels("GET", "/api/v1/users")

    cases = [("counter_inc", counter_inc), ("gauge_set", gauge_set),
             ("histogram_observe", histogram_observe), ("summary_observe", summary_observe),
             ("labels_lookup", labels_lookup)]
    only = os.environ.get("BENCH_ONLY")
    cases = [c for c in cases if not only or only in c[0]]
    iters = {name: calibrate(body, target_ms) for name, body in cases}
    ns = {(name, t): [] for name, _ in cases for t in (1, 2)}
    cpu = {(name, t): [] for name, _ in cases for t in (1, 2)}
    pins = {}
    for _ in range(reps):
        for name, body in cases:
            for t in (1, 2):
                v, pinned, c = run_threads(t, iters[name], body)
                ns[(name, t)].append(v)
                cpu[(name, t)].append(c)
                pins[(name, t)] = pinned
    for name, _ in cases:
        for t in (1, 2):
            note = "%s; GIL; %d reps x %d ops; CPU-time median %.3g ns" % (
                "pinned" if pins[(name, t)] else "NOT pinned", reps, iters[name],
                median(cpu[(name, t)]))
            if name == "summary_observe":
                note += "; no quantiles (count and sum only)"
            emit("client_python", name, t, median(ns[(name, t)]), "ns/op", note)


def status_bytes(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return -1


def reset_hwm():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def run_render(n, reps):
    reg = CollectorRegistry()
    vec = Counter("bench_requests", "Requests served.", ["host", "path"], registry=reg)
    gc.collect()
    rss0 = status_bytes("VmRSS")
    t0 = time.perf_counter_ns()
    for i in range(n):
        vec.labels("host-%d" % (i // 1000), "/api/v1/item/%d" % (i % 1000)).inc()
    create_ns = (time.perf_counter_ns() - t0) / n
    gc.collect()
    rss1 = status_bytes("VmRSS")
    times, peak_extra, peak_abs, size, hwm_ok = [], 0, 0, 0, True
    for _ in range(reps):
        gc.collect()
        before = status_bytes("VmRSS")
        hwm_ok = reset_hwm() and hwm_ok
        t = time.perf_counter_ns()
        out = generate_latest(reg)
        times.append((time.perf_counter_ns() - t) / 1e6)
        hwm = status_bytes("VmHWM")
        size = len(out)
        del out
        peak_extra = max(peak_extra, hwm - before)
        peak_abs = max(peak_abs, hwm)
    note = "%d series, %d reps" % (n, reps)
    if not hwm_ok:
        note += "; VmHWM reset refused: peak is the process's lifetime peak"
    p = "render_%d_" % n
    emit("client_python", p + "time", 1, median(times), "ms", note)
    emit("client_python", p + "bytes", 1, size, "bytes", note)
    emit("client_python", p + "rest_per_series", 1, (rss1 - rss0) / n, "bytes", note)
    emit("client_python", p + "peak_extra", 1, peak_extra, "bytes", note)
    emit("client_python", p + "peak_rss", 1, peak_abs, "bytes", note)
    emit("client_python", p + "create_per_series", 1, create_ns, "ns", note)


def main():
    args = sys.argv[1:]
    if args[:1] == ["ops"]:
        run_ops(int(args[1]) if len(args) > 1 else 5, float(args[2]) if len(args) > 2 else 200)
    elif args[:1] == ["render"] and len(args) > 1:
        run_render(int(args[1]), int(args[2]) if len(args) > 2 else 3)
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
