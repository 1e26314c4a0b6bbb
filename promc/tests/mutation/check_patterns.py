#!/usr/bin/python3
"""check_patterns.py -- every mutant of mutants.txt still applies: each old pattern occurs exactly
once in its file ({NL}: a line break and the indentation after it, as mutate.sh reads it). A
second before the minutes of a mutation run: code changes move the lines mutants edit.

Usage: check_patterns.py [MUTANTS_FILE]   (default: mutants.txt beside it)"""
import os
import re
import sys

here = os.path.dirname(os.path.abspath(__file__))
if len(sys.argv) > 1 and sys.argv[1] in ("-h", "--help"):
    print(__doc__)
    sys.exit(0)
path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "mutants.txt")
promc = os.path.dirname(os.path.dirname(here))
mutants, cur = [], None
for line in open(path):
    if line.lstrip().startswith("#") or not line.strip():
        continue
    m = re.match(r"^(\w+):\s?(.*)$", line.rstrip("\n"))
    if not m:
        sys.exit(f"{path}: bad line: {line.rstrip()}")
    key, value = m.groups()
    if key == "name":
        cur = {"name": value, "olds": []}
        mutants.append(cur)
    elif key == "old":
        cur["olds"].append(value)
    else:
        cur[key] = value
bad = 0
for mu in mutants:
    src = open(os.path.join(promc, mu["file"])).read()
    for old in mu["olds"]:
        pattern = r"\n\s*".join(re.escape(p) for p in old.split("{NL}"))
        n = len(re.findall(pattern, src))
        if n != 1:
            print(f"FAIL {mu['name']}: '{old}' occurs {n} times in {mu['file']} (want once)")
            bad += 1
print(f"{len(mutants)} mutants, {bad} patterns not found exactly once")
sys.exit(1 if bad else 0)
