"""The import graph of ``toolkit`` (issue 14): no cycles, layers respected, no borrowed private names.

The graph is read from the source with :mod:`ast` — module-level *and* function-level imports
(an import inside a function still ties the two modules together; only ``if TYPE_CHECKING:``
blocks are left out, since they never run).  Three rules:

(a) no import cycles among toolkit modules;
(b) the estimator layer, ``toolkit.designs.*``, imports nothing from the presentation and
    orchestration layers (reporting, stages, board, evaluations, rendering, cli, runner) and
    no matplotlib;
(c) no module imports a private name (``_x``, a function or a module) from another toolkit
    module, except from within the package that holds it.

It also checks one "one definition" rule of the same issue: the NHS colours are spelt out
only in ``toolkit/plotting.py`` (``NHS``).

Violations owned by lanes still being merged are listed in the ``KNOWN_*`` allow-lists below.
They are temporary: the lead empties them once those lanes land.  Each entry must still be a
real violation (``test_allow_lists_are_not_stale``), so a fixed violation cannot linger in a list.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "toolkit"

#: The layers ``toolkit.designs`` must not reach (rule b).
DESIGNS_FORBIDDEN = ("toolkit.reporting", "toolkit.stages", "toolkit.board", "toolkit.evaluations",
                     "toolkit.rendering", "toolkit.cli", "toolkit.runner")
DESIGNS_FORBIDDEN_THIRD_PARTY = ("matplotlib",)

# ---------------------------------------------------------------------------------------------
# TEMPORARY allow-lists: known violations in code owned by other lanes of issue 14, listed so
# this test can land first.  The lead empties them after merging those lanes — l-diddesigns
# (toolkit/designs/did), the stages move (toolkit/natural, toolkit/did_stage, toolkit/baseline
# -> toolkit/stages), and the data/board/evaluations owners for the rest.  Never add to them:
# fix the import instead.  test_allow_lists_are_not_stale fails when an entry is fixed, so
# that it is deleted here rather than left to hide a new violation.
# ---------------------------------------------------------------------------------------------
#: Import edges ("importer -> imported") known to close a cycle; removed before the cycle check.
KNOWN_CYCLE_EDGES_TO_REMOVE_AFTER_MERGE: frozenset[str] = frozenset({
})
#: (designs module, forbidden module it imports) known to break rule (b).
KNOWN_DESIGNS_LAYER_VIOLATIONS_TO_REMOVE_AFTER_MERGE: frozenset[tuple[str, str]] = frozenset()
#: Python modules other than toolkit/plotting.py that still spell out an NHS colour (use plotting.NHS).
KNOWN_NHS_COLOUR_COPIES_TO_REMOVE_AFTER_MERGE: frozenset[str] = frozenset({
    "toolkit/rendering/pack.py",  # rendering: the print CSS's text colours
})
#: (importer, "module.private_name") known to break rule (c).
KNOWN_PRIVATE_IMPORTS_TO_REMOVE_AFTER_MERGE: frozenset[tuple[str, str]] = frozenset()


# ------------------------------------------------------------------------------- the graph
def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@lru_cache(maxsize=None)
def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "__pycache__" not in p.parts}


def _is_package(name: str) -> bool:
    return _modules()[name].name == "__init__.py"


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


_BODIES = (ast.stmt, ast.excepthandler, ast.match_case)


def _import_nodes(tree: ast.AST):
    """Every Import/ImportFrom node, at any depth, except under ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
            continue
        # imports are statements: descend through statement bodies only, not expressions
        stack.extend(c for c in ast.iter_child_nodes(node) if isinstance(c, _BODIES))


