"""code_checks.py -- exercises 0 to 5: the metrics the attendee adds to the frontend and backend.

Each check scrapes /metrics, looks for the metric, its declared type and its label names, then
sends the frontend a request and scrapes again to see the value move as it should. Other traffic
(the traffic generator, the backend's own generator) can move a value at the same time, so a
delta that is off is measured again a few times before it counts as wrong.
"""

import time

from . import protobuf, web
from .context import poll

TRIES = 4
ZERO_WAIT = 12.0  # seconds to wait for an order to show in a /fruit total (5 s cache TTL + insert)
DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0]
FRONTEND_BIN = "build/services/frontend"
BACKEND_BIN = "build/services/backend"


class ActionFailed(Exception):
    """A request the checker sent did not get the answer a working system gives."""

    def __init__(self, text, hint=None):
        super().__init__(text)
        self.text, self.hint = text, hint


def expect(resp, status, what):
    if resp.status != status:
        hint = None
        if resp.status == 503:
            hint = ("the frontend could not reach a server it needs (RabbitMQ for POST, PostgreSQL or "
                    "Redis for GET): start the stack with stack/native/up")
        raise ActionFailed(f"{what} answered HTTP {resp.status}: {resp.body.strip()[:160]}", hint)
    return resp


def scrape_or_miss(res, fetch, where, url):
    """A fresh scrape, or None after recording why there is none."""
    try:
        return fetch()
    except web.Unreachable:
        res.miss(f"nothing answers at {url}", f"start the {where} (and exercise 0 first)")
    except ValueError as e:
        res.miss(str(e), f"exercise 0: the {where} must serve its metrics at {url}")
    return None


def family(res, expo, name, mtype, where, hint):
    t = expo.type_of(name)
    if t is None:
        return res.miss(f"the {where} does not expose {name}", hint)
    if t != mtype:
        return res.miss(f"{name} is declared as a {t}, not a {mtype}",
                        f"create it with promc_{mtype}_new() and update it with promc_{mtype}_*() calls")
    return res.ok(f"the {where} exposes {name} (# TYPE {name} {mtype})")


def labels(res, expo, sample, want, hint):
    sets = expo.label_names(sample)
    want = frozenset(want)
    if not sets:
        return res.miss(f"{sample} has no series", hint)
    wrong = sorted((s for s in sets if s != want), key=sorted)
    if wrong:
        have = ", ".join(sorted(wrong[0])) or "none"
        return res.miss(f"{sample} has the labels ({have}); expected ({', '.join(sorted(want)) or 'none'})",
                        hint)
    return res.ok(f"{sample} has the labels ({', '.join(sorted(want))})" if want
                  else f"{sample} has no labels, as it should")


def delta(fetch, read, action, expected, tries=TRIES):
    """Scrape, act, scrape; repeated until the change equals expected. Returns (change, before,
    after, the action's result) of the last attempt. An absent series counts as 0."""
    last = None
    for _ in range(tries):
        before = read(fetch())
        out = action()
        after = read(fetch())
        change = (after or 0) - (before or 0)
        last = (change, before, after, out)
        if change == expected:
            break
    return last


STOP_TRAFFIC = ("count each request once; if a traffic generator (or anything else) sends requests "
                "too, stop it and check again")


def moved_hint(change, hint):
    """The hint of a value that moved by the wrong amount: the registration hint when it did not
    move at all, else the stop-the-traffic one (other requests move it while the checker measures)."""
    return hint if change == 0 else STOP_TRAFFIC


def reader(sample, labels_=None):
    return lambda expo: expo.value(sample, labels_)


# ---- exercise 0 ---------------------------------------------------------------------------------


def expose(res, url, where, hint_missing, hint_404):
    try:
        expo, r = web.scrape(url)
    except web.Unreachable:
        return res.miss(f"nothing answers at {url}", hint_missing)
    except ValueError as e:
        text = str(e)
        return res.miss(text, hint_404 if "HTTP 404" in text else
                        f"{url} must answer 200 with promc_render()'s text (promc_http_handle does it)")
    ctype = r.headers.get("Content-Type", "")
    res.ok(f"the {where} serves its metrics at {url} ({ctype})")
    if "version=0.0.4" not in ctype and "openmetrics" not in ctype:
        res.warn(f"unexpected Content-Type {ctype!r}; Prometheus expects text/plain; version=0.0.4")
    if expo.value("process_cpu_seconds_total") is None or expo.value("process_resident_memory_bytes") is None:
        return res.miss(f"the {where} has no process_* metrics",
                        "call promc_register_default_collectors(NULL) once at start-up")
    res.ok(f"the {where} has the process metrics (process_cpu_seconds_total "
           f"{web.fmt(expo.value('process_cpu_seconds_total'))}, process_open_fds "
           f"{web.fmt(expo.value('process_open_fds'))})")
    return True


