"""The folders are the architecture: imports flow one way, and that is checked, not hoped for.

The layer contracts live in pyproject.toml ([tool.importlinter]) so `lint-imports` reads the
same rules; the two checks import-linter cannot state briefly are here, on grimp's graph.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import grimp
from importlinter.api import read_configuration
from importlinter.application.use_cases import lint_imports

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("hub", "connectors", "recipes", "admin")


@cache
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES, cache_dir=None)


def test_the_import_contracts_hold() -> None:
    config = str(ROOT / "pyproject.toml")
    assert len(read_configuration(config)["contracts_options"]) >= 3, "the contracts were not found"
    assert lint_imports(config, cache_dir=None, no_logo=True), (
        "`lint-imports` names the import that breaks a contract"
    )


def test_no_module_takes_part_in_an_import_cycle() -> None:
    """Function-level imports count: a lazy import that closes a cycle is still a cycle."""
    cycles = [sorted(c) for c in _strongly_connected(graph()) if len(c) > 1]
    assert cycles == [], f"import cycles: {cycles}"


def test_the_cycle_check_finds_a_cycle() -> None:
    g = grimp.ImportGraph()
    for importer, imported in (("a.x", "a.y"), ("a.y", "a.z"), ("a.z", "a.x"), ("a.z", "a.w")):
        g.add_import(importer=importer, imported=imported)
    assert sorted(sorted(c) for c in _strongly_connected(g) if len(c) > 1) == [["a.x", "a.y", "a.z"]]


def test_the_outbound_path_imports_nothing_else_of_the_hub() -> None:
    """Connectors reach hub.outbound through their SDK; it must not drag the application in after it."""
    outside = {
        (module, imported)
        for module in graph().find_descendants("hub.outbound") | {"hub.outbound"}
        for imported in graph().find_modules_directly_imported_by(module)
        if imported.split(".")[0] in PACKAGES and not imported.startswith("hub.outbound")
    }
    assert outside == set()


def _strongly_connected(g: grimp.ImportGraph) -> list[set[str]]:
    """Tarjan's algorithm: each set is a group of modules that all reach each other by imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for child in sorted(g.find_modules_directly_imported_by(node)):
            if child not in index:
                visit(child)
                low[node] = min(low[node], low[child])
            elif child in stack:
                low[node] = min(low[node], index[child])
        if low[node] == index[node]:
            component = {stack.pop()}
            while node not in component:
                component.add(stack.pop())
            found.append(component)

    for module in sorted(g.modules):
        if module not in index:
            visit(module)
    return found
