"""test_checker.py -- tests of workshop/check's parts, and of its verdicts against small frontends
that are instrumented right and wrong in known ways (so the checker is seen to fail when it should).
The end-to-end tests against the real services and stack are in check_e2e.sh.

Run: /usr/bin/python3 -m unittest workshop/tests/test_checker.py   (CTest: workshop.checker_unit)
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

HERE = os.path.dirname(os.path.abspath(__file__))
WORKSHOP = os.path.dirname(HERE)
sys.path.insert(0, WORKSHOP)
from checker import cli, code_checks, promql, protobuf, scaling_checks, slo_test_check, stack_checks, web  # noqa: E402,E501
from checker.context import Context  # noqa: E402
from checker.report import Result  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Selection(unittest.TestCase):
    def test_forms(self):
        self.assertEqual(cli.parse_selection([]), list(range(10)) + [11])
        self.assertEqual(cli.parse_selection(["all"]), list(range(10)) + [11])
        self.assertEqual(cli.parse_selection(["9-11"]), [9, 11])
        self.assertEqual(cli.parse_selection(["3"]), [3])
        self.assertEqual(cli.parse_selection(["0-2", "9", "1"]), [0, 1, 2, 9])
        self.assertEqual(cli.parse_selection(["4,6"]), [4, 6])
        # exercise 10 (the cluster) only when named
        self.assertEqual(cli.parse_selection(["10"]), [10])
        self.assertEqual(cli.parse_selection(["10-10"]), [10])
        self.assertEqual(cli.parse_selection(["9-11", "10"]), [9, 10, 11])

    def test_nonsense(self):
        for bad in (["12"], ["5-2"], ["x"]):
            with self.assertRaises(ValueError):
                cli.parse_selection(bad)


class Exposition(unittest.TestCase):
    TEXT = (
        "# HELP hello_total Hellos\n# TYPE hello_total counter\nhello_total 3\n"
        "# TYPE recent_fruits gauge\nrecent_fruits{fruit=\"apples\"} 7\nrecent_fruits{fruit=\"pears\"} 2\n"
        "# TYPE h histogram\nh_bucket{m=\"GET\",le=\"0.1\"} 1\nh_bucket{m=\"GET\",le=\"+Inf\"} 2\n"
        "h_count{m=\"GET\"} 2\nh_sum{m=\"GET\"} 0.3\n"
    )

    def test_types_values_labels(self):
        e = web.Exposition(self.TEXT)
        self.assertEqual(e.type_of("hello_total"), "counter")
        self.assertEqual(e.type_of("recent_fruits"), "gauge")
        self.assertIsNone(e.type_of("all_fruits"))
        self.assertEqual(e.value("hello_total"), 3)
        self.assertEqual(e.value("recent_fruits", {"fruit": "pears"}), 2)
        self.assertIsNone(e.value("recent_fruits"))
        self.assertEqual(e.label_names("recent_fruits"), {frozenset({"fruit"})})
        self.assertEqual(e.label_names("h_bucket"), {frozenset({"m"})})

    def test_counter_declared_without_suffix(self):
        self.assertEqual(web.Exposition("# TYPE jobs counter\njobs_total 1\n").type_of("jobs_total"), "counter")


class PromQL(unittest.TestCase):
    def test_selectors(self):
        q = ('sum by (job) (rate(errors_total{job="frontend", error!~".*ValueError"}[5m]))\n'
             '  / sum by (job) (rate(http_requests_total{job="frontend"}[5m])) > 0.05')
        self.assertEqual(promql.selectors(q), ['errors_total{job="frontend", error!~".*ValueError"}',
                                               'http_requests_total{job="frontend"}'])
        self.assertEqual(promql.selectors("pg_up == 0"), ["pg_up"])
        self.assertEqual(promql.selectors('count by(job) ({__name__=~".+"})'), ['{__name__=~".+"}'])
        self.assertEqual(promql.selectors("a / on(job) group_left(version) b offset 5m"), ["a", "b"])
        self.assertEqual(
            promql.selectors("histogram_quantile(0.95, sum by (le, method) (rate(x_bucket[5m]))) > 0.5"),
            ["x_bucket"])
        self.assertEqual(promql.selectors('f{a="}{"}'), ['f{a="}{"}'])

    def test_metric_name(self):
        self.assertEqual(promql.metric_name('up{job="x"}'), "up")
        self.assertEqual(promql.metric_name('{__name__="pg_up"}'), "pg_up")
        self.assertIsNone(promql.metric_name('{job="x"}'))

    def test_grafana_variables(self):
        self.assertEqual(
            promql.grafana_to_promql('rate(node_cpu_seconds_total{instance="$node",mode!="idle"}[$__rate_interval])'),
            'rate(node_cpu_seconds_total{instance=~".*",mode!="idle"}[5m])')
        self.assertEqual(promql.grafana_to_promql("sum(rate(x[${__interval}]))"), "sum(rate(x[5m]))")

    def test_dashboard_queries_walk_rows(self):
        model = {"panels": [{"title": "row", "type": "row", "panels": [
            {"title": "a", "targets": [{"expr": "up"}, {"expr": ""}]}]},
            {"title": "b", "targets": [{"expr": "hello_total"}]}]}
        self.assertEqual(promql.dashboard_queries(model), [("a", "up"), ("b", "hello_total")])


class FakeFrontend:
    """A tiny frontend whose hello_total is right or wrong in a chosen way."""

    def __init__(self, mode):
        self.mode, self.hello = mode, 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def answer(self, status, body, ctype="application/json"):
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                url = urlparse(self.path)
                if url.path == "/hello":
                    fake.hello += 2 if fake.mode == "double" else 1
                    return self.answer(200, "Hello, World!", "text/html")
                if url.path == "/fruit":
                    if fake.mode == "counts-fruit":
                        fake.hello += 1
                    name = parse_qs(url.query).get("name", ["all"])[0]
                    return self.answer(200, json.dumps({"fruit": name, "total_quantity": 5}))
                if url.path == "/metrics":
                    kind = "gauge" if fake.mode == "gauge" else "counter"
                    text = f"# TYPE hello_total {kind}\nhello_total {fake.hello}\n"
                    if fake.mode == "labelled":
                        text = f'# TYPE hello_total counter\nhello_total{{path="/hello"}} {fake.hello}\n'
                    return self.answer(200, text, "text/plain; version=0.0.4")
                return self.answer(404, "{}")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class CounterVerdicts(unittest.TestCase):
    """Exercise 1's check against right and wrong counters."""

    def verdict(self, mode):
        fake = FakeFrontend(mode)
        try:
            ctx = Context(fake.url, fake.url, "http://127.0.0.1:1", "http://127.0.0.1:1",
                          "http://127.0.0.1:1", ("admin", "admin"), [], 5)
            res = Result(1, "counter")
            code_checks.exercise1(ctx, res)
            return res
        finally:
            fake.close()

    def misses(self, res):
        return " | ".join(text for kind, text, _ in res.lines if kind == "miss")

    def test_right(self):
        res = self.verdict("right")
        self.assertTrue(res.done, self.misses(res))

    def test_counts_twice(self):
        res = self.verdict("double")
        self.assertFalse(res.done)
        self.assertIn("raised hello_total by 2, not 1", self.misses(res))

    def test_also_counts_fruit(self):
        res = self.verdict("counts-fruit")
        self.assertFalse(res.done)
        self.assertIn("GET /fruit moved hello_total by 1", self.misses(res))

    def test_wrong_type(self):
        res = self.verdict("gauge")
        self.assertIn("declared as a gauge, not a counter", self.misses(res))

    def test_unexpected_label(self):
        res = self.verdict("labelled")
        self.assertIn("hello_total has the labels (path); expected (none)", self.misses(res))