def exercise0(ctx, res):
    expose(res, ctx.frontend_metrics_url, "frontend",
           f"start the frontend ({FRONTEND_BIN}); see exercise 0",
           "route GET /metrics to promc_http_handle(conn, method, NULL) in the frontend's "
           "libmicrohttpd access handler (services/frontend/server.c)")
    expose(res, ctx.backend_metrics_url, "backend",
           "the backend has no web server of its own: start one with "
           "promc_http_start(NULL, \"127.0.0.1\", 5001, NULL) in its main() "
           f"(and start the backend, {BACKEND_BIN})",
           "promc_http_start() serves /metrics; is something else listening on that port?")


# ---- exercise 1 ---------------------------------------------------------------------------------


def exercise1(ctx, res):
    expo = scrape_or_miss(res, ctx.frontend_metrics, "frontend", ctx.frontend_metrics_url)
    if expo is None:
        return
    hint = ('declare it once: promc_counter_new(NULL, "hello_total", "Total number of hello '
            'requests", NULL), then call promc_counter_inc() on it in the /hello handler')
    if not family(res, expo, "hello_total", "counter", "frontend", hint):
        return
    if not labels(res, expo, "hello_total", [], "pass NULL as the label list: one series, no labels"):
        return
    read = reader("hello_total")

    def get_hello():
        return expect(ctx.hello(), 200, "GET /hello")

    try:
        change, before, after, _ = delta(ctx.frontend_metrics, read, get_hello, 1)
        if change == 1:
            res.ok(f"GET /hello raised hello_total by exactly 1 ({web.fmt(before)} -> {web.fmt(after)})")
        elif change == 0:
            res.miss("GET /hello did not move hello_total",
                     "call promc_counter_inc(hello_total) in the /hello handler (fe_hello)")
        else:
            res.miss(f"GET /hello raised hello_total by {web.fmt(change)}, not 1 (tried {TRIES} times)",
                     STOP_TRAFFIC)
        change, _, _, _ = delta(ctx.frontend_metrics, read,
                                lambda: expect(ctx.fruit_get("apples"), 200, "GET /fruit"), 0)
        if change == 0:
            res.ok("GET /fruit left hello_total alone: it counts /hello only")
        else:
            res.miss(f"GET /fruit moved hello_total by {web.fmt(change)}",
                     "hello_total counts GET /hello requests only (the seed's text says /fruit; we "
                     "follow its name); or stop the traffic generator and check again")
    except ActionFailed as e:
        res.miss(e.text, e.hint)


# ---- exercises 2 and 3: gauges that mirror GET /fruit ----------------------------------------


def gauge_follows(ctx, res, gauge, fruit, series_labels, hint):
    """GET /fruit?name=fruit sets the gauge to the total it answers. A total of 0 cannot tell a
    set gauge from a never-set one, so then the checker orders that fruit and waits for a
    non-zero total (the backend stores the order; the cache keeps old totals for 5 s)."""
    what = f"GET /fruit?name={fruit}" if fruit else "GET /fruit"
    shown = f'{gauge}{{fruit="{fruit}"}}' if series_labels else gauge
    ordered, mismatches, deadline = False, 0, time.monotonic() + ZERO_WAIT
    while True:
        resp = expect(ctx.fruit_get(fruit), 200, what)
        total = (resp.json() or {}).get("total_quantity")
        if not isinstance(total, int):
            raise ActionFailed(f"{what} answered {resp.body.strip()[:120]!r}, without total_quantity")
        value = ctx.frontend_metrics().value(gauge, series_labels)
        if total == 0:
            if not ordered:
                expect(ctx.fruit_post(fruit or "apples", 1), 200, "POST /fruit")
                ordered = True
            if time.monotonic() < deadline:
                time.sleep(0.75)
                continue
            return res.miss(f"{what} keeps answering total_quantity 0, so the checker cannot tell "
                            f"whether {gauge} follows it",
                            "is the backend running? It stores the orders that make the total")
        if value == total:
            return res.ok(f"after {what} answered total_quantity {total}, {shown} is {web.fmt(value)}")
        mismatches += 1
        if mismatches >= TRIES:
            return res.miss(f"after {what} answered total_quantity {total}, {shown} is {web.fmt(value)}",
                            hint)