def _absolute(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not _is_package(module):
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


@lru_cache(maxsize=None)
def _imports() -> dict[str, tuple[tuple[str, str, int], ...]]:
    """For each toolkit module: (target module, imported name or "", line) for every import.

    ``from pkg import sub`` where ``pkg.sub`` is a toolkit module is an import of ``pkg.sub``;
    ``from mod import name`` is an import of ``mod`` (the name kept for rule c).
    Third-party targets are kept by their full dotted name.
    """
    mods = _modules()
    out: dict[str, tuple[tuple[str, str, int], ...]] = {}
    for name, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        found: list[tuple[str, str, int]] = []
        for node in _import_nodes(tree):
            if isinstance(node, ast.Import):
                found += [(alias.name, "", node.lineno) for alias in node.names]
                continue
            source = _absolute(name, node)
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                if sub in mods:
                    found.append((sub, "", node.lineno))
                else:
                    found.append((source, "" if alias.name == "*" else alias.name, node.lineno))
        out[name] = tuple(found)
    return out


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    return {m: {t for t, _, _ in imps if t in mods and t != m} for m, imps in _imports().items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each as one concrete cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    sccs: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:  # recursion depth is bounded by the number of modules (~200)
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
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return [_one_cycle(graph, set(c)) for c in sccs]


def _one_cycle(graph: dict[str, set[str]], comp: set[str]) -> list[str]:
    """A shortest cycle through the first module of a strongly connected component (BFS)."""
    start = min(comp)
    prev: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v] & comp):
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(prev[path[-1]])
                    return list(reversed(path)) + [start]
                if w not in prev:
                    prev[w] = v
                    nxt.append(w)
        frontier = nxt
    return sorted(comp)  # pragma: no cover - a component always has a cycle


def _edges(graph: dict[str, set[str]]) -> set[str]:
    return {f"{a} -> {b}" for a, targets in graph.items() for b in targets}


def _without(graph: dict[str, set[str]], edges) -> dict[str, set[str]]:
    drop = {tuple(e.split(" -> ")) for e in edges}
    return {a: {b for b in targets if (a, b) not in drop} for a, targets in graph.items()}


def _designs_layer_violations(imports=None) -> set[tuple[str, str]]:
    bad = set()
    for mod, imps in (imports or _imports()).items():
        if not (mod == "toolkit.designs" or mod.startswith("toolkit.designs.")):
            continue
        for target, _, _ in imps:
            if any(target == f or target.startswith(f + ".") for f in DESIGNS_FORBIDDEN + DESIGNS_FORBIDDEN_THIRD_PARTY):
                bad.add((mod, target))
    return bad


def _private_scope(dotted: str) -> str | None:
    """The package a private dotted name belongs to, or None when no component is private.

    ``toolkit.designs._timeseries`` (a private module of the package ``toolkit.designs``) and
    ``toolkit.designs.sdid._matrix`` (a private function of a module in ``toolkit.designs``)
    both belong to ``toolkit.designs``: any module inside it may use them.
    """
    parts = dotted.split(".")
    for i, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            owner = ".".join(parts[:i])
            if owner in _modules() and not _is_package(owner):
                owner = owner.rpartition(".")[0]
            return owner
    return None


def _private_imports(imports=None) -> dict[tuple[str, str], int]:
    bad: dict[tuple[str, str], int] = {}
    for mod, imps in (imports or _imports()).items():
        for target, name, line in imps:
            if not (target == "toolkit" or target.startswith("toolkit.")):
                continue
            dotted = f"{target}.{name}" if name else target
            scope = _private_scope(dotted)
            if scope is None or mod == scope or mod.startswith(scope + "."):
                continue
            bad[(mod, dotted)] = line
    return bad


# ------------------------------------------------------------------------------- the tests
def test_the_graph_sees_the_package():
    graph = _graph()
    assert len(graph) > 50 and "toolkit.designs.its" in graph
    assert "toolkit.designs.result" in graph["toolkit.designs"]
    # a function-level import is an edge too
    assert "toolkit.designs.sdid" in graph["toolkit.designs.synth"]


def test_no_import_cycles():
    graph = _without(_graph(), KNOWN_CYCLE_EDGES_TO_REMOVE_AFTER_MERGE)
    cycles = _cycles(graph)
    assert not cycles, "import cycles among toolkit modules:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_designs_import_no_presentation_or_orchestration():
    bad = _designs_layer_violations() - KNOWN_DESIGNS_LAYER_VIOLATIONS_TO_REMOVE_AFTER_MERGE
    assert not bad, ("toolkit.designs must hold estimators only (no reporting, stages, board, evaluations, "
                     "rendering, cli, runner or matplotlib); found:\n"
                     + "\n".join(f"{m} imports {t}" for m, t in sorted(bad)))