class FakeStack:
    """Prometheus answering present_over_time() from a list of series, and a frontend page."""

    def __init__(self, series, page=""):
        self.series, self.page = series, page

    def prom_query(self, expr):
        sel = expr[len("present_over_time("): expr.rindex("[")]
        name = promql.metric_name(sel)
        want = stack_checks.matchers(sel)
        out = []
        for s in self.series:
            if s["__name__"] != name:
                continue
            ok = True
            for label, op, value in want:
                have = s.get(label, "")
                ok &= {"=": have == value, "!=": have != value,
                       "=~": have in value.split("|"), "!~": have not in value.split("|")}[op]
            if ok:
                out.append({"metric": s, "value": [0, "1"]})
        return out

    def frontend_metrics(self):
        return web.Exposition(self.page)

    backend_metrics = frontend_metrics


class AlertSelectors(unittest.TestCase):
    """Exercise 9: which alert selectors can never fire."""

    SEL = 'errors_total{job="frontend", error=~"DatabaseError|PublishError"}'

    def test_values_not_seen_yet_are_fine(self):
        ctx = FakeStack([{"__name__": "errors_total", "job": "frontend", "error": "FruitValueError"}])
        self.assertIsNone(stack_checks.why_blind(ctx, self.SEL))

    def test_declared_metric_without_series_is_fine(self):
        ctx = FakeStack([], "# HELP errors_total x\n# TYPE errors_total counter\n")
        self.assertIsNone(stack_checks.why_blind(ctx, self.SEL))

    def test_missing_metric_is_blind(self):
        ctx = FakeStack([{"__name__": "hello_total", "job": "frontend"}], "# TYPE hello_total counter\n")
        self.assertIn("no errors_total series", stack_checks.why_blind(ctx, self.SEL))

    def test_wrong_label_name_is_blind(self):
        ctx = FakeStack([{"__name__": "errors_total", "job": "frontend", "kind": "DatabaseError"}])
        self.assertEqual(stack_checks.why_blind(ctx, self.SEL), "no errors_total series has the label error")

    def test_histogram_family_declared(self):
        ctx = FakeStack([], "# TYPE http_latency histogram\n")
        self.assertIsNone(stack_checks.why_blind(ctx, 'http_latency_bucket{job="frontend"}'))


