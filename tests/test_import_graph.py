"""The import graph of am_analytics: no circle, and no arrow from a floor to a higher one.

The graph is read from the source with :mod:`ast`: imports at module level and
inside functions count, imports under ``if TYPE_CHECKING:`` do not (they never
run). Relative imports are resolved, and a name imported from a package is
followed through the package's ``__init__`` to the module that defines it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import am_analytics

PACKAGE = "am_analytics"
SOURCE = Path(am_analytics.__file__).parent

#: The floors from the ground up; a module may import its own floor and those below.
#: ``io`` shares the floor of the dataset: loading reads files through io, and
#: io's CRM sources build a dataset; the modules split out of ``_validation``
#: are on that floor too. ``ratings`` (rater calibration and reliability, over the
#: ratings table alone) sits beside the metric registry, whose rating_<competency>
#: metrics are calibrated competency scores. The package root
#: (``am_analytics/__init__.py``, the public API) is above every floor.
FLOORS: tuple[tuple[str, ...], ...] = (
    (
        "errors",
        "periods",
        "config",
        "schemas",
        "_checks",
        "_deprecation",
        "_engines",
        "_metric_names",
        "_lazy",
        "_processes",
        "_version",
    ),
    (
        "io",
        "dataset",
        "_dataset_cache",
        "_validation",
        "_column_reading",
        "_keys",
        "_rejects",
        "_schema_failures",
    ),
    ("metrics", "ratings"),
    ("scoring", "segments", "goals", "feedback", "development", "sample"),
    ("evaluation", "model_file"),
    ("plots", "report", "store"),
    ("serve", "cli"),
)

#: Upward arrows allowed, as (importing package, imported package): reason.
EXEMPTIONS: dict[tuple[str, str], str] = {
    ("cli", ""): "the command line prints the version, which the package root holds",
    ("evaluation", "report"): (
        "Evaluation.to_html, to_excel, to_csv, to_json and write hand over to the report "
        "writers, imported inside the methods, as DataFrame.to_excel hands over to pandas.io"
    ),
}

#: Import arrows known to close a circle, with the fix; each must still exist.
CIRCLE_EXEMPTIONS: dict[tuple[str, str], str] = {
    ("am_analytics.scoring._scorecard", "am_analytics.scoring._fitting"): (
        "a specification and its fitted object name each other: Scorecard.fit makes a "
        "FittedScorecard, and FittedScorecard.from_json rebuilds its Scorecard. The "
        "loop closes only through the import inside Scorecard.fit, within one package"
    ),
    ("am_analytics.metrics._table", "am_analytics.metrics._distributed"): (
        "manager_metrics hands a dataset with Dask sales to its cluster version, which "
        "reuses the table's private steps (_requested, _family_members, ...) so that the "
        "two cannot drift; the loop closes only through the import inside manager_metrics"
    ),
    ("am_analytics.goals._actuals", "am_analytics.goals._distributed"): (
        "the actuals hand Dask sales to their cluster version, which reuses the pandas "
        "_metric_rows and the team weights so that the two cannot drift; the loop closes "
        "only through the imports inside _metric_rows, _window_values and _manager_values"
    ),
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES: dict[str, Path] = {_module_name(p): p for p in sorted(SOURCE.rglob("*.py"))}


def _is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def _executed_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node, skipping the bodies of ``if TYPE_CHECKING:``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                yield child
                yield from _executed_nodes(child)
            continue
        yield node
        yield from _executed_nodes(node)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _base(module: str, node: ast.ImportFrom) -> str:
    """The absolute module an ``ImportFrom`` imports from."""
    if node.level == 0:
        return node.module or ""
    package = module if _is_package(module) else module.rpartition(".")[0]
    parts = package.split(".")
    anchor = ".".join(parts[: len(parts) - node.level + 1])
    return f"{anchor}.{node.module}" if node.module else anchor


def _imports(module: str) -> list[tuple[str, str | None]]:
    """(module imported from, name or None) for every executed import of ``module``."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found: list[tuple[str, str | None]] = []
    for node in _executed_nodes(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _base(module, node)
            found += [(base, alias.name) for alias in node.names]
    return [(base, name) for base, name in found if base.split(".")[0] == PACKAGE]


def _reexports(package: str) -> dict[str, str]:
    """Names a package's ``__init__`` imports, mapped to the module defining them."""
    tree = ast.parse(MODULES[package].read_text(encoding="utf-8"))
    names: dict[str, str] = {}
    for node in _executed_nodes(tree):
        if isinstance(node, ast.ImportFrom):
            base = _base(package, node)
            for alias in node.names:
                names[alias.asname or alias.name] = _target(base, alias.name, seen={package})
    return names


def _target(base: str, name: str | None, *, seen: set[str] | None = None) -> str:
    """The module an import of ``name`` from ``base`` reaches."""
    if name is not None and f"{base}.{name}" in MODULES:
        return f"{base}.{name}"
    if name is None or base not in MODULES or not _is_package(base):
        return base
    seen = set() if seen is None else seen
    if base in seen:
        return base
    seen.add(base)
    return _reexports(base).get(name, base)


def import_graph() -> dict[str, set[str]]:
    """Each module of the package and the package modules it imports."""
    graph: dict[str, set[str]] = {}
    for module in MODULES:
        targets = {_target(base, name) for base, name in _imports(module)}
        graph[module] = {t for t in targets if t in MODULES and t != module}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import circle as the list of its modules (first repeated at the end), or []."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str]:
        state[module] = 1
        path.append(module)
        for imported in sorted(graph[module]):
            if state.get(imported) == 1:
                return [*path[path.index(imported) :], imported]
            if imported not in state and (cycle := visit(imported)):
                return cycle
        path.pop()
        state[module] = 2
        return []

    for module in sorted(graph):
        if module not in state and (cycle := visit(module)):
            return cycle
    return []


def _top_package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def floor_of(module: str) -> int:
    """The floor of ``module`` (the root package is above them all)."""
    top = _top_package(module)
    if not top:
        return len(FLOORS)
    for level, names in enumerate(FLOORS):
        if top in names:
            return level
    raise AssertionError(
        f"{module} is on no floor: add {top!r} to FLOORS in tests/test_import_graph.py"
    )


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """Every arrow from a module to a module of a higher floor, not exempted."""
    found = []
    for module, targets in sorted(graph.items()):
        for imported in sorted(targets):
            pair = (_top_package(module), _top_package(imported))
            if floor_of(imported) > floor_of(module) and pair not in EXEMPTIONS:
                found.append(
                    f"{module} (floor {floor_of(module)}) imports {imported} "
                    f"(floor {floor_of(imported)})"
                )
    return found


def test_the_package_has_no_import_circle() -> None:
    """No module reaches itself through imports (function-level imports included)."""
    graph = import_graph()
    for module, imported in CIRCLE_EXEMPTIONS:
        graph[module].discard(imported)
    cycle = find_cycle(graph)
    assert not cycle, "import circle: " + " -> ".join(cycle)


def test_every_circle_exemption_is_still_needed() -> None:
    """An exempted arrow that is gone must leave the list, so the check tightens again."""
    graph = import_graph()
    stale = [pair for pair in CIRCLE_EXEMPTIONS if pair[1] not in graph[pair[0]]]
    assert not stale, f"remove these from CIRCLE_EXEMPTIONS: {stale}"


def test_no_module_imports_a_higher_floor() -> None:
    """Arrows only run down the floors (or stay on one); exemptions are listed with a reason."""
    upward = upward_imports(import_graph())
    assert not upward, "imports up the floors:\n" + "\n".join(upward)


def test_every_module_is_on_a_floor() -> None:
    """A new package or ground-floor module must be placed on a floor."""
    for module in MODULES:
        floor_of(module)


def test_the_metrics_import_no_domain() -> None:
    """The metric registry sits below the domains: it imports none of them."""
    graph = import_graph()
    domains = set(FLOORS[3])
    reached = {
        _top_package(imported)
        for module, targets in graph.items()
        if _top_package(module) == "metrics"
        for imported in targets
    }
    assert not reached & domains


def test_function_level_imports_count_and_type_checking_ones_do_not(tmp_path: Path) -> None:
    """The reader sees an import inside a function, and skips one under TYPE_CHECKING."""
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from .hidden import x\n"
        "def f():\n    from .inside import y\n"
    )
    imported = {node.module for node in _executed_nodes(tree) if isinstance(node, ast.ImportFrom)}
    assert imported == {"typing", "inside"}


def test_a_circle_is_reported_with_its_modules() -> None:
    """find_cycle names the modules of a circle in order."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize(
    ("module", "base", "name", "expected"),
    [
        ("am_analytics.goals._smart", "am_analytics.metrics", "get_metric",
         "am_analytics.metrics._registry"),
        ("am_analytics.feedback._sla", "am_analytics.metrics", "manager_metrics",
         "am_analytics.metrics._table"),
        ("am_analytics.metrics._ratings", "am_analytics.ratings", "competency_scores",
         "am_analytics.ratings._calibration"),
    ],
)  # fmt: skip
def test_names_from_a_package_resolve_to_the_defining_module(
    module: str, base: str, name: str, expected: str
) -> None:
    """An import from a package's __init__ is an arrow to the module that defines the name."""
    assert (base, name) in _imports(module)
    assert _target(base, name) == expected