def exercise2(ctx, res):
    expo = scrape_or_miss(res, ctx.frontend_metrics, "frontend", ctx.frontend_metrics_url)
    if expo is None:
        return
    hint = ('declare promc_gauge_new(NULL, "all_fruits", "...", NULL) and call promc_gauge_set(all_fruits, '
            'total) in GET /fruit when no fruit is named')
    if not family(res, expo, "all_fruits", "gauge", "frontend", hint):
        return
    if not labels(res, expo, "all_fruits", [], "all_fruits has no labels; the per-fruit gauge is exercise 3"):
        return
    try:
        gauge_follows(ctx, res, "all_fruits", None, None,
                      "set all_fruits to the total GET /fruit answers when no name (or name=all) is given")
    except ActionFailed as e:
        res.miss(e.text, e.hint)


def exercise3(ctx, res):
    expo = scrape_or_miss(res, ctx.frontend_metrics, "frontend", ctx.frontend_metrics_url)
    if expo is None:
        return
    hint = ('declare promc_gauge_new(NULL, "recent_fruits", "...", PROMC_LABELS("fruit")) and set '
            'promc_gauge_labels(recent_fruits, name) to the total in GET /fruit?name=<fruit>')
    if family(res, expo, "recent_fruits", "gauge", "frontend", hint):
        try:
            gauge_follows(ctx, res, "recent_fruits", "apples", {"fruit": "apples"}, hint)
        except ActionFailed as e:
            res.miss(e.text, e.hint)
        labels(res, ctx.frontend_metrics(), "recent_fruits", ["fruit"], hint)
    counter_with_labels(ctx, res, expo)


def counter_with_labels(ctx, res, expo):
    hint = ('declare promc_counter_new(NULL, "quantity_total", "...", PROMC_LABELS("fruit")) and, once an '
            'order is accepted, promc_counter_add(promc_counter_labels(quantity_total, fruit), quantity)')
    if not family(res, expo, "quantity_total", "counter", "frontend", hint):
        return
    read = reader("quantity_total", {"fruit": "apples"})
    try:
        change, before, after, _ = delta(
            ctx.frontend_metrics, read,
            lambda: expect(ctx.fruit_post("apples", 3), 200, 'POST /fruit {"fruit":"apples","quantity":3}'), 3)
        if change == 3:
            res.ok(f'an order of 3 apples raised quantity_total{{fruit="apples"}} by 3 '
                   f"({web.fmt(before)} -> {web.fmt(after)})")
        else:
            res.miss(f'an order of 3 apples moved quantity_total{{fruit="apples"}} by {web.fmt(change)}, not 3',
                     moved_hint(change, hint))
        change, _, _, _ = delta(
            ctx.frontend_metrics, read,
            lambda: expect(ctx.fruit_post("apples", 0), 400, 'POST /fruit {"fruit":"apples","quantity":0}'), 0)
        if change == 0:
            res.ok("a refused order (quantity 0) left quantity_total alone")
        else:
            res.miss(f"a refused order (quantity 0) moved quantity_total by {web.fmt(change)}",
                     "count an order only after it has been validated and accepted; if a traffic "
                     "generator is running, stop it and check again")
        labels(res, ctx.frontend_metrics(), "quantity_total", ["fruit"], hint)
    except ActionFailed as e:
        res.miss(e.text, e.hint)


# ---- exercise 4 ---------------------------------------------------------------------------------


def buckets_sane(res, expo, sel):
    rows = [(lab["le"], v) for lab, v in expo.series("http_latency_bucket")
            if {k: x for k, x in lab.items() if k != "le"} == sel]
    if not rows:
        return res.miss(f"http_latency_bucket has no buckets for {sel}")
    bounds = sorted((float(le), v) for le, v in rows)
    counts = [v for _, v in bounds]
    if bounds[-1][0] != float("inf"):
        return res.miss("http_latency has no le=\"+Inf\" bucket")
    if any(b < a for a, b in zip(counts, counts[1:])):
        return res.miss("http_latency's buckets are not cumulative")
    if counts[-1] != expo.value("http_latency_count", sel):
        return res.miss("http_latency_count differs from the +Inf bucket")
    les = [b for b, _ in bounds[:-1]]
    if les == DEFAULT_BUCKETS:
        res.ok("http_latency uses client_python's default buckets (.005 ... 10 s), cumulative, with +Inf")
    else:
        res.warn(f"http_latency uses custom buckets {les}; the seed's queries work with any, "
                 "but the expected output in the guide shows the defaults (buckets NULL, 0)")
    return True


