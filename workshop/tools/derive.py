"""derive.py -- builds the workshop's trees from the instrumented sources, by their markers.

The instrumented code carries markers saying which exercise added each piece of instrumentation.
From them this derives the starting point (no instrumentation), the state after each exercise,
and the patches between consecutive states; and it checks that all of these agree.

Markers live in comments (`/* */`, `//` or `#`), so they survive the compiler, CMake and
clang-format:

    /* WORKSHOP:EX3 BEGIN */        a region added by exercise 3, up to
    /* WORKSHOP:EX3 END */          its END line (both lines on their own)
    code(); /* WORKSHOP:EX3 */      one line added by exercise 3
    /* WORKSHOP:EX3 FILE */         the whole file is added by exercise 3 (a line of its own)

OUT in place of EXn (`/* WORKSHOP:OUT BEGIN */`, `code(); // WORKSHOP:OUT`, `# WORKSHOP:OUT FILE`)
marks what the instrumented code has but no workshop state gets: tooling that is no part of the
exercises, such as the benchmark's build with every metric compiled out.

The state after exercise N keeps every region of exercise <= N; "start" keeps none, "final"
keeps every EX region. Marker lines are always dropped, so "final" is the instrumented code without
its markers and its OUT parts. Regions nest only inward-later: an EX2 region may hold EX4 lines or
an OUT region, not the reverse (OUT counts as later than every exercise).

A manifest (one path a line, relative to the root; "!path" excludes; "title N text" names an
exercise) says which files make up a tree.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

MAX_EXERCISE = 9
OUT_LEVEL = MAX_EXERCISE + 1  # later than every state: never rendered
COMMENT_OPEN = r"(?:/\*|//|#)"
COMMENT_CLOSE = r"(?:\*/)?"
RE_BLOCK = re.compile(
    r"^\s*" + COMMENT_OPEN + r"\s*WORKSHOP:(EX\d+|OUT)\s+(BEGIN|END|FILE)\s*" + COMMENT_CLOSE + r"\s*$"
)
RE_LINE = re.compile(
    r"^(.*\S)\s*" + COMMENT_OPEN + r"\s*WORKSHOP:(EX\d+|OUT)\s*" + COMMENT_CLOSE + r"\s*$"
)
RE_ANY = re.compile(r"WORKSHOP:")
STATES = ["start"] + [str(n) for n in range(MAX_EXERCISE + 1)] + ["final"]


class MarkerError(Exception):
    """A malformed marker: where it is and what is wrong."""


def state_level(state):
    """start -> -1, "N" -> N, final -> MAX_EXERCISE."""
    if state == "start":
        return -1
    if state == "final":
        return MAX_EXERCISE
    if state.isdigit() and int(state) <= MAX_EXERCISE:
        return int(state)
    raise ValueError(f"unknown state '{state}' (use start, final or 0..{MAX_EXERCISE})")


def strip_code(text):
    """The line with string/char literals and comments blanked, for bracket counting."""
    out, i, quote = [], 0, None
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 2
                continue
            if c == quote:
                quote = None
            i += 1
            continue
        if c in "\"'":
            quote = c
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = len(text) if end < 0 else end + 2
            continue
        elif text.startswith("//", i):
            break
        else:
            out.append(c)
        i += 1
    return "".join(out)


def balanced(code):
    """True when (), [] and {} balance on the line: a wrapped statement's tail does not."""
    depth = {"(": 0, "[": 0, "{": 0}
    pairs = {")": "(", "]": "[", "}": "{"}
    for c in strip_code(code):
        if c in depth:
            depth[c] += 1
        elif c in pairs:
            depth[pairs[c]] -= 1
            if depth[pairs[c]] < 0:
                return False
    return all(v == 0 for v in depth.values())


def marker_level(tag, where):
    """"EX3" -> 3, "OUT" -> OUT_LEVEL; MarkerError for an exercise that does not exist."""
    if tag == "OUT":
        return OUT_LEVEL
    n = int(tag[2:])
    if n > MAX_EXERCISE:
        raise MarkerError(f"{where}: exercise {n} does not exist (0..{MAX_EXERCISE})")
    return n


def name(level):
    """How a level reads in messages: EX3 or OUT."""
    return "OUT" if level == OUT_LEVEL else f"EX{level}"


