"""The dependency rule, read from the source (imports under TYPE_CHECKING count too).

Layers point one way: entry points (cli, worker) → web → container → use cases / queries /
demo → domain → core and config; `storage`, `completeness` and `notifications` lie below
`booking`. The core imports nothing of Guichet's; no module imports a higher layer or a
sibling room of its own layer; there is no circle; only the application layer opens a
transaction; the web layer parses, calls one use case and presents.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

from tests.support.settings import ROOT

PACKAGES = ("booking", "completeness", "notifications", "storage")

# The rooms of `booking`, from the bottom up: a room may import its own modules and any room of
# a lower rank, never one of its own rank or above.
RANKS = {
    "booking.core": 0,
    "booking.config": 0,
    "booking.domain": 1,
    "booking.migrate": 1,
    "booking.use_cases": 2,
    "booking.queries": 2,
    "booking.demo": 2,
    "booking.container": 3,
    "booking.web": 4,
    "booking.worker": 5,
    "booking.staff_cli": 5,
    "booking.asgi": 6,  # the app as uvicorn's factory (serve --workers)
    "booking.cli": 7,
}
# Below every room of `booking`: what the core must not import either.
LOWER_PACKAGES = ("completeness", "notifications", "storage")

# What the web layer must not import: the domain's writers, the database, the outbox.
WEB_FORBIDDEN = (
    "booking.domain.notices",
    "booking.domain.idempotency",
    "booking.domain.appointments",
    "booking.domain.documents",
    "booking.domain.occupancy",
    "storage",
    "sqlalchemy",
    "sqlmodel",
    "notifications.outbox",
)
# Calls that open a transaction or reach the engine.
TRANSACTION_CALLS = {
    "writing",
    "reading",
    "read_connection",
    "write_connection",
    "begin",
    "connect",
    "Session",
}
# The only places that may open one: the application layer, the read side, the demo's setup,
# the dispatcher and its shared rate (Core statements through the unit of work), and storage.
MAY_OPEN_TRANSACTIONS = (
    "booking.use_cases",
    "booking.queries",
    "booking.demo.setup",
    "notifications.dispatcher",
    "notifications.rate",
    "storage",
)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def source_files() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


@cache
def module_graph() -> dict[str, set[str]]:
    """Each of our modules and the modules of ours it imports (a name imported from a package
    counts as the package's module when it is one)."""
    modules = {module_name(p): p for p in source_files()}
    graph = {}
    for name, path in modules.items():
        targets = set()
        for imported in imported_modules(path):
            while imported and imported not in modules:
                imported = imported.rpartition(".")[0]
            if imported and imported != name:
                targets.add(imported)
        graph[name] = targets
    return graph


def called_names(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call):
            function = node.func
            if isinstance(function, ast.Attribute):
                names.add(function.attr)
            elif isinstance(function, ast.Name):
                names.add(function.id)
    return names


def reaches(modules: set[str], prefixes: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes))


def room_of(module: str) -> str | None:
    matches = [room for room in RANKS if module == room or module.startswith(room + ".")]
    return max(matches, key=len) if matches else None


def wrong_way(graph: dict[str, set[str]]) -> list[str]:
    """Imports from a room to one of its own rank or above (other than itself)."""
    found = []
    for module, targets in graph.items():
        room = room_of(module)
        if room is None:
            continue
        for target in targets:
            other = room_of(target)
            if other is not None and other != room and RANKS[other] >= RANKS[room]:
                found.append(f"{module} -> {target}")
    return sorted(found)


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_module_of_booking_lives_in_a_room_of_the_layers():
    assert [m for m in module_graph() if m.startswith("booking.") and not room_of(m)] == []


def test_no_import_runs_back_up_or_sideways():
    assert wrong_way(module_graph()) == []


def test_no_circle_of_imports():
    assert circles(module_graph()) == []


def test_the_core_imports_nothing_of_guichet_but_itself():
    for module, targets in module_graph().items():
        if module.startswith("booking.core"):
            assert [t for t in targets if not t.startswith("booking.core")] == [], module


def test_config_imports_no_layer():
    for module, targets in module_graph().items():
        if module.startswith("booking.config"):
            assert [t for t in targets if not t.startswith("booking.config")] == [], module


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("notifications", ("booking",)),
        ("completeness", ("booking", "notifications", "storage")),
        ("storage", ("booking", "notifications", "completeness")),
    ],
)
def test_packages_below_booking_keep_the_dependency_rule(package, forbidden):
    for path in sorted((ROOT / package).rglob("*.py")):
        assert reaches(imported_modules(path), forbidden) == [], path


@pytest.mark.parametrize(
    "path",
    sorted((ROOT / "booking" / "web").rglob("*.py")),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_web_modules_reach_the_data_only_through_use_cases(path):
    assert reaches(imported_modules(path), WEB_FORBIDDEN) == []


@pytest.mark.parametrize("path", source_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_only_the_application_layer_opens_a_transaction(path):
    module = module_name(path)
    if reaches({module}, MAY_OPEN_TRANSACTIONS):
        return
    assert called_names(path) & TRANSACTION_CALLS == set()


def test_the_rules_would_see_a_handler_that_opens_a_transaction(tmp_path):
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text(
        "from booking.domain.notices import Notices\n"
        "def handler(container):\n"
        "    with container.uow.writing() as session:\n"
        "        pass\n"
    )
    assert "booking.domain.notices" in reaches(imported_modules(sneaky), WEB_FORBIDDEN)
    assert called_names(sneaky) & TRANSACTION_CALLS == {"writing"}


def test_the_rules_would_see_an_import_back_up_and_a_circle():
    graph = {
        "booking.domain.appointments": {"booking.use_cases.visits"},
        "booking.use_cases.visits": {"booking.domain.appointments"},
        "booking.queries.agenda": {"booking.use_cases.visits"},
    }
    assert wrong_way(graph) == [
        "booking.domain.appointments -> booking.use_cases.visits",
        "booking.queries.agenda -> booking.use_cases.visits",
    ]
    assert circles(graph) == [["booking.domain.appointments", "booking.use_cases.visits"]]
