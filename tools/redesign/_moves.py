"""Shared machinery of the layout scripts: move modules with `git mv`, split a module by top-level name,
and rewrite every reference (imports, module attributes, dotted strings, paths in docs) to the new places.

Every script refuses loudly (exit 1, naming what it met) rather than guess: a module or top-level name with
no mapping is for a human to place.
"""

from __future__ import annotations

import ast
import io
import re
import subprocess
import sys
import tokenize
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path.cwd()
TEXT_SUFFIXES = {".py", ".md", ".toml", ".cfg", ".ini", ".txt", ".yml", ".yaml", ".html", ".sh", ".json"}
TEXT_NAMES = {"Makefile", ".importlinter", "Procfile", "Dockerfile"}
SKIP_PREFIXES = ("tools/redesign/",)


class Refusal(Exception):
    """What the script met and cannot place by itself."""


def die(message: str, names: Iterable[str] = ()) -> None:
    listed = sorted(set(names))
    print(f"REFUSED: {message}", file=sys.stderr)
    for name in listed:
        print(f"  - {name}", file=sys.stderr)
    sys.exit(1)


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, check=check, text=True, capture_output=True)  # noqa: S603


def git_mv(old: Path, new: Path) -> None:
    new.parent.mkdir(parents=True, exist_ok=True)
    if run("git", "ls-files", "--error-unmatch", str(old), check=False).returncode:
        old.rename(new)  # not committed yet (another change in progress): move it and stage it
        run("git", "add", str(new))
    else:
        run("git", "mv", str(old), str(new))


def tracked_files() -> list[Path]:
    out = run("git", "ls-files", "-co", "--exclude-standard").stdout.split("\n")
    files = []
    for name in out:
        if not name or name.startswith(SKIP_PREFIXES):
            continue
        path = ROOT / name
        if path.is_file() and (path.suffix in TEXT_SUFFIXES or path.name in TEXT_NAMES):
            files.append(path)
    return files


def python_files() -> list[Path]:
    return [p for p in tracked_files() if p.suffix == ".py"]


@dataclass
class Edits:
    """Files the script changed, so ruff runs on exactly those."""

    touched: set[Path] = field(default_factory=set)
    dry: bool = False  # a rehearsal: find what the script would refuse before anything moves

    def write(self, path: Path, text: str) -> None:
        if self.dry:
            return
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            self.touched.add(path)

    def finish(self) -> None:
        py = sorted(str(p.relative_to(ROOT)) for p in self.touched if p.suffix == ".py" and p.exists())
        if not py:
            return
        ruff = str(ROOT / ".venv/bin/ruff") if (ROOT / ".venv/bin/ruff").exists() else "ruff"
        run(ruff, "check", "--fix", "--select", "F401,I001", *py, check=False)
        # F401 leaves `if TYPE_CHECKING: pass` where every import of the block went; drop the block.
        for name in py:
            path = ROOT / name
            text = path.read_text()
            cleaned = re.sub(r"\nif TYPE_CHECKING:\n    pass\n", "\n", text)
            if cleaned != text:
                path.write_text(cleaned)
        run(ruff, "check", "--fix", "--select", "F401,I001", *py, check=False)
        run(ruff, "format", *py, check=False)
        # An import marked noqa E402 that grew past the line length was wrapped by the formatter, its noqa
        # copied onto every name: put one back where the statement starts.
        run(ruff, "check", "--extend-select", "RUF100", "--fixable", "RUF100", "--fix-only", *py, check=False)
        run(ruff, "check", "--select", "E402", "--add-noqa", *py, check=False)
        for name in py:
            if "/migrations/" not in name:  # not linted: their long lines stay as they were written
                wrap_long_lines(ROOT / name)
        print(f"ruff: fixed imports and formatted {len(py)} files")


LINE_LENGTH = 110