def parse(text, path):
    """Parses a file's markers. Returns (file_level or None, [(line, level or None, is_marker)]).

    level is the exercise that added the line (None: always there)."""
    file_level, lines, stack = None, [], []
    for lineno, line in enumerate(text.splitlines(keepends=True), 1):
        where = f"{path}:{lineno}"
        m = RE_BLOCK.match(line)
        if m:
            n, kind = marker_level(m.group(1), where), m.group(2)
            if kind == "FILE":
                if file_level is not None or any(lv is not None or mk for _, lv, mk in lines):
                    raise MarkerError(f"{where}: FILE marker must come once, before any region")
                file_level = n
            elif kind == "BEGIN":
                outer = stack[-1][0] if stack else file_level
                if outer is not None and n < outer:
                    raise MarkerError(
                        f"{where}: {name(n)} region inside an {name(outer)} region "
                        "(nest later exercises only)"
                    )
                stack.append((n, lineno))
            else:
                if not stack:
                    raise MarkerError(f"{where}: END of {name(n)} without a BEGIN")
                if stack[-1][0] != n:
                    raise MarkerError(
                        f"{where}: END of {name(n)}, but the open region is {name(stack[-1][0])} "
                        f"(begun at line {stack[-1][1]})"
                    )
                stack.pop()
            lines.append((line, None, True))
            continue
        m = RE_LINE.match(line)
        if m:
            n = marker_level(m.group(2), where)
            outer = stack[-1][0] if stack else file_level
            if outer is not None and n < outer:
                raise MarkerError(f"{where}: {name(n)} line inside an {name(outer)} region")
            if not balanced(m.group(1)):
                raise MarkerError(
                    f"{where}: the {name(n)} line does not balance its brackets; it is probably part of "
                    "a statement clang-format wrapped: mark it with BEGIN/END instead"
                )
            code = line[: m.start(1)] + m.group(1) + "\n"
            lines.append((code, n, False))
            continue
        if RE_ANY.search(line) and re.search(r"WORKSHOP:(EX|OUT)", line):
            raise MarkerError(f"{where}: malformed marker: {line.strip()}")
        lines.append((line, stack[-1][0] if stack else None, False))
    if stack:
        n, at = stack[-1]
        raise MarkerError(f"{path}:{at}: {name(n)} region never ends")
    return file_level, lines


def render(parsed, level):
    """The file's text at a state level, or None when the file does not exist yet.

    Where lines were left out, the blank lines around them are tidied as clang-format would:
    never two blank lines in a row, none at the start or the end of the file."""
    file_level, lines = parsed
    if file_level is not None and file_level > level:
        return None
    out, dropped = [], False
    for text, n, marker in lines:
        if marker or (n is not None and n > level):
            dropped = True
            continue
        blank = not text.strip()
        if blank and dropped and (not out or not out[-1].strip()):
            continue
        out.append(text)
        dropped = False if not blank else dropped
    while dropped and out and not out[-1].strip():
        out.pop()
    return "".join(out)


class Manifest:
    """Which files make up a tree, and the exercises' titles."""

    def __init__(self, path):
        self.include, self.exclude, self.titles = [], [], {}
        with open(path, encoding="utf-8") as f:
            for lineno, raw in enumerate(f, 1):
                line = raw.strip()
                if not line or line.startswith("#"):
                    continue
                if line.startswith("title "):
                    parts = line.split(None, 2)
                    if len(parts) < 3 or not parts[1].isdigit():
                        raise ValueError(f"{path}:{lineno}: expected 'title N text'")
                    self.titles[int(parts[1])] = parts[2]
                elif line.startswith("!"):
                    self.exclude.append(line[1:].strip().rstrip("/"))
                else:
                    self.include.append(line.rstrip("/"))

    def excluded(self, rel):
        return any(rel == e or rel.startswith(e + "/") for e in self.exclude)

    def files(self, root):
        """Every file of the tree, as sorted paths relative to root."""
        out = set()
        for inc in self.include:
            full = os.path.join(root, inc)
            if os.path.isfile(full):
                out.add(inc)
            elif os.path.isdir(full):
                for dirpath, dirnames, filenames in os.walk(full):
                    dirnames.sort()
                    for name in filenames:
                        rel = os.path.relpath(os.path.join(dirpath, name), root)
                        out.add(rel)
            else:
                raise FileNotFoundError(f"manifest names {inc}, which is not under {root}")
        return sorted(r for r in out if not self.excluded(r))