def exercise4(ctx, res):
    expo = scrape_or_miss(res, ctx.frontend_metrics, "frontend", ctx.frontend_metrics_url)
    if expo is None:
        return native_part(ctx, res)
    hint = ('declare promc_histogram_new(NULL, "http_latency", "...", PROMC_LABELS("method", "endpoint"), '
            "NULL, 0) and observe each request's duration into promc_histogram_labels(http_latency, "
            "method, endpoint)")
    if not family(res, expo, "http_latency", "histogram", "frontend", hint):
        return native_part(ctx, res)
    routes = [
        ("GET", "/hello", lambda: expect(ctx.hello(), 200, "GET /hello")),
        ("GET", "/fruit", lambda: expect(ctx.fruit_get("pears"), 200, "GET /fruit")),
        ("POST", "/fruit", lambda: expect(ctx.fruit_post("pears", 1), 200, "POST /fruit")),
    ]
    try:
        for method, endpoint, action in routes:
            sel = {"endpoint": endpoint, "method": method}
            count, total = reader("http_latency_count", sel), reader("http_latency_sum", sel)
            change, before, after, resp = None, None, None, None
            for _ in range(TRIES):
                b = ctx.frontend_metrics()
                resp = action()
                a = ctx.frontend_metrics()
                change = (count(a) or 0) - (count(b) or 0)
                spent = (total(a) or 0) - (total(b) or 0)
                before, after = count(b), count(a)
                if change == 1:
                    break
            name = f'http_latency{{method="{method}",endpoint="{endpoint}"}}'
            if change != 1:
                res.miss(f"{method} {endpoint} moved {name}'s count by {web.fmt(change)}, not 1",
                         moved_hint(change, hint))
                continue
            if not 0 < spent <= resp.elapsed + 0.25:
                res.miss(f"{method} {endpoint} took {resp.elapsed:.3f} s but added {spent:.4g} s to "
                         f"{name}'s sum", "observe the duration in seconds (promc_now() differences)")
                continue
            res.ok(f"{method} {endpoint}: {name} count +1 ({web.fmt(before)} -> {web.fmt(after)}), "
                   f"sum +{spent:.3f} s (the checker waited {resp.elapsed:.3f} s)")
        expo = ctx.frontend_metrics()
        if labels(res, expo, "http_latency_count", ["method", "endpoint"], hint):
            buckets_sane(res, expo, {"endpoint": "/hello", "method": "GET"})
        request_counters(ctx, res)
        native_part(ctx, res)
    except ActionFailed as e:
        res.miss(e.text, e.hint)


def native_part(ctx, res):
    """Exercise 4's second part: http_latency_native, a native histogram as a Prometheus with
    native histograms scrapes it (protobuf), whose count moves by exactly one per request."""
    hint = ('declare promc_histogram_new_opts(NULL, "http_latency_native", "...", '
            'PROMC_LABELS("method", "endpoint"), &(promc_histogram_opts){.bucket_factor = 1.1}) '
            "and observe each request's duration into its child too")
    url = ctx.frontend_metrics_url
    sel = {"method": "GET", "endpoint": "/hello"}

    def count(fams):
        h = protobuf.histogram(fams, "http_latency_native", sel)
        return h["count"] if h else None

    try:
        fams, ctype = protobuf.scrape(url, ctx.timeout)
    except ValueError as e:
        return res.miss(f"native histograms: no protobuf scrape of the frontend ({e})",
                        "promc_http answers protobuf itself; is /metrics served by promc?")
    fam = fams.get("http_latency_native")
    if fam is None:
        return res.miss("native histograms: the protobuf scrape has no http_latency_native", hint)
    if fam["type"] != protobuf.HISTOGRAM:
        return res.miss(f"http_latency_native is of protobuf type {fam['type']}, not a histogram", hint)
    change, before, after, h = None, None, None, None
    for _ in range(TRIES):
        b = protobuf.scrape(url, ctx.timeout)[0]
        expect(ctx.hello(), 200, "GET /hello")
        a = protobuf.scrape(url, ctx.timeout)[0]
        before, after = count(b), count(a)
        change = (after or 0) - (before or 0)
        h = protobuf.histogram(a, "http_latency_native", sel)
        if change == 1:
            break
    shown = 'http_latency_native{method="GET",endpoint="/hello"}'
    if h is None:
        return res.miss(f"GET /hello left no {shown} series", hint)
    if not h["native"] or h["schema"] is None:
        return res.miss(f"{shown} has no native buckets on the protobuf scrape ({h['buckets']} classic "
                        "buckets)", "give it a bucket_factor > 1 (promc_histogram_opts)")
    if change != 1:
        return res.miss(f"GET /hello moved {shown}'s count by {web.fmt(change)}, not 1",
                        moved_hint(change, hint))
    extra = f", and {h['buckets']} classic buckets" if h["buckets"] else ", native only"
    res.ok(f"GET /hello: {shown} is a native histogram (schema {h['schema']}, zero threshold "
           f"{h['zero_threshold']:.3g}{extra}) on the protobuf scrape ({ctype.split(';')[0]}); "
           f"count +1 ({web.fmt(before)} -> {web.fmt(after)})")


