"""Dependencies point one way, and no module comes back to itself.

The apps are layered: `cases` at the bottom, then `accounts`, `monitoring`, `reporting`,
`imports`, and `demo` on top; each may import those below it, never those above, and none
imports `config` (settings are read through `django.conf`). No two modules import each other,
directly or round a longer circle, even through an import inside a function: that hides a
circle, it does not break it.
Imports under `if TYPE_CHECKING:` are for the type checker alone and do not count.

The modules are read with `ast`, never imported or run: the test touches no database.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = next(p for p in Path(__file__).resolve().parents if (p / "manage.py").is_file())
# Lowest first: an app may import the apps before it in this list, never those after.
LAYERS = ("cases", "accounts", "monitoring", "reporting", "imports", "demo")
# config sits above them all: it may import any app, and none of them imports it.
CONFIG = "config"


@dataclass(frozen=True)
class Import:
    source: str
    # The module imported where it is one of ours (`from pkg import module` is the module),
    # otherwise the dotted name as written.
    target: str
    path: Path
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line} imports {self.target}"


def modules(root: Path, packages: tuple[str, ...]) -> dict[str, Path]:
    """Every module of `packages` under `root` by dotted name, migrations left out."""
    found = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root)
            if "migrations" in relative.parts:
                continue
            parts = relative.with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = relative
    return found


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _statements(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement at any depth, but those under `if TYPE_CHECKING:`."""
    pending = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If) and _type_checking(node.test):
            pending.extend(node.orelse)
        else:
            pending.extend(ast.iter_child_nodes(node))


def _module_of(name: str, known: dict[str, Path]) -> str:
    """The longest prefix of `name` that is one of ours, else `name` itself."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in known:
            return ".".join(parts[:end])
    return name


def _base(node: ast.ImportFrom, package: str) -> str:
    """The module a `from ... import` reads from, its dots resolved against `package`."""
    if not node.level:
        return node.module or ""
    parts = package.split(".")
    parts = parts[: len(parts) - node.level + 1]
    return ".".join([*parts, node.module] if node.module else parts)


def imports(root: Path, packages: tuple[str, ...]) -> list[Import]:
    """Every import of every module of `packages`, at module level or inside a function."""
    known = modules(root, packages)
    found: set[Import] = set()
    for module, path in known.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in _statements(ast.parse((root / path).read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [_module_of(alias.name, known) for alias in node.names]
            else:
                base = _base(node, package)
                targets = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in known
                    else _module_of(base, known)
                    for alias in node.names
                ]
            found |= {Import(module, target, path, node.lineno) for target in targets}
    return sorted(found, key=lambda i: (str(i.path), i.line, i.target))


def upward(found: list[Import]) -> list[str]:
    """The imports that go up the layers, or from an app to config."""
    wrong = []
    for imported in found:
        source, target = imported.source.split(".")[0], imported.target.split(".")[0]
        if source in (target, CONFIG) or target not in (*LAYERS, CONFIG):
            continue
        if target == CONFIG:
            wrong.append(f"{imported}: an app reads settings through django.conf, not config")
        elif LAYERS.index(target) > LAYERS.index(source):
            wrong.append(f"{imported}: {source} is below {target}")
    return wrong


def circles(found: list[Import]) -> list[list[Import]]:
    """One circle through each knot of modules that import one another (a strongly connected
    component, by Tarjan's algorithm), as the imports that go round it: the shortest circle
    from the knot's first module back to it."""
    first: dict[tuple[str, str], Import] = {}
    for imported in found:
        if imported.source != imported.target:
            first.setdefault((imported.source, imported.target), imported)
    edges: dict[str, list[str]] = {}
    for source, target in sorted(first):
        edges.setdefault(source, []).append(target)
    return [
        [first[pair] for pair in _circle(sorted(knot)[0], knot, edges)]
        for knot in _knots(edges)
        if len(knot) > 1
    ]


def _knots(edges: dict[str, list[str]]) -> list[set[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    knots: list[set[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in edges.get(module, ()):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            knot = {stack.pop()}
            while module not in knot:
                knot.add(stack.pop())
            knots.append(knot)

    for module in list(edges):
        if module not in index:
            visit(module)
    return knots


def _circle(start: str, knot: set[str], edges: dict[str, list[str]]) -> list[tuple[str, str]]:
    """The shortest way from `start` back to it inside `knot`, as (source, target) pairs."""
    came_from: dict[str, str] = {}
    frontier = [start]
    while start not in came_from:
        following = []
        for module in frontier:
            for target in edges.get(module, ()):
                if target in knot and target not in came_from:
                    came_from[target] = module
                    following.append(target)
        frontier = following
    pairs = [(came_from[start], start)]
    while pairs[0][0] != start:
        pairs.insert(0, (came_from[pairs[0][0]], pairs[0][0]))
    return pairs


def _app_packages() -> tuple[str, ...]:
    return tuple(p for p in (*LAYERS, CONFIG) if (ROOT / p / "__init__.py").is_file())


def test_no_app_imports_an_app_above_it_or_config():
    wrong = upward(imports(ROOT, _app_packages()))

    assert not wrong, "Imports against the layers (cases < monitoring < reporting < demo):\n" + (
        "\n".join(wrong)
    )


def test_no_module_imports_itself_round_a_circle():
    found = circles(imports(ROOT, _app_packages()))

    assert not found, "Circles of imports, each as the imports that go round it:\n" + "\n\n".join(
        "\n".join(str(i) for i in circle) for circle in found
    )


def test_the_reading_resolves_relative_and_module_imports_and_skips_type_checking(tmp_path):
    sources = {
        "cases/__init__.py": "",
        "cases/models.py": """
            from typing import TYPE_CHECKING

            from .policy import rule

            if TYPE_CHECKING:
                from monitoring.models import Plan
        """,
        "cases/policy.py": """
            def rule():
                from . import models
                from config.settings import DEBUG
        """,
        "monitoring/__init__.py": "",
        "monitoring/models.py": "from cases import models",
    }
    for name, text in sources.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(text))

    found = imports(tmp_path, ("cases", "monitoring"))

    assert {(i.source, i.target) for i in found} == {
        ("cases.models", "typing"),
        ("cases.models", "cases.policy"),
        ("cases.policy", "cases.models"),
        ("cases.policy", "config.settings"),
        ("monitoring.models", "cases.models"),
    }
    assert upward(found) == [
        "cases/policy.py:4 imports config.settings: an app reads settings through "
        "django.conf, not config"
    ]
    assert [[str(i) for i in circle] for circle in circles(found)] == [
        ["cases/models.py:4 imports cases.policy", "cases/policy.py:3 imports cases.models"]
    ]
