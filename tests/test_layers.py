"""The layering promised in docs/architecture.md, read off the source with ``ast``.

- The pure packages (the core: domain, solver, geo, calendar, reports, validators,
  schemas, data) import no web, database or queue library and no edge package of
  fieldops (store, api, services, worker, cli).
- The validators import nothing from the solver (nor a solver library), not
  even through the modules they import, so a solver bug cannot hide from them.
- No import cycle between the modules of ``src/fieldops``.
- The solver's tests mirror its modules: ``solver/<pkg>/<module>.py`` is tested in
  ``tests/test_<pkg>_<module>.py`` (``engines/flat.py`` in
  ``test_dispatch_engines_flat.py``, ``constraints/breaks.py`` in
  ``test_dispatch_constraint_breaks.py``, a sub-package's ``__init__`` in
  ``test_dispatch_engines.py``); the package facades ``solver/<pkg>/__init__.py``
  only re-export.

Every ``import`` statement counts, wherever it is (module level or inside a
function), except those under ``if TYPE_CHECKING:``, which never run. The
checks are functions of a source directory, so they are tested on a small
made-up package too: a check that cannot fail proves nothing.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
TESTS = Path(__file__).resolve().parent
PACKAGE = "fieldops"

PURE = ("domain", "solver", "geo", "calendar", "reports", "validators", "schemas", "data")
EDGES = ("store", "api", "services", "worker", "cli")
FORBIDDEN_LIBRARIES = ("flask", "flask_smorest", "werkzeug", "sqlalchemy", "alembic", "celery",
                       "gunicorn")
SOLVER_LIBRARIES = ("ortools", "pyvrp", "vroom")


@dataclass(frozen=True, slots=True)
class Import:
    """One imported name: the module that imports it, the target, the line."""

    module: str
    target: str
    line: int

    def __str__(self) -> str:
        return f"{self.module}:{self.line} imports {self.target}"


def module_files(src: Path, package: str = PACKAGE) -> dict[str, Path]:
    """Every module of ``package`` under ``src`` by dotted name (``__init__`` → package)."""
    modules = {}
    for path in sorted((src / package).rglob("*.py")):
        parts = path.relative_to(src).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Import statements that can run: all but those under ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def imports_of(module: str, path: Path, known: set[str]) -> list[Import]:
    """The modules ``module`` imports. ``from pkg import name`` names the submodule
    ``pkg.name`` when there is one, else ``pkg``; relative imports are resolved."""
    is_package = path.name == "__init__.py"
    found = []
    for node in _import_nodes(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [Import(module, alias.name, node.lineno) for alias in node.names]
            continue
        base = node.module or ""
        if node.level:
            anchor = module.split(".")
            anchor = anchor if is_package else anchor[:-1]
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join([*anchor, base] if base else anchor)
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            found.append(Import(module, sub if sub in known else base, node.lineno))
    return sorted(found, key=lambda i: (i.line, i.target))


def import_graph(src: Path, package: str = PACKAGE) -> dict[str, list[Import]]:
    files = module_files(src, package)
    known = set(files)
    return {m: imports_of(m, p, known) for m, p in files.items()}


def _within(target: str, prefixes: tuple[str, ...]) -> bool:
    return any(target == p or target.startswith(p + ".") for p in prefixes)


def forbidden_imports(graph: dict[str, list[Import]], packages: tuple[str, ...],
                      forbidden: tuple[str, ...], package: str = PACKAGE) -> list[Import]:
    """Imports by modules of ``package.<packages>`` of anything under ``forbidden``."""
    owners = tuple(f"{package}.{p}" for p in packages)
    return [imp for module, imps in graph.items() if _within(module, owners)
            for imp in imps if _within(imp.target, forbidden)]


def reachable(graph: dict[str, list[Import]], starts: list[str]) -> set[str]:
    """The modules of the graph that ``starts`` import, directly or through others."""
    seen: set[str] = set()
    todo = list(starts)
    while todo:
        module = todo.pop()
        for imp in graph[module]:
            if imp.target in graph and imp.target not in seen:
                seen.add(imp.target)
                todo.append(imp.target)
    return seen


def import_cycles(graph: dict[str, list[Import]]) -> list[list[str]]:
    """Each strongly connected set of two or more modules (or a module importing
    itself), as one cycle through it: ``[a, b, a]``. Tarjan's algorithm, iterative."""
    edges = {m: sorted({i.target for i in imps if i.target in graph}) for m, imps in graph.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1 or node in edges[node]:
                        components.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(edges[child])))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return [_cycle_through(component, edges) for component in components]


