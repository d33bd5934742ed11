"""Dependencies flow one way: no import cycle in socialsim, and no private name crosses modules.

Every import is counted, wherever it stands: at the top, inside a function
(a lazy import is still a dependency) or under ``TYPE_CHECKING``. The checker
is first shown to find a cycle and a private import in a small package built
for the purpose, so that a pass on socialsim means something.
"""

from __future__ import annotations

import ast
from pathlib import Path

import socialsim

PACKAGE = Path(socialsim.__file__).parent


def modules(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package at `root`."""
    found = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports(root: Path) -> tuple[dict[str, set[str]], list[tuple[str, str, str]]]:
    """Return module -> modules of the package it imports, and every private name imported.

    A private name is ``_name`` imported from another module with ``from m import _name``
    (where ``m._name`` is not itself a module).
    """
    known = modules(root)
    top = root.name

    def owner(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    private: list[tuple[str, str, str]] = []
    for module, path in known.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(
                    t for a in node.names if a.name.split(".")[0] == top and (t := owner(a.name))
                )
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package
                    for _ in range(node.level - 1):
                        parent = parent.rpartition(".")[0]
                    base = f"{parent}.{base}" if base else parent
                if base.split(".")[0] != top:
                    continue
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    target = full if full in known else owner(base)
                    if target:
                        targets.add(target)
                    hidden = alias.name.startswith("_") and not alias.name.startswith("__")
                    if hidden and full not in known:
                        private.append((module, base, alias.name))
        targets.discard(module)
        graph[module] = targets
    return graph, private


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_checker_finds_a_cycle_and_a_private_import(tmp_path: Path):
    pkg = tmp_path / "toy"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from toy.sub.b import thing\n")
    (pkg / "sub" / "b.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from toy.a import Other\n"
        "def thing():\n"
        "    from ..c import _hidden\n"
    )
    (pkg / "c.py").write_text("_hidden = 1\n")
    graph, private = imports(pkg)
    assert graph["toy.a"] == {"toy.sub.b"} and graph["toy.sub.b"] == {"toy.a", "toy.c"}
    assert cycles(graph) == [["toy.a", "toy.sub.b"]]
    assert private == [("toy.sub.b", "toy.c", "_hidden")]


def test_socialsim_has_no_import_cycle():
    graph, _ = imports(PACKAGE)
    assert len(graph) > 80  # every module was read
    assert cycles(graph) == []


def test_no_private_name_is_imported_across_modules():
    _, private = imports(PACKAGE)
    assert private == []


def test_the_model_and_the_experiment_layer_sit_above_the_world():
    graph, _ = imports(PACKAGE)
    lower = [m for m in graph if m.startswith(("socialsim.config", "socialsim.world"))]
    upward = {
        m: sorted(t for t in graph[m] if t.startswith(("socialsim.model", "socialsim.experiment")))
        for m in lower
    }
    assert {m: t for m, t in upward.items() if t} == {}
    assert not any(t.startswith("socialsim.analysis") for t in graph["socialsim.model"])
