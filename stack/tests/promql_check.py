#!/usr/bin/python3
"""Runs PromQL queries against a real Prometheus and checks that each returns data: at least one
sample whose value is a number (not NaN). Queries come from --query (repeatable), --dashboards DIR
(every panel expression of every dashboard, Grafana's $__ variables replaced) and --rules FILE (every
recording rule's name). Retries the failing ones until --deadline seconds have passed, then lists them.
Usage: promql_check.py --url http://127.0.0.1:19090 [--query Q]... [--dashboards DIR] [--rules FILE]"""
import argparse
import glob
import json
import math
import os
import sys
import time
import urllib.parse
import urllib.request

import yaml

GRAFANA_VARS = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "15m"}


def dashboard_queries(folder):
    out = []
    for path in sorted(glob.glob(os.path.join(folder, "*.json"))):
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
        stack = list(d.get("panels", []))
        while stack:
            p = stack.pop(0)
            stack.extend(p.get("panels", []))
            for t in p.get("targets", []):
                e = t.get("expr", "")
                for k, v in GRAFANA_VARS.items():
                    e = e.replace(k, v)
                out.append((f"{os.path.basename(path)} / {p.get('title')}", e))
    return out


def rule_queries(path):
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    return [("recording rule", r["record"]) for g in doc["groups"] for r in g["rules"] if "record" in r]


def has_data(url, expr):
    data = urllib.parse.urlencode({"query": expr}).encode()
    try:
        with urllib.request.urlopen(f"{url}/api/v1/query", data=data, timeout=10) as r:
            body = json.load(r)
    except Exception as e:  # noqa: BLE001 - any failure means "no data", reported below
        return False, f"request failed: {e}"
    if body.get("status") != "success":
        return False, f"error: {body.get('error')}"
    res = body["data"]["result"]
    if body["data"]["resultType"] == "scalar":
        res = [{"value": res}]
    values = [float(s["value"][1]) for s in res if "value" in s]
    # a native histogram sample ({"histogram": [t, {"count": ..., "buckets": ...}]}) counts as data
    # when it has observations
    values += [float(s["histogram"][1]["count"]) for s in res
               if "histogram" in s and float(s["histogram"][1].get("count", 0)) > 0]
    if not values:
        return False, "empty result"
    if all(math.isnan(v) for v in values):
        return False, "only NaN"
    return True, f"{len(values)} series"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--query", action="append", default=[])
    ap.add_argument("--dashboards")
    ap.add_argument("--rules", action="append", default=[])
    ap.add_argument("--deadline", type=float, default=60)
    a = ap.parse_args()
    todo = [("query", q) for q in a.query]
    if a.dashboards:
        todo += dashboard_queries(a.dashboards)
    for r in a.rules:
        todo += rule_queries(r)
    end = time.time() + a.deadline
    pending = list(todo)
    reasons = {}
    while True:
        still = []
        for where, expr in pending:
            ok, why = has_data(a.url, expr)
            if not ok:
                still.append((where, expr))
                reasons[(where, expr)] = why
        pending = still
        if not pending or time.time() > end:
            break
        time.sleep(3)
    for where, expr in pending:
        print(f"FAIL: [{where}] {expr}\n      -> {reasons[(where, expr)]}")
    print(f"{len(todo) - len(pending)} of {len(todo)} queries returned data")
    return 1 if pending else 0


if __name__ == "__main__":
    sys.exit(main())