REPO = os.path.dirname(WORKSHOP)
STACK_DASHBOARDS = os.path.join(REPO, "stack", "grafana", "dashboards")
FIXTURES = os.path.join(HERE, "dashboards")


class FakePrometheus:
    """An HTTP Prometheus (and Alertmanager and webhook receiver) whose answers a test chooses:
    answer(expr) for instant queries, ranges(expr) for range queries, targets and alerts."""

    def __init__(self, answer, ranges=None, targets=(), am_alerts=(), notifications=()):
        fake = self
        self.answer, self.ranges = answer, ranges or (lambda expr: [])
        self.targets, self.am_alerts, self.notifications = list(targets), list(am_alerts), list(notifications)
        self.rules = [{"name": "ServiceDown", "type": "alerting", "health": "ok",
                       "query": 'up{job=~"frontend|backend|rabbitmq"} == 0'}]
        self.config = "global:\n  scrape_interval: 15s\n"

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def answer_json(self, doc, status=200):
                data = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                url = urlparse(self.path)
                q = parse_qs(url.query)
                ok = lambda data: self.answer_json({"status": "success", "data": data})  # noqa: E731
                if url.path in ("/-/ready", "/api/v2/status"):
                    return self.answer_json({})
                if url.path == "/api/v1/query":
                    return ok({"resultType": "vector", "result": fake.answer(q["query"][0])})
                if url.path == "/api/v1/query_range":
                    return ok({"resultType": "matrix", "result": fake.ranges(q["query"][0])})
                if url.path == "/api/v1/targets":
                    return ok({"activeTargets": fake.targets})
                if url.path == "/api/v1/rules":
                    return ok({"groups": [{"name": "g", "rules": fake.rules}]})
                if url.path == "/api/v1/status/config":
                    return ok({"yaml": fake.config})
                if url.path == "/api/v1/alertmanagers":
                    return ok({"activeAlertmanagers": [{"url": "http://127.0.0.1:9093/api/v2/alerts"}]})
                if url.path == "/api/v2/alerts":
                    return self.answer_json(fake.am_alerts)
                if url.path == "/alerts":
                    return self.answer_json(fake.notifications)
                if url.path == "/metrics":
                    data = b'alertmanager_alerts_received_total{status="firing",version="v2"} 12\n'
                    self.send_response(200)
                    self.send_header("Content-Type", "text/plain; version=0.0.4")
                    self.end_headers()
                    return self.wfile.write(data)
                return self.answer_json({"status": "error", "error": "not found"}, 404)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def context(self, dashboards=()):
        ctx = Context(self.url, self.url, self.url, self.url, "http://127.0.0.1:1", ("admin", "admin"),
                      list(dashboards), 5)
        ctx.webhook = self.url
        return ctx

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def sample(labels, value="1"):
    return {"metric": labels, "value": [1700000000, value]}


def run_exercise(fn, ctx, n):
    res = Result(n, "test")
    fn(ctx, res)
    return res


def miss_text(res):
    return " | ".join(text for kind, text, _ in res.lines if kind == "miss")


# The starting point as Prometheus sees it: the frontend and backend answer 404 on /metrics (up 0,
# only Prometheus' own up/scrape_* series), ServiceDown fires for both since a minute after start,
# and recording rules and ALERTS carry job="frontend".
START_SERIES = (
    [{"__name__": n, "job": j, "instance": f"localhost:500{i}"}
     for i, j in enumerate(("frontend", "backend"))
     for n in ("up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_series_added",
               "scrape_samples_post_metric_relabeling")]
    + [{"__name__": "ALERTS", "alertname": "ServiceDown", "alertstate": "firing", "job": j,
        "severity": "critical"} for j in ("frontend", "backend")]
    + [{"__name__": "job:hello:rate1m", "job": "frontend"}]
    + [{"__name__": "node_cpu_seconds_total", "job": "node_exporter"}]
)
START_TARGETS = [{"labels": {"job": j}, "health": "down", "scrapeUrl": f"http://localhost:500{i}/metrics",
                  "lastError": "server returned HTTP status 404 Not Found"}
                 for i, j in enumerate(("frontend", "backend"))]


def start_answer(expr):
    """Instant queries against the starting point's series."""
    if expr.startswith("count by(job)"):
        jobs = {}
        for s in START_SERIES:
            jobs[s["job"]] = jobs.get(s["job"], 0) + 1
        return [sample({"job": j}, str(c)) for j, c in jobs.items()]
    if expr.startswith("count by (alertname)"):
        return [sample({"alertname": "ServiceDown"}, "40")]
    if expr.startswith("count by (job)") and "__name__!~" in expr:
        return []
    sels = promql.selectors(expr)
    if not sels:
        return []
    name = promql.metric_name(sels[0])
    want = stack_checks.matchers(sels[0])
    out = []
    for s in START_SERIES:
        if name and s["__name__"] != name:
            continue
        if all(s.get(k) == v for k, op, v in want if op == "="):
            out.append(sample(s))
    return out if not expr.startswith(("rate(", "histogram_quantile", "sum(", "count(", "min by")) else []


