"""stack_checks.py -- exercises 6 to 9: Prometheus, Grafana dashboards and alerting.

6: Prometheus scrapes the frontend and backend, and the seed's queries return data.
7: a dashboard of the attendee's own (not one the stack provisions) queries the workshop's metrics,
   with data. 8: an open-source dashboard for the exporters is imported, with data. Both read
   Grafana's API, or dashboard JSON files exported from Grafana (--dashboard), for runs without
   Grafana (Debian does not package it). 9: the alert rules are loaded and healthy, Alertmanager
   receives from Prometheus, every workshop alert watches series that exist, and an alert fired.
"""

import datetime
import glob
import json
import os
import math
import re
import time

from . import promql, slo_test_check, web

# The seed's queries of exercise 6, with what an empty answer usually means.
SEED_QUERIES = [
    ("hello_total", "exercise 1's counter, as Prometheus scraped it"),
    ("rate(hello_total[1m])", "rate() needs two scrapes within the minute: wait 30 s after a restart"),
    ("count(recent_fruits)", "exercise 3's gauge: send GET /fruit?name=apples first"),
    ("sum(recent_fruits)", "exercise 3's gauge"),
    ("sum(http_latency_count)", "exercise 4's histogram"),
    ("histogram_quantile(0.5, sum(rate(http_latency_bucket[5m])) by (le))", "exercise 4's histogram"),
    ("histogram_quantile(0.95, sum(rate(http_latency_bucket[5m])) by (le))", "exercise 4's histogram"),
    ('count by(job) ({__name__=~".+"})', "every scraped job"),
    ('{job="frontend"}', "everything the frontend exposes"),
]
# Series in Prometheus that are not the target's own metrics: what Prometheus adds per scrape
# (up, scrape_*), its alerts (ALERTS, ALERTS_FOR_STATE, with the alert's job label) and recording
# rules' output (level:metric:operations names, some with job="frontend"). At the starting point,
# {job="frontend"} returns only these.
SYNTHETIC = re.compile(r"^(up|scrape_\w+|ALERTS|ALERTS_FOR_STATE|.*:.*)$")
NOT_OWN = 'up|scrape_.+|ALERTS|ALERTS_FOR_STATE|.*:.*'
SERVICE_JOBS = ("frontend", "backend")
WORKSHOP_METRIC = re.compile(
    r"\b(hello_total|all_fruits|recent_fruits|quantity_total|http_latency(_bucket|_count|_sum)?|"
    r"http_requests_total|errors_total|cache_requests_total|mq_publish_total|mq_publish_latency\w*|"
    r"job_duration_seconds\w*|jobs_total|jobs_outcome_total|worker_busy|database_insert_latency\w*|"
    r"cache_delete_latency\w*|mq_read_latency\w*)\b"
)
EXPORTER_PREFIXES = ("node_", "pg_", "redis_", "rabbitmq_", "erlang_", "probe_", "prometheus_",
                     "alertmanager_")
EXPORTER_JOBS = ["node_exporter", "postgres_exporter", "redis_exporter", "rabbitmq"]
# grafana.com dashboards that fit the exporters of this stack (see the guide's exercise 8).
KNOWN_GNET_IDS = {1860: "Node Exporter Full", 9628: "PostgreSQL Database",
                  763: "Redis Dashboard for Prometheus Redis Exporter 1.x",
                  10991: "RabbitMQ-Overview", 7587: "Prometheus Blackbox Exporter",
                  3662: "Prometheus 2.0 Overview"}


def sample_value(r):
    """The number of one instant-query series: its value, or for a native histogram sample
    ({"histogram": [t, {"count": ...}]}, e.g. http_latency_native) its count."""
    if "value" in r:
        return float(r["value"][1])
    return float(r["histogram"][1]["count"])


def short(result):
    """A Prometheus result for humans: one value or the number of series."""
    if len(result) == 1:
        if "histogram" in result[0]:
            return f"= a native histogram of {web.fmt(sample_value(result[0]))} observations"
        return f"= {web.fmt(sample_value(result[0]))}"
    return f"{len(result)} series"


def prometheus_ready(ctx, res):
    try:
        r = web.request(ctx.prometheus + "/-/ready", timeout=ctx.timeout)
    except web.Unreachable:
        return res.miss(f"Prometheus does not answer at {ctx.prometheus}",
                        "start the stack: stack/native/up (or docker-compose up -d in stack/)")
    if r.status != 200:
        return res.miss(f"Prometheus at {ctx.prometheus} is not ready (HTTP {r.status})")
    return res.ok(f"Prometheus answers at {ctx.prometheus}")


