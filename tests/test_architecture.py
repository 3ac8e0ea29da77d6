"""The dependency rule, read from the source: the web layer parses, calls one use case and
presents; it never reaches the database, the messages or a transaction by itself."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WEB = sorted((ROOT / "booking" / "web").rglob("*.py"))

# What a handler must not import: the notices, the session scopes, the database.
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
TRANSACTION_CALLS = {"writing", "reading", "read_connection", "begin", "connect", "Session"}


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


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


@pytest.mark.parametrize("path", WEB, ids=lambda p: str(p.relative_to(ROOT)))
def test_web_modules_reach_the_data_only_through_use_cases(path):
    assert reaches(imported_modules(path), WEB_FORBIDDEN) == []
    assert called_names(path) & TRANSACTION_CALLS == set()


def test_the_rule_would_see_a_handler_that_opens_a_transaction(tmp_path):
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text(
        "from booking.domain.notices import Notices\n"
        "def handler(container):\n"
        "    with container.uow.writing() as session:\n"
        "        pass\n"
    )
    assert "booking.domain.notices" in reaches(imported_modules(sneaky), WEB_FORBIDDEN)
    assert called_names(sneaky) & TRANSACTION_CALLS == {"writing"}


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("notifications", ("booking",)),
        ("completeness", ("booking", "notifications", "storage")),
        ("storage", ("booking", "notifications", "completeness")),
    ],
)
def test_packages_keep_the_dependency_rule(package, forbidden):
    for path in sorted((ROOT / package).rglob("*.py")):
        assert reaches(imported_modules(path), forbidden) == [], path