def wrap_long_lines(path: Path) -> None:
    """Longer paths make some comment and docstring lines too long: carry their last words over to the next
    line of the same paragraph (or to a new line when the paragraph ends there)."""
    text = path.read_text()
    in_docstring: set[int] = set()
    for tok in name_tokens(text):
        if tok.type == tokenize.STRING and tok.string.lstrip("rbuRBU").startswith(('"""', "'''")):
            in_docstring.update(range(tok.start[0], tok.end[0] + 1))
    lines = text.splitlines(keepends=True)
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        comment = stripped.startswith("#")
        if len(line.rstrip("\n")) <= LINE_LENGTH or not (comment or i + 1 in in_docstring):
            i += 1
            continue
        body = stripped[2:] if comment else stripped
        lead = indent + ("# " if comment else "")
        if body.startswith("- "):
            lead += "  "
        cut = line.rfind(" ", len(lead) + 4, LINE_LENGTH + 1)
        if cut <= len(lead):
            i += 1
            continue
        carried = line[cut + 1 :].rstrip("\n")
        lines[i] = line[:cut].rstrip() + "\n"
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        n_stripped = nxt.lstrip()
        n_indent = nxt[: len(nxt) - len(n_stripped)]
        n_body = n_stripped[2:] if comment and n_stripped.startswith("# ") else n_stripped
        same_paragraph = (
            nxt.strip()
            and n_indent + ("# " if comment else "")
            == lead.rstrip("\n")[: len(n_indent) + (2 if comment else 0)]
            and (n_stripped.startswith("# ") if comment else i + 2 in in_docstring)
            and not n_body.startswith(("- ", '"""', "'''", "#"))
            and not carried.endswith(('"""', "'''"))
            and len(lead) == len(n_indent) + (2 if comment else 0)
        )
        if same_paragraph:
            lines[i + 1] = lead + carried + " " + n_body
        else:
            lines.insert(i + 1, lead + carried + "\n")
            was_docstring = i + 1 in in_docstring
            in_docstring = {n + 1 if n > i + 1 else n for n in in_docstring}
            if was_docstring:
                in_docstring.add(i + 2)
        i += 1
    new = "".join(lines)
    if new != text:
        path.write_text(new)


# --- tokens --------------------------------------------------------------------------------------


def name_tokens(text: str) -> list[tokenize.TokenInfo]:
    return list(tokenize.generate_tokens(io.StringIO(text).readline))


def keep_salts(text: str, change: Callable[[str], str]) -> str:
    """Apply `change` line by line, leaving alone any line that names a signing salt: a salt spelled like a
    module path ("gratitude.notifications.pause_link") is still the key of every link already mailed, and
    changing it would break the unsubscribe and pause links in people's inboxes."""
    lines = text.splitlines(keepends=True)
    return "".join(line if re.search("salt", line, re.IGNORECASE) else change(line) for line in lines)


def in_prose(text: str, change: Callable[[str], str]) -> str:
    """Apply `change` to comments and docstrings only, never to the strings code compares or opens."""
    starts = _offsets(text)
    spans = []
    for tok in name_tokens(text):
        prose = tok.type == tokenize.COMMENT or (
            tok.type == tokenize.STRING and tok.string.lstrip("rbuRBU").startswith(('"""', "'''"))
        )
        if prose:
            begin = starts[tok.start[0] - 1] + tok.start[1]
            end = starts[tok.end[0] - 1] + tok.end[1]
            spans.append((begin, end))
    for begin, end in reversed(spans):
        text = text[:begin] + change(text[begin:end]) + text[end:]
    return text


def _offsets(text: str) -> list[int]:
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    return starts


def bare_names(text: str) -> set[str]:
    """Every NAME token not reached through an attribute (`x`, not `y.x`)."""
    found: set[str] = set()
    prev = None
    for tok in name_tokens(text):
        if tok.type == tokenize.NAME and not (prev is not None and prev.string == "."):
            found.add(tok.string)
        if tok.type not in (
            tokenize.NL,
            tokenize.NEWLINE,
            tokenize.COMMENT,
            tokenize.INDENT,
            tokenize.DEDENT,
        ):
            prev = tok
    return found


def rename_names(text: str, renames: dict[str, str]) -> str:
    """Rename NAME tokens that are not attributes (`care` -> `quiet_mode`, never `x.care`)."""
    if not renames:
        return text
    starts = _offsets(text)
    spans = []
    prev = None
    for tok in name_tokens(text):
        if (
            tok.type == tokenize.NAME
            and tok.string in renames
            and not (prev is not None and prev.string == ".")
        ):
            begin = starts[tok.start[0] - 1] + tok.start[1]
            spans.append((begin, begin + len(tok.string), renames[tok.string]))
        if tok.type not in (
            tokenize.NL,
            tokenize.NEWLINE,
            tokenize.COMMENT,
            tokenize.INDENT,
            tokenize.DEDENT,
        ):
            prev = tok
    for begin, end, new in reversed(spans):
        text = text[:begin] + new + text[end:]
    return text