def targets_up(ctx, res, jobs):
    try:
        active = ctx.prom_api("/api/v1/targets?state=active")["activeTargets"]
    except (web.Unreachable, ValueError) as e:
        return res.miss(f"cannot list Prometheus' targets: {e}")
    ok = True
    for job in jobs:
        mine = [t for t in active if t["labels"].get("job") == job]
        if not mine:
            ok = res.miss(f"Prometheus has no scrape job {job!r}",
                          "use the workshop's stack/prometheus/prometheus.yml")
            continue
        for t in mine:
            if t.get("health") == "up":
                res.ok(f"Prometheus scrapes {job} at {t['scrapeUrl']}: up")
            else:
                err = t.get("lastError") or "not scraped yet"
                ok = res.miss(f"Prometheus cannot scrape {job} at {t['scrapeUrl']}: {err}",
                              "is it running and serving /metrics (exercise 0)? A new target is "
                              "scraped within 15 s; see Status > Targets (native Prometheus 2.42: "
                              ":9090/classic/targets; Docker's Prometheus 3: :9090/targets)")
    return ok


def exercise6(ctx, res):
    if not prometheus_ready(ctx, res):
        return
    targets_up(ctx, res, ["frontend", "backend"])
    for expr, why in SEED_QUERIES:
        try:
            result = ctx.prom_query(expr)
        except (web.Unreachable, ValueError) as e:
            res.miss(f"{expr}: {e}")
            continue
        own = [r for r in result if not SYNTHETIC.match(r["metric"].get("__name__", ""))]
        if not result:
            res.miss(f"{expr} returns nothing", why)
            continue
        if expr.startswith("count by(job)"):
            jobs_have_own_series(ctx, res, expr, result)
            continue
        if not own:
            res.miss(f"{expr} returns only what Prometheus adds itself (up, scrape_*, ALERTS, "
                     "recording rules), nothing the service exposes", why)
            continue
        values = [sample_value(r) for r in result]
        if all(math.isnan(v) for v in values):
            res.ok(f"{expr} {short(result)} (no requests in the last 5 minutes: send some traffic)")
        else:
            res.ok(f"{expr} {short(result)}")


def jobs_have_own_series(ctx, res, expr, result):
    """count by(job) counts Prometheus' own up/scrape_* series too (5 per target, even for a target
    that answers 404): the frontend and backend rows must count series they expose themselves."""
    try:
        own = {r["metric"].get("job"): float(r["value"][1]) for r in ctx.prom_query(
            f'count by (job) ({{job=~"{"|".join(SERVICE_JOBS)}", __name__!~"{NOT_OWN}"}})')}
    except (web.Unreachable, ValueError) as e:
        return res.miss(f"{expr}: {e}")
    jobs = {r["metric"].get("job") for r in result}
    missing = [j for j in SERVICE_JOBS if not own.get(j)]
    if missing:
        return res.miss(f"{expr} returns {len(jobs)} jobs, but {' and '.join(missing)} "
                        f"{'has' if len(missing) == 1 else 'have'} only Prometheus' own up/scrape_* "
                        "series, nothing the service exposes",
                        "Prometheus must scrape the service's /metrics (exercise 0, then wait 15 s)")
    return res.ok(f"{expr}: {len(jobs)} jobs; frontend {web.fmt(own['frontend'])} series of its "
                  f"own, backend {web.fmt(own['backend'])}")


# ---- dashboards (7 and 8) -----------------------------------------------------------------------


class Dashboard:
    def __init__(self, title, origin, model, gnet_id=None):
        self.title, self.origin, self.model = title, origin, model
        self.gnet_id = gnet_id or model.get("gnetId")
        self.queries = promql.dashboard_queries(model)


def grafana_dashboards(ctx, res):
    """The attendee's dashboards in Grafana (provisioned ones left out), or None when Grafana
    cannot be read."""
    try:
        health = web.request(ctx.grafana + "/api/health", timeout=ctx.timeout)
    except web.Unreachable:
        return None
    if health.status != 200:
        return None
    try:
        found = ctx.grafana_api("/api/search?type=dash-db&limit=500")
        sources = ctx.grafana_api("/api/datasources")
    except (web.Unreachable, ValueError) as e:
        res.miss(f"Grafana answers at {ctx.grafana} but its API refused the checker: {e}",
                 "set GRAFANA_USER / GRAFANA_PASSWORD (default admin/admin)")
        return []
    proms = [s for s in sources or [] if s.get("type") == "prometheus"]
    if proms:
        res.ok(f"Grafana has a Prometheus data source ({proms[0].get('name')}: {proms[0].get('url')})")
    else:
        res.miss("Grafana has no Prometheus data source",
                 "Connections > Data sources > Add: Prometheus, URL http://localhost:9090")
    out = []
    for item in found or []:
        try:
            doc = ctx.grafana_api(f"/api/dashboards/uid/{item['uid']}")
        except (web.Unreachable, ValueError):
            continue
        if doc.get("meta", {}).get("provisioned"):
            continue  # shipped by stack/grafana: not the attendee's work
        model = doc.get("dashboard", {})
        out.append(Dashboard(model.get("title", item.get("title")), "Grafana", model, model.get("gnetId")))
    return out