class StartingPointStack(unittest.TestCase):
    """Exercises 6 and 9 against Prometheus as it is at the starting point: both must be missing
    (before issue 12, 6 passed the count-by-job and {job="frontend"} lines, and 9 was done)."""

    def setUp(self):
        self.prom = FakePrometheus(start_answer, self.start_ranges, START_TARGETS,
                                   am_alerts=[{"labels": {"alertname": "ServiceDown", "job": "backend"},
                                               "startsAt": "2023-11-14T22:14:00Z"}])
        self.addCleanup(self.prom.close)

    @staticmethod
    def start_ranges(expr):
        if "ALERTS" in expr:  # ServiceDown firing for both jobs since long before now
            return [{"metric": {"__name__": "ALERTS", "alertname": "ServiceDown", "alertstate": "firing",
                                "job": j}, "values": [[1700000000 - 3600 + 5 * i, "1"] for i in range(721)]}
                    for j in ("frontend", "backend")]
        return []

    def test_exercise6_lines_fail(self):
        res = run_exercise(stack_checks.exercise6, self.prom.context(), 6)
        self.assertFalse(res.done)
        misses = miss_text(res)
        self.assertIn('count by(job) ({__name__=~".+"})', misses)
        self.assertIn('{job="frontend"}', misses)

    def test_exercise9_start_alerts_do_not_count(self):
        res = run_exercise(stack_checks.exercise9, self.prom.context(), 9)
        self.assertFalse(res.done, [t for _, t, _ in res.lines])
        self.assertIn("/metrics", miss_text(res))


class NativeHistogramSeries(unittest.TestCase):
    """Exercise 6 on a frontend with a native histogram: {job="frontend"} then returns
    http_latency_native as histogram samples, which have no "value" (before the fix the checker
    stopped with KeyError: 'value')."""

    def test_selector_with_native_histogram(self):
        native = {"metric": {"__name__": "http_latency_native", "job": "frontend"},
                  "histogram": [1700000000, {"count": "12", "sum": "3.5", "buckets": []}]}

        def answer(expr):
            if expr == '{job="frontend"}':
                return [sample({"__name__": "hello_total", "job": "frontend"}, "3"), native]
            if expr == "http_latency_native":
                return [native]
            return [sample({"__name__": "hello_total", "job": "frontend"}, "3")]

        prom = FakePrometheus(answer)
        self.addCleanup(prom.close)
        res = run_exercise(stack_checks.exercise6, prom.context(), 6)
        texts = [t for _, t, _ in res.lines]
        self.assertFalse(any("checker failed" in t for t in texts), texts)
        self.assertTrue(any(t.startswith('{job="frontend"}') and kind == "ok"
                            for kind, t, _ in res.lines), texts)
        self.assertEqual(stack_checks.short([native]), "= a native histogram of 12 observations")


class AttendeeAlert(unittest.TestCase):
    """Exercise 9 once the services serve /metrics: an alert counts when it started firing after
    they were first scraped, and reached Alertmanager (here: the webhook receiver's record)."""

    def prom(self, runs, notified=True):
        import time

        now = time.time()
        self.now = now

        def answer(expr):
            if expr.startswith("min by (job)"):
                return [sample({"job": j}, str(now - 600)) for j in ("frontend", "backend")]
            return []

        def ranges(expr):
            return [{"metric": {"__name__": "ALERTS", "alertname": "ServiceDown", "alertstate": "firing",
                                "job": "backend"},
                     "values": [[now - a + i, "1"] for a, b in runs for i in range(a - b)]}]

        started = time.strftime("%Y-%m-%dT%H:%M:%S.123456789Z", time.gmtime(now - 360))
        fake = FakePrometheus(answer, ranges, notifications=[
            {"status": "firing", "alerts": [{"labels": {"alertname": "ServiceDown", "job": "backend"},
                                             "startsAt": started}]}] if notified else [])
        self.addCleanup(fake.close)
        return fake

    def test_fired_after_first_scrape(self):
        res = run_exercise(stack_checks.exercise9, self.prom([(900, 650), (300, 200)]).context(), 9)
        self.assertTrue(res.done, miss_text(res))
        self.assertIn("webhook receiver", " ".join(t for _, t, _ in res.lines))

    def test_resolved_before_notification(self):
        """Fired for 12 s only, then resolved, and no receiver has it: the miss says why (it
        resolved within group_wait), not only that nothing reached Alertmanager."""
        res = run_exercise(stack_checks.exercise9, self.prom([(300, 288)], notified=False).context(), 9)
        self.assertFalse(res.done)
        self.assertIn('ServiceDown{job="backend"} fired at', miss_text(res))
        self.assertIn("for only 11 s: it resolved before Alertmanager's group_wait", miss_text(res))

    def test_long_run_not_received(self):
        """Fired for 100 s and still no receiver has it: the miss is about the routing."""
        res = run_exercise(stack_checks.exercise9, self.prom([(300, 200)], notified=False).context(), 9)
        self.assertFalse(res.done)
        self.assertIn("none of these alerts is in Alertmanager", miss_text(res))
        self.assertNotIn("for only", miss_text(res))

    def test_only_before_first_scrape(self):
        res = run_exercise(stack_checks.exercise9, self.prom([(900, 650)]).context(), 9)
        self.assertFalse(res.done)
        self.assertIn("no alert has started firing since your services first served /metrics",
                      miss_text(res))


