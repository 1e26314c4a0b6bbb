"""report.py -- what the checker found, per exercise, and how it is printed.

A check result is a list of lines: ok (done), miss (missing, with a hint saying what to do), warn
(worth knowing, does not fail) and skip (not checked because something before it is missing).
An exercise is done when it has no miss.
"""

import os
import sys
import textwrap

OK, MISS, WARN, SKIP = "ok", "miss", "warn", "skip"


class Result:
    def __init__(self, number, title):
        self.number, self.title, self.lines = number, title, []

    def ok(self, text):
        self.lines.append((OK, text, None))
        return True

    def miss(self, text, hint=None):
        self.lines.append((MISS, text, hint))
        return False

    def warn(self, text, hint=None):
        self.lines.append((WARN, text, hint))

    def skip(self, text):
        self.lines.append((SKIP, text, None))

    @property
    def done(self):
        return not any(kind == MISS for kind, _, _ in self.lines)


class Printer:
    MARK = {OK: "ok  ", MISS: "MISS", WARN: "note", SKIP: "skip"}
    COLOR = {OK: "32", MISS: "31", WARN: "33", SKIP: "90"}

    def __init__(self, out=sys.stdout, color=None, width=100):
        self.out = out
        if color is None:
            color = out.isatty() and os.environ.get("NO_COLOR") is None
        self.color, self.width = color, width

    def paint(self, code, text):
        return f"\033[{code}m{text}\033[0m" if self.color else text

    def wrap(self, text, indent):
        return textwrap.fill(text, self.width, initial_indent=indent, subsequent_indent=indent,
                             break_on_hyphens=False, break_long_words=False)

    def exercise(self, res):
        verdict = "DONE" if res.done else "MISSING"
        head = f"Exercise {res.number}: {res.title}"
        pad = max(1, self.width - len(head) - len(verdict))
        print(head + " " * pad + self.paint("32;1" if res.done else "31;1", verdict), file=self.out)
        for kind, text, hint in res.lines:
            mark = self.paint(self.COLOR[kind], self.MARK[kind])
            body = self.wrap(text, " " * 8)[8:]
            print(f"  {mark}  {body}", file=self.out)
            if hint:
                print(self.paint("36", self.wrap("hint: " + hint, " " * 8)), file=self.out)
        print(file=self.out)
        self.out.flush()

    def summary(self, results):
        done = [r.number for r in results if r.done]
        missing = [r.number for r in results if not r.done]
        parts = [f"{len(done)}/{len(results)} done"]
        if missing:
            parts.append("missing: " + ", ".join(str(n) for n in missing))
        print(self.paint("1", "Summary: " + "; ".join(parts)), file=self.out)
