"""slo_test_check.py -- exercise 11's own test case: the attendee's promtool unit test of the SLO
rules (stack/prometheus/rules/slo.yml), which must be their own file (not a copy of the stack's
slo_test.yml), test those rules, say both when a burn-rate alert fires and when one stays silent,
and pass `promtool test rules`.
"""

import os
import shutil
import subprocess

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_PATH = os.path.join(REPO, "stack", "tests", "promtool", "my_slo_test.yml")
REFERENCE = os.path.join(REPO, "stack", "tests", "promtool", "slo_test.yml")
SLO_RULES = os.path.join(REPO, "stack", "prometheus", "rules", "slo.yml")
BURN_ALERTS = ("FruitAvailabilityFastBurn", "FruitAvailabilitySlowBurn", "FruitLatencyFastBurn",
               "FruitLatencySlowBurn")
HOW = ("copy one case of stack/tests/promtool/slo_test.yml into {path} (rule_files: "
       "../../prometheus/rules/slo.yml) and change it into a burn of your own -- e.g. 10 % of "
       "requests slower than 0.75 s: FruitLatencyFastBurn stays silent (exp_alerts: []), "
       "FruitLatencySlowBurn fires some hours later; then: promtool test rules {path}")


def load_yaml(path):
    import yaml  # python3-yaml, installed by scripts/install-deps.sh

    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def expectations(doc):
    """(alertname, fires) for every alert_rule_test entry naming a burn-rate alert."""
    out = []
    for test in (doc.get("tests") or []) if isinstance(doc, dict) else []:
        for case in (test.get("alert_rule_test") or []) if isinstance(test, dict) else []:
            if isinstance(case, dict) and case.get("alertname") in BURN_ALERTS:
                out.append((case["alertname"], bool(case.get("exp_alerts"))))
    return out


def promtool_run(path, timeout=60):
    """(ok, output) of `promtool test rules path`; ok is None when promtool is missing."""
    tool = shutil.which("promtool")
    if not tool:
        return None, "promtool is not on PATH"
    try:
        p = subprocess.run([tool, "test", "rules", path], capture_output=True, text=True,
                           timeout=timeout, cwd=os.path.dirname(path))
    except subprocess.TimeoutExpired:
        return False, f"promtool test rules did not finish within {timeout} s"
    return p.returncode == 0, (p.stdout + p.stderr).strip()


def check_own_test(res, path=None):
    """Adds ok/miss lines to res; True when the attendee's own test is there and passes."""
    path = os.path.abspath(path or DEFAULT_PATH)
    shown = os.path.relpath(path, REPO) if path.startswith(REPO + os.sep) else path
    how = HOW.format(path=shown)
    if not os.path.isfile(path):
        res.miss(f"no promtool test of your own at {shown}", how)
        return False
    try:
        doc = load_yaml(path)
    except Exception as e:  # yaml.YAMLError, OSError, UnicodeDecodeError
        res.miss(f"{shown} is not readable YAML: {e}", how)
        return False
    try:
        if doc == load_yaml(REFERENCE):
            res.miss(f"{shown} is a copy of the stack's own slo_test.yml: write a case of your own",
                     how)
            return False
    except OSError:
        pass
    rule_files = doc.get("rule_files") if isinstance(doc, dict) else None
    here = os.path.dirname(path)
    tested = [f for f in rule_files or [] if isinstance(f, str)
              and os.path.realpath(os.path.join(here, f)) == os.path.realpath(SLO_RULES)]
    if not tested:
        res.miss(f"{shown} does not test the stack's SLO rules: its rule_files must name "
                 f"{os.path.relpath(SLO_RULES, here)}", how)
        return False
    exp = expectations(doc)
    firing = sorted({name for name, fires in exp if fires})
    silent = sorted({name for name, fires in exp if not fires})
    if not firing or not silent:
        res.miss(f"{shown} must say when a burn-rate alert fires (exp_alerts with an alert) and when "
                 f"one stays silent (exp_alerts: []); it has {len(firing)} firing and {len(silent)} "
                 "silent expectation(s)", how)
        return False
    ok, out = promtool_run(path)
    if ok is None:
        res.miss(out, "install Prometheus (stack/native/up does) or put promtool on PATH")
        return False
    if not ok:
        tail = "; ".join(line.strip() for line in out.splitlines()[-6:] if line.strip())
        res.miss(f"promtool test rules {shown} fails: {tail}",
                 "read promtool's message: which alert, at which eval_time, got what")
        return False
    res.ok(f"promtool test rules {shown} passes: fires {', '.join(firing)}; silent "
           f"{', '.join(silent)}")
    return True
