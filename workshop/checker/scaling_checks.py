"""scaling_checks.py -- exercise 10, scaling out (stack/cluster): the same metrics from several
instances. Checks the cluster's two Prometheus replicas (their `replica` labels, `up` of every
frontend and backend instance), the attendee's recording rule job:hello_total:rate1m (rate() of
each instance's counter first, then sum without(instance)), and that VictoriaMetrics holds one
copy of each series, not one per replica.
"""

import re

from . import web

RULE = "job:hello_total:rate1m"
RULE_FILE = "stack/prometheus/rules/scaling.yml"
INSTANCES = {"frontend": ("127.0.0.1:5101", "127.0.0.1:5102"),
             "backend": ("127.0.0.1:5111", "127.0.0.1:5112")}
# rate() (or irate/increase) applied straight to the raw counter: hello_total, maybe with matchers.
RATE_OF_COUNTER = re.compile(r"\b(rate|irate|increase)\s*\(\s*hello_total\s*(\{[^}]*\})?\s*\[")
# The outermost aggregation drops the instance: sum without (instance) (...) or sum by (job) (...),
# either before or after its argument, as PromQL allows.
SUM_OVER_INSTANCES = re.compile(
    r"^\s*sum\s*(without\s*\(\s*instance\s*\)|by\s*\(\s*job\s*\))"
    r"|^\s*sum\s*\(.*\)\s*(without\s*\(\s*instance\s*\)|by\s*\(\s*job\s*\))\s*$", re.S)
# rate() over an already aggregated expression: a subquery over a sum.
RATE_OF_SUM = re.compile(r"\b(rate|irate|increase)\s*\(\s*sum\b")
HOW_CLUSTER = "start the cluster: stack/cluster/up (it takes about a minute; stack/cluster/status)"
HOW_RULE = (f"write {RULE_FILE}: a group with the recording rule {RULE}: "
            "sum without(instance) (rate(hello_total[1m])); then stack/cluster/up (it reloads both "
            "replicas)")


def api(base, path, params=None, timeout=10.0):
    r = web.request(web.join(base, path, params), timeout=timeout)
    doc = r.json() or {}
    if r.status != 200 or doc.get("status") != "success":
        raise ValueError(doc.get("error") or f"HTTP {r.status}")
    return doc["data"]


def query(base, expr, timeout):
    return api(base, "/api/v1/query", {"query": expr}, timeout)["result"]


def replica_label(base, timeout):
    import yaml  # python3-yaml, installed by scripts/install-deps.sh

    cfg = yaml.safe_load(api(base, "/api/v1/status/config", None, timeout)["yaml"]) or {}
    return ((cfg.get("global") or {}).get("external_labels") or {}).get("replica")


def replicas_answer(ctx, res):
    """True when both replicas answer and carry different replica labels."""
    labels = {}
    for base in ctx.cluster_prometheus:
        try:
            labels[base] = replica_label(base, ctx.timeout)
        except (web.Unreachable, ValueError) as e:
            res.miss(f"the cluster's Prometheus replica at {base} does not answer: {e}", HOW_CLUSTER)
            return False
    if None in labels.values() or len(set(labels.values())) != len(labels):
        return res.miss("the replicas' external labels should tell them apart (replica=\"1\" and "
                        f"\"2\"): got {labels}", "use stack/cluster/up's configuration")
    res.ok("two Prometheus replicas, told apart by their external label: "
           + ", ".join(f"{b} replica={v!r}" for b, v in labels.items()))
    return True


def instances_up(ctx, res):
    ok = True
    for base in ctx.cluster_prometheus:
        try:
            got = query(base, 'up{job=~"frontend|backend"}', ctx.timeout)
        except (web.Unreachable, ValueError) as e:
            res.miss(f"{base}: up: {e}")
            ok = False
            continue
        seen = {(r["metric"].get("job"), r["metric"].get("instance")): float(r["value"][1])
                for r in got}
        for job, insts in INSTANCES.items():
            for inst in insts:
                v = seen.get((job, inst))
                if v != 1:
                    ok = res.miss(f"{base}: up{{job=\"{job}\", instance=\"{inst}\"}} is "
                                  f"{'absent' if v is None else web.fmt(v)}, not 1",
                                  f"stack/cluster/status; stack/cluster/up {job}")
    if ok:
        res.ok("both replicas see up == 1 for each instance: frontend 5101, 5102; backend 5111, 5112")
    return ok