def test_no_private_names_across_packages():
    found = _private_imports()
    bad = {k: v for k, v in found.items() if k not in KNOWN_PRIVATE_IMPORTS_TO_REMOVE_AFTER_MERGE}
    assert not bad, ("private names imported from outside their package (make them public or move the code):\n"
                     + "\n".join(f"{m}:{line} imports {d}" for (m, d), line in sorted(bad.items())))


def test_allow_lists_are_not_stale():
    edges = _edges(_graph())
    cyclic = {e for e in edges if e.split(" -> ")[1] in _reachable(_graph(), e.split(" -> ")[1], e.split(" -> ")[0])}
    stale = sorted(KNOWN_CYCLE_EDGES_TO_REMOVE_AFTER_MERGE - cyclic)
    stale += sorted(map(str, KNOWN_DESIGNS_LAYER_VIOLATIONS_TO_REMOVE_AFTER_MERGE - _designs_layer_violations()))
    stale += sorted(map(str, KNOWN_PRIVATE_IMPORTS_TO_REMOVE_AFTER_MERGE - set(_private_imports())))
    assert not stale, "allow-list entries that are no longer violations (delete them):\n" + "\n".join(stale)


def _reachable(graph: dict[str, set[str]], start: str, goal: str) -> set[str]:
    """``{start}`` when ``goal`` can be reached from ``start`` (so the edge goal -> start is on a cycle), else ∅."""
    seen, todo = {start}, [start]
    while todo:
        v = todo.pop()
        if v == goal:
            return {start}
        for w in graph.get(v, ()):
            if w not in seen:
                seen.add(w)
                todo.append(w)
    return set()


def _nhs_colour_copies() -> set[str]:
    """Python files under toolkit/ other than plotting.py that contain one of the NHS palette's hex codes."""
    from toolkit.plotting import NHS

    codes = {c.lower() for c in NHS.values()}
    found = set()
    for path in _modules().values():
        rel = path.relative_to(ROOT).as_posix()
        if rel != "toolkit/plotting.py" and any(c in path.read_text(encoding="utf-8").lower() for c in codes):
            found.add(rel)
    return found


def test_nhs_colours_are_defined_once():
    # "NHS blue twice" (issue 14): the palette lives in toolkit.plotting.NHS only
    bad = _nhs_colour_copies() - KNOWN_NHS_COLOUR_COPIES_TO_REMOVE_AFTER_MERGE
    assert not bad, "NHS colours spelt out outside toolkit/plotting.py (use toolkit.plotting.NHS):\n" + "\n".join(
        sorted(bad))
    stale = KNOWN_NHS_COLOUR_COPIES_TO_REMOVE_AFTER_MERGE - _nhs_colour_copies()
    assert not stale, f"no longer copies NHS colours (delete from the allow-list): {sorted(stale)}"


def test_the_checks_catch_a_violation():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
    fake = {"toolkit.designs.x": (("toolkit.reporting.formatting", "fmt_p", 3), ("matplotlib.pyplot", "", 4),
                                  ("toolkit.errors", "DesignError", 5)),
            "toolkit.board.y": (("toolkit.designs._timeseries", "check_columns", 7),
                                ("toolkit.designs.sdid", "_matrix", 8), ("toolkit.designs.its", "segmented", 9)),
            "toolkit.designs.did.z": (("toolkit.designs._timeseries", "check_columns", 2),)}
    assert _designs_layer_violations(fake) == {("toolkit.designs.x", "toolkit.reporting.formatting"),
                                               ("toolkit.designs.x", "matplotlib.pyplot")}
    assert set(_private_imports(fake)) == {("toolkit.board.y", "toolkit.designs._timeseries.check_columns"),
                                           ("toolkit.board.y", "toolkit.designs.sdid._matrix")}
    assert _private_scope("toolkit.designs.its") is None
