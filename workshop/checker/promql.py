"""promql.py -- just enough PromQL reading for the checker: the series selectors a query uses,
and Grafana's template variables replaced so a dashboard query can be run against Prometheus.

selectors('sum by (job) (rate(errors_total{job="frontend"}[5m])) / on(job) up') gives
['errors_total{job="frontend"}', 'up']: every metric name or {...} matcher outside function
names, keywords, label lists (by/without/on/ignoring/group_*) and range brackets.
"""

import re

KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool",
    "offset", "atan2", "inf", "nan", "start", "end",
    # aggregations, which may be followed by a by/without clause before their parenthesis
    "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk",
    "topk", "quantile", "limitk", "limit_ratio",
}
LABEL_LIST_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right"}
IDENT = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


def _skip_string(q, i):
    quote = q[i]
    i += 1
    while i < len(q) and q[i] != quote:
        i += 2 if q[i] == "\\" else 1
    return i + 1


def _matching(q, i, open_, close):
    """Index just past the bracket closing the one at q[i], quotes respected."""
    depth = 0
    while i < len(q):
        c = q[i]
        if c in "\"'`":
            i = _skip_string(q, i)
            continue
        if c == open_:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return i


def _next_nonspace(q, i):
    while i < len(q) and q[i].isspace():
        i += 1
    return i


def selectors(q):
    """The vector selectors of a query, in order, as text (name{matchers}, name or {matchers})."""
    out, i, prev_word = [], 0, None
    while i < len(q):
        c = q[i]
        if c in "\"'`":
            i = _skip_string(q, i)
            continue
        if c == "[":
            i = _matching(q, i, "[", "]")
            continue
        if c == "#":
            nl = q.find("\n", i)
            i = len(q) if nl < 0 else nl
            continue
        if c == "{":
            end = _matching(q, i, "{", "}")
            out.append(q[i:end])
            i = end
            continue
        if c == "(" and prev_word in LABEL_LIST_WORDS:
            i = _matching(q, i, "(", ")")
            prev_word = None
            continue
        m = IDENT.match(q, i)
        if m and (i == 0 or not (q[i - 1].isalnum() or q[i - 1] in "_.")):
            word, j = m.group(0), _next_nonspace(q, m.end())
            prev_word = word.lower()
            if j < len(q) and q[j] == "(":
                i = m.end()  # a function or aggregation
                continue
            if word.lower() in KEYWORDS:
                i = m.end()
                continue
            if j < len(q) and q[j] == "{":
                end = _matching(q, j, "{", "}")
                out.append(word + q[j:end])
                i = end
            else:
                out.append(word)
                i = m.end()
            continue
        if m:
            i = m.end()
            continue
        if not c.isspace():
            prev_word = None if c not in "()" else prev_word
        i += 1
    return out


def metric_name(selector):
    """The metric name of a selector (None for a bare {...} without __name__)."""
    m = IDENT.match(selector)
    if m:
        return m.group(0)
    m = re.search(r'__name__\s*=\s*"([^"]+)"', selector)
    return m.group(1) if m else None


GRAFANA_INTERVALS = re.compile(r"\$(__rate_interval|__interval|__range|__auto_interval\w*)\b|"
                               r"\$\{(__rate_interval|__interval|__range)\}")
GRAFANA_VAR_MATCH = re.compile(r'(=~?|!~?)\s*"[^"]*(\$\{?\w+\}?|\[\[\w+\]\])[^"]*"')
GRAFANA_VAR = re.compile(r"\$\{?\w+(:\w+)?\}?|\[\[\w+\]\]")


def grafana_to_promql(expr):
    """A dashboard query with Grafana's variables replaced: intervals by 5m, label matchers on a
    template variable by =~".*" (any value)."""
    expr = GRAFANA_INTERVALS.sub("5m", expr)
    expr = re.sub(r"\$__range_s\b", "300", expr)
    expr = GRAFANA_VAR_MATCH.sub(lambda m: '=~".*"' if m.group(1)[0] == "=" else '!~"^$"', expr)
    return GRAFANA_VAR.sub("1", expr)


def dashboard_queries(model):
    """(panel title, expr) of every Prometheus target of a dashboard model, rows included."""
    out = []

    def walk(panels):
        for p in panels or []:
            for t in p.get("targets") or []:
                expr = t.get("expr")
                if isinstance(expr, str) and expr.strip():
                    out.append((p.get("title") or "(untitled)", expr))
            walk(p.get("panels"))

    walk(model.get("panels"))
    for row in model.get("rows") or []:  # the old, pre-5 model
        walk(row.get("panels"))
    return out
