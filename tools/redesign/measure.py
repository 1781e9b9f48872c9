"""Measures the app graph and module sizes for docs/architecture.md's "Before and after" section.

Run from the repository root: `python tools/redesign/measure.py` (no Django, no database: it only parses the
source with `ast`). It counts, over `gratitude/` without tests and migrations:

- app-to-app import edges, imports inside functions included (an edge is "app A imports app B", counted once);
- two-way app pairs (A imports B and B imports A);
- imports of another app made inside a function (each imported module counted), and of any gratitude
  module, the function's own app included;
- the biggest modules by lines;
- the modules of `gratitude/notifications/` (and how many of them sit directly in it).

`--markdown` prints the figures as the rows docs/architecture.md's tables use.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "gratitude"
# `testing` is helpers for tests, not an app: it is measured like one so an app importing it shows up.
SKIP_PARTS = {"tests", "migrations", "__pycache__"}


@dataclass
class Figures:
    edges: set[tuple[str, str]] = field(default_factory=set)
    function_level: Counter[tuple[str, str]] = field(default_factory=Counter)
    # Every `import` of a gratitude module inside a function, the module's own app included.
    function_level_any: int = 0
    module_lines: dict[str, int] = field(default_factory=dict)

    @property
    def two_way(self) -> list[tuple[str, str]]:
        return sorted((a, b) for a, b in self.edges if a < b and (b, a) in self.edges)


def app_of(module: str) -> str | None:
    """`gratitude.gifts.services` -> `gifts`; anything outside the package -> None."""
    parts = module.split(".")
    if parts[0] != "gratitude" or len(parts) < 2:
        return None
    return parts[1]


def module_name(path: Path) -> str:
    relative = path.relative_to(ROOT).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def resolve(node: ast.ImportFrom, current: str, is_package: bool) -> str:
    """The absolute module a `from ... import` names, relative imports included."""
    if not node.level:
        return node.module or ""
    base = current.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imported_modules(node: ast.AST, current: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        target = resolve(node, current, is_package)
        # `from gratitude import gifts` names the app itself.
        if target == "gratitude":
            return [f"gratitude.{alias.name}" for alias in node.names]
        return [target]
    return []


class Visitor(ast.NodeVisitor):
    def __init__(self, current: str, is_package: bool, figures: Figures) -> None:
        self.current = current
        self.is_package = is_package
        self.figures = figures
        self.depth = 0
        self.app = app_of(current)

    def _function(self, node: ast.AST) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function
    visit_Lambda = _function

    def _import(self, node: ast.Import | ast.ImportFrom) -> None:
        for target in imported_modules(node, self.current, self.is_package):
            other = app_of(target)
            if other is not None and self.depth:
                self.figures.function_level_any += 1
            if other is None or self.app is None or other == self.app:
                continue
            self.figures.edges.add((self.app, other))
            if self.depth:
                self.figures.function_level[(self.app, other)] += 1

    visit_Import = _import
    visit_ImportFrom = _import


def measure() -> Figures:
    figures = Figures()
    for path in sorted(PACKAGE.rglob("*.py")):
        if SKIP_PARTS.intersection(path.relative_to(ROOT).parts):
            continue
        source = path.read_text(encoding="utf-8")
        name = module_name(path)
        figures.module_lines[str(path.relative_to(ROOT))] = len(source.splitlines())
        tree = ast.parse(source, filename=str(path))
        Visitor(name, path.name == "__init__.py", figures).visit(tree)
    return figures


def notifications_modules() -> tuple[int, int]:
    """(every module under gratitude/notifications, those directly in it), tests and migrations left out."""
    folder = PACKAGE / "notifications"
    every = [
        path
        for path in folder.rglob("*.py")
        if not SKIP_PARTS.intersection(path.relative_to(folder).parts) and path.name != "__init__.py"
    ]
    flat = [path for path in every if path.parent == folder]
    return len(every), len(flat)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=10, help="how many of the biggest modules to list")
    parser.add_argument("--markdown", action="store_true", help="print table rows for docs/architecture.md")
    args = parser.parse_args()
    figures = measure()
    every, flat = notifications_modules()
    function_level = sum(figures.function_level.values())
    biggest = sorted(figures.module_lines.items(), key=lambda item: -item[1])[: args.top]
    two_way = figures.two_way

    if args.markdown:
        print(f"| app-to-app import edges | {len(figures.edges)} |")
        pairs = ", ".join(f"{a}↔{b}" for a, b in two_way) or "none"
        print(f"| two-way app pairs | {len(two_way)}: {pairs} |")
        print(f"| imports of another app inside functions | {function_level} |")
        print(f"| imports of any gratitude module inside functions | {figures.function_level_any} |")
        print(f"| notifications modules (directly in the folder) | {every} ({flat}) |")
        print(f"| biggest modules (lines) | {', '.join(f'`{p}` {n}' for p, n in biggest[:5])} |")
        return 0

    print(f"app-to-app import edges (imports inside functions included): {len(figures.edges)}")
    for source in sorted({a for a, _ in figures.edges}):
        targets = sorted(b for a, b in figures.edges if a == source)
        print(f"  {source} -> {', '.join(targets)}")
    print(f"two-way app pairs: {len(two_way)}")
    for a, b in two_way:
        print(f"  {a} <-> {b}")
    print(f"imports of another app inside functions: {function_level}")
    for (a, b), count in sorted(figures.function_level.items(), key=lambda item: -item[1]):
        print(f"  {a} -> {b}: {count}")
    print(f"imports of any gratitude module inside functions, own app included: {figures.function_level_any}")
    print(f"notifications modules: {every} ({flat} directly in gratitude/notifications/)")
    print(f"biggest modules by lines (tests and migrations left out), top {args.top}:")
    for path, lines in biggest:
        print(f"  {lines:5d}  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
