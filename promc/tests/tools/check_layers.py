#!/usr/bin/env python3
"""check_layers.py -- proves that promc's internals depend one way.

Two graphs, both must be acyclic:
  - calls: object A -> object B when A uses a symbol B defines (from `nm` on the library's
    objects), so a circle of calls between source files fails;
  - includes: header or source -> the internal headers it includes (quoted includes of
    promc/src), so a circle of headers fails, and no file includes a removed umbrella header.
Usage: check_layers.py [--prefix P[,P...]] [--group NAME=A,B ...] [--modules] SRC_DIR OBJECT...
Only symbols starting with one of the prefixes count (default: promc); an object is named by
its source file, so the graph is one of source files. --group names files that are one
layer split for size (family.c and lifecycle.c): they count as one node. Header NAME.h and
its files count as that node in the include graph too.
--modules: in the include graph, NAME.c and NAME.h are one node (a module), so a circle that
only a type closes (a.c includes b.h, b.h includes a.h for a struct) fails too; the services'
modules are a .c and its header, where promc's internal headers are layers of their own.
"""
import os
import re
import subprocess
import sys


def find_cycle(graph):
    """A cycle as a list of nodes, or None (iterative DFS, white/grey/black)."""
    colour = {n: 0 for n in graph}
    for start in sorted(graph):
        if colour[start]:
            continue
        stack = [(start, iter(sorted(graph[start])))]
        path = [start]
        colour[start] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                colour[node] = 2
                stack.pop()
                path.pop()
                continue
            if colour.get(nxt, 0) == 1:
                return path[path.index(nxt):] + [nxt]
            if colour.get(nxt, 0) == 0:
                colour[nxt] = 1
                path.append(nxt)
                stack.append((nxt, iter(sorted(graph.get(nxt, ())))))
    return None


def node_of(stem, groups):
    return groups.get(stem, stem)


def call_graph(objects, prefixes, groups):
    defined, used = {}, {}
    for obj in objects:
        name = node_of(os.path.basename(obj).split(".")[0], groups)
        out = subprocess.run(["nm", obj], capture_output=True, text=True, check=True).stdout
        used.setdefault(name, set())
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] in "TDBRCV" and parts[2].startswith(prefixes):
                defined[parts[2]] = name
            elif len(parts) == 2 and parts[0] == "U" and parts[1].startswith(prefixes):
                used[name].add(parts[1])
    graph = {n: set() for n in used}
    for n, syms in used.items():
        for s in syms:
            d = defined.get(s)
            if d and d != n:
                graph[n].add(d)
    return graph


def include_graph(src, problems, groups, modules=False):
    def key(path):
        stem, ext = os.path.splitext(path)
        return node_of(stem, groups) + ("" if modules else ext)

    graph = {}
    for f in sorted(os.listdir(src)):
        if not f.endswith((".c", ".h")):
            continue
        with open(os.path.join(src, f), encoding="utf-8") as fh:
            incs = re.findall(r'^#include "([^"]+)"', fh.read(), re.M)
        node = key(f)
        graph.setdefault(node, set()).update(
            key(i) for i in incs if os.path.exists(os.path.join(src, i)))
        graph[node].discard(node)
        if "promc_internal.h" in incs:
            problems.append(f"{f} includes promc_internal.h, an umbrella of every layer")
    return graph


def main():
    args = sys.argv[1:]
    if args[:1] in (["-h"], ["--help"]):
        print(__doc__)
        return 0
    prefixes = ("promc",)
    groups = {}
    modules = False
    while args and args[0] == "--modules" or len(args) >= 2 and args[0] in ("--prefix", "--group"):
        if args[0] == "--modules":
            modules = True
            args = args[1:]
            continue
        if args[0] == "--prefix":
            prefixes = tuple(args[1].split(","))
        else:
            name, members = args[1].split("=", 1)
            for m in members.split(","):
                groups[m] = name
        args = args[2:]
    if not args:
        print(__doc__)
        return 2
    src = args[0]
    objects = [o for arg in args[1:] for o in arg.split(";") if o]  # CMake lists
    if not objects:
        print("FAIL: no objects given")
        return 1
    bad = 0
    problems = []
    for what, graph in (("calls between source files", call_graph(objects, prefixes, groups)),
                        ("includes between internal files", include_graph(src, problems, groups, modules))):
        cycle = find_cycle(graph)
        edges = sum(len(v) for v in graph.values())
        if cycle:
            print(f"FAIL: a circle in the {what}: {' -> '.join(cycle)}")
            bad = 1
        else:
            print(f"ok   - {what}: {len(graph)} nodes, {edges} edges, no circle")
    for p in problems:
        print(f"FAIL: {p}")
        bad = 1
    return bad


if __name__ == "__main__":
    sys.exit(main())
