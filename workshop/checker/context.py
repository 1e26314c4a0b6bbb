"""context.py -- where the attendee's system runs, and the requests the checker sends to it.

The checker drives the real frontend (GET /hello, GET and POST /fruit) to see metrics move, and
reads the frontend's and backend's /metrics, Prometheus, Alertmanager and Grafana.
"""

import time

from . import web


class Context:
    def __init__(self, frontend, backend, prometheus, alertmanager, grafana, grafana_auth,
                 dashboards, timeout, webhook="http://localhost:9099"):
        self.frontend = frontend.rstrip("/")
        self.backend = backend.rstrip("/")
        self.prometheus = prometheus.rstrip("/")
        self.alertmanager = alertmanager.rstrip("/")
        self.grafana = grafana.rstrip("/")
        self.grafana_auth = grafana_auth
        self.webhook = webhook.rstrip("/")  # the stack's receiver of Alertmanager's notifications
        self.dashboards = dashboards
        self.rejected = []  # titles of the stack's own dashboards seen (and left out) by 7 and 8
        self.timeout = timeout
        self.slo_test = None  # exercise 11's own promtool test (None: slo_test_check's default)
        # exercise 10: the cluster's Prometheus replicas and its long-term store
        self.cluster_prometheus = ["http://localhost:9191", "http://localhost:9192"]
        self.victoriametrics = "http://localhost:8491"

    # ---- the services' metrics ----

    @property
    def frontend_metrics_url(self):
        return self.frontend + "/metrics"

    @property
    def backend_metrics_url(self):
        return self.backend if self.backend.endswith("/metrics") else self.backend + "/metrics"

    def frontend_metrics(self):
        return web.scrape(self.frontend_metrics_url, self.timeout)[0]

    def backend_metrics(self):
        return web.scrape(self.backend_metrics_url, self.timeout)[0]

    # ---- requests to the frontend ----

    def hello(self):
        return web.request(self.frontend + "/hello", timeout=self.timeout)

    def fruit_get(self, name=None):
        query = {"name": name} if name else None
        return web.request(web.join(self.frontend, "/fruit", query), timeout=self.timeout)

    def fruit_post(self, fruit, quantity):
        return web.request(self.frontend + "/fruit", method="POST",
                           body={"fruit": fruit, "quantity": quantity}, timeout=self.timeout)

    # ---- the stack ----

    def prom_query(self, expr):
        """Instant query: the result list. Raises Unreachable or ValueError (bad query)."""
        r = web.request(web.join(self.prometheus, "/api/v1/query", {"query": expr}),
                        timeout=self.timeout)
        doc = r.json() or {}
        if r.status != 200 or doc.get("status") != "success":
            raise ValueError(doc.get("error") or f"HTTP {r.status}")
        return doc["data"]["result"]

    def prom_range(self, expr, start, end, step):
        """Range query: the result matrix ([{metric, values}])."""
        r = web.request(web.join(self.prometheus, "/api/v1/query_range",
                                 {"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": step}),
                        timeout=self.timeout)
        doc = r.json() or {}
        if r.status != 200 or doc.get("status") != "success":
            raise ValueError(doc.get("error") or f"HTTP {r.status}")
        return doc["data"]["result"]

    def prom_api(self, path):
        r = web.request(self.prometheus + path, timeout=self.timeout)
        doc = r.json() or {}
        if r.status != 200 or doc.get("status") != "success":
            raise ValueError(doc.get("error") or f"HTTP {r.status}")
        return doc["data"]

    def grafana_api(self, path):
        r = web.request(self.grafana + path, timeout=self.timeout, auth=self.grafana_auth)
        if r.status != 200:
            raise ValueError(f"Grafana {path} answered HTTP {r.status}")
        return r.json()


def poll(read, until, seconds, step=0.25):
    """Calls read() until until(value) holds or the time is up; returns the last value."""
    deadline = time.monotonic() + seconds
    while True:
        value = read()
        if until(value) or time.monotonic() >= deadline:
            return value
        time.sleep(step)