def rule_loaded(ctx, res):
    """True when every replica has the rule, with rate() before sum()."""
    for base in ctx.cluster_prometheus:
        try:
            groups = api(base, "/api/v1/rules", None, ctx.timeout)["groups"]
        except (web.Unreachable, ValueError) as e:
            return res.miss(f"cannot read the rules of {base}: {e}")
        mine = [r for g in groups for r in g["rules"] if r.get("name") == RULE]
        if not mine:
            return res.miss(f"{base} has no recording rule {RULE}", HOW_RULE)
        expr = mine[0]["query"]
        if RATE_OF_SUM.search(expr) or not RATE_OF_COUNTER.search(expr):
            return res.miss(f"{RULE} is {expr}: take rate() of each instance's hello_total first, "
                            "then sum the rates",
                            "a counter starts again from 0 when its instance restarts: rate() of "
                            "that instance's own series handles the reset, but a sum of counters "
                            "only drops, and rate() of the sum reads the drop as a reset and counts "
                            "the whole sum again (a spike)")
        if not SUM_OVER_INSTANCES.search(expr):
            return res.miss(f"{RULE} is {expr}: sum the per-instance rates without(instance) (or "
                            "by(job)), so one series per job remains", HOW_RULE)
    res.ok(f"{RULE} is loaded on both replicas: {expr}")
    return True


def rule_answers(ctx, res):
    base = ctx.cluster_prometheus[0]
    try:
        got = query(base, RULE, ctx.timeout)
    except (web.Unreachable, ValueError) as e:
        return res.miss(f"{RULE}: {e}")
    if not got:
        return res.miss(f"{RULE} has no value yet on {base}",
                        "wait for an evaluation (15 s) and send /hello through haproxy: "
                        "curl localhost:5000/hello")
    with_instance = [r["metric"] for r in got if "instance" in r["metric"]]
    if with_instance:
        return res.miss(f"{RULE} still has an instance label: {with_instance[0]}", HOW_RULE)
    values = ", ".join(f"{r['metric'].get('job', '?')}: {web.fmt(float(r['value'][1]))}/s"
                       for r in got)
    res.ok(f"{RULE} = {values} (one series per job, every instance summed)")
    return True


def deduplicated(ctx, res):
    """VictoriaMetrics holds one copy of each series both replicas remote-write."""
    base = ctx.cluster_prometheus[0]
    for expr in ("count(hello_total)", f"count({RULE})"):
        try:
            here = query(base, expr, ctx.timeout)
            there = query(ctx.victoriametrics, expr, ctx.timeout)
        except (web.Unreachable, ValueError) as e:
            res.miss(f"VictoriaMetrics at {ctx.victoriametrics}: {expr}: {e}", HOW_CLUSTER)
            continue
        n_here = int(float(here[0]["value"][1])) if here else 0
        n_there = int(float(there[0]["value"][1])) if there else 0
        if n_there == 0:
            res.miss(f"VictoriaMetrics has no {expr[6:-1]} yet",
                     "it answers samples about 30 s after they were written (-search.latencyOffset)")
        elif n_there != n_here:
            res.miss(f"{expr} is {n_there} in VictoriaMetrics but {n_here} on one replica: the "
                     "replicas' copies are not deduplicated",
                     "VictoriaMetrics must drop the replica label on ingestion (stack/cluster/up's "
                     "-relabelConfig) and -dedup.minScrapeInterval keeps one sample per interval")
        else:
            res.ok(f"{expr} = {n_there} in VictoriaMetrics, as on one replica: both replicas write "
                   "every series, the store keeps one copy")


def exercise10(ctx, res):
    if not replicas_answer(ctx, res):
        return
    instances_up(ctx, res)
    if rule_loaded(ctx, res):
        rule_answers(ctx, res)
    deduplicated(ctx, res)
