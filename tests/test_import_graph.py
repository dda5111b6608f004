"""No module of vgitest imports, directly or round about, a module that imports it back.

A circle is most often a helper reaching back into its owner (the OpenADR push client into the VTN, the
2030.5 notifier into the server, the OCPP default answers into the CSMS): the helper then cannot be read,
tested or reused without the owner. Every import counts, also one under ``TYPE_CHECKING`` or inside a
function, since each says the helper depends on its owner's shape."""

from __future__ import annotations

import ast
from pathlib import Path

import vgitest

ROOT = Path(vgitest.__file__).parent


def _modules(root: Path) -> dict[str, tuple[Path, bool]]:
    out = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        package = parts[-1] == "__init__"
        out[".".join(parts[:-1] if package else parts)] = (path, package)
    return out


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """module -> the modules of the package under `root` it imports (every import statement in its source)."""
    mods = _modules(root)
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for mod, (path, package) in mods.items():
        here = mod.split(".") if package else mod.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = here[:len(here) - node.level + 1] if node.level else []
                target = ".".join(base + ([node.module] if node.module else []))
                names = [target] + [f"{target}.{a.name}" for a in node.names]
            else:
                continue
            graph[mod].update(n for n in names if n in mods and n != mod)
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
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


def test_no_import_circle_in_vgitest() -> None:
    assert circles(import_graph()) == []


def test_the_helpers_do_not_import_their_owners() -> None:
    """The three circles there were, named, so a failure says which helper reached back."""
    graph = import_graph()
    for helper, owner in (("vgitest.openadr.push", "vgitest.openadr.vtn"),
                          ("vgitest.sep2.notify", "vgitest.sep2.server"),
                          ("vgitest.ocpp.handlers", "vgitest.ocpp.csms")):
        assert owner not in graph[helper], f"{helper} imports {owner}"


def test_the_check_sees_a_circle(tmp_path: Path) -> None:
    """The graph counts relative, TYPE_CHECKING and function-level imports (the ways the old circles hid)."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "owner.py").write_text("from .helper import Helper\n")
    (pkg / "helper.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .owner import X\n")
    (pkg / "other.py").write_text("def f():\n    from pkg import owner\n")
    graph = import_graph(pkg)
    assert circles(graph) == [["pkg.helper", "pkg.owner"]]
    assert "pkg.owner" in graph["pkg.other"]