def read_text(path):
    """The file's text, or None when it is not UTF-8 text (copied as is, never marked)."""
    with open(path, "rb") as f:
        data = f.read()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


class Tree:
    """The parsed sources of a manifest under a root."""

    def __init__(self, root, manifest):
        self.root, self.manifest = root, manifest
        self.files = {}
        errors = []
        for rel in manifest.files(root):
            text = read_text(os.path.join(root, rel))
            try:
                self.files[rel] = None if text is None else parse(text, rel)
            except MarkerError as e:
                errors.append(str(e))
        if errors:
            raise MarkerError("\n".join(errors))

    def write(self, level, dest):
        """Writes the tree at a state level into dest (created; must be empty if it exists)."""
        if os.path.exists(dest) and os.listdir(dest):
            raise FileExistsError(f"{dest} exists and is not empty")
        os.makedirs(dest, exist_ok=True)
        for rel, parsed in self.files.items():
            src, dst = os.path.join(self.root, rel), os.path.join(dest, rel)
            if parsed is None:
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                shutil.copy2(src, dst)
                continue
            text = render(parsed, level)
            if text is None:
                continue
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            with open(dst, "w", encoding="utf-8") as f:
                f.write(text)
            shutil.copymode(src, dst)

    def summary(self):
        """Per exercise: the files it touches and how many lines it adds."""
        per = {}
        for rel, parsed in self.files.items():
            if parsed is None:
                continue
            file_level, lines = parsed
            for _, n, marker in lines:
                level = n if n is not None else file_level
                if level is None or marker:
                    continue
                files, count = per.setdefault(level, (set(), [0]))
                files.add(rel)
                count[0] += 1
        return per


def git(args, cwd, check=True):
    """Runs git outside any enclosing repository (so apply and diff act on plain folders)."""
    env = dict(os.environ, GIT_CEILING_DIRECTORIES=os.path.dirname(os.path.abspath(cwd)))
    env.pop("GIT_DIR", None)
    env.pop("GIT_WORK_TREE", None)
    return subprocess.run(["git"] + args, cwd=cwd, env=env, capture_output=True, text=True, check=check)


def diff_trees(base, a, b):
    """A git-style patch from base/a to base/b, paths relative to the trees."""
    r = git(
        ["-c", "core.quotepath=off", "diff", "--no-index", "--no-color", "--no-ext-diff",
         "--no-renames", "--src-prefix=a/", "--dst-prefix=b/", a, b],
        base, check=False,
    )
    if r.returncode not in (0, 1):
        raise RuntimeError(f"git diff failed: {r.stderr.strip()}")
    # git names the files a/<a>/path and b/<b>/path: make them a/path and b/path.
    prefix = re.compile(r"\b([ab])/(?:" + re.escape(a) + "|" + re.escape(b) + r")/")
    out, in_header = [], False
    for line in r.stdout.splitlines(keepends=True):
        if line.startswith("diff --git "):
            in_header = True
        elif line.startswith("@@"):
            in_header = False
        out.append(prefix.sub(r"\1/", line) if in_header else line)
    return "".join(out)


def patch_name(n):
    return f"ex{n:02d}.patch"


def make_patches(tree, tmp):
    """{exercise: patch text} for every exercise that changes the code."""
    levels = [-1] + list(range(MAX_EXERCISE + 1))
    for level in levels:
        tree.write(level, os.path.join(tmp, f"s{level + 1}"))
    patches = {}
    for level in levels[1:]:
        body = diff_trees(tmp, f"s{level}", f"s{level + 1}")
        if not body:
            continue
        title = tree.manifest.titles.get(level, f"exercise {level}")
        head = (
            f"Workshop exercise {level}: {title}\n\n"
            f"Generated by workshop/derive from the markers in the instrumented code; do not edit.\n"
            f"Apply in a workshop tree at the state after the previous exercise:\n"
            f"    git apply {patch_name(level)}\n\n"
        )
        patches[level] = head + body
    return patches