def _cycle_through(component: list[str], edges: dict[str, list[str]]) -> list[str]:
    """A shortest import path from the component's first module back to itself."""
    members = set(component)
    start = component[0]
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in edges[node]:
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [start, *reversed(path[:-1]), start] if node != start else [start, start]
                if child in members and child not in previous:
                    previous[child] = node
                    following.append(child)
        frontier = following
    raise AssertionError(f"no cycle through {component}")  # pragma: no cover


def mirrored_test(module: Path, root: Path) -> str:
    """The test file of solver module ``module`` (a path under the solver ``root``):
    its path parts joined by ``_``, with ``constraints`` made singular before a family
    module's name; a sub-package's ``__init__`` is named after the sub-package."""
    parts = list(module.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    elif len(parts) > 1 and parts[-2] == "constraints":
        parts[-2] = "constraint"
    return f"test_{'_'.join(parts)}.py"


def untested_modules(src: Path, tests: Path, package: str = PACKAGE) -> list[str]:
    """Modules of ``package.solver`` without their mirrored test file (holding a
    test) in ``tests``:
    ``"solver/dispatch/finish.py -> test_dispatch_finish.py"``. The facades
    (``solver/__init__.py`` and ``solver/<pkg>/__init__.py``) need none."""
    root = src / package / "solver"
    have = {p.name for p in tests.glob("test_*.py")
            if "\ndef test_" in p.read_text(encoding="utf-8")}
    missing = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if path.name == "__init__.py" and len(rel.parts) <= 2:
            continue
        wanted = mirrored_test(path, root)
        if wanted not in have:
            missing.append(f"solver/{rel.as_posix()} -> {wanted}")
    return missing


# ---------------------------------------------------------------- the real source
@pytest.fixture(scope="module")
def graph() -> dict[str, list[Import]]:
    return import_graph(SRC)


def test_every_package_is_scanned(graph: dict[str, list[Import]]) -> None:
    top = {m.split(".")[1] for m in graph if m.count(".") >= 1}
    assert {"domain", "solver", "geo", "calendar", "reports", "validators", "cli"} <= top
    assert set(PURE) | set(EDGES) >= top, "a new package: is it pure or an edge?"
    assert "fieldops.validators.dispatch" in graph and "fieldops.solver.dispatch.solve" in graph


def test_pure_packages_import_no_web_database_queue_or_edge_code(
    graph: dict[str, list[Import]],
) -> None:
    bad = forbidden_imports(graph, PURE, FORBIDDEN_LIBRARIES + tuple(
        f"{PACKAGE}.{edge}" for edge in EDGES))
    assert not bad, "\n".join(map(str, bad))


def test_validators_import_nothing_from_the_solver(graph: dict[str, list[Import]]) -> None:
    bad = forbidden_imports(graph, ("validators",), (f"{PACKAGE}.solver", *SOLVER_LIBRARIES))
    assert not bad, "\n".join(map(str, bad))
    # nor through the modules they import (domain, geo, ...)
    validators = [m for m in graph if _within(m, (f"{PACKAGE}.validators",))]
    used = reachable(graph, validators)
    assert not {m for m in used if _within(m, (f"{PACKAGE}.solver",))}
    indirect = [imp for m in used for imp in graph[m] if _within(imp.target, SOLVER_LIBRARIES)]
    assert not indirect, "\n".join(map(str, indirect))


def test_no_import_cycle_between_modules(graph: dict[str, list[Import]]) -> None:
    cycles = import_cycles(graph)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_every_solver_module_has_its_mirrored_test_file() -> None:
    assert (TESTS / "test_dispatch_finish.py").is_file()  # the check looks where tests are
    missing = untested_modules(SRC, TESTS)
    assert not missing, "solver modules without their test file:\n" + "\n".join(missing)


# ---------------------------------------------------------------- the checks can fail
def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_checks_catch_bad_imports_on_a_made_up_package(tmp_path: Path) -> None:
    src = _write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/domain/__init__.py": "from pkg.domain.model import Thing\n",
        "pkg/domain/model.py": ("from typing import TYPE_CHECKING\n"
                                "if TYPE_CHECKING:\n    import sqlalchemy\n"
                                "def f():\n    from flask import request\n"),
        "pkg/validators/__init__.py": "",
        "pkg/validators/check.py": "from ..solver import engine\nimport ortools.sat\n",
        "pkg/solver/__init__.py": "",
        "pkg/solver/engine.py": "from pkg.store.db import Database\n",
        "pkg/store/__init__.py": "",
        "pkg/store/db.py": "import sqlalchemy.orm\n",
    })
    graph = import_graph(src, "pkg")
    # a lazy import inside a function counts; one under TYPE_CHECKING does not
    bad = forbidden_imports(graph, ("domain", "solver", "validators"),
                            (*FORBIDDEN_LIBRARIES, "pkg.store"), "pkg")
    assert [str(b) for b in bad] == ["pkg.domain.model:5 imports flask",
                                     "pkg.solver.engine:1 imports pkg.store.db"]
    # a relative import names the submodule it reaches
    solver = forbidden_imports(graph, ("validators",), ("pkg.solver", *SOLVER_LIBRARIES), "pkg")
    assert [str(b) for b in solver] == ["pkg.validators.check:1 imports pkg.solver.engine",
                                        "pkg.validators.check:2 imports ortools.sat"]
    assert import_cycles(graph) == []
    # only the modules named (a package's __init__ is not counted as imported)
    assert reachable(graph, ["pkg.validators.check"]) == {"pkg.solver.engine", "pkg.store.db"}


