#!/usr/bin/python3
"""Checks the Grafana dashboards against Grafana's dashboard model and the stack's provisioning: valid
JSON, unique uids and titles, no database ids (top-level "id" absent or null, no __inputs or ${DS_...}
placeholders), every datasource referenced by the provisioned uid, well-formed panels (unique panel ids,
gridPos inside the 24-column grid, no overlap, targets with unique refIds and a PromQL expression).
Writes every panel expression (Grafana's $__ variables replaced) to argv[2] as a rules file, so that
`promtool check rules` checks their PromQL syntax. Usage: dashboard_check.py <stack dir> <rules out>"""
import glob
import json
import os
import re
import sys

import yaml

GRAFANA_VARS = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "15m"}


def expand(expr):
    for k, v in GRAFANA_VARS.items():
        expr = expr.replace(k, v)
    return expr


def panel_exprs(dash):
    """Yields (panel title, expr) for every query of every panel, rows' nested panels included."""
    def walk(panels):
        for p in panels:
            yield p
            yield from walk(p.get("panels", []))
    for p in walk(dash.get("panels", [])):
        for t in p.get("targets", []):
            yield p.get("title", "?"), t.get("expr", "")


def main():
    stack, rules_out = sys.argv[1], sys.argv[2]
    with open(f"{stack}/grafana/provisioning/datasources/prometheus.yml", encoding="utf-8") as f:
        ds_uid = yaml.safe_load(f)["datasources"][0]["uid"]
    bad = []
    uids, titles, exprs = {}, {}, []
    files = sorted(glob.glob(f"{stack}/grafana/dashboards/*.json"))
    if not files:
        bad.append("no dashboards")
    for path in files:
        name = os.path.basename(path)
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
            d = json.loads(text)
        except ValueError as e:
            bad.append(f"{name}: invalid JSON: {e}")
            continue
        uid = d.get("uid")
        if not isinstance(uid, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", uid):
            bad.append(f"{name}: bad uid {uid!r}")
        elif uid in uids:
            bad.append(f"{name}: uid {uid} also in {uids[uid]}")
        uids[uid] = name
        if d.get("title") in titles:
            bad.append(f"{name}: title also in {titles[d.get('title')]}")
        titles[d.get("title")] = name
        if d.get("id") is not None:
            bad.append(f"{name}: hard-coded dashboard id {d['id']}")
        if "__inputs" in d or "${DS_" in text:
            bad.append(f"{name}: import placeholders (__inputs / ${{DS_...}}) instead of the datasource uid")
        if not isinstance(d.get("schemaVersion"), int) or d["schemaVersion"] < 36:
            bad.append(f"{name}: schemaVersion missing or older than 36")
        ids, cells = set(), set()
        for p in d.get("panels", []):
            title = p.get("title", "?")
            pid = p.get("id")
            if not isinstance(pid, int) or pid in ids:
                bad.append(f"{name}/{title}: panel id {pid!r} missing or duplicated")
            ids.add(pid)
            if not p.get("type") or not title:
                bad.append(f"{name}: panel without type or title")
            g = p.get("gridPos", {})
            if not all(isinstance(g.get(k), int) for k in "hwxy") or g["x"] + g["w"] > 24 or g["w"] < 1:
                bad.append(f"{name}/{title}: bad gridPos {g}")
                continue
            for x in range(g["x"], g["x"] + g["w"]):
                for y in range(g["y"], g["y"] + g["h"]):
                    if (x, y) in cells:
                        bad.append(f"{name}/{title}: overlaps another panel at {x},{y}")
                        break
                    cells.add((x, y))
                else:
                    continue
                break
            if p.get("type") == "row":
                continue
            refs = [p.get("datasource")] + [t.get("datasource") for t in p.get("targets", [])]
            for r in refs:
                if not isinstance(r, dict) or r.get("uid") != ds_uid or r.get("type") != "prometheus":
                    bad.append(f"{name}/{title}: datasource {r!r} is not the provisioned uid {ds_uid}")
            targets = p.get("targets", [])
            if not targets:
                bad.append(f"{name}/{title}: no query")
            refids = [t.get("refId") for t in targets]
            if len(set(refids)) != len(refids) or not all(refids):
                bad.append(f"{name}/{title}: refIds missing or duplicated")
        for title, expr in panel_exprs(d):
            if not expr.strip():
                bad.append(f"{name}/{title}: empty expression")
            exprs.append({"record": f"dashboard:{uid}:{len(exprs)}", "expr": expand(expr),
                          "labels": {"panel": f"{name}/{title}"}})
    with open(rules_out, "w", encoding="utf-8") as f:
        yaml.safe_dump({"groups": [{"name": "dashboard_exprs", "rules": exprs}]}, f, sort_keys=False)
    for b in bad:
        print("FAIL:", b)
    print(f"{len(files)} dashboards, {len(exprs)} panel expressions checked")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