class SLOs(unittest.TestCase):
    """Exercise 11: the SLI recording rules answer, the multi-window alerts are loaded, and a
    fast-burn alert fired (after the services came up) before any slow-burn one."""

    def prom(self, fired):
        import time

        now = time.time()

        def answer(expr):
            if expr.startswith("min by (job)"):
                return [sample({"job": j}, str(now - 900)) for j in ("frontend", "backend")]
            if expr.startswith("slo:"):
                return [sample({"__name__": expr}, "0.01")]
            return []

        def ranges(expr):
            return [{"metric": {"__name__": "ALERTS", "alertname": name, "alertstate": "firing"},
                     "values": [[now - a + i, "1"] for i in range(a - b)]} for name, a, b in fired]

        fake = FakePrometheus(answer, ranges)
        with open(os.path.join(REPO, "stack", "prometheus", "rules", "slo.yml")) as f:
            import yaml

            doc = yaml.safe_load(f)
        fake.rules = [{"name": r.get("alert") or r.get("record"), "query": r["expr"], "health": "ok",
                       "type": "alerting" if "alert" in r else "recording"}
                      for g in doc["groups"] for r in g["rules"]]
        self.addCleanup(fake.close)
        return fake

    def context(self, fired):
        ctx = self.prom(fired).context()
        ctx.slo_test = own_slo_test(self)
        return ctx

    def test_fast_burn_fired(self):
        res = run_exercise(stack_checks.exercise11, self.context([("FruitLatencyFastBurn", 300, 100)]), 11)
        self.assertTrue(res.done, miss_text(res))

    def test_fast_burn_fired_without_own_test(self):
        ctx = self.prom([("FruitLatencyFastBurn", 300, 100)]).context()
        ctx.slo_test = os.path.join(os.path.dirname(own_slo_test(self)), "none.yml")
        res = run_exercise(stack_checks.exercise11, ctx, 11)
        self.assertFalse(res.done)
        self.assertIn("no promtool test of your own", miss_text(res))


    def test_nothing_fired(self):
        res = run_exercise(stack_checks.exercise11, self.context([]), 11)
        self.assertFalse(res.done)
        self.assertIn("no fast-burn alert has fired", miss_text(res))

    def test_slow_before_fast(self):
        res = run_exercise(stack_checks.exercise11, self.context(
            [("FruitLatencySlowBurn", 600, 500), ("FruitLatencyFastBurn", 300, 100)]), 11)
        self.assertFalse(res.done)
        self.assertIn("the fast one should come first", miss_text(res))


ANSWER_11 = os.path.join(WORKSHOP, "exercises", "11-slo-answer_test.yml")


def own_slo_test(case, edit=None):
    """A copy of exercise 11's reference own test in a temp dir, its rule_files made absolute;
    edit(doc) may change it first. Returns its path."""
    import tempfile

    import yaml

    d = tempfile.mkdtemp(prefix="slo_own_")
    case.addCleanup(shutil.rmtree, d, True)
    with open(ANSWER_11) as f:
        doc = yaml.safe_load(f)
    doc["rule_files"] = [slo_test_check.SLO_RULES]
    if edit:
        edit(doc)
    path = os.path.join(d, "my_slo_test.yml")
    with open(path, "w") as f:
        yaml.safe_dump(doc, f)
    return path