def moves_by_one(ctx, res, sample, sel, action, what, hint):
    change, before, after, _ = delta(ctx.frontend_metrics, reader(sample, sel), action, 1)
    shown = sample + "{" + ",".join(f'{k}="{v}"' for k, v in sel.items()) + "}"
    if change == 1:
        return res.ok(f"{what} raised {shown} by 1 ({web.fmt(before)} -> {web.fmt(after)})")
    return res.miss(f"{what} moved {shown} by {web.fmt(change)}, not 1", moved_hint(change, hint))


def request_counters(ctx, res):
    """http_requests_total and errors_total, which the reference adds with http_latency (exercise
    9's FrontendHighErrorRatio alert divides one by the other): a note when absent, checked when
    present."""
    expo = ctx.frontend_metrics()
    hint = ('promc_counter_new(NULL, "http_requests_total", "...", PROMC_LABELS("method", "endpoint")) '
            'counted with http_latency, and promc_counter_new(NULL, "errors_total", "...", '
            'PROMC_LABELS("method", "endpoint", "error")) counted with each error answer\'s kind')
    absent = [n for n in ("http_requests_total", "errors_total") if expo.type_of(n) is None]
    if absent:
        return res.warn(f"no {' or '.join(absent)} yet: not needed here, but exercise 9's alert "
                        "FrontendHighErrorRatio is built on them (see the end of exercise 4)", hint)
    for name in ("http_requests_total", "errors_total"):
        if not family(res, expo, name, "counter", "frontend", hint):
            return
    moves_by_one(ctx, res, "http_requests_total", {"method": "GET", "endpoint": "/hello"},
                 lambda: expect(ctx.hello(), 200, "GET /hello"), "GET /hello", hint)
    moves_by_one(ctx, res, "errors_total", {"method": "GET", "endpoint": "/fruit", "error": "FruitValueError"},
                 lambda: expect(ctx.fruit_get("kiwis"), 400, "GET /fruit?name=kiwis"),
                 "GET /fruit?name=kiwis (refused: 400)", hint)


# ---- exercise 5 ---------------------------------------------------------------------------------