def model_problems(model):
    """What keeps a dashboard JSON from being the model Grafana imports (Dashboards > New > Import,
    or a provisioned file): the fields it needs, with the types it expects. [] when fine."""
    if not isinstance(model, dict):
        return ["the file holds no JSON object"]
    out = []
    if not isinstance(model.get("title"), str) or not model["title"].strip():
        out.append('no "title" (a string)')
    if "schemaVersion" in model and not isinstance(model["schemaVersion"], int):
        out.append('"schemaVersion" is not a number')
    panels = model.get("panels")
    if not isinstance(panels, list) or not panels:
        return out + ['no "panels" (a list of panel objects)']
    ids = []

    def check(p, where):
        if not isinstance(p, dict):
            return out.append(f"{where} is not an object")
        name = f"{where} ({p.get('title')!r})" if p.get("title") else where
        if not isinstance(p.get("type"), str):
            out.append(f'{name} has no "type" (e.g. "timeseries", "stat", "row")')
        if "id" in p:
            ids.append(p["id"])
        pos = p.get("gridPos")
        if not isinstance(pos, dict) or not all(isinstance(pos.get(k), int) for k in "hwxy"):
            out.append(f'{name} has no "gridPos" with whole numbers h, w, x, y')
        elif not (0 <= pos["x"] and pos["x"] + pos["w"] <= 24):
            out.append(f"{name}: gridPos x + w is {pos['x'] + pos['w']}, past the 24 columns")
        targets = p.get("targets", [])
        if not isinstance(targets, list):
            out.append(f'{name}: "targets" is not a list')
            targets = []
        for t in targets:
            if not isinstance(t, dict) or not isinstance(t.get("refId"), str):
                out.append(f'{name} has a target without a "refId" ("A", "B"...)')
            elif "expr" in t and not isinstance(t["expr"], str):
                out.append(f'{name}: target {t["refId"]}\'s "expr" is not a string')
        for i, child in enumerate(p.get("panels") or []):
            check(child, f"{name}, panel {i + 1}")

    for i, p in enumerate(panels):
        check(p, f"panel {i + 1}")
    dup = sorted({i for i in ids if ids.count(i) > 1}, key=str)
    if dup:
        out.append(f"panel id {dup[0]} is used twice (each panel needs its own id)")
    return out


def file_dashboards(ctx, res):
    out = []
    for path in ctx.dashboards:
        try:
            with open(path, encoding="utf-8") as f:
                model = json.load(f)
        except (OSError, ValueError) as e:
            res.miss(f"cannot read the dashboard file {path}: {e}",
                     "a dashboard file is JSON: start from workshop/exercises/dashboard-skeleton.json")
            continue
        if isinstance(model, dict):
            model = model.get("dashboard", model)  # the API's envelope or the bare model
        problems = model_problems(model)
        if problems:
            res.miss(f"{path} is not a Grafana dashboard model: {'; '.join(problems[:4])}",
                     "compare it with workshop/exercises/dashboard-skeleton.json (exercise 7 explains "
                     "the fields)")
            continue
        board = Dashboard(model.get("title", path), path, model)
        res.ok(f"{path} is a Grafana dashboard model: {len(board.queries)} queries in "
               f"{len(model['panels'])} panels")
        for p in empty_panels(model):
            res.warn(f"{path}: panel {p!r} has no query yet")
        out.append(board)
    return out


def empty_panels(model):
    """Titles of the panels (not rows) that have no query."""
    out = []

    def walk(panels):
        for p in panels or []:
            if p.get("type") != "row" and not any(
                    isinstance(t, dict) and str(t.get("expr", "")).strip() for t in p.get("targets") or []):
                out.append(p.get("title") or "(untitled)")
            walk(p.get("panels"))

    walk(model.get("panels"))
    return out


def needs(expr):
    """'exercise N' for the latest exercise whose metric a query uses, or None."""
    ns = []
    for sel in promql.selectors(expr):
        family = promql.metric_name(sel) or ""
        for suffix in SAMPLE_SUFFIXES:
            if family.endswith(suffix):
                family = family[: -len(suffix)]
        if family in ADDED_BY:
            ns.append(ADDED_BY[family])
    return f"exercise {max(ns)}" if ns else None


STACK_DASHBOARDS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "stack", "grafana", "dashboards")


def stack_dashboards():
    """[(file, uid, title, set of queries)] of the dashboards the stack provisions."""
    out = []
    for path in sorted(glob.glob(os.path.join(STACK_DASHBOARDS, "*.json"))):
        try:
            with open(path, encoding="utf-8") as f:
                model = json.load(f)
        except (OSError, ValueError):
            continue
        out.append((os.path.relpath(path, os.path.dirname(os.path.dirname(STACK_DASHBOARDS))),
                    model.get("uid"), model.get("title"), {e for _, e in promql.dashboard_queries(model)}))
    return out