class SLOOwnTest(unittest.TestCase):
    """Exercise 11's promtool test of the attendee's own: missing, a copy of the stack's, testing
    other rules, one-sided, or failing promtool are each reported; the reference answer passes."""

    def check(self, path):
        res = Result(11, "test")
        done = slo_test_check.check_own_test(res, path)
        self.assertEqual(done, res.done)
        return res

    def test_reference_answer_passes(self):
        res = self.check(own_slo_test(self))
        self.assertTrue(res.done, miss_text(res))
        self.assertIn("fires FruitLatencySlowBurn; silent FruitLatencyFastBurn", res.lines[0][1])

    def test_missing(self):
        res = self.check(os.path.join(os.path.dirname(own_slo_test(self)), "none.yml"))
        self.assertIn("no promtool test of your own at", miss_text(res))

    def test_copy_of_the_stacks_test(self):
        path = own_slo_test(self)
        with open(slo_test_check.REFERENCE) as src, open(path, "w") as dst:
            dst.write(src.read())
        self.assertIn("is a copy of the stack's own slo_test.yml", miss_text(self.check(path)))

    def test_other_rules(self):
        def elsewhere(doc):
            doc["rule_files"] = [os.path.join(REPO, "stack", "prometheus", "rules", "alerts.yml")]

        self.assertIn("does not test the stack's SLO rules", miss_text(self.check(own_slo_test(self, elsewhere))))

    def test_only_silent(self):
        def silent(doc):
            for t in doc["tests"]:
                t["alert_rule_test"] = [c for c in t["alert_rule_test"] if not c["exp_alerts"]]

        self.assertIn("it has 0 firing and 2 silent expectation(s)",
                      miss_text(self.check(own_slo_test(self, silent))))

    def test_promtool_fails(self):
        def too_soon(doc):  # the slow alert fires at minute ~591, not 585
            for t in doc["tests"]:
                for c in t["alert_rule_test"]:
                    if c["exp_alerts"]:
                        c["eval_time"] = "585m"

        text = miss_text(self.check(own_slo_test(self, too_soon)))
        self.assertIn("fails:", text)
        self.assertIn("FruitLatencySlowBurn", text)

    def test_promtool_missing(self):
        path = own_slo_test(self)
        old = os.environ["PATH"]
        os.environ["PATH"] = self.id()  # no promtool there
        self.addCleanup(os.environ.__setitem__, "PATH", old)
        self.assertIn("promtool is not on PATH", miss_text(self.check(path)))


class Scaling(unittest.TestCase):
    """Exercise 10 on two fake Prometheus replicas and a fake VictoriaMetrics: the cluster down,
    the rule missing, sum before rate, one replica label for both, an instance down and a store
    that keeps both replicas' copies are each reported; the reference answer passes."""

    GOOD = "sum without (instance) (rate(hello_total[1m]))"

    def setUp(self):
        self.down = set()  # (job, instance) whose up is 0
        self.vm_copies = 1
        self.fakes = []
        for r in ("1", "2"):
            fake = FakePrometheus(self.answer)
            fake.config = f"global:\n  external_labels:\n    replica: \"{r}\"\n    stack: x\n"
            fake.rules = [{"name": scaling_checks.RULE, "type": "recording", "health": "ok",
                           "query": self.GOOD}]
            self.addCleanup(fake.close)
            self.fakes.append(fake)
        self.vm = FakePrometheus(lambda expr: [sample({}, str(2 * self.vm_copies))])
        self.addCleanup(self.vm.close)

    def answer(self, expr):
        if expr.startswith("up{"):
            return [sample({"job": j, "instance": i}, "0" if (j, i) in self.down else "1")
                    for j, insts in scaling_checks.INSTANCES.items() for i in insts]
        if expr == scaling_checks.RULE:
            return [sample({"__name__": expr, "job": "frontend"}, "0.5")]
        if expr.startswith("count("):
            return [sample({}, "2")]
        return []

    def run10(self, replicas=None):
        ctx = self.fakes[0].context()
        ctx.cluster_prometheus = replicas or [f.url for f in self.fakes]
        ctx.victoriametrics = self.vm.url
        return run_exercise(scaling_checks.exercise10, ctx, 10)

    def set_rule(self, query):
        for f in self.fakes:
            f.rules[0]["query"] = query

    def test_reference_answer(self):
        res = self.run10()
        self.assertTrue(res.done, miss_text(res))
        self.assertIn("job:hello_total:rate1m = frontend: 0.5/s", " ".join(t for _, t, _ in res.lines))

    def test_cluster_down(self):
        res = self.run10([f"http://127.0.0.1:{free_port()}", self.fakes[1].url])
        self.assertFalse(res.done)
        self.assertIn("does not answer", miss_text(res))

    def test_rule_missing(self):
        for f in self.fakes:
            f.rules = []
        res = self.run10()
        self.assertIn("has no recording rule job:hello_total:rate1m", miss_text(res))

    def test_sum_before_rate(self):
        self.set_rule("rate(sum(hello_total)[1m:])")
        self.assertIn("take rate() of each instance's hello_total first", miss_text(self.run10()))

    def test_rate_without_sum(self):
        self.set_rule("rate(hello_total[1m])")
        self.assertIn("sum the per-instance rates without(instance)", miss_text(self.run10()))

    def test_sum_by_job_after_argument(self):
        self.set_rule("sum(rate(hello_total[1m])) by (job)")
        res = self.run10()
        self.assertTrue(res.done, miss_text(res))

    def test_same_replica_label(self):
        self.fakes[1].config = self.fakes[0].config
        self.assertIn("external labels should tell them apart", miss_text(self.run10()))

    def test_instance_down(self):
        self.down.add(("backend", "127.0.0.1:5112"))
        self.assertIn('up{job="backend", instance="127.0.0.1:5112"} is 0, not 1', miss_text(self.run10()))

    def test_not_deduplicated(self):
        self.vm_copies = 2
        self.assertIn("the replicas' copies are not deduplicated", miss_text(self.run10()))


