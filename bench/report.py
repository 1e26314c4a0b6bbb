#!/usr/bin/python3
"""report.py -- turns the JSON lines of bench_ops, bench_render, ref_golang and ref_python into
the results tables and the PASS/FAIL verdicts of the targets in issue 2 ("Fast").

    bench/report.py results.jsonl [--strict]

--strict: exit 1 when a target fails (or cannot be evaluated); otherwise always 0.
"""
import json
import re
import sys

OPS = [("counter_inc", "counter inc"), ("gauge_set", "gauge set"),
       ("histogram_observe", "histogram observe (14 buckets)"),
       ("native_observe", "native histogram observe (f 1.1)"),
       ("summary_observe", "summary observe (3 quantiles)"),
       ("labels_lookup", "labels() lookup, 2 labels"),
       ("labelsv_lookup", "labelsv() lookup, 2 labels"),
       ("labels_churn", "labels()+remove(), 2 labels")]
SIZES = [10000, 100000, 1000000]
IMPLS = ["promc", "client_golang", "client_python"]


def load(path):
    res, env = {}, []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            r = json.loads(line)
            if r["impl"] == "env":
                env.append((r["bench"], r["note"]))
            else:
                res[(r["impl"], r["bench"], r["threads"])] = r
    return res, env


def num(v, width=10, unit=""):
    if v is None:
        return "n/a".rjust(width)
    if abs(v) >= 1e5:
        s = "%.0f" % v
    elif abs(v) >= 100:
        s = "%.0f" % v
    elif abs(v) >= 10:
        s = "%.1f" % v
    else:
        s = "%.2f" % v
    return (s + unit).rjust(width)