def stack_copy(board):
    """The stack's dashboard this one is (same uid or title, or most of its queries: a renamed copy),
    or None: those are provisioned for everyone and are not the attendee's work."""
    mine = {e for _, e in board.queries}
    title = (board.title or "").strip().lower()
    for path, uid, stitle, queries in stack_dashboards():
        if board.model.get("uid") and board.model.get("uid") == uid:
            return f"{path}, uid {uid!r}"
        if title and title == (stitle or "").strip().lower():
            return f"{path}, title {stitle!r}"
        if len(queries) >= 3 and len(mine & queries) >= 0.8 * len(queries):
            return f"{path}: {len(mine & queries)} of its {len(queries)} queries"
    return None


SKELETON = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "exercises",
                        "dashboard-skeleton.json")


def skeleton_queries():
    try:
        with open(SKELETON, encoding="utf-8") as f:
            return {e for _, e in promql.dashboard_queries(json.load(f))}
    except (OSError, ValueError):
        return set()


def collect_dashboards(ctx, res):
    """The attendee's dashboards (Grafana's and --dashboard files), the stack's own left out with a
    note; None when there is nothing to read."""
    boards = grafana_dashboards(ctx, res)
    if boards is None and not ctx.dashboards:
        res.miss(f"Grafana does not answer at {ctx.grafana}, and no --dashboard file was given",
                 "the Docker stack runs Grafana on :3000 (Debian has no package for it); without it, "
                 "write or export your dashboard (exercise 7) and pass --dashboard FILE")
        return None
    out = []
    for b in (boards or []) + file_dashboards(ctx, res):
        copy = stack_copy(b)
        if copy:
            ctx.rejected.append(b.title)
            res.warn(f"dashboard {b.title!r} from {b.origin} is the stack's own ({copy}): provisioned "
                     "for everyone, it does not count")
            continue
        given = skeleton_queries()
        if any(e in given for _, e in b.queries):
            b.queries = [(t, e) for t, e in b.queries if e not in given]
            res.warn(f"dashboard {b.title!r}: the skeleton's example panel ({', '.join(sorted(given))}) "
                     "is not counted; the panels you add are")
        out.append(b)
    return out


def run_queries(ctx, board, keep):
    """(with data, empty, failed) counts of a dashboard's queries that keep() selects."""
    data, empty, failed = [], [], []
    for title, expr in board.queries:
        if not keep(expr):
            continue
        try:
            result = ctx.prom_query(promql.grafana_to_promql(expr))
        except ValueError as e:
            failed.append((title, expr, str(e)))
            continue
        (data if result else empty).append((title, expr))
    return data, empty, failed


def judge_boards(ctx, res, boards, keep, what, hint):
    candidates = [b for b in boards if any(keep(e) for _, e in b.queries)]
    if not candidates:
        names = ", ".join(repr(b.title) for b in boards) or "none"
        rejected = ctx.rejected
        left_out = (f"; left out as the stack's own: {', '.join(repr(t) for t in rejected)}"
                    if rejected else "")
        return res.miss(f"no dashboard of yours queries {what} (dashboards seen: {names}{left_out})", hint)
    best = None
    for b in candidates:
        try:
            data, empty, failed = run_queries(ctx, b, keep)
        except web.Unreachable as e:
            return res.miss(f"cannot run the dashboard's queries on Prometheus: {e}")
        if best is None or len(data) > len(best[1]):
            best = (b, data, empty, failed)
    b, data, empty, failed = best
    origin = f" (grafana.com #{b.gnet_id})" if b.gnet_id else ""
    if not data:
        return res.miss(f"dashboard {b.title!r}{origin} from {b.origin}: none of its {what} queries "
                        "return data in Prometheus", hint)
    res.ok(f"dashboard {b.title!r}{origin} from {b.origin}: {len(data)} of "
           f"{len(data) + len(empty) + len(failed)} queries on {what} return data")
    for title, expr, err in failed[:3]:
        res.warn(f"panel {title!r}: {expr!r} fails: {err}")
    for title, expr in empty[:5]:
        need = needs(expr)
        res.warn(f"panel {title!r}: {expr!r} returns no data"
                 + (f" (its metric comes with {need}; or send some traffic)" if need else ""))
    return b


def exercise7(ctx, res):
    boards = collect_dashboards(ctx, res)
    if boards is None:
        return
    b = judge_boards(ctx, res, boards, lambda e: bool(WORKSHOP_METRIC.search(e)), "the workshop's metrics",
                     "build a dashboard with a panel such as sum(recent_fruits) (see exercise 7)")
    if b:
        ideas = {
            "fruits in total": r"all_fruits|sum\s*\(\s*recent_fruits",
            "fruits by fruit": r"recent_fruits",
            "latency of /hello and /fruit": r"http_latency",
            "requests to /hello and /fruit": r"hello_total|http_latency_count|http_requests_total",
        }
        text = " ".join(e for _, e in b.queries)
        covered = [k for k, rx in ideas.items() if re.search(rx, text)]
        missing = [k for k in ideas if k not in covered]
        if missing:
            res.warn(f"the guide's panel ideas not on it yet: {', '.join(missing)}")