class StackDashboards(unittest.TestCase):
    """Exercises 7 and 8 with --dashboard: the stack's own provisioned dashboards do not count,
    even when Prometheus has data for every query; the attendee's do."""

    def setUp(self):
        self.prom = FakePrometheus(self.everything,
                                   targets=[{"labels": {"job": j}, "health": "up", "scrapeUrl": j}
                                            for j in stack_checks.EXPORTER_JOBS])
        self.addCleanup(self.prom.close)

    @staticmethod
    def everything(expr):
        if expr.startswith("up{job=~"):
            return [sample({"job": j}) for j in stack_checks.EXPORTER_JOBS]
        return [sample({"job": "x"})]

    def verdict(self, fn, n, *files):
        return run_exercise(fn, self.prom.context(files), n)

    def test_stack_workshop_dashboard_rejected(self):
        res = self.verdict(stack_checks.exercise7, 7, os.path.join(STACK_DASHBOARDS, "workshop.json"))
        self.assertFalse(res.done)
        self.assertIn("the stack's own", miss_text(res))

    def test_stack_node_dashboard_rejected(self):
        res = self.verdict(stack_checks.exercise8, 8, os.path.join(STACK_DASHBOARDS, "node.json"))
        self.assertFalse(res.done)
        self.assertIn("the stack's own", miss_text(res))

    def test_renamed_copy_rejected(self):
        with open(os.path.join(STACK_DASHBOARDS, "workshop.json")) as f:
            model = json.load(f)
        model.update(uid="mine", title="My dashboard", id=None)
        path = os.path.join(self.tmp(), "copy.json")
        with open(path, "w") as f:
            json.dump(model, f)
        res = self.verdict(stack_checks.exercise7, 7, path)
        self.assertFalse(res.done)
        self.assertIn("the stack's own", miss_text(res))

    def tmp(self):
        import tempfile

        d = tempfile.mkdtemp()
        self.addCleanup(lambda: __import__("shutil").rmtree(d))
        return d

    def test_attendee_dashboards_accepted(self):
        res = self.verdict(stack_checks.exercise7, 7, os.path.join(FIXTURES, "attendee-ex7.json"))
        self.assertTrue(res.done, miss_text(res))
        res = self.verdict(stack_checks.exercise8, 8, os.path.join(FIXTURES, "attendee-ex8.json"))
        self.assertTrue(res.done, miss_text(res))

    def test_skeleton_alone_is_missing(self):
        skeleton = os.path.join(WORKSHOP, "exercises", "dashboard-skeleton.json")
        res = self.verdict(stack_checks.exercise7, 7, skeleton)
        self.assertFalse(res.done)
        with open(skeleton) as f:
            model = json.load(f)
        model["panels"][1]["targets"][0]["expr"] = "sum by (fruit) (rate(quantity_total[5m]))"
        path = os.path.join(self.tmp(), "mine.json")
        with open(path, "w") as f:
            json.dump(model, f)
        res = self.verdict(stack_checks.exercise7, 7, path)
        self.assertTrue(res.done, miss_text(res))

    def test_not_a_dashboard_model(self):
        path = os.path.join(self.tmp(), "bad.json")
        with open(path, "w") as f:
            json.dump({"title": "x", "panels": [{"title": "p", "targets": [{"expr": "hello_total"}]}]}, f)
        res = self.verdict(stack_checks.exercise7, 7, path)
        self.assertFalse(res.done)
        self.assertIn('has no "gridPos"', miss_text(res))
        self.assertIn('without a "refId"', miss_text(res))

    def test_no_data_is_missing(self):
        self.prom.answer = lambda expr: []
        res = self.verdict(stack_checks.exercise7, 7, os.path.join(FIXTURES, "attendee-ex7.json"))
        self.assertFalse(res.done)
        self.assertIn("return data", miss_text(res))


