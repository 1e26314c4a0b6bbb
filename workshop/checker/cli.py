"""cli.py -- `workshop/check [N|N-M|all ...]`: runs the checks of the requested exercises against
the attendee's running system and prints, per exercise, what is done and what is missing.
Exit status: 0 when every requested exercise is done, 1 otherwise, 2 on a usage error.
"""

import argparse
import os
import sys

from . import code_checks, scaling_checks, stack_checks
from .context import Context
from .report import Printer, Result

EXERCISES = {
    0: ("/metrics on the frontend and the backend", code_checks.exercise0),
    1: ("a counter: hello_total", code_checks.exercise1),
    2: ("a gauge: all_fruits", code_checks.exercise2),
    3: ("labels: recent_fruits{fruit} and quantity_total{fruit}", code_checks.exercise3),
    4: ("histograms: http_latency{method,endpoint}, classic and native", code_checks.exercise4),
    5: ("a summary: job_duration_seconds on the backend", code_checks.exercise5),
    6: ("Prometheus: targets and the seed's queries", stack_checks.exercise6),
    7: ("Grafana: a dashboard of your own", stack_checks.exercise7),
    8: ("Grafana: open-source dashboards for the exporters", stack_checks.exercise8),
    9: ("alerting: rules, Alertmanager, an alert that fired", stack_checks.exercise9),
    10: ("scaling out: several instances, two Prometheus replicas, a long-term store",
         scaling_checks.exercise10),
    11: ("SLOs: /fruit's SLIs, multi-window burn-rate alerts, a fast burn", stack_checks.exercise11),
}


# Optional: run only when named (exercise 10 needs stack/cluster, not the native stack).
OPTIONAL = {10}


def parse_selection(words):
    """["all"] / ["3"] / ["0-5", "9"] -> sorted exercise numbers; ValueError on nonsense. "all"
    and ranges leave the optional exercises out unless a range is just one of them (10-10)."""
    chosen = set()
    for word in words or ["all"]:
        for part in word.split(","):
            if part == "all":
                chosen.update(set(EXERCISES) - OPTIONAL)
            elif "-" in part:
                lo, hi = (int(x) for x in part.split("-", 1))
                if lo > hi:
                    raise ValueError(f"empty range {part}")
                chosen.update(n for n in range(lo, hi + 1)
                              if (n in EXERCISES and n not in OPTIONAL) or lo == hi)
            else:
                chosen.add(int(part))
    bad = sorted(n for n in chosen if n not in EXERCISES)
    if bad:
        raise ValueError(f"no exercise {bad[0]} (there are {', '.join(str(n) for n in EXERCISES)})")
    return sorted(chosen)


def env(name, default):
    return os.environ.get(name) or default


def main(argv=None):
    p = argparse.ArgumentParser(
        prog="workshop/check",
        description="Checks the workshop's exercises against your running frontend, backend and stack: "
        "per exercise, what is done and what is missing, with a hint.",
        epilog="Examples: workshop/check 1   workshop/check 0-5   workshop/check all   "
        "workshop/check 10 (the cluster: only when named)",
    )
    p.add_argument("exercises", nargs="*", metavar="N", help="exercise numbers, ranges (0-5) or all (default)")
    p.add_argument("--frontend", default=env("WORKSHOP_FRONTEND", "http://localhost:5000"),
                   help="frontend base URL (env WORKSHOP_FRONTEND; default %(default)s)")
    p.add_argument("--backend", default=env("WORKSHOP_BACKEND", "http://localhost:5001"),
                   help="backend metrics URL (env WORKSHOP_BACKEND; default %(default)s)")
    p.add_argument("--prometheus", default=env("WORKSHOP_PROMETHEUS", "http://localhost:9090"),
                   help="Prometheus URL (env WORKSHOP_PROMETHEUS; default %(default)s)")
    p.add_argument("--alertmanager", default=env("WORKSHOP_ALERTMANAGER", "http://localhost:9093"),
                   help="Alertmanager URL (env WORKSHOP_ALERTMANAGER; default %(default)s)")
    p.add_argument("--webhook", default=env("WORKSHOP_WEBHOOK", "http://localhost:9099"),
                   help="the stack's webhook receiver of Alertmanager's notifications (env "
                   "WORKSHOP_WEBHOOK; default %(default)s)")
    p.add_argument("--grafana", default=env("WORKSHOP_GRAFANA", "http://localhost:3000"),
                   help="Grafana URL (env WORKSHOP_GRAFANA; default %(default)s); login from "
                   "GRAFANA_USER / GRAFANA_PASSWORD (default admin/admin)")
    p.add_argument("--dashboard", action="append", default=[], metavar="FILE",
                   help="a dashboard JSON exported from Grafana, for exercises 7 and 8 without a "
                   "running Grafana (repeatable)")
    p.add_argument("--slo-test", default=env("WORKSHOP_SLO_TEST", None), metavar="FILE",
                   help="exercise 11's promtool test of your own (env WORKSHOP_SLO_TEST; default "
                   "stack/tests/promtool/my_slo_test.yml)")
    p.add_argument("--cluster-prometheus", default=env("WORKSHOP_CLUSTER_PROMETHEUS",
                                                       "http://localhost:9191,http://localhost:9192"),
                   metavar="URL,URL", help="exercise 10: the cluster's Prometheus replicas (env "
                   "WORKSHOP_CLUSTER_PROMETHEUS; default %(default)s)")
    p.add_argument("--victoriametrics", default=env("WORKSHOP_VICTORIAMETRICS", "http://localhost:8491"),
                   help="exercise 10: the cluster's VictoriaMetrics (env WORKSHOP_VICTORIAMETRICS; "
                   "default %(default)s)")
    p.add_argument("--timeout", type=float, default=float(env("WORKSHOP_TIMEOUT", "10")),
                   help="seconds per HTTP request (default %(default)s)")
    p.add_argument("--color", choices=["auto", "always", "never"], default="auto")
    args = p.parse_args(argv)
    try:
        chosen = parse_selection(args.exercises)
    except ValueError as e:
        p.error(str(e))
    ctx = Context(args.frontend, args.backend, args.prometheus, args.alertmanager, args.grafana,
                  (env("GRAFANA_USER", "admin"), env("GRAFANA_PASSWORD", "admin")), args.dashboard,
                  args.timeout, args.webhook)
    ctx.slo_test = args.slo_test
    ctx.cluster_prometheus = [u.strip().rstrip("/") for u in args.cluster_prometheus.split(",") if u.strip()]
    ctx.victoriametrics = args.victoriametrics.rstrip("/")
    printer = Printer(color={"auto": None, "always": True, "never": False}[args.color])
    results = []
    for n in chosen:
        title, check = EXERCISES[n]
        res = Result(n, title)
        try:
            check(ctx, res)
        except Exception as e:  # a bug or an unforeseen answer: report it, check the rest
            res.miss(f"the checker failed: {type(e).__name__}: {e}",
                     "please report this with the output above")
        printer.exercise(res)
        results.append(res)
    printer.summary(results)
    return 0 if all(r.done for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