def build(tree_dir, cmake_args, jobs):
    """Configures and builds a tree with CMake; returns (ok, log tail)."""
    bdir = os.path.join(tree_dir, "build")
    for cmd in (["cmake", "-S", tree_dir, "-B", bdir] + cmake_args,
                ["cmake", "--build", bdir, f"-j{jobs}"]):
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            tail = (r.stdout + r.stderr).splitlines()[-40:]
            return False, "\n".join(tail)
    return True, ""


def apply_patch(tree_dir, patch_path):
    """git apply, outside any repository; returns the error text or ''."""
    r = git(["apply", "--whitespace=nowarn", os.path.abspath(patch_path)], tree_dir, check=False)
    return "" if r.returncode == 0 else (r.stderr.strip() or "git apply failed")



def unformatted(tree_dir, clang_format):
    """The C files of a tree that clang-format (with the tree's .clang-format) would change."""
    bad = []
    for dirpath, dirnames, filenames in os.walk(tree_dir):
        dirnames[:] = sorted(d for d in dirnames if d != "build")
        for name in sorted(filenames):
            if name.endswith((".c", ".h")):
                path = os.path.join(dirpath, name)
                r = subprocess.run([clang_format, "--dry-run", "-Werror", path],
                                   capture_output=True, text=True)
                if r.returncode != 0:
                    bad.append(os.path.relpath(path, tree_dir))
    return bad


def compare_states(a, b):
    """Differences between two trees, ignoring their build/ folders."""
    r = subprocess.run(["diff", "-r", "-q", "-x", "build", a, b], capture_output=True, text=True)
    return (r.stdout + r.stderr).strip()


# ---- Commands ---------------------------------------------------------------------------------


def cmd_lint(tree, args):
    per = tree.summary()
    print(f"derive: markers are well formed in {len(tree.files)} files")
    for n in sorted(per):
        files, count = per[n]
        title = tree.manifest.titles.get(n, "") if n != OUT_LEVEL else "(no workshop state has these)"
        print(f"  {name(n)}: {count[0]} lines in {len(files)} files  {title}")
        if args.verbose:
            for f in sorted(files):
                print(f"        {f}")
    return 0


def cmd_tree(tree, args):
    level = state_level(args.state)
    tree.write(level, args.dest)
    print(f"derive: wrote the {args.state} state to {args.dest}")
    return 0


def cmd_patches(tree, args):
    os.makedirs(args.patches, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="derive-") as tmp:
        patches = make_patches(tree, tmp)
    for name in os.listdir(args.patches):
        if re.fullmatch(r"ex\d\d\.patch", name):
            os.remove(os.path.join(args.patches, name))
    for n, text in patches.items():
        with open(os.path.join(args.patches, patch_name(n)), "w", encoding="utf-8") as f:
            f.write(text)
    names = ", ".join(patch_name(n) for n in patches) or "none"
    print(f"derive: wrote {names} to {args.patches}")
    return 0


def cmd_check_patches(tree, args):
    with tempfile.TemporaryDirectory(prefix="derive-") as tmp:
        patches = make_patches(tree, tmp)
    stored = {}
    if os.path.isdir(args.patches):
        for name in os.listdir(args.patches):
            m = re.fullmatch(r"ex(\d\d)\.patch", name)
            if m:
                with open(os.path.join(args.patches, name), encoding="utf-8") as f:
                    stored[int(m.group(1))] = f.read()
    problems = []
    for n in sorted(set(patches) | set(stored)):
        if n not in stored:
            problems.append(f"{patch_name(n)} is missing")
        elif n not in patches:
            problems.append(f"{patch_name(n)} is stale: exercise {n} no longer changes the code")
        elif stored[n] != patches[n]:
            problems.append(f"{patch_name(n)} differs from what the markers give")
    if problems:
        for p in problems:
            print(f"derive: {p}")
        print("derive: the patches are out of date; run: workshop/derive patches")
        return 1
    print(f"derive: {len(patches)} patches in {args.patches} match the markers")
    return 0


