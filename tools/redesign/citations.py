"""Rewrites citations of documents that are not in the repository into ones that are.

- `SAFETY.md promise N`, `SAFETY.md promises 1, 6 and 7`, `SAFETY.md N` -> `docs/safety.md promise N` (the
  numbered promises live in docs/safety.md);
- `issue N` / `Issue N` / `issue N's` / `issues 4, 5 and 6` -> the feature's name ("issue 7" -> "quiet mode");
  a citation of a feature the sentence already names is dropped ("Quiet mode (issue 7)" -> "Quiet mode").

Run from the repository root: `python tools/redesign/citations.py` rewrites in place and prints every change;
`--check` only prints them and exits 1 if anything would change. Re-runnable: after a run nothing matches. A
form it does not know (an issue number without a name, `SAFETY.md` in a shape not listed above) is listed and
the script exits 1, so a new citation is never left behind silently: add its name to `FEATURES`, run again.

Python lines that grow past the line length are wrapped: a comment or docstring carries its last words to the
next line of the same paragraph, a `# --- banner ---` loses dashes, a string literal on its own line is split
into two adjacent literals. Anything else too long is listed and the script exits 1.
"""

from __future__ import annotations

import argparse
import ast
import io
import re
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEARCHED = ("gratitude", "tests", "bench", "config", "docs", "scripts", "README.md", "conftest.py")
SUFFIXES = {".py", ".md", ".css", ".js", ".html", ".txt", ".toml", ".cfg", ".ini", ".sh", ".yml", ".yaml"}
SKIPPED_PARTS = {".venv", "__pycache__", "node_modules", ".git", "screenshots"}
LINE_LENGTH = 110

# Each issue's feature, named as the docs name it (`issues show N`). The second element is what, found in the
# same sentence, makes the citation redundant (it is then dropped rather than replaced).
FEATURES: dict[int, tuple[str, str]] = {
    2: ("the walking skeleton", r"walking skeleton"),
    3: ("the sending path", r"sending path"),
    4: ("registries and givers", r"registries and givers"),
    5: ("the Thank You List", r"thank you list"),
    6: ("trustworthy mail", r"trustworthy mail|mail people can trust"),
    7: ("quiet mode", r"quiet mode"),
    8: ("the operator's console", r"operator's console"),
    13: ("nobody borrows our voice", r"borrows our voice"),
    14: ("the architecture redesign", r"architecture redesign"),
    15: ("the speed work", r"speed work"),
    16: ("the JSON API and store webhooks", r"json api|store (?:order )?webhooks"),
    17: ("hardening", r"hardening"),
}

# Sentences the general rule would make clumsy, rewritten whole first (whitespace may include line breaks).
OVERRIDES: list[tuple[str, str]] = [
    (r"\(its cost is issue 6's to measure\)", "(`bench/dkim_bench.py` measures its cost)"),
    (r"as issue 8 asks", "as docs/safety.md promise 15 asks"),
]

# Between two words of a citation: spaces, or a line break with the next line's indentation or comment mark.
SEP = r"(?:[ \t]*\n[ \t]*(?:#[ \t]*)?|[ \t]+)"
NUMBERS = r"\d+(?:(?:,[ \t]*|[ \t]+and[ \t]+|[ \t]*,[ \t]*and[ \t]+)\d+)*"
SAFETY_WORDED = re.compile(rf"(?:docs/)?SAFETY\.md(?P<sep>{SEP})(?P<word>promises?)\b")
SAFETY_BARE = re.compile(rf"(?:docs/)?SAFETY\.md(?P<sep>{SEP})(?P<nums>{NUMBERS})\b")
SAFETY_ANY = re.compile(r"SAFETY\.md")
ISSUE = re.compile(rf"\b(?P<word>[Ii]ssues?)(?P<sep>{SEP})#?(?P<nums>{NUMBERS})\b(?P<poss>'s)?")
ISSUE_ANY = re.compile(r"\b[Ii]ssues?\s*#?\s*\d+")


@dataclass
class Change:
    path: Path
    line: int
    before: str
    after: str


class Unmatched(Exception):
    pass