def attribute_uses(
    text: str, alias: str, skip_lines: set[int]
) -> tuple[list[tuple[int, int, str]], list[str]]:
    """`alias.attr` spans (start, end, attr) and the other uses of `alias` (as text), import lines aside."""
    starts = _offsets(text)
    toks = [t for t in name_tokens(text) if t.type not in (tokenize.NL, tokenize.COMMENT)]
    spans: list[tuple[int, int, str]] = []
    others: list[str] = []
    for i, tok in enumerate(toks):
        if tok.type != tokenize.NAME or tok.string != alias or tok.start[0] in skip_lines:
            continue
        if i > 0 and toks[i - 1].string in (".", "import", "as"):
            continue
        if i + 2 < len(toks) and toks[i + 1].string == "." and toks[i + 2].type == tokenize.NAME:
            begin = starts[tok.start[0] - 1] + tok.start[1]
            end_tok = toks[i + 2]
            end = starts[end_tok.end[0] - 1] + end_tok.end[1]
            spans.append((begin, end, end_tok.string))
        else:
            others.append(tok.line.strip())
    return spans, others


# --- imports -------------------------------------------------------------------------------------


def replace_statement(text: str, node: ast.stmt, new_lines: list[str]) -> str:
    """Replace an import statement (whole lines) by `new_lines`, keeping its indentation and end comment."""
    lines = text.splitlines(keepends=True)
    first, last = node.lineno - 1, (node.end_lineno or node.lineno) - 1
    indent = re.match(r"\s*", lines[first]).group(0)  # type: ignore[union-attr]
    tail = lines[last][node.end_col_offset or 0 :].rstrip("\n")
    comment = tail.strip() if tail.strip().startswith("#") else ""
    if tail.strip() and not comment:
        raise Refusal(f"an import shares its line with code: {lines[first].strip()}")
    out = [f"{indent}{line}{'  ' + comment if comment else ''}\n" for line in new_lines]
    return "".join(lines[:first] + out + lines[last + 1 :])


def from_import(module: str, aliases: list[ast.alias]) -> str:
    names = ", ".join(a.name + (f" as {a.asname}" if a.asname else "") for a in aliases)
    return f"from {module} import {names}"


# --- moving modules ------------------------------------------------------------------------------


def move_modules(*, package: str, moves: dict[str, str], edits: Edits) -> None:
    """Move modules of `package` (dotted) by `moves` (old leaf -> new dotted path under the package)."""
    pkg_dir = ROOT / package.replace(".", "/")
    moved = {pkg_dir / f"{old}.py": pkg_dir / (new.replace(".", "/") + ".py") for old, new in moves.items()}
    dotted = re.compile(rf"{re.escape(package)}\.({'|'.join(map(re.escape, moves))})(?!\w)")
    slash = package.replace(".", "/").removeprefix("gratitude/")
    pathed = re.compile(rf"((?:gratitude/)?{re.escape(slash)}/)({'|'.join(map(re.escape, moves))})\.py\b")
    bare = re.compile(rf"(?<![\w/.-])({'|'.join(map(re.escape, moves))})\.py\b")
    rewritten: dict[Path, str] = {}
    for path in tracked_files():
        text = path.read_text()
        original = text
        # Strings and paths first: the imports rewritten below already name the new places (and a new
        # folder may carry an old module's name: transport.py -> transport/backends.py).
        text = keep_salts(text, lambda line: dotted.sub(lambda m: f"{package}.{moves[m.group(1)]}", line))
        text = pathed.sub(lambda m: f"{m.group(1)}{moves[m.group(2)].replace('.', '/')}.py", text)
        if path.suffix == ".py" and str(path).startswith(str(pkg_dir) + "/"):
            text = in_prose(
                text, lambda prose: bare.sub(lambda m: f"{moves[m.group(1)].replace('.', '/')}.py", prose)
            )
        if path.suffix == ".py":
            text = _rewrite_package_imports(text, package, moves, path)
        if text != original:
            rewritten[path] = text
    # Every rewrite is computed before anything moves, so a refusal leaves the tree as it was.
    for old_path, new_path in moved.items():
        git_mv(old_path, new_path)
    for path, text in rewritten.items():
        edits.write(moved.get(path, path), text)