def exercise8(ctx, res):
    if not prometheus_ready(ctx, res):
        return
    try:
        up = {r["metric"].get("job"): float(r["value"][1])
              for r in ctx.prom_query('up{job=~"%s"}' % "|".join(EXPORTER_JOBS))}
    except (web.Unreachable, ValueError) as e:
        return res.miss(f"cannot query Prometheus: {e}")
    down = [j for j in EXPORTER_JOBS if up.get(j) != 1]
    if down:
        res.miss(f"exporters not up in Prometheus: {', '.join(down)} (their dashboards would be empty)",
                 "stack/native/up starts them all")
    else:
        res.ok(f"the exporters are up: {', '.join(EXPORTER_JOBS)}")
    boards = collect_dashboards(ctx, res)
    if boards is None:
        return
    judge_boards(
        ctx, res, boards,
        lambda e: any(s and (promql.metric_name(s) or "").startswith(EXPORTER_PREFIXES)
                      for s in promql.selectors(e)),
        "exporter metrics",
        "import one from grafana.com: Dashboards > New > Import, e.g. 1860 (Node Exporter Full)",
    )


# ---- exercise 9 ---------------------------------------------------------------------------------


def is_workshop_selector(sel):
    name = promql.metric_name(sel) or ""
    if name == "up":
        return False
    return bool(WORKSHOP_METRIC.search(name)) or re.search(r'job\s*=~?\s*"(frontend|backend)', sel) is not None


def exercise9(ctx, res):
    if not prometheus_ready(ctx, res):
        return
    try:
        groups = ctx.prom_api("/api/v1/rules?type=alert")["groups"]
    except (web.Unreachable, ValueError) as e:
        return res.miss(f"cannot read Prometheus' rules: {e}")
    alerts = [r for g in groups for r in g["rules"] if r.get("type") == "alerting"]
    if not alerts:
        return res.miss("Prometheus has no alert rules loaded",
                        "prometheus.yml's rule_files must list stack/prometheus/rules/alerts.yml")
    sick = [r for r in alerts if r.get("health") not in ("ok", "unknown")]
    if sick:
        res.miss(f"alert {sick[0]['name']} cannot be evaluated: {sick[0].get('lastError')}")
    else:
        res.ok(f"{len(alerts)} alert rules loaded in {len(groups)} groups, all evaluating")
    alertmanager(ctx, res)
    rules_have_data(ctx, res, alerts)
    fired(ctx, res)


def alertmanager(ctx, res):
    try:
        r = web.request(ctx.alertmanager + "/api/v2/status", timeout=ctx.timeout)
        ok = r.status == 200
    except web.Unreachable:
        ok = False
    if not ok:
        res.miss(f"Alertmanager does not answer at {ctx.alertmanager}", "stack/native/up starts it")
    else:
        res.ok(f"Alertmanager answers at {ctx.alertmanager}")
    try:
        active = ctx.prom_api("/api/v1/alertmanagers")["activeAlertmanagers"]
    except (web.Unreachable, ValueError) as e:
        return res.miss(f"cannot ask Prometheus about its Alertmanagers: {e}")
    if active:
        res.ok(f"Prometheus sends its alerts to {', '.join(a['url'] for a in active)}")
    else:
        res.miss("Prometheus has no Alertmanager to send alerts to",
                 "prometheus.yml's alerting section must point at localhost:9093")


# Which exercise's reference patch adds each metric the rules and dashboards use.
ADDED_BY = {
    "hello_total": 1, "all_fruits": 2, "recent_fruits": 3, "quantity_total": 3, "http_latency": 4,
    "http_requests_total": 4, "errors_total": 4, "cache_requests_total": 4, "mq_publish_total": 4,
    "mq_publish_latency": 4, "job_duration_seconds": 5, "jobs_total": 5, "jobs_outcome_total": 5,
    "worker_busy": 5, "database_insert_latency": 5, "cache_delete_latency": 5, "mq_read_latency": 5,
}
MATCHER = re.compile(r'([a-zA-Z_]\w*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')
SAMPLE_SUFFIXES = ("_bucket", "_count", "_sum")


def matchers(sel):
    """[(label, op, value)] of a selector's {...} part."""
    body = sel[sel.index("{") + 1: sel.rindex("}")] if "{" in sel else ""
    return [m.groups() for m in MATCHER.finditer(body)]


