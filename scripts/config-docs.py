#!/usr/bin/env python3
"""Regenerates the key tables of docs/configuration.md from the options classes.

Each table sits under a heading of the form

    ## `Section` (ClassName, path/to/ClassName.cs)

and lists every public settable property of that class: its name, its initialiser (the default)
and the <summary> of its XML doc (the meaning). The class file is the source of truth; this script
only copies from it.

    scripts/config-docs.py           rewrite docs/configuration.md in place
    scripts/config-docs.py --check   exit 1 and show the difference when the doc is stale
"""
import difflib
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "configuration.md"
HEADING = re.compile(r"^## `(?P<section>[^`]+)` \((?P<cls>\w+), (?P<path>[^)]+)\)\s*$")
PROPERTY = re.compile(
    r"^\s*public\s+(?!const\b|static\b|override\b)(?P<type>[\w<>\[\],?.\s]+?)\s+(?P<name>\w+)\s*\{\s*get;\s*set;\s*\}\s*(?:=\s*(?P<init>.*))?$")


def summary_text(doc_lines):
    text = " ".join(l.strip()[3:].strip() for l in doc_lines)
    match = re.search(r"<summary>(.*?)</summary>", text)
    if not match:
        return ""
    summary = match.group(1)
    summary = re.sub(r'<see(?:also)? cref="(?:[A-Z]:)?([^"]+)"\s*/>', lambda m: m.group(1).split(".")[-1], summary)
    summary = re.sub(r'<paramref name="([^"]+)"\s*/>', r"\1", summary)
    summary = re.sub(r"</?c>", "`", summary)
    return re.sub(r"\s+", " ", summary).strip().replace("|", "\\|")


def type_default(type_name):
    """What a property without an initialiser holds: the C# default of its type."""
    if type_name.endswith("?") or type_name == "string":
        return "(empty)"
    if type_name == "bool":
        return "`false`"
    if type_name in ("int", "long", "double", "float", "decimal", "short", "byte"):
        return "`0`"
    return f"`default({type_name})`"


def read_initialiser(lines, index, first):
    """The initialiser may span lines (a collection initialiser); it ends at ';' outside brackets."""
    text, depth = "", 0
    chunk, i = first, index
    while True:
        for ch in chunk:
            if ch in "({[":
                depth += 1
            elif ch in ")}]":
                depth -= 1
            elif ch == ";" and depth == 0:
                return re.sub(r"\s+", " ", text).strip().replace(", }", " }"), i
            text += ch
        text += " "
        i += 1
        if i >= len(lines):
            raise SystemExit(f"unterminated initialiser near line {index + 1}")
        chunk = lines[i]


def class_rows(cls, path):
    source = (ROOT / path)
    if not source.exists():
        raise SystemExit(f"docs/configuration.md names {path}, which does not exist")
    lines = source.read_text(encoding="utf-8").splitlines()
    start = next((i for i, l in enumerate(lines) if re.search(rf"\b(class|record)\s+{cls}\b", l)), None)
    if start is None:
        raise SystemExit(f"{path} declares no class {cls}")
    rows, doc, depth, i = [], [], 0, start
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if depth == 1 and stripped.startswith("///"):
            doc.append(stripped)
        elif depth == 1 and (m := PROPERTY.match(line)):
            init = ""
            if m.group("init") is not None:
                init, i = read_initialiser(lines, i, m.group("init"))
            default = f"`{init}`" if init else type_default(m.group("type").strip())
            rows.append(f"| `{m.group('name')}` | {default} | {summary_text(doc)} |")
            doc = []
        elif not stripped.startswith("["):
            doc = [] if not stripped.startswith("///") else doc
        depth += line.count("{") - line.count("}")
        if depth <= 0 and i > start and "{" in "".join(lines[start:i + 1]):
            break
        i += 1
    if not rows:
        raise SystemExit(f"{cls} in {path} has no public settable properties")
    return rows


def options_classes():
    """Every options class in the source tree: (section, class, path) from its SectionName constant."""
    found = []
    for source in sorted(ROOT.rglob("*.cs")):
        relative = source.relative_to(ROOT)
        if any(part in ("bin", "obj", "node_modules") for part in relative.parts):
            continue
        text = source.read_text(encoding="utf-8")
        for m in re.finditer(r'public const string SectionName = "([^"]+)";', text):
            cls = re.findall(r"\b(?:class|record)\s+(\w+)", text[:m.start()])
            if cls:
                found.append((m.group(1), cls[-1], relative.as_posix()))
    return found


def regenerate(text):
    documented = {m.group("section") for l in text.splitlines() if (m := HEADING.match(l))}
    for section, cls, path in options_classes():
        if section not in documented:
            text = text.rstrip("\n") + f"\n\n## `{section}` ({cls}, {path})\n\n"
    out, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        out.append(lines[i])
        m = HEADING.match(lines[i])
        i += 1
        if not m:
            continue
        while i < len(lines) and not lines[i].startswith("|") and not lines[i].startswith("## "):
            out.append(lines[i])
            i += 1
        # The old table, including rows that spilled over lines (a multi-line initialiser).
        while i < len(lines) and (lines[i].startswith("|") or lines[i].startswith(" ") and lines[i].strip()):
            i += 1
        out.append("| key | default | meaning |")
        out.append("|---|---|---|")
        out.extend(class_rows(m.group("cls"), m.group("path")))
    return "\n".join(out) + "\n"


def main():
    current = DOC.read_text(encoding="utf-8")
    wanted = regenerate(current)
    if "--check" in sys.argv[1:]:
        if wanted != current:
            sys.stdout.writelines(difflib.unified_diff(
                current.splitlines(True), wanted.splitlines(True), "docs/configuration.md", "from the options classes"))
            print("docs/configuration.md is stale: run scripts/config-docs.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
