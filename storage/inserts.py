"""INSERT … ON CONFLICT, written once for both engines."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session


def _dialect(bind: Session | Connection) -> str:
    return bind.get_bind().dialect.name if isinstance(bind, Session) else bind.dialect.name


def dialect_insert(bind: Session | Connection) -> Any:
    """The INSERT construct with `on_conflict_do_*` for the engine in use."""
    return postgresql.insert if _dialect(bind) == "postgresql" else sqlite.insert


def prepared_upsert(build: Callable[[Any], Any]) -> Callable[[Session | Connection], Any]:
    """`build(insert)`, given the engine's INSERT construct, once per engine kind: an upsert
    with bound parameters, built and compiled once rather than at every call (a hot path's
    statement costs a third as much)."""
    built: dict[str, Any] = {}

    def statement(bind: Session | Connection) -> Any:
        dialect = _dialect(bind)
        found = built.get(dialect)
        if found is None:
            found = built[dialect] = build(
                postgresql.insert if dialect == "postgresql" else sqlite.insert
            )
        return found

    return statement