def declared_on_page(ctx, name, job_matchers):
    """True when the frontend's or backend's /metrics (the one the job names) declares the family
    of a sample name, even with no series yet (a labelled metric before its first event)."""
    jobs = [v for label, op, v in job_matchers if op == "="] or ["frontend", "backend"]
    family = name
    for suffix in SAMPLE_SUFFIXES:
        if name.endswith(suffix):
            family = name[: -len(suffix)]
    for job in jobs:
        fetch = {"frontend": ctx.frontend_metrics, "backend": ctx.backend_metrics}.get(job)
        try:
            if fetch and fetch().type_of(family):
                return True
        except (web.Unreachable, ValueError):
            continue
    return False


def why_blind(ctx, sel):
    """Why a workshop selector without series can never match, or None when it will once the
    event it waits for happens (the metric and its labels exist, these values not yet)."""
    name = promql.metric_name(sel)
    ms = matchers(sel)
    job = [m for m in ms if m[0] == "job"]
    if not name:
        return "Prometheus has no series for it"
    scope = ", ".join(f'{label}{op}"{v}"' for label, op, v in job)
    if not ctx.prom_query(f"present_over_time({name}{{{scope}}}[15m])"):
        if declared_on_page(ctx, name, job):
            return None  # declared, no series yet: e.g. errors_total before the first error
        return f"Prometheus has no {name} series{' for ' + scope if scope else ''}"
    for label, op, value in ms:
        if label in ("job", "__name__") or op not in ("=", "=~"):
            continue
        has = f'{name}{{{scope + ", " if scope else ""}{label}!=""}}'
        if not ctx.prom_query(f"present_over_time({has}[15m])"):
            return f"no {name} series has the label {label}"
    return None


def add_hint(sel):
    """Where the metric of a selector comes from."""
    family = promql.metric_name(sel) or ""
    for suffix in SAMPLE_SUFFIXES:
        if family.endswith(suffix):
            family = family[: -len(suffix)]
    n = ADDED_BY.get(family)
    pages = {1: "01-counter", 2: "02-gauge", 3: "03-labels", 4: "04-histogram", 5: "05-summary"}
    where = (f"exercise {n} adds {family} (workshop/exercises/{pages[n]}.md; the reference: "
             f"workshop/patches/ex{n:02d}.patch)" if n is not None else "add that metric (exercises 1 to 5)")
    return f"{where}, with exactly these labels; then let Prometheus scrape it"


def rules_have_data(ctx, res, alerts):
    """A rule over series that do not exist can never fire: check each selector has had data in
    the last 15 minutes. For the workshop's own metrics, a selector on label values that have not
    occurred yet (errors_total{error="DatabaseError"} while the database is fine) is all right as
    long as the metric and those labels exist; exporters' selectors are only noted."""
    blind, blind_stack, waiting = [], [], []
    for rule in alerts:
        for sel in promql.selectors(rule["query"]):
            try:
                if ctx.prom_query(f"present_over_time({sel}[15m])"):
                    continue
                if not is_workshop_selector(sel):
                    blind_stack.append((rule["name"], sel))
                    continue
                why = why_blind(ctx, sel)
            except (web.Unreachable, ValueError):
                continue
            if why:
                blind.append((rule["name"], sel, why))
            else:
                waiting.append((rule["name"], sel))
    for name, sel, why in blind:
        res.miss(f"alert {name} watches {sel}: {why}, so it can never fire", add_hint(sel))
    for name, sel in blind_stack[:4]:
        res.warn(f"alert {name} watches {sel}, which has no series now (a stack exporter's metric)")
    for name, sel in waiting[:4]:
        res.warn(f"alert {name} watches {sel}: the metric and its labels exist, these values have "
                 "not occurred yet")
    if not blind:
        res.ok("every alert on the workshop's metrics watches metrics and labels that exist")


HOW_TO_FIRE = ('make one fire: stop the backend (Ctrl-C) and wait: ServiceDown{job="backend"} is pending '
               "at once and firing after its `for: 1m`; see it in Prometheus' alerts page (native "
               "Prometheus 2.42: :9090/classic/alerts; Docker's Prometheus 3: :9090/alerts) and at :9093, "
               "then start the backend again and watch it resolve")
STEP = 5  # seconds: the resolution of the first scrape's time
ALERT_STEP = 1  # seconds: of the alerts' firing runs (a test Prometheus evaluating every 2 s can
# fire an alert for a few seconds only; 3600 points per series for the hour)


def clock(t):
    return time.strftime("%H:%M:%S", time.localtime(t))


def services_first_up(ctx):
    """job -> when, in the last hour, Prometheus first scraped the job's /metrics (Unix s)."""
    expr = (f'min by (job) (min_over_time(timestamp(up{{job=~"{"|".join(SERVICE_JOBS)}"}} == 1)'
            f"[1h:{STEP}s]))")
    return {r["metric"].get("job"): float(r["value"][1]) for r in ctx.prom_query(expr)}