def test_cycles_are_found_and_shown_as_a_path(tmp_path: Path) -> None:
    src = _write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/a.py": "from pkg import b\n",
        "pkg/b.py": "def later():\n    from pkg.c import x\n",
        "pkg/c.py": "import pkg.a\n",
        "pkg/d.py": "from pkg import d\n",
        "pkg/e.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import a\n",
        "pkg/sub/__init__.py": "from . import f\n",
        "pkg/sub/f.py": "from .. import e\n",
    })
    assert import_cycles(import_graph(src, "pkg")) == [
        ["pkg.a", "pkg.b", "pkg.c", "pkg.a"], ["pkg.d", "pkg.d"]]


def test_the_mirror_check_names_each_untested_module(tmp_path: Path) -> None:
    src = _write(tmp_path / "src", {
        "pkg/__init__.py": "",
        "pkg/solver/__init__.py": "",
        "pkg/solver/dispatch/__init__.py": "",
        "pkg/solver/dispatch/finish.py": "",
        "pkg/solver/dispatch/state.py": "",
        "pkg/solver/dispatch/engines/__init__.py": "class EngineResult: ...\n",
        "pkg/solver/dispatch/engines/flat.py": "",
        "pkg/solver/dispatch/constraints/__init__.py": "",
        "pkg/solver/dispatch/constraints/disruption.py": "",
        "pkg/solver/live/__init__.py": "",
        "pkg/solver/live/replan.py": "",
    })
    test = "\ndef test_it() -> None:\n    pass\n"
    tests = _write(tmp_path / "tests", {
        "test_dispatch_finish.py": test,
        "test_dispatch_engines_flat.py": test,
        "test_dispatch_constraint_disruption.py": test,
        "test_live_replan.py": test,
        "test_dispatch_constraints.py": test,
        "test_dispatch_state.py": "",  # a file without a test does not count
    })
    assert untested_modules(src, tests, "pkg") == [
        "solver/dispatch/engines/__init__.py -> test_dispatch_engines.py",
        "solver/dispatch/state.py -> test_dispatch_state.py",
    ]
    _write(tests, {"test_dispatch_state.py": test, "test_dispatch_engines.py": test})
    assert untested_modules(src, tests, "pkg") == []