def cmd_verify(tree, args):
    """The CI proof: start builds, patches apply in order onto it, each result equals the state
    the markers give, and the end equals the instrumented code without markers."""
    failures = 0

    def report(ok, what, detail=""):
        nonlocal failures
        print(f"verify: {'ok  ' if ok else 'FAIL'} {what}")
        if not ok:
            failures += 1
            for line in detail.splitlines():
                print(f"        {line}")

    with tempfile.TemporaryDirectory(prefix="derive-verify-") as tmp:
        work = os.path.join(tmp, "work")
        tree.write(-1, work)
        report(True, "derived the starting point")

        def check_format(what):
            if args.clang_format:
                bad = unformatted(work, args.clang_format)
                report(not bad, f"{what} is clang-format clean", "\n".join(bad))

        check_format("the starting point")
        if args.build:
            ok, log = build(work, args.cmake_arg, args.jobs)
            report(ok, "the starting point configures and builds with CMake", log)
            shutil.rmtree(os.path.join(work, "build"), ignore_errors=True)
        for n in range(MAX_EXERCISE + 1):
            path = os.path.join(args.patches, patch_name(n))
            expected = os.path.join(tmp, f"state{n}")
            tree.write(n, expected)
            if os.path.exists(path):
                err = apply_patch(work, path)
                report(not err, f"{patch_name(n)} applies", err)
                if err:
                    break
                diff = compare_states(work, expected)
                report(not diff, f"after {patch_name(n)} the tree equals the markers' state {n}", diff)
                if diff:
                    break
                check_format(f"the state after exercise {n}")
            elif compare_states(work, expected):
                report(False, f"exercise {n} changes the code but {patch_name(n)} is missing")
                break
            if args.build_all and os.path.exists(path):
                ok, log = build(work, args.cmake_arg, args.jobs)
                report(ok, f"the state after exercise {n} builds", log)
                shutil.rmtree(os.path.join(work, "build"), ignore_errors=True)
        final = os.path.join(tmp, "final")
        tree.write(MAX_EXERCISE, final)
        diff = compare_states(work, final)
        report(not diff, "start + every patch equals the instrumented code without markers "
               "(and without its OUT parts)", diff)
        if failures > 1 or (failures and not diff):
            print("verify: stopped at the first broken step: later states build on it")
    print(f"verify: {'all good' if not failures else f'{failures} failure(s)'}")
    return 1 if failures else 0


def main(argv):
    import argparse

    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    p = argparse.ArgumentParser(
        prog="workshop/derive",
        description="Derive the workshop's starting point, per-exercise states and patches from the "
        "WORKSHOP:EX<n> markers of the instrumented code.",
    )
    p.add_argument("--root", default=repo, help="tree root (default: the repository)")
    p.add_argument("--manifest", help="file list (default: <root>/workshop/tree.txt)")
    p.add_argument("--patches", help="patch folder (default: <root>/workshop/patches)")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("lint", help="check the markers; list what each exercise adds")
    s.add_argument("-v", "--verbose", action="store_true")
    s = sub.add_parser("tree", help="write a state: start, 0..9 or final")
    s.add_argument("state")
    s.add_argument("dest")
    sub.add_parser("patches", help="(re)write exNN.patch between consecutive states")
    sub.add_parser("check-patches", help="fail if the stored patches differ from the markers")
    s = sub.add_parser("verify", help="apply the patches in order from start; compare with states")
    s.add_argument("--build", action="store_true", help="configure and build the starting point")
    s.add_argument("--build-all", action="store_true", help="also build each patched state")
    s.add_argument("--cmake-arg", action="append", default=[], help="extra cmake configure arg")
    s.add_argument("--clang-format", metavar="PROGRAM",
                   help="also check that every state's C files are clang-format clean")
    s.add_argument("-j", "--jobs", type=int, default=2)
    args = p.parse_args(argv)
    args.manifest = args.manifest or os.path.join(args.root, "workshop", "tree.txt")
    args.patches = args.patches or os.path.join(args.root, "workshop", "patches")
    try:
        tree = Tree(args.root, Manifest(args.manifest))
        return {
            "lint": cmd_lint, "tree": cmd_tree, "patches": cmd_patches,
            "check-patches": cmd_check_patches, "verify": cmd_verify,
        }[args.cmd](tree, args)
    except MarkerError as e:
        print(f"derive: bad markers:\n{e}", file=sys.stderr)
        return 1
    except (OSError, ValueError, RuntimeError) as e:
        print(f"derive: {e}", file=sys.stderr)
        return 1
