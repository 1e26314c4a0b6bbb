"""inplace.py -- the guide's code, compiled where the attendee pastes it.

A code block of an exercise page that goes into the services is preceded by where it goes:

    <!-- paste: services/frontend/handlers.c fe_hello() before "fe_hello_jobs_push();" -->

FILE, then FUNCTION() or `-` (file level), then the place: `start` (first line of the
function's body), `top` (after the file's last #include), `end` (end of the file), or
`before "TEXT"` / `after "TEXT"` (the first line of the function, or file, that contains TEXT;
`before last "TEXT"`: the last such line).
The block is indented like that line. A page may also name a mistake the build must refuse:

    <!-- mistake: "ws_fruits[order->fruit]" -> "order->fruit" fails "int-conversion" -->

(the last block's TEXT replaced; the build must fail with a message that contains the last
string). For exercise N the blocks of its page are pasted into the state before it (the
starting point for 0, else the reference state after N-1, from workshop/derive), in the order
of the page, and the frontend and backend are built with the tree's own flags (-Werror).

    /usr/bin/python3 workshop/tools/inplace.py [--work DIR] [-j N] [N ...]   (default: every page)
"""

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys

WORKSHOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASTE = re.compile(r'^<!-- paste: (\S+) (\S+) (start|top|end|before (?:last )?"(.*)"|after (?:last )?"(.*)") -->\s*$')
MISTAKE = re.compile(r'^<!-- mistake: "(.*)" -> "(.*)" fails "(.*)" -->\s*$')


class Block:
    def __init__(self, page, line, path, function, where, text, code):
        self.page, self.line, self.path, self.function = page, line, path, function
        self.where, self.text, self.code = where, text, code

    def __str__(self):
        return f"{os.path.relpath(self.page, WORKSHOP)}:{self.line}"


def page_blocks(page):
    """([Block], [(old, new, error)]) of one page."""
    with open(page, encoding="utf-8") as f:
        lines = f.read().splitlines(keepends=True)
    blocks, mistakes = [], []
    for i, line in enumerate(lines):
        m = MISTAKE.match(line)
        if m:
            if not blocks:
                raise ValueError(f"{page}:{i + 1}: a mistake before any paste block")
            mistakes.append((blocks[-1], m.group(1), m.group(2), m.group(3)))
            continue
        m = PASTE.match(line)
        if not m:
            continue
        if i + 1 >= len(lines) or not lines[i + 1].startswith("```"):
            raise ValueError(f"{page}:{i + 1}: a fenced code block must follow the paste line")
        j = i + 2
        while j < len(lines) and not lines[j].startswith("```"):
            j += 1
        where = m.group(3).split(" ", 1)[0]
        text = m.group(4) if m.group(4) is not None else m.group(5)
        function = None if m.group(2) == "-" else m.group(2).rstrip("()")
        blocks.append(Block(page, i + 1, m.group(1), function, where, text, "".join(lines[i + 2:j])))
        blocks[-1].last = " last " in m.group(3)
    return blocks, mistakes


def function_span(lines, name, where):
    """(first body line, closing line) of a function defined at column 0."""
    head = re.compile(r"^[A-Za-z_].*\b" + re.escape(name) + r"\(")
    for i, line in enumerate(lines):
        if head.match(line) and not line.rstrip().endswith(";"):
            j = i
            while not lines[j].rstrip().endswith("{"):
                j += 1
                if lines[j].rstrip().endswith(";"):
                    break
            else:
                end = next(k for k in range(j + 1, len(lines)) if lines[k].rstrip() == "}")
                return j + 1, end
    raise ValueError(f"{where}: no function {name}() in the file")


def indent_of(line):
    return line[: len(line) - len(line.lstrip())]


def paste(tree, block):
    path = os.path.join(tree, block.path)
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines(keepends=True)
    lo, hi = (0, len(lines))
    if block.function:
        lo, hi = function_span(lines, block.function, str(block))
    if block.where == "top":
        at = max(i for i, l in enumerate(lines) if l.startswith("#include")) + 1
        pad = ""
    elif block.where == "end":
        at, pad = len(lines), ""
    elif block.where == "start":
        at, pad = lo, "    "
    else:
        hits = [i for i in range(lo, hi) if block.text in lines[i]]
        if not hits:
            raise ValueError(f"{block}: no line with {block.text!r} in "
                             f"{block.function + '()' if block.function else block.path}")
        hit = hits[-1] if block.last else hits[0]
        at = hit + (1 if block.where == "after" else 0)
        pad = indent_of(lines[hit])
        prev = lines[hit - 1].strip() if hit > 0 else ""
        if (block.where == "after" and re.match(r"(if|else|for|while)\b", prev)
                and not prev.endswith("{")):
            pad = indent_of(lines[hit - 1])  # after the unbraced body of an if: the if's level
    code = [(pad + l if l.strip() else l) for l in block.code.splitlines(keepends=True)]
    lines[at:at] = code
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(lines))


