"""snippets.py -- keeps the guide's C code blocks equal to the snippet programs that CTest builds.

In workshop/snippets/*.c a region runs from `/* snippet: NAME */` to `/* end snippet */`. In the
guide's Markdown (workshop/README.md, workshop/exercises/*.md) the line
`<!-- snippet: FILE.c#NAME -->` is followed by a fenced code block holding that region, dedented.

    /usr/bin/python3 workshop/tools/snippets.py check    fail when a block differs (CTest)
    /usr/bin/python3 workshop/tools/snippets.py update   rewrite the blocks from the programs
"""

import glob
import os
import re
import sys
import textwrap

WORKSHOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BEGIN = re.compile(r"^\s*/\* snippet: ([\w-]+) \*/\s*$")
END = re.compile(r"^\s*/\* end snippet \*/\s*$")
REF = re.compile(r"^<!-- snippet: ([\w.]+)#([\w-]+) -->\s*$")


def regions(path):
    """{name: dedented text} of one snippet program."""
    out, name, lines = {}, None, []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            m = BEGIN.match(line)
            if m:
                if name:
                    raise ValueError(f"{path}:{lineno}: snippet {m.group(1)} inside {name}")
                name, lines = m.group(1), []
            elif END.match(line):
                if not name:
                    raise ValueError(f"{path}:{lineno}: end snippet without a snippet")
                if name in out:
                    raise ValueError(f"{path}: snippet {name} defined twice")
                out[name] = textwrap.dedent("".join(lines))
                name = None
            elif name:
                lines.append(line)
    if name:
        raise ValueError(f"{path}: snippet {name} never ends")
    return out


def all_regions():
    return {os.path.basename(p): regions(p)
            for p in sorted(glob.glob(os.path.join(WORKSHOP, "snippets", "*.c")))}


def guide_files():
    return [os.path.join(WORKSHOP, "README.md")] + sorted(
        glob.glob(os.path.join(WORKSHOP, "exercises", "*.md")))


def process(path, snippets, update):
    """Returns (problems, used references, new text)."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines(keepends=True)
    out, problems, used, i = [], [], set(), 0
    rel = os.path.relpath(path, WORKSHOP)
    while i < len(lines):
        line = lines[i]
        out.append(line)
        i += 1
        m = REF.match(line)
        if not m:
            continue
        file, name = m.group(1), m.group(2)
        used.add((file, name))
        want = snippets.get(file, {}).get(name)
        if want is None:
            problems.append(f"{rel}:{i}: no snippet {name} in snippets/{file}")
            continue
        if i >= len(lines) or not lines[i].startswith("```"):
            problems.append(f"{rel}:{i}: a fenced code block must follow the snippet reference")
            continue
        fence = lines[i]
        j = i + 1
        while j < len(lines) and not lines[j].startswith("```"):
            j += 1
        have = "".join(lines[i + 1:j])
        if have != want:
            problems.append(f"{rel}:{i + 1}: the block differs from snippets/{file}#{name}")
        out.append(fence)
        out.append(want)
        out.append(lines[j] if j < len(lines) else "```\n")
        i = j + 1
    return problems, used, "".join(out)


def main(argv):
    if len(argv) != 1 or argv[0] not in ("check", "update"):
        print(__doc__)
        return 2
    update = argv[0] == "update"
    try:
        snippets = all_regions()
    except ValueError as e:
        print(f"snippets: {e}")
        return 1
    problems, used = [], set()
    for path in guide_files():
        p, u, text = process(path, snippets, update)
        used |= u
        if update and p:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        problems += [x for x in p if not update or "differs" not in x]
    unused = sorted(f"snippets/{f}#{n}" for f, regs in snippets.items() for n in regs
                    if (f, n) not in used)
    for u in unused:
        problems.append(f"{u} is not shown anywhere in the guide")
    for p in problems:
        print(f"snippets: {p}")
    if problems:
        if not update:
            print("snippets: run /usr/bin/python3 workshop/tools/snippets.py update, or fix the reference")
        return 1
    count = sum(len(r) for r in snippets.values())
    print(f"snippets: the guide shows all {count} snippets of {len(snippets)} programs, each up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