def exercise5(ctx, res):
    expo = scrape_or_miss(res, ctx.backend_metrics, "backend", ctx.backend_metrics_url)
    if expo is None:
        return
    hint = ('declare promc_summary_new(NULL, "job_duration_seconds", "...", NULL, quantiles, 3, 0, 0) '
            "with the quantiles 0.5, 0.9, 0.99, and time each job with PROMC_TIME_SUMMARY() in the worker")
    if not family(res, expo, "job_duration_seconds", "summary", "backend", hint):
        return
    rows = expo.series("job_duration_seconds")
    qs = sorted({float(lab["quantile"]) for lab, _ in rows if "quantile" in lab})
    if not qs:
        res.miss("job_duration_seconds exports no quantiles (only _count and _sum)",
                 "pass quantiles to promc_summary_new: {{0.5, 0.05}, {0.9, 0.01}, {0.99, 0.001}}")
    elif not {0.5, 0.9, 0.99} <= set(qs):
        res.miss(f"job_duration_seconds has the quantiles {qs}; expected 0.5, 0.9 and 0.99", hint)
    else:
        res.ok("job_duration_seconds has the quantiles 0.5, 0.9 and 0.99")
        values = [v for lab, v in rows if "quantile" in lab and v == v]
        by_q = sorted((float(lab["quantile"]), v) for lab, v in rows if "quantile" in lab and v == v)
        if values and any(b < a for (_, a), (_, b) in zip(by_q, by_q[1:])):
            res.miss(f"the quantile estimates decrease: {by_q}", "observe durations, in seconds")
    read = reader("job_duration_seconds_count")
    before = read(expo)
    if before is None:
        return res.miss("job_duration_seconds_count is missing", hint)
    try:
        expect(ctx.hello(), 200, "GET /hello")
    except ActionFailed as e:
        return res.miss(e.text + " (the checker uses it to give the backend a job)", e.hint)
    except web.Unreachable as e:
        return res.miss(f"cannot reach the frontend to give the backend a job: {e}",
                        "start the frontend; its GET /hello queues a job for the backend")
    after = poll(lambda: read(ctx.backend_metrics()), lambda v: v is not None and v > before, 10)
    if after is not None and after > before:
        res.ok(f"after GET /hello queued a job, job_duration_seconds_count rose "
               f"({web.fmt(before)} -> {web.fmt(after)})")
    else:
        res.miss("job_duration_seconds_count did not move within 10 s of GET /hello queueing a job",
                 "observe every job's duration (is the backend connected to RabbitMQ?)")
    job_outcomes(ctx, res)


OUTCOMES = ("ok", "failed", "retried", "poison")
RETRY_WAIT = 12.0  # seconds: the backoff between attempts is at most 5 s by default (--retry-ms)


def job_outcomes(ctx, res, wait=RETRY_WAIT):
    """jobs_outcome_total{outcome}, which the reference adds with the summary (exercise 9's backend
    alerts are built on it): a note when absent; when present, its type and label, and that the
    outcomes mean what exercise 5 defines: only ok, failed, retried and poison; "retried" (a new
    attempt after a failed one) never ahead of "failed", and catching up within the backoff."""
    hint = ('promc_counter_new(NULL, "jobs_outcome_total", "...", PROMC_LABELS("outcome")): "ok" per job '
            'done, "failed" per order of a failed attempt, "retried" per order of the next attempt, '
            '"poison" per dead-lettered message (exercise 5, "The jobs\' outcomes")')
    try:
        expo = ctx.backend_metrics()
    except (web.Unreachable, ValueError) as e:
        return res.miss(f"cannot read the backend's metrics: {e}")
    if expo.type_of("jobs_outcome_total") is None:
        return res.warn("no jobs_outcome_total yet: not needed here, but exercise 9's alerts "
                        "BackendJobFailures and BackendPoisonMessages are built on it (see the end of "
                        "exercise 5)", hint)
    if not family(res, expo, "jobs_outcome_total", "counter", "backend", hint):
        return
    if not labels(res, expo, "jobs_outcome_total", ["outcome"], hint):
        return

    def counts(e):
        return {lab.get("outcome"): v for lab, v in e.series("jobs_outcome_total")}

    have = counts(expo)
    odd = sorted(k for k in have if k not in OUTCOMES)
    if odd:
        return res.miss(f"jobs_outcome_total has the outcome {odd[0]!r}; the outcomes are "
                        f"{', '.join(OUTCOMES)}", hint)
    failed, retried = have.get("failed", 0), have.get("retried", 0)
    if retried > failed:
        return res.miss(f'jobs_outcome_total{{outcome="retried"}} is {web.fmt(retried)}, above '
                        f'outcome="failed" ({web.fmt(failed)}): "retried" counts a new attempt after a '
                        "failed one, so it can never be ahead", hint)
    if failed == 0:
        return res.ok("jobs_outcome_total counts only ok, failed, retried and poison (no failed attempt "
                      "yet: about one database session in ten fails, give it a minute)")
    later = poll(lambda: counts(ctx.backend_metrics()), lambda c: c.get("retried", 0) >= failed, wait)
    if later.get("retried", 0) >= failed:
        return res.ok(f"jobs_outcome_total: {web.fmt(failed)} failed attempts were each followed by a "
                      f"retried one (retried {web.fmt(retried)} -> {web.fmt(later.get('retried', 0))})")
    return res.miss(f'jobs_outcome_total{{outcome="retried"}} did not follow outcome="failed" within '
                    f"{wait:g} s ({web.fmt(later.get('retried', 0))} retried after {web.fmt(failed)} "
                    "failed)", "count \"retried\" once per order when its next attempt starts, after "
                    "the backoff")