def sync(src, dst):
    """Makes dst a copy of src, rewriting only the files whose content differs (so the build in
    dst stays incremental across states)."""
    for root, dirs, files in os.walk(src):
        rel = os.path.relpath(root, src)
        os.makedirs(os.path.join(dst, rel), exist_ok=True)
        for name in files:
            a, b = os.path.join(root, name), os.path.join(dst, rel, name)
            with open(a, "rb") as f:
                data = f.read()
            try:
                with open(b, "rb") as f:
                    same = f.read() == data
            except OSError:
                same = False
            if not same:
                with open(b, "wb") as f:
                    f.write(data)
    for root, dirs, files in os.walk(dst):
        rel = os.path.relpath(root, dst)
        if rel.split(os.sep)[0] == "build":
            continue
        for name in files:
            if not os.path.exists(os.path.join(src, rel, name)):
                os.remove(os.path.join(root, name))


def build(tree, jobs):
    """(ok, output) of building the frontend and backend of a tree."""
    b = os.path.join(tree, "build")
    r = subprocess.run(["cmake", "-S", tree, "-B", b, "-DCMAKE_BUILD_TYPE=Debug"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return False, r.stdout + r.stderr
    r = subprocess.run(["cmake", "--build", b, f"-j{jobs}", "--target", "frontend", "backend"],
                       capture_output=True, text=True)
    return r.returncode == 0, r.stdout + r.stderr


def pages():
    return {int(os.path.basename(p)[:2]): p
            for p in sorted(glob.glob(os.path.join(WORKSHOP, "exercises", "*.md")))}


def check_exercise(n, page, work, jobs):
    blocks, mistakes = page_blocks(page)
    if not blocks:
        return []
    state = "start" if n == 0 else str(n - 1)
    fresh = os.path.join(work, "derived")
    shutil.rmtree(fresh, ignore_errors=True)
    subprocess.run([sys.executable, os.path.join(WORKSHOP, "derive"), "tree", state, fresh],
                   check=True, capture_output=True)
    tree = os.path.join(work, "tree")
    for b in blocks:
        try:
            paste(fresh, b)
        except ValueError as e:
            return [str(e)]
    sync(fresh, tree)
    ok, out = build(tree, jobs)
    if not ok:
        errors = [l for l in out.splitlines() if "error" in l][:12]
        return [f"exercise {n}: the page's {len(blocks)} blocks, pasted into the {state} state, do not "
                "build:\n    " + "\n    ".join(errors)]
    print(f"ok   exercise {n}: {len(blocks)} blocks pasted into the {state} state build "
          f"({', '.join(sorted({b.path for b in blocks}))})")
    problems = []
    for block, old, new, error in mistakes:
        path = os.path.join(tree, block.path)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        code = block.code.strip()
        if old not in code or code.replace(old, new) == code:
            problems.append(f"{block}: the mistake's {old!r} is not in its block")
            continue
        first = code.splitlines()[0].strip()
        with open(path, "w", encoding="utf-8") as f:
            f.write(text.replace(old, new, 1) if first in text else text)
        ok, out = build(tree, jobs)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        if ok:
            problems.append(f"{block}: with {new!r} for {old!r} the tree still builds")
        elif error not in out:
            problems.append(f"{block}: with {new!r} the build fails, but not with {error!r}:\n{out[-800:]}")
        else:
            print(f"ok   exercise {n}: {new!r} in place of {old!r} does not compile ({error})")
    return problems


def walk(work, jobs, upto):
    """The attendee's path: the starting point, then every page's blocks 0..upto pasted on top of
    the previous ones (not on the reference states), built after each page. Returns problems."""
    fresh = os.path.join(work, "walk-src")
    shutil.rmtree(fresh, ignore_errors=True)
    subprocess.run([sys.executable, os.path.join(WORKSHOP, "derive"), "tree", "start", fresh],
                   check=True, capture_output=True)
    tree = os.path.join(work, "walk")
    for n, page in pages().items():
        if n > upto:
            break
        blocks, _ = page_blocks(page)
        if not blocks:
            continue
        for b in blocks:
            try:
                paste(fresh, b)
            except ValueError as e:
                return [f"walk: {e}"]
        sync(fresh, tree)
        ok, out = build(tree, jobs)
        if not ok:
            errors = [l for l in out.splitlines() if "error" in l][:12]
            return [f"walk: after exercise {n}'s blocks the tree does not build:\n    " + "\n    ".join(errors)]
        print(f"ok   walk: the starting point with the blocks of exercises 0 to {n} builds")
    return []


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("exercises", nargs="*", type=int)
    ap.add_argument("--work", default=None, help="work folder (default: a temporary one)")
    ap.add_argument("-j", type=int, default=2)
    ap.add_argument("--walk", type=int, metavar="N", default=None,
                    help="instead: paste pages 0..N cumulatively onto the starting point, as an "
                    "attendee does, building after each (the tree is WORK/walk)")
    args = ap.parse_args(argv)
    import tempfile

    work = args.work or tempfile.mkdtemp(prefix="ws-inplace.")
    os.makedirs(work, exist_ok=True)
    problems = []
    if args.walk is not None:
        problems = walk(work, args.j, args.walk)
        for p in problems:
            print(f"FAIL {p}")
        return 1 if problems else 0
    try:
        for n, page in pages().items():
            if args.exercises and n not in args.exercises:
                continue
            try:
                problems += check_exercise(n, page, work, args.j)
            except ValueError as e:
                problems.append(str(e))
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    for p in problems:
        print(f"FAIL {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
