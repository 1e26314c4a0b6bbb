#!/usr/bin/python3
"""Checks that the promtool unit tests cover the rules: every alert of alerts.yml and slo.yml has at least one case
where it fires and one where it is expected silent, and every recording rule of recording.yml and slo.yml is
evaluated by a promql_expr_test. Usage: rules_coverage.py <stack dir>"""
import sys

import yaml


def rules(path, kind):
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    return [r[kind] for g in doc["groups"] for r in g["rules"] if kind in r]


def main():
    stack = sys.argv[1]
    files = ("alerts.yml", "recording.yml", "slo.yml")  # slo.yml: exercise 11's SLO rules
    alerts = [a for n in files for a in rules(f"{stack}/prometheus/rules/{n}", "alert")]
    records = [r for n in files for r in rules(f"{stack}/prometheus/rules/{n}", "record")]
    tests = []
    for n in ("alerts_test.yml", "recording_test.yml", "slo_test.yml"):
        with open(f"{stack}/tests/promtool/{n}", encoding="utf-8") as f:
            tests += yaml.safe_load(f)["tests"]
    atests = rtests = tests
    fires, silent = set(), set()
    for t in atests:
        for c in t.get("alert_rule_test", []):
            (fires if c.get("exp_alerts") else silent).add(c["alertname"])
    exprs = {c["expr"] for t in rtests for c in t.get("promql_expr_test", [])}
    bad = [f"alert {a}: no firing test" for a in alerts if a not in fires]
    bad += [f"alert {a}: no silent test" for a in alerts if a not in silent]
    bad += [f"recording rule {r}: no promql_expr_test" for r in records if r not in exprs]
    bad += [f"test names unknown alert {a}" for a in (fires | silent) - set(alerts)]
    for b in bad:
        print("FAIL:", b)
    print(f"{len(alerts)} alerts, {len(records)} recording rules checked")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