def firing_runs(ctx, now):
    """[(labels, start, end)]: every run of samples of ALERTS{alertstate="firing"} in the last
    hour, from its first sample to its last (end is about now while the alert still fires)."""
    out = []
    for series in ctx.prom_range('ALERTS{alertstate="firing"}', now - 3600, now, ALERT_STEP):
        times = sorted(float(t) for t, _ in series["values"])
        start = None
        for prev, t in zip([None] + times, times):
            if prev is None or t - prev > 1.5 * ALERT_STEP:
                if start is not None:
                    out.append((series["metric"], start, prev))
                start = t
        if start is not None:
            out.append((series["metric"], start, times[-1]))
    return out


def firing_starts(ctx, now):
    """[(labels, t)]: every time in the last hour an alert started firing."""
    return [(labels, start) for labels, start, _ in firing_runs(ctx, now)]


# Alertmanager notifies a new group after its group_wait (5-15 s in stack/alertmanager) and
# Prometheus resends firing alerts at each evaluation (15 s): an alert that resolved sooner
# than this after it started firing may never have been notified, and Alertmanager drops a
# resolved alert from its API, so no receiver can show it.
NOTIFY_WAIT = 30


def parse_time(text):
    """An RFC 3339 time from Alertmanager (nanoseconds, Z) as Unix seconds, or None."""
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$", text or "")
    if not m:
        return None
    frac = (m.group(2) or ".0")[:7]
    zone = "+00:00" if m.group(3) == "Z" else m.group(3)
    return datetime.datetime.fromisoformat(m.group(1) + frac + zone).timestamp()


def received(ctx, alert, since):
    """Where the alert (alertname and job) arrived after `since`: Alertmanager's active alerts,
    else the webhook receiver's notifications (Alertmanager forgets an alert once it resolves)."""
    def same(labels, starts):
        t = parse_time(starts)
        return (labels.get("alertname") == alert.get("alertname") and labels.get("job") == alert.get("job")
                and t is not None and t >= since - STEP)

    try:
        r = web.request(ctx.alertmanager + "/api/v2/alerts", timeout=ctx.timeout)
        if r.status == 200 and any(same(a.get("labels", {}), a.get("startsAt")) for a in r.json() or []):
            return f"Alertmanager has it ({ctx.alertmanager})"
    except web.Unreachable:
        pass
    try:
        r = web.request(ctx.webhook + "/alerts", timeout=ctx.timeout)
        notes = r.json() if r.status == 200 else None
    except web.Unreachable:
        notes = None
    for n in notes or []:
        for a in n.get("alerts", []) if isinstance(n, dict) else []:
            if same(a.get("labels", {}), a.get("startsAt")):
                return f"Alertmanager notified the webhook receiver ({ctx.webhook}/alerts)"
    return None


def fired(ctx, res):
    """An alert the attendee made fire: one that started firing after the attendee's services
    first served /metrics to Prometheus. The starting point fires ServiceDown for both services
    (a 404 on /metrics is a failed scrape) and QueueWithoutConsumers while no backend consumes
    task_queue; those started before and do not count."""
    now = time.time()
    try:
        first = services_first_up(ctx)
        runs = firing_runs(ctx, now)
    except (web.Unreachable, ValueError) as e:
        return res.miss(f"cannot query ALERTS: {e}")
    if not first:
        earlier = sorted({a.get("alertname", "?") for a, _, _ in runs})
        return res.miss("Prometheus has not scraped /metrics from the frontend or the backend in the last "
                        "hour, so no alert can be yours yet"
                        + (f" (the ones firing, {', '.join(earlier)}, are the starting point's: its "
                           "services have no /metrics)" if earlier else ""),
                        "exercise 0 first; then " + HOW_TO_FIRE)
    since = {job: t for job, t in first.items()}
    mine = []
    for labels, t, end in runs:
        job = labels.get("job")
        t0 = since.get(job) if job in SERVICE_JOBS else min(since.values())
        if t0 is not None and t > t0:
            mine.append((labels, t, t0, end))
    ups = ", ".join(f"{j} at {clock(t)}" for j, t in sorted(first.items()))
    if not mine:
        return res.miss(f"no alert has started firing since your services first served /metrics ({ups}); "
                        "alerts that fired before (the starting point's ServiceDown and "
                        "QueueWithoutConsumers) do not count", HOW_TO_FIRE)
    name = lambda a: f'{a.get("alertname", "?")}{{job="{a.get("job", "")}"}}'  # noqa: E731
    shown = sorted({f"{name(a)} at {clock(t)}" for a, t, _, _ in mine})
    res.ok(f"alerts that started firing after your services first served /metrics ({ups}): "
           + ", ".join(shown[:5]))
    for labels, t, t0, _ in mine:
        where = received(ctx, labels, t0)
        if where:
            return res.ok(f"{name(labels)} reached Alertmanager: {where}")
    # Resolved (its last sample is older than two steps) after firing for less than NOTIFY_WAIT.
    brief = [(a, t, end) for a, t, _, end in mine
             if end < now - 2 * ALERT_STEP - 1 and end - t < NOTIFY_WAIT]
    if len(brief) == len(mine):
        a, t, end = brief[-1]
        return res.miss(f"{name(a)} fired at {clock(t)} for only {end - t:.0f} s: it resolved before "
                        "Alertmanager's group_wait was over, so no receiver was notified and Alertmanager "
                        "has forgotten it",
                        f"keep the fault up for a minute after the alert fires (and run workshop/check 9 "
                        f"while it fires): {HOW_TO_FIRE}")
    return res.miss("none of these alerts is in Alertmanager or among the webhook receiver's notifications",
                    "is Prometheus' alerting section pointing at localhost:9093, and the webhook receiver "
                    "running (stack/native/up)? Alertmanager forgets an alert once it resolves: run "
                    "workshop/check 9 while it fires")