def _rewrite_package_imports(text: str, package: str, moves: dict[str, str], path: Path) -> str:
    """`from package import care, models` -> `from package.sending import quiet_mode` + `from package import
    models`, renaming the module's uses in the file when its name changed."""
    tree = ast.parse(text)
    nodes = [
        n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 0 and n.module == package
    ]
    renames: dict[str, str] = {}
    before = bare_names(text)
    for node in sorted(nodes, key=lambda n: n.lineno, reverse=True):
        if not any(a.name in moves for a in node.names):
            continue
        kept = [a for a in node.names if a.name not in moves]
        lines = [from_import(package, kept)] if kept else []
        for a in node.names:
            if a.name not in moves:
                continue
            parent, _, leaf = f"{package}.{moves[a.name]}".rpartition(".")
            lines.append(from_import(parent, [ast.alias(leaf, a.asname)]))
            if a.asname is None and leaf != a.name:
                renames[a.name] = leaf
        text = replace_statement(text, node, lines)
    if renames:
        taken = before & set(renames.values())
        if taken:
            raise Refusal(f"{path}: a module's new name is already a name in this file: {sorted(taken)}")
        text = rename_names(text, renames)
    return text


def check_layout(*, pkg_dir: Path, moves: dict[str, str], keep: set[str], keep_dirs: set[str]) -> None:
    """Every module and folder of the package is either moved or kept on purpose."""
    unknown = []
    for child in sorted(pkg_dir.iterdir()):
        if child.name.startswith(".") or child.name == "__pycache__":
            continue
        if child.is_dir():
            if child.name not in keep_dirs:
                unknown.append(f"{child.relative_to(ROOT)}/ (folder)")
        elif child.suffix == ".py" and child.stem not in moves and child.stem not in keep:
            unknown.append(str(child.relative_to(ROOT)))
    if unknown:
        die("modules with no mapping (add them to the mapping at the top of the script):", unknown)
    for child in pkg_dir.rglob("*.py"):
        if "migrations" in child.parts:
            continue
        for node in ast.walk(ast.parse(child.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                die(f"relative import in {child.relative_to(ROOT)}: make it absolute first")


def write_packages(*, pkg_dir: Path, docstrings: dict[str, str], edits: Edits) -> None:
    for sub, doc in docstrings.items():
        init = pkg_dir / sub / "__init__.py"
        if (pkg_dir / sub).is_dir() and not init.exists():
            edits.write(init, f'"""{doc}"""\n')
            run("git", "add", str(init))


# --- splitting a module --------------------------------------------------------------------------


COPY = "@copy"  # a module-level helper value (a logger) each new module that uses it gets its own copy of


@dataclass
class Piece:
    names: list[str]
    text: str
    node: ast.stmt


def _defined(node: ast.stmt) -> list[str]:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [node.name]
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


def _is_header(node: ast.stmt) -> bool:
    if isinstance(node, ast.Import | ast.ImportFrom):
        return True
    return (
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Name)
        and node.test.id == "TYPE_CHECKING"
        and all(isinstance(n, ast.Import | ast.ImportFrom) for n in node.body)
    )


def _loads(nodes: Iterable[ast.AST]) -> set[str]:
    found: set[str] = set()
    for node in nodes:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name):
                found.add(sub.id)
    return found


