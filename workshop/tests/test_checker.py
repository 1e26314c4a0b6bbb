"""test_checker.py -- tests of workshop/check's parts, and of its verdicts against small frontends
that are instrumented right and wrong in known ways (so the checker is seen to fail when it should).
The end-to-end tests against the real services and stack are in check_e2e.sh.

Run: /usr/bin/python3 -m unittest workshop/tests/test_checker.py   (CTest: workshop.checker_unit)
"""

import json
import os
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
from checker import cli, code_checks, promql, stack_checks, web  # noqa: E402
from checker.context import Context  # noqa: E402
from checker.report import Result  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Selection(unittest.TestCase):
    def test_forms(self):
        self.assertEqual(cli.parse_selection([]), list(range(10)))
        self.assertEqual(cli.parse_selection(["all"]), list(range(10)))
        self.assertEqual(cli.parse_selection(["3"]), [3])
        self.assertEqual(cli.parse_selection(["0-2", "9", "1"]), [0, 1, 2, 9])
        self.assertEqual(cli.parse_selection(["4,6"]), [4, 6])

    def test_nonsense(self):
        for bad in (["10"], ["5-2"], ["x"]):
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
        self.assertEqual(r.stdout.count("MISSING"), 10, r.stdout)
        self.assertIn("Summary: 0/10 done", r.stdout)
        self.assertIn(f"nothing answers at {url}/metrics", r.stdout)

    def test_usage_error(self):
        r = subprocess.run([os.path.join(WORKSHOP, "check"), "12"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("no exercise 12", r.stderr)


if __name__ == "__main__":
    unittest.main()