# ---- exercise 11: SLOs and burn-rate alerts -----------------------------------------------------

SLI_RECORDS = {"slo:fruit_errors:ratio_rate5m": "availability (server errors of /fruit)",
               "slo:fruit_slow:ratio_rate5m": "latency (/fruit requests over 0.75 s)"}
WINDOW = re.compile(r"ratio_rate(\d+[mhd])\b|\[(\d+[mhd])\]")
BURN_HOW = ("provoke a latency burn: restart the frontend with --latency-ms 800-1200 and send /fruit "
            "traffic (build/services/traffic --mix hello=0,get=1,post=1); the fast-burn alert fires "
            "within minutes, the slow one not before its 6 h ratio passes 6 % (about 22 minutes) and "
            "its for: 15m; restart the frontend without the flag afterwards")


def burn_windows(query):
    """The set of windows a burn-rate alert's query uses (ratio_rate1h, [5m]...)."""
    return {a or b for a, b in WINDOW.findall(query)}


def exercise11(ctx, res):
    slo_test_check.check_own_test(res, ctx.slo_test)
    if not prometheus_ready(ctx, res):
        return
    try:
        groups = ctx.prom_api("/api/v1/rules")["groups"]
    except (web.Unreachable, ValueError) as e:
        return res.miss(f"cannot read Prometheus' rules: {e}")
    records = {r["name"] for g in groups for r in g["rules"] if r.get("type") == "recording"}
    alerts = [r for g in groups for r in g["rules"] if r.get("type") == "alerting"]
    for name, what in SLI_RECORDS.items():
        if name not in records:
            res.miss(f"no recording rule {name}, the {what} SLI",
                     "prometheus.yml's rule_files must list rules/slo.yml (exercise 11)")
            continue
        try:
            got = ctx.prom_query(name)
        except (web.Unreachable, ValueError) as e:
            res.miss(f"{name}: {e}")
            continue
        if got and not math.isnan(float(got[0]["value"][1])):
            res.ok(f"{name} = {web.fmt(float(got[0]['value'][1]))} (the {what} over 5 minutes)")
        else:
            res.miss(f"{name} has no value: no /fruit requests in the last 5 minutes, or exercise 4's "
                     "http_requests_total / http_latency are missing", "send /fruit traffic")
    fast = [a for a in alerts if {"1h", "5m"} <= burn_windows(a["query"])]
    slow = [a for a in alerts if {"6h", "30m"} <= burn_windows(a["query"])]
    if not fast or not slow:
        return res.miss("no multi-window burn-rate alerts: expected one over 1h and 5m (fast burn) and one "
                        "over 6h and 30m (slow burn)", "load rules/slo.yml (exercise 11)")
    res.ok(f"burn-rate alerts loaded: fast {', '.join(sorted(a['name'] for a in fast))}; "
           f"slow {', '.join(sorted(a['name'] for a in slow))}")
    now = time.time()
    try:
        first = services_first_up(ctx)
        starts = firing_starts(ctx, now)
    except (web.Unreachable, ValueError) as e:
        return res.miss(f"cannot query ALERTS: {e}")
    fast_names = {a["name"] for a in fast} - {a["name"] for a in slow}
    slow_names = {a["name"] for a in slow}
    t0 = min(first.values()) if first else None
    fired_fast = [(labels, t) for labels, t in starts
                  if labels.get("alertname") in fast_names and t0 is not None and t > t0]
    if not fired_fast:
        return res.miss("no fast-burn alert has fired in the last hour", BURN_HOW)
    labels, t = fired_fast[-1]
    slow_before = [s for s in starts if s[0].get("alertname") in slow_names and s[1] <= t]
    if slow_before:
        return res.miss(f"{labels['alertname']} fired at {clock(t)}, but a slow-burn alert had fired "
                        f"before it ({slow_before[-1][0]['alertname']} at {clock(slow_before[-1][1])}): "
                        "the fast one should come first", BURN_HOW)
    res.ok(f"{labels['alertname']} fired at {clock(t)} while no slow-burn alert had fired")