def human_bytes(v, width=10):
    if v is None:
        return "n/a".rjust(width)
    for unit, div in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(v) >= div:
            return ("%.1f %s" % (v / div, unit)).rjust(width)
    return ("%.0f B" % v).rjust(width)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    strict = "--strict" in sys.argv
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    res, env = load(args[0])

    def val(impl, bench, threads=1):
        r = res.get((impl, bench, threads))
        return r["value"] if r else None

    def note(impl, bench, threads=1):
        r = res.get((impl, bench, threads))
        return r["note"] if r else ""

    disturbed = [False]

    def cell(impl, bench, threads, width):
        """A figure, starred when the threads' CPU time was well below the wall-clock time."""
        v = val(impl, bench, threads)
        m = re.search(r"CPU-time median ([0-9.e+]+) ns", note(impl, bench, threads))
        star = m is not None and v is not None and float(m.group(1)) < 0.85 * v
        disturbed[0] = disturbed[0] or star
        return num(v, width - 1) + ("*" if star else " ")

    out = []
    p = out.append
    p("=" * 100)
    p("promc benchmarks -- one run, every figure measured in this run")
    for k, v in env:
        p("  %-22s %s" % (k + ":", v))
    cpus = val("machine", "cpus", 0)
    pinned = all("NOT pinned" not in r["note"] for r in res.values() if r["unit"] == "ns/op")
    p("  %-22s %s" % ("CPUs:", "%d%s" % (cpus, "" if cpus is None or cpus >= 2 else
                                        " (threads NOT pinned to distinct CPUs)")
                      if cpus is not None else "n/a"))
    p("  %-22s %s" % ("pinning:", "every thread pinned to its own CPU (pthread_setaffinity_np; "
                      "Go: LockOSThread + sched_setaffinity; Python: os.sched_setaffinity)"
                      if pinned else "SOME THREADS NOT PINNED (see raw notes)"))
    reps = re.search(r"(\d+) reps", note("promc", "counter_inc", 1))
    p("  %-22s %s" % ("repetitions:", (reps.group(1) + " per figure (hot paths), median reported")
                      if reps else "n/a"))

    p("")
    p("Hot paths: ns per operation, per thread (median of the repetitions; lower is better).")
    p("At 2 threads both threads update the SAME metric at once (Go: 2 goroutines, GOMAXPROCS=2).")
    p("")
    hdr = "%-32s %3s %9s %9s %9s %13s %13s" % ("operation", "thr", "promc", "(a)shared",
                                                "(b)padded", "client_golang", "client_python")
    p(hdr)
    p("-" * len(hdr))
    for bench, label in OPS:
        for t in (1, 2):
            refs = bench in ("counter_inc", "histogram_observe")
            p("%-32s %3d %s %s %s %s %s" % (
                label if t == 1 else "", t, cell("promc", bench, t, 9),
                cell("atomic_shared", "atomic_inc", t, 9) if refs else " " * 9,
                cell("atomic_padded", "atomic_inc", t, 9) if refs else " " * 9,
                cell("client_golang", bench, t, 13), cell("client_python", bench, t, 13)))
    if disturbed[0]:
        p("* the threads' CPU time was under 85% of the wall-clock time: they waited (client_golang:")
        p("  a mutex, the GC; client_python: the GIL) or, for code that never blocks (promc, the")
        p("  atomics), other work took the CPUs away: a disturbed figure, to treat with caution.")
    p("(a) atomic_fetch_add on one word shared by the threads; (b) atomic_fetch_add on a 64-byte-")
    p("    aligned word of each thread's own. Both inline, in the same loop shape as promc's calls.")
    p("client_python: the GIL serialises threads; its summary has no quantiles (count and sum).")
    p("labelsv(): promc's array form of labels(), no varargs (client_golang/python: same as labels).")
    p("labels()+remove(): a new child then its removal (client_golang: WithLabelValues +")
    p("    DeleteLabelValues), each thread with its own label values; no client_python figure.")

    p("")
    p("Rendering the text format 0.0.4: one counter family, 2 labels "
      "(host=\"host-<i/1000>\", path=\"/api/v1/item/<i%1000>\"),")
    p("each series incremented once; one process per size. 'at rest' = RSS growth from creating")
    p("the series / series; 'peak extra' = VmHWM during a render minus RSS before it.")
    p("")
    hdr = "%-8s %-14s %11s %11s %10s %12s %12s %11s" % (
        "series", "impl", "render ms", "output", "B/series", "rest B/ser.", "peak extra",
        "create ns")
    p(hdr)
    p("-" * len(hdr))
    for n in SIZES:
        pre = "render_%d_" % n
        for i, impl in enumerate(IMPLS):
            b = val(impl, pre + "bytes")
            p("%-8s %-14s %s %s %s %s %s %s" % (
                ("%dk" % (n // 1000)) if i == 0 else "", impl, num(val(impl, pre + "time"), 11),
                human_bytes(b, 11), num(b / n if b else None, 10),
                num(val(impl, pre + "rest_per_series"), 12),
                human_bytes(val(impl, pre + "peak_extra"), 12),
                num(val(impl, pre + "create_per_series"), 11)))

    p("")
    p("Rendering delimited protobuf (application/vnd.google.protobuf; ...encoding=delimited), the")
    p("same registries, one process per size; promc's text render of the same run beside it.")
    p("")
    hdr = "%-8s %-20s %11s %11s %10s %12s" % (
        "series", "impl", "render ms", "output", "B/series", "peak extra")
    p(hdr)
    p("-" * len(hdr))
    for n in SIZES:
        rows = (("promc protobuf", "promc", "render_pb_%d_" % n),
                ("client_golang pb", "client_golang", "render_pb_%d_" % n),
                ("promc text 0.0.4", "promc", "render_%d_" % n))
        for i, (label, impl, pre) in enumerate(rows):
            b = val(impl, pre + "bytes")
            p("%-8s %-20s %s %s %s %s" % (
                ("%dk" % (n // 1000)) if i == 0 else "", label, num(val(impl, pre + "time"), 11),
                human_bytes(b, 11), num(b / n if b else None, 10),
                human_bytes(val(impl, pre + "peak_extra"), 12)))

    # ---- targets ----
    verdicts = []

    def target(desc, measured, limit_desc, ok, shown):
        verdicts.append((desc, shown, limit_desc,
                         "n/a" if measured is None else ("PASS" if ok else "FAIL")))

    def ratio(a, b):
        return a / b if a is not None and b not in (None, 0) else None

    for bench, label in (("counter_inc", "counter inc"), ("histogram_observe", "histogram observe")):
        r1 = ratio(val("promc", bench, 2), val("atomic_padded", "atomic_inc", 2))
        target("%s @2thr: promc / (b) padded" % label, r1, "<= 1.5x",
               r1 is not None and r1 <= 1.5, "%.2fx" % r1 if r1 is not None else "n/a")
        r2 = ratio(val("atomic_shared", "atomic_inc", 2), val("promc", bench, 2))
        target("%s @2thr: (a) shared / promc" % label, r2, ">= 3x",
               r2 is not None and r2 >= 3, "%.2fx" % r2 if r2 is not None else "n/a")
    for t in (1, 2):
        v = val("promc", "summary_observe", t)
        target("summary observe (3 quantiles) @%dthr" % t, v, "<= 150 ns",
               v is not None and v <= 150, num(v, 1, " ns").strip())
    for t in (1, 2):
        v = val("promc", "labels_lookup", t)
        target("labels() lookup, existing child @%dthr" % t, v, "<= 40 ns",
               v is not None and v <= 40, num(v, 1, " ns").strip())
    r = ratio(val("client_golang", "render_1000000_time"), val("promc", "render_1000000_time"))
    target("render 1M: client_golang time / promc", r, ">= 3x", r is not None and r >= 3,
           "%.2fx" % r if r is not None else "n/a")
    # issue 8: native buckets cost at most half again a classic observe, and beat client_golang's
    for t in (1, 2):
        r = ratio(val("promc", "native_observe", t), val("promc", "histogram_observe", t))
        target("native observe @%dthr: / classic observe" % t, r, "<= 1.5x",
               r is not None and r <= 1.5, "%.2fx" % r if r is not None else "n/a")
    r = ratio(val("client_golang", "native_observe", 2), val("promc", "native_observe", 2))
    target("native observe @2thr: client_golang / promc", r, ">= 10x",
           r is not None and r >= 10, "%.2fx" % r if r is not None else "n/a")
    r = ratio(val("client_golang", "render_pb_1000000_time"), val("promc", "render_pb_1000000_time"))
    target("protobuf render 1M: client_golang / promc", r, ">= 3x", r is not None and r >= 3,
           "%.2fx" % r if r is not None else "n/a")
    v = val("promc", "render_1000000_rest_per_series")
    target("1M series: promc memory at rest / series", v, "<= 150 B",
           v is not None and v <= 150, num(v, 1, " B").strip())

    p("")
    p("Targets (issues 2 and 8, 'Fast'), ratios from this run:")
    hdr = "%-46s %12s %11s  %s" % ("target", "measured", "limit", "result")
    p(hdr)
    p("-" * len(hdr))
    for desc, shown, limit, verdict in verdicts:
        p("%-46s %12s %11s  %s" % (desc, shown, limit, verdict))
    failed = [v for v in verdicts if v[3] != "PASS"]
    p("")
    p("%d of %d targets pass." % (len(verdicts) - len(failed), len(verdicts)))
    p("=" * 100)
    print("\n".join(out))
    return 1 if strict and failed else 0


if __name__ == "__main__":
    sys.exit(main())
