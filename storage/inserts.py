"""INSERT … ON CONFLICT, written once for both engines."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session


def dialect_insert(bind: Session | Connection) -> Any:
    """The INSERT construct with `on_conflict_do_*` for the engine in use."""
    dialect = bind.get_bind().dialect.name if isinstance(bind, Session) else bind.dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert
