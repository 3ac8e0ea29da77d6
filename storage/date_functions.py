"""Date arithmetic in SQL, spelled for SQLite and for PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement


class minutes_between(FunctionElement[float]):
    """Minutes from the first instant to the second (negative when the second is earlier);
    on SQLite to within a millisecond: round it."""

    type = Float()
    inherit_cache = True


@compiles(minutes_between, "sqlite")
def _minutes_sqlite(element: minutes_between, compiler: Any, **kw: Any) -> str:
    first, second = list(element.clauses)
    return (
        f"((julianday({compiler.process(second, **kw)})"
        f" - julianday({compiler.process(first, **kw)})) * 1440.0)"
    )


@compiles(minutes_between, "postgresql")
def _minutes_postgres(element: minutes_between, compiler: Any, **kw: Any) -> str:
    first, second = list(element.clauses)
    return (
        f"(EXTRACT(EPOCH FROM ({compiler.process(second, **kw)}"
        f" - {compiler.process(first, **kw)})) / 60.0)"
    )


class days_between(FunctionElement[int]):
    """Whole days from the first date to the second."""

    type = Integer()
    inherit_cache = True


@compiles(days_between, "sqlite")
def _days_sqlite(element: days_between, compiler: Any, **kw: Any) -> str:
    first, second = list(element.clauses)
    return (
        f"CAST(julianday({compiler.process(second, **kw)})"
        f" - julianday({compiler.process(first, **kw)}) AS INTEGER)"
    )


@compiles(days_between, "postgresql")
def _days_postgres(element: days_between, compiler: Any, **kw: Any) -> str:
    first, second = list(element.clauses)
    return f"({compiler.process(second, **kw)} - {compiler.process(first, **kw)})"