def split_module(
    *,
    source: str,
    targets: dict[str, str],
    docstrings: dict[str, str],
    edits: Edits,
) -> None:
    """Split module `source` (dotted) by top-level name: `targets` maps each name to a dotted module (a new
    one, documented in `docstrings`, or an existing one to append to). Then rewrite every caller."""
    src_path = ROOT / (source.replace(".", "/") + ".py")
    text = src_path.read_text()
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    body = list(tree.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        body = body[1:]
    header_nodes = [n for n in body if _is_header(n)]
    header = "".join("".join(lines[n.lineno - 1 : n.end_lineno]) for n in header_nodes)
    imported = set()
    for n in header_nodes:
        for sub in ast.walk(n):
            if isinstance(sub, ast.alias):
                imported.add(sub.asname or sub.name.split(".")[0])
    pieces: list[Piece] = []
    prev_end = 0
    unmapped: list[str] = []
    for node in tree.body:
        if node in header_nodes or node not in body:
            prev_end = node.end_lineno or node.lineno
            continue
        names = _defined(node)
        chunk = lines[prev_end : node.end_lineno]
        chunk = [ln for ln in chunk if not re.match(r"#\s*---", ln)]
        while chunk and not chunk[0].strip():
            chunk.pop(0)
        prev_end = node.end_lineno or node.lineno
        if not names:
            unmapped.append(
                f"line {node.lineno}: {lines[node.lineno - 1].strip()} (a statement that defines no name)"
            )
            continue
        unmapped += [f"{source}.{n}" for n in names if n not in targets]
        pieces.append(Piece(names, "".join(chunk), node))
    if unmapped:
        die(
            f"top-level names of {source} with no mapping (add them to the mapping at the top of the script):",  # noqa: E501
            unmapped,
        )
    owner: dict[str, str] = {}
    for piece in pieces:
        dests = {targets[n] for n in piece.names}
        if len(dests) > 1:
            die(f"one statement defines names mapped to different modules: {piece.names}")
        for n in piece.names:
            owner[n] = targets[n]
    defined = set(owner)
    modules: dict[str, list[Piece]] = {}
    for piece in pieces:
        if owner[piece.names[0]] != COPY:
            modules.setdefault(owner[piece.names[0]], []).append(piece)
    copies = [p for p in pieces if owner[p.names[0]] == COPY]
    # Copies go where they are used; cross-module names are imported from their owner.
    plans: dict[str, tuple[list[Piece], dict[str, set[str]]]] = {}
    for module, own in modules.items():
        uses = _loads(p.node for p in own)
        mine = [c for c in copies if set(c.names) & uses]
        everything = sorted(mine + own, key=lambda p: p.node.lineno)
        uses |= _loads(p.node for p in mine)
        need: dict[str, set[str]] = {}
        for name in sorted(uses & defined):
            home = owner[name]
            if home not in (COPY, module):
                need.setdefault(home, set()).add(name)
        plans[module] = (everything, need)
    _refuse_cycles({m: set(need) for m, (_, need) in plans.items()})
    new_modules = [m for m in plans if not (ROOT / (m.replace(".", "/") + ".py")).exists()]
    missing_docs = [m for m in new_modules if m not in docstrings]
    if missing_docs:
        die("new modules with no docstring in the mapping:", missing_docs)
    _rewrite_callers(source=source, owner=owner, header_names=imported, plans=plans, edits=Edits(dry=True))
    # History follows the largest part.
    biggest = max(new_modules, key=lambda m: sum(len(p.text) for p in plans[m][0]))
    pkg_init = src_path.with_suffix("") / "__init__.py"
    biggest_path = ROOT / (biggest.replace(".", "/") + ".py")
    if biggest_path.parent == src_path.with_suffix(""):
        tmp = src_path.with_name(src_path.stem + "_being_split.py")
        git_mv(src_path, tmp)
        git_mv(tmp, biggest_path)
    else:
        git_mv(src_path, biggest_path)
    if src_path.with_suffix("").is_dir() and not pkg_init.exists():
        # The package keeps the module's own account of the whole, when it had one.
        original_doc = ast.get_docstring(tree, clean=False) or docstrings[source]
        edits.write(pkg_init, f'"""{original_doc}"""\n')
        run("git", "add", str(pkg_init))
    future = "from __future__ import annotations\n" if "from __future__ import annotations" in header else ""
    for module, (everything, need) in plans.items():
        path = ROOT / (module.replace(".", "/") + ".py")
        cross = "".join(
            f"from {home} import {', '.join(sorted(names))}\n" for home, names in sorted(need.items())
        )
        code = "\n\n".join(p.text.rstrip("\n") + "\n" for p in everything)
        if module in new_modules:
            edits.write(path, f'"""{docstrings[module]}"""\n\n{header}{cross}\n\n{code}')
            run("git", "add", str(path))
        else:
            edits.write(path, _append(path.read_text(), header, cross, code, future))
    _rewrite_callers(source=source, owner=owner, header_names=imported, plans=plans, edits=edits)


def _append(existing: str, header: str, cross: str, code: str, future: str) -> str:
    tree = ast.parse(existing)
    last_import = max((n.end_lineno or 0) for n in tree.body if _is_header(n))
    lines = existing.splitlines(keepends=True)
    has_future = "from __future__ import annotations" in existing
    header = header.replace("from __future__ import annotations\n", "")
    out = [*lines[:last_import], header, cross, *lines[last_import:], "\n\n", code]
    text = "".join(out)
    if future and not has_future:
        doc_end = tree.body[0].end_lineno if isinstance(tree.body[0], ast.Expr) else 0
        tl = text.splitlines(keepends=True)
        text = "".join([*tl[:doc_end], "\n", future, *tl[doc_end:]])
    return text


def _refuse_cycles(graph: dict[str, set[str]]) -> None:
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 1:
                die(
                    "the mapping makes modules import each other (move a helper to the shared module):",
                    [" -> ".join([*trail, node, nxt])],
                )
            if not state.get(nxt):
                visit(nxt, [*trail, node])
        state[node] = 2

    for node in graph:
        if not state.get(node):
            visit(node, [])


def _rewrite_callers(
    *,
    source: str,
    owner: dict[str, str],
    header_names: set[str],
    plans: dict[str, tuple[list[Piece], dict[str, set[str]]]],
    edits: Edits,
) -> None:
    parent, _, leaf = source.rpartition(".")
    used_in: dict[str, set[str]] = {}
    for module, (everything, _) in plans.items():
        for name in _loads(p.node for p in everything):
            used_in.setdefault(name, set()).add(module)
    problems: list[str] = []
    generated = {ROOT / (m.replace(".", "/") + ".py") for m in plans}
    for path in python_files():
        if path in generated:
            continue
        text = path.read_text()
        original = text
        try:
            text = _rewrite_name_imports(text, source, owner, header_names, problems, path)
            text = _rewrite_module_imports(text, parent, leaf, owner, used_in, problems, path)
        except Refusal as exc:
            problems.append(str(exc))
            continue
        if text != original:
            edits.write(path, text)
    if problems:
        die(f"callers of {source} the script cannot rewrite by itself:", problems)
    # Dotted strings and doc paths: `pkg.source.name` -> `pkg.target.name`; `pkg/source.py` -> its folder.
    slash = source.replace(".", "/").removeprefix("gratitude/")
    names = [n for n, m in owner.items() if m != COPY]
    dotted = re.compile(
        rf"((?:gratitude[./])?{re.escape(slash).replace('/', '[./]')})\.({'|'.join(names)})(?!\w)"
    )
    pathed = re.compile(rf"((?:gratitude/)?{re.escape(slash)})\.py\b")

    def dotted_sub(m: re.Match[str]) -> str:
        sep = "/" if "/" in m.group(1) else "."
        target = owner[m.group(2)].removeprefix("gratitude.")
        prefix = "gratitude" + sep if m.group(1).startswith("gratitude") else ""
        return f"{prefix}{target.replace('.', sep)}.{m.group(2)}"

    package_made = (ROOT / slash).is_dir() or (ROOT / "gratitude" / slash).is_dir()
    for path in tracked_files():
        if path in generated and path.suffix == ".py":
            pass
        text = path.read_text()
        new = keep_salts(text, lambda line: dotted.sub(dotted_sub, line))
        if package_made:
            new = pathed.sub(lambda m: m.group(1) + "/", new)
        if new != text:
            edits.write(path, new)


def _rewrite_name_imports(
    text: str, source: str, owner: dict[str, str], header_names: set[str], problems: list[str], path: Path
) -> str:
    tree = ast.parse(text)
    nodes = [
        n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 0 and n.module == source
    ]
    for node in sorted(nodes, key=lambda n: n.lineno, reverse=True):
        groups: dict[str, list[ast.alias]] = {}
        for a in node.names:
            home = owner.get(a.name)
            if home is None or home == COPY:
                what = "an import the module only passed on" if a.name in header_names else "no mapping"
                problems.append(
                    f"{path.relative_to(ROOT)}:{node.lineno}: imports {a.name} from {source} ({what})"
                )
                continue
            groups.setdefault(home, []).append(a)
        text = replace_statement(text, node, [from_import(m, al) for m, al in sorted(groups.items())])
    return text


def _module_imports(tree: ast.Module) -> dict[str, str]:
    """Modules the file imports at its top, by full dotted name -> the local name."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for a in node.names:
                found[f"{node.module}.{a.name}"] = a.asname or a.name
    return found


def _rewrite_module_imports(
    text: str,
    parent: str,
    leaf: str,
    owner: dict[str, str],
    used_in: dict[str, set[str]],
    problems: list[str],
    path: Path,
) -> str:
    """`from parent import leaf [as alias]`, then `alias.name`: import the names themselves; or, when the
    module object itself is used (monkeypatch.setattr(alias, "X", ...)), the one new module all its uses
    point to."""
    tree = ast.parse(text)
    nodes = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom)
        and n.level == 0
        and n.module == parent
        and any(a.name == leaf for a in n.names)
    ]
    import_lines = {
        line
        for n in ast.walk(tree)
        if isinstance(n, ast.Import | ast.ImportFrom)
        for line in range(n.lineno, (n.end_lineno or n.lineno) + 1)
    }
    for node in sorted(nodes, key=lambda n: n.lineno, reverse=True):
        alias = next(a for a in node.names if a.name == leaf)
        local = alias.asname or leaf
        spans, others = attribute_uses(text, local, import_lines)
        attrs = {attr for _, _, attr in spans}
        patched = set()
        for line in others:
            m = re.search(rf"setattr\(\s*{re.escape(local)}\s*,\s*[\"'](\w+)[\"']", line)
            if m:
                patched.add(m.group(1))
            else:
                problems.append(f"{path.relative_to(ROOT)}: uses module {local} as a value: {line}")
        homes = set()
        for attr in attrs | patched:
            if attr in owner and owner[attr] != "@copy":
                homes.add(owner[attr])
            else:
                homes |= used_in.get(attr, set())
        unknown = sorted(a for a in attrs | patched if a not in owner and a not in used_in)
        if unknown:
            problems.append(f"{path.relative_to(ROOT)}: {local}.{unknown} has no home after the split")
            continue
        kept = [a for a in node.names if a.name != leaf]
        new_lines = [from_import(parent, kept)] if kept else []
        if not patched and all(a in owner for a in attrs):
            # Plain calls: import the names themselves.
            names_here = bare_names(text)
            if not names_here & attrs:
                for begin, end, attr in sorted(spans, reverse=True):
                    text = text[:begin] + attr + text[end:]
                by_home: dict[str, list[ast.alias]] = {}
                for attr in sorted(attrs):
                    by_home.setdefault(owner[attr], []).append(ast.alias(attr))
                new_lines += [from_import(m, al) for m, al in sorted(by_home.items())]
            else:
                # The file has names of its own like the services' (views named after them): import the
                # modules, as `<module>_services`.
                already = _module_imports(ast.parse(text))

                def local_of(home: str, already: dict[str, str] = already) -> str:
                    return already.get(home) or home.rpartition(".")[2].lstrip("_") + "_services"

                clash = names_here & {local_of(owner[a]) for a in attrs if owner[a] not in already}
                if clash:
                    raise Refusal(
                        f"{path.relative_to(ROOT)}: {sorted(clash)} already mean something else here"
                    )
                for begin, end, attr in sorted(spans, reverse=True):
                    text = text[:begin] + f"{local_of(owner[attr])}.{attr}" + text[end:]
                for home in sorted({owner[a] for a in attrs} - set(already)):
                    home_parent, _, home_leaf = home.rpartition(".")
                    new_lines.append(from_import(home_parent, [ast.alias(home_leaf, local_of(home))]))
        elif len(homes) == 1:
            home = homes.pop()
            home_parent, _, home_leaf = home.rpartition(".")
            if home_leaf != local and home_leaf not in bare_names(text):
                text = rename_names(text, {local: home_leaf})  # name the module where the names now live
                local = home_leaf
            new_lines.append(
                from_import(home_parent, [ast.alias(home_leaf, None if home_leaf == local else local)])
            )
        else:
            problems.append(
                f"{path.relative_to(ROOT)}: module {local} is patched; its names now live in {sorted(homes)}"
            )
            continue
        text = replace_statement(text, node, new_lines)
    return text