class Outcomes(unittest.TestCase):
    """Exercise 5's jobs_outcome_total: the outcomes mean what the page defines ("retried" is a new
    attempt after a failed one, so it never gets ahead of "failed" and catches up after the
    backoff). Before issue 12 any counter with an outcome label passed."""

    class Backend:
        def __init__(self, pages):
            self.pages = list(pages)

        def backend_metrics(self):
            page = self.pages.pop(0) if len(self.pages) > 1 else self.pages[0]
            return web.Exposition("# TYPE jobs_outcome counter\n" + "".join(
                f'jobs_outcome_total{{outcome="{k}"}} {v}\n' for k, v in page.items()))

    def verdict(self, *pages):
        res = Result(5, "outcomes")
        code_checks.job_outcomes(self.Backend(pages), res, wait=1.0)
        return res

    def test_right(self):
        res = self.verdict({"ok": 10, "failed": 3, "retried": 2, "poison": 0},
                           {"ok": 12, "failed": 3, "retried": 3, "poison": 0})
        self.assertTrue(res.done, miss_text(res))

    def test_retried_ahead_of_failed(self):
        res = self.verdict({"ok": 10, "failed": 2, "retried": 5, "poison": 0})
        self.assertFalse(res.done)
        self.assertIn('jobs_outcome_total{outcome="retried"} is 5, above', miss_text(res))

    def test_retried_never_follows(self):
        res = self.verdict({"ok": 10, "failed": 4, "retried": 0, "poison": 0})
        self.assertFalse(res.done)
        self.assertIn("did not follow", miss_text(res))

    def test_unknown_outcome(self):
        res = self.verdict({"ok": 1, "error": 2})
        self.assertFalse(res.done)
        self.assertIn("error", miss_text(res))


class MovedHints(unittest.TestCase):
    """Every "moved by N, not 1" says to stop other traffic (before issue 12 only exercise 1's and
    http_latency's did; http_requests_total's repeated the registration hint)."""

    class Twice:
        def __init__(self):
            self.n = 0

        def frontend_metrics(self):
            return web.Exposition('# TYPE http_requests counter\n'
                                  f'http_requests_total{{method="GET",endpoint="/hello"}} {self.n}\n')

        def act(self):
            self.n += 2

    def test_moves_by_one_hint(self):
        ctx, res = self.Twice(), Result(4, "t")
        code_checks.moves_by_one(ctx, res, "http_requests_total", {"method": "GET", "endpoint": "/hello"},
                                 ctx.act, "GET /hello", "register it")
        (kind, text, hint), = res.lines
        self.assertIn("by 2, not 1", text)
        self.assertIn("stop it and check again", hint)


class StackConfig(unittest.TestCase):
    """Exercise 1 says hello_total reads 3 after three GET /hello: nothing in the stack may send
    the frontend requests its counters count (the blackbox job probed :5000/hello every 15 s)."""

    def test_nothing_requests_the_frontends_routes(self):
        import yaml

        with open(os.path.join(REPO, "stack", "prometheus", "prometheus.yml")) as f:
            config = yaml.safe_load(f)
        hits = []
        for job in config["scrape_configs"]:
            for sc in job.get("static_configs", []):
                for t in sc["targets"]:
                    if re.search(r":5000/(hello|fruit)", t):
                        hits.append(f"{job['job_name']}: {t}")
        self.assertEqual(hits, [], "a job requests the frontend's counted routes")


class NothingRunning(unittest.TestCase):
    """The command line with nothing listening: every exercise missing, exit status 1."""

    def test_all_missing(self):
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        r = subprocess.run(
            [os.path.join(WORKSHOP, "check"), "all", "--frontend", url, "--backend", url,
             "--prometheus", url, "--alertmanager", url, "--grafana", url, "--color", "never"],
            capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertEqual(r.stdout.count("MISSING"), 11, r.stdout)
        self.assertIn("Summary: 0/11 done", r.stdout)
        self.assertIn(f"nothing answers at {url}/metrics", r.stdout)

    def test_usage_error(self):
        r = subprocess.run([os.path.join(WORKSHOP, "check"), "12"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("no exercise 12", r.stderr)


class ProtobufReaderTest(unittest.TestCase):
    """checker/protobuf.py on a delimited MetricFamily that protoc encoded (protoc --encode
    io.prometheus.client.MetricFamily of a native histogram: GET /hello, count 7, sum 1.5, schema
    3, zero bucket 1, positive span -3:2 deltas 2 2, negative span 0:1 delta 2)."""

    BODY = bytes.fromhex(
        "6b0a13687474705f6c6174656e63795f6e61746976651201681804224f0a0d0a066d6574686f641203474554"
        "0a120a08656e64706f696e7412062f68656c6c6f3a2a080711000000000000f83f280631000000000000f037"
        "38014a0408001001500462040805100268046804")

    def test_native_histogram(self):
        fams = protobuf.parse(self.BODY)
        self.assertEqual(list(fams), ["http_latency_native"])
        self.assertEqual(fams["http_latency_native"]["type"], protobuf.HISTOGRAM)
        h = protobuf.histogram(fams, "http_latency_native", {"method": "GET", "endpoint": "/hello"})
        self.assertEqual((h["count"], h["sum"], h["schema"], h["zero_count"], h["spans"]),
                         (7, 1.5, 3, 1, 2))
        self.assertTrue(h["native"])
        self.assertIsNone(protobuf.histogram(fams, "http_latency_native", {"method": "GET"}))

    def test_truncated(self):
        with self.assertRaises(ValueError):
            protobuf.parse(self.BODY[:-3])


if __name__ == "__main__":
    unittest.main()
