"""The database guard against double booking: one load row per counter and grid cell.

A visit takes every cell it covers through one guarded upsert (each row inserted, or
incremented while it has room, checked by row count), in ascending cell order, so that two
transactions cannot deadlock on PostgreSQL; the table's CHECK (booked <= capacity) refuses
any write that would overbook. A booking takes its cells in one such statement (`take_cells`;
for the public, with the seats held back over a cell counted as taken), a move a cell at a
time in its ordered pass of releases and takes (`change_load`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cache, lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, TextClause, bindparam, select, text, update
from sqlalchemy.engine import Connection
from sqlmodel import Session

from booking.domain.models import CounterLoad, FreedSeat
from booking.domain.revisions import load_changed
from storage.in_lists import fixed_list, members

_table = CounterLoad.__table__  # type: ignore[attr-defined]
_freed = FreedSeat.__table__  # type: ignore[attr-defined]
# The seats held back from the public over the load row's cell, as of :now.
_HELD_OVER_CELL = """(SELECT count(*) FROM freed_seat
    WHERE freed_seat.counter_id = counter_load.counter_id
    AND freed_seat.first_cell <= counter_load.cell AND freed_seat.end_cell > counter_load.cell
    AND (counter_load.cell - freed_seat.first_cell) % freed_seat.cell_minutes = 0
    AND freed_seat.available_at > :now)"""


@cache
def _take_statement(cells: int, public: bool) -> TextClause:
    """INSERT … ON CONFLICT DO UPDATE … WHERE there is room, for `cells` rows: the same text
    on both engines. Written out, since SQLAlchemy compiles a multi-row VALUES at every call."""
    rows = ", ".join(f"(:counter_id, :cell_{index}, 1, :capacity)" for index in range(cells))
    taken = f"counter_load.booked + {_HELD_OVER_CELL}" if public else "counter_load.booked"
    statement = text(
        f"INSERT INTO counter_load (counter_id, cell, booked, capacity) VALUES {rows}"
        " ON CONFLICT (counter_id, cell) DO UPDATE"
        " SET booked = counter_load.booked + 1, capacity = excluded.capacity"
        f" WHERE {taken} < excluded.capacity"
    )
    if public:
        statement = statement.bindparams(bindparam("now", type_=_freed.c.available_at.type))
    return statement


def take_cells(
    session: Session,
    counter_id: int,
    capacity: int,
    cells: Sequence[int],
    *,
    site: tuple[str, ZoneInfo],
    held_back_at: datetime | None = None,
) -> bool:
    """Take the cells (ascending) of one counter in one statement: True if every one had room.
    With `held_back_at` (the public's), a seat held back at that moment is not room. False
    may leave some taken: the caller rolls back its savepoint when there was more than one."""
    connection = session.connection()
    statement = _take_statement(len(cells), held_back_at is not None)
    values: dict[str, Any] = {"counter_id": counter_id, "capacity": capacity}
    values.update({f"cell_{index}": cell for index, cell in enumerate(cells)})
    if held_back_at is not None:
        values["now"] = held_back_at
    if connection.execute(statement, values).rowcount != len(cells):
        return False
    load_changed(session, [(counter_id, cell) for cell in cells], site=site)
    return True


def change_load(
    session: Session,
    *,
    take: tuple[int, int, Iterable[int]] | None = None,
    release: tuple[int, Iterable[int]] | None = None,
) -> bool:
    """Take (counter, capacity, cells) and/or release (counter, cells) in one ordered pass.

    Rows are touched in (counter, cell) order whatever the mix, so concurrent bookings and
    reschedules cannot deadlock. A cell both released and taken (a visit moved by less than
    its length on the same counter) keeps its seat. Returns False when a cell to take is
    full; the caller then rolls back its savepoint.
    """
    changes: dict[tuple[int, int], int] = {}
    if release:
        counter_id, cells = release
        for cell in cells:
            changes[(counter_id, cell)] = -1
    capacity = 0
    if take:
        counter_id, capacity, cells = take
        for cell in cells:
            changes[(counter_id, cell)] = changes.get((counter_id, cell), 0) + 1
    connection = session.connection()
    take_one = _take_statement(1, False)  # the guard, a cell at a time in the pass's order
    touched: list[tuple[int, int]] = []
    for (counter_id, cell), delta in sorted(changes.items()):
        if delta == 1:
            values = {"counter_id": counter_id, "cell_0": cell, "capacity": capacity}
            if connection.execute(take_one, values).rowcount != 1:
                return False
            touched.append((counter_id, cell))
        elif delta == -1:
            session.execute(
                update(_table)
                .where(
                    _table.c.counter_id == counter_id, _table.c.cell == cell, _table.c.booked > 0
                )
                .values(booked=_table.c.booked - 1)
            )
            touched.append((counter_id, cell))
    load_changed(session, touched)
    return True


def taken_in_range(length: int) -> tuple[ColumnElement[bool], ...]:
    """The cells of `length` counters (`counter_N`, from `fixed_list`) in [:first, :last)
    that hold a visit."""
    return (
        _table.c.counter_id.in_(members("counter", length)),
        _table.c.cell >= bindparam("first"),
        _table.c.cell < bindparam("last"),
        _table.c.booked > 0,
    )


@lru_cache(maxsize=16)
def _load_between(length: int) -> Select[Any]:
    """The load of `length` counters' cells in a range (`in_lists`: compiled once)."""
    return select(_table.c.counter_id, _table.c.cell, _table.c.booked).where(
        *taken_in_range(length)
    )


def load_between(
    bind: Session | Connection, counter_ids: Sequence[int], first: int, last: int
) -> dict[int, dict[int, int]]:
    """counter id -> cell -> visits holding it, for cells in [first, last)."""
    load: dict[int, dict[int, int]] = {cid: {} for cid in counter_ids}
    if not counter_ids:
        return load
    length, values = fixed_list("counter", counter_ids)
    values |= {"first": first, "last": last}
    rows = bind.execute(_load_between(length), values).all()  # fetched at once
    for counter_id, cell, booked in rows:
        load[counter_id][cell] = booked
    return load