def numbers_in(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", text)]


def join_names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def rewrite_safety(text: str) -> str:
    text = SAFETY_WORDED.sub(lambda m: f"docs/safety.md{m['sep']}{m['word']}", text)

    def bare(m: re.Match[str]) -> str:
        word = "promises" if len(numbers_in(m["nums"])) > 1 else "promise"
        return f"docs/safety.md{m['sep']}{word} {m['nums']}"

    return SAFETY_BARE.sub(bare, text)


def sentence_around(text: str, start: int, end: int) -> str:
    """The text of the sentence (or line pair) a citation sits in, the citation itself left out."""
    left = max(text.rfind(". ", 0, start), text.rfind("\n\n", 0, start), text.rfind('"""', 0, start))
    ends = [i for i in (text.find(". ", end), text.find("\n\n", end), text.find('"""', end)) if i >= 0]
    right = min(ends) if ends else len(text)
    return (text[left + 1 : start] + " " + text[end:right]).lower()


def rewrite_issues(text: str, path: Path, unmatched: list[str]) -> str:
    for pattern, replacement in OVERRIDES:
        text = re.sub(pattern.replace(" ", SEP), replacement, text)

    out: list[str] = []
    position = 0
    for m in ISSUE.finditer(text):
        numbers = numbers_in(m["nums"])
        unknown = [n for n in numbers if n not in FEATURES]
        if unknown:
            line = text.count("\n", 0, m.start()) + 1
            where = f"{path.relative_to(ROOT)}:{line}"
            unmatched.append(f"{where}: no feature name for issue {unknown}: {m[0]!r}")
            continue
        context = sentence_around(text, m.start(), m.end())
        redundant = len(numbers) == 1 and re.search(FEATURES[numbers[0]][1], context) is not None
        before, after = text[position : m.start()], text[m.end() :]
        start, end = m.start(), m.end()
        if redundant and not m["poss"]:
            # "(issue 7)" -> "", "(issue 7, x" -> "(x", "x, issue 7)" -> "x)", "x, issue 7, y" -> "x, y".
            if before.endswith("(") and after.startswith(")"):
                trim = 2 if before.endswith(" (") else 1
                out.append(text[position : start - trim])
                position = end + 1
                continue
            if before.endswith("(") and re.match(r"[,;:] ", after):
                out.append(text[position:start])
                position = end + 2
                continue
            lead = re.search(r"[,;] $", before)
            if lead and re.match(r"[),;]", after):
                out.append(text[position : start - 2])
                position = end
                continue
        names = [FEATURES[n][0] for n in numbers]
        name = join_names(names) + (m["poss"] or "")
        if m["word"][0] == "I":
            name = name[0].upper() + name[1:]
        out.append(text[position:start] + name)
        position = end
    out.append(text[position:])
    return "".join(out)


# --- Keeping Python lines within the line length ------------------------------------------------------------

BANNER = re.compile(r"^(?P<head>\s*# --- .*? )(?P<dashes>-{3,})$")
COMMENT = re.compile(r"^(?P<prefix>\s*#\s?)(?P<text>.*)$")
LITERAL = re.compile(r"^(?P<indent>\s*)(?P<prefix>[rfRF]{0,2})(?P<q>[\"'])(?P<body>.*)(?P=q)(?P<tail>[,)]*)$")


def docstring_lines(source: str) -> set[int]:
    """0-based numbers of the lines inside triple-quoted strings."""
    lines: set[int] = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.STRING and token.string.lstrip("rRbBuUfF")[:3] in ('"""', "'''"):
                lines.update(range(token.start[0] - 1, token.end[0]))
    except (tokenize.TokenError, SyntaxError):
        pass
    return lines


def split_at(text: str, limit: int) -> int:
    """Where to break `text` so that its head fits in `limit` characters: the last space before it, or
    before the parenthesis of a docs/safety.md citation it would cut in two."""
    cut = text.rfind(" ", 0, limit + 1)
    paren = text.rfind(" (docs/safety.md", 0, limit + 1)
    return paren if paren > limit - 40 and text.find(")", paren) > cut else cut


def wrap_python(source: str, changed: set[int], path: Path, too_long: list[str], before: str) -> str:
    lines = source.split("\n")
    # A banner keeps its width: the dashes give way to the longer words.
    old = before.split("\n")
    for number in changed:
        banner = BANNER.match(lines[number])
        if banner and number < len(old) and BANNER.match(old[number]):
            width = max(len(old[number]), len(banner["head"]) + 3)
            lines[number] = banner["head"] + "-" * (width - len(banner["head"]))
    index = 0
    while index < len(lines):
        line = lines[index]
        if len(line) <= LINE_LENGTH or index not in changed:
            index += 1
            continue
        banner = BANNER.match(line)
        if banner and len(banner["head"]) + 3 <= LINE_LENGTH:
            lines[index] = banner["head"] + "-" * max(3, LINE_LENGTH - len(banner["head"]))
            index += 1
            continue
        in_docstring = index in docstring_lines("\n".join(lines))
        comment = COMMENT.match(line)
        if comment and not in_docstring and line.lstrip().startswith("#"):
            prefix = comment["prefix"]
            cut = split_at(line, LINE_LENGTH)
            if cut <= len(prefix):
                too_long.append(f"{path.relative_to(ROOT)}:{index + 1}: {line.strip()}")
                index += 1
                continue
            head, tail = line[:cut], line[cut + 1 :]
            following = COMMENT.match(lines[index + 1]) if index + 1 < len(lines) else None
            lines[index] = head
            if (
                following
                and lines[index + 1].lstrip().startswith("#")
                and following["prefix"] == prefix
                and following["text"].strip()
                and not BANNER.match(lines[index + 1])
            ):
                lines[index + 1] = prefix + tail + " " + following["text"]
            else:
                lines.insert(index + 1, prefix + tail)
                changed = {i + 1 if i > index else i for i in changed}
            changed.add(index + 1)
            index += 1
            continue
        if in_docstring:
            indent = line[: len(line) - len(line.lstrip())]
            cut = split_at(line, LINE_LENGTH)
            if cut <= len(indent):
                too_long.append(f"{path.relative_to(ROOT)}:{index + 1}: {line.strip()}")
                index += 1
                continue
            head, tail = line[:cut], line[cut + 1 :]
            next_text = lines[index + 1] if index + 1 < len(lines) else ""
            lines[index] = head
            continues = (
                index + 1 in docstring_lines("\n".join(lines))
                and next_text.strip()
                and next_text.strip() not in ('"""', "'''")
                and not head.rstrip().endswith(('"""', "'''"))
            )
            if continues:
                follow_indent = next_text[: len(next_text) - len(next_text.lstrip())]
                lines[index + 1] = follow_indent + tail + " " + next_text.lstrip()
            else:
                lines.insert(index + 1, indent.replace('"""', "") + tail)
                changed = {i + 1 if i > index else i for i in changed}
            changed.add(index + 1)
            index += 1
            continue
        literal = LITERAL.match(line)
        if literal:
            indent, prefix, quote = literal["indent"], literal["prefix"], literal["q"]
            body, tail = literal["body"], literal["tail"]
            opening = len(indent) + len(prefix) + 1
            cut = split_at(body, LINE_LENGTH - opening - 2)
            if cut > 0:
                first, second = body[: cut + 1], body[cut + 1 :]

                def prefixed(part: str, prefix: str = prefix, quote: str = quote) -> str:
                    keep = prefix if "{" in part else prefix.replace("f", "").replace("F", "")
                    return keep + quote + part + quote

                lines[index] = indent + prefixed(first)
                lines.insert(index + 1, indent + prefixed(second) + tail)
                changed = {i + 1 if i > index else i for i in changed} | {index + 1}
                index += 1
                continue
        too_long.append(f"{path.relative_to(ROOT)}:{index + 1}: {line.strip()}")
        index += 1
    return "\n".join(lines)


def changed_lines(before: str, after: str) -> set[int]:
    """0-based numbers of the lines of `after` that differ from `before` (citations never add lines)."""
    old, new = before.split("\n"), after.split("\n")
    return {i for i, line in enumerate(new) if i >= len(old) or old[i] != line}


def files() -> list[Path]:
    found: list[Path] = []
    for name in SEARCHED:
        top = ROOT / name
        candidates = [top] if top.is_file() else sorted(top.rglob("*")) if top.is_dir() else []
        for path in candidates:
            parts = set(path.relative_to(ROOT).parts)
            if path.is_file() and path.suffix in SUFFIXES and not parts & SKIPPED_PARTS:
                found.append(path)
    return found


def diff(path: Path, before: str, after: str) -> list[Change]:
    import difflib

    changes: list[Change] = []
    old, new = before.split("\n"), after.split("\n")
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag != "equal":
            changes.append(Change(path, i1 + 1, "\n".join(old[i1:i2]), "\n".join(new[j1:j2])))
    return changes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if something would")
    args = parser.parse_args()

    unmatched: list[str] = []
    too_long: list[str] = []
    broken: list[str] = []
    changes: list[Change] = []
    for path in files():
        try:
            before = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        after = rewrite_issues(rewrite_safety(before), path, unmatched)
        if after == before:
            continue
        if path.suffix == ".py":
            after = wrap_python(after, changed_lines(before, after), path, too_long, before)
            try:
                ast.parse(after, filename=str(path))
            except SyntaxError as error:
                where = f"{path.relative_to(ROOT)}:{error.lineno}"
                broken.append(f"{where}: the rewrite would not parse: {error.msg}")
                continue
        changes.extend(diff(path, before, after))
        if not args.check:
            path.write_text(after, encoding="utf-8")

    for change in changes:
        print(f"{change.path.relative_to(ROOT)}:{change.line}:")
        print("  - " + change.before.replace("\n", "\n  - "))
        print("  + " + change.after.replace("\n", "\n  + "))
    touched = len({change.path for change in changes})
    verb = "would change" if args.check else "changed"
    print(f"{verb} {len(changes)} places in {touched} files")

    # What is left after the rewrite: forms this script does not know.
    for path in files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        if args.check:
            text = rewrite_issues(rewrite_safety(text), path, [])
        for pattern in (SAFETY_ANY, ISSUE_ANY):
            for m in pattern.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                where = f"{path.relative_to(ROOT)}:{line}:"
                if pattern is ISSUE_ANY and any(
                    item.startswith(where) and "no feature name" in item for item in unmatched
                ):
                    continue  # already listed with its number
                unmatched.append(f"{where} unknown form {text[m.start() : m.start() + 40]!r}")
    problems = unmatched + too_long + broken
    if problems:
        print("\nNOT REWRITTEN (fix the script's FEATURES/OVERRIDES, or the line by hand, and run again):")
        for problem in problems:
            print("  " + problem)
        return 1
    return 1 if args.check and changes else 0


if __name__ == "__main__":
    sys.exit(main())
