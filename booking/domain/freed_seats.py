"""Freed seats, back to the public only after a random delay (ZMS waits 30 minutes "to
prevent appointment trading"): the seat a citizen frees stays taken for public searches and
online bookings until its drawn moment; staff may book it meanwhile. A cancellation by the
office frees the seat at once."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlmodel import Session

from booking.core.slots import to_minute
from booking.domain.access_log import AccessKind, record
from booking.domain.models import Appointment, FreedSeat

_table = FreedSeat.__table__  # type: ignore[attr-defined]
_random = secrets.SystemRandom()


@dataclass(frozen=True)
class FreedSeatDelay:
    """Minutes, drawn uniformly per seat; 0 and 0: no delay."""

    least: int = 15
    most: int = 45

    def draw(self) -> timedelta:
        if self.most <= 0:
            return timedelta(0)
        return timedelta(minutes=_random.uniform(self.least, self.most))


@dataclass(frozen=True)
class Seat:
    """Where a visit sat: enough to hold its cells back once it has moved or gone."""

    site_id: str
    counter_id: int
    starts_at: datetime
    ends_at: datetime
    cell_minutes: int
    procedure_id: str | None = None  # the visit's: the waiting list offers it for that

    @classmethod
    def of(cls, appointment: Appointment) -> Seat:
        return cls(
            appointment.site_id,
            appointment.counter_id,
            appointment.starts_at,
            appointment.ends_at,
            appointment.cell_minutes,
            appointment.procedure_id,
        )


def hold_back(session: Session, seat: Seat, delay: FreedSeatDelay | None, now: datetime) -> None:
    """The seat, just freed by a citizen, waits a drawn delay before the public sees it."""
    wait = delay.draw() if delay is not None else timedelta(0)
    if wait > timedelta(0):
        hold_back_until(session, seat, now + wait, now)


def hold_back_until(session: Session, seat: Seat, until: datetime | None, now: datetime) -> None:
    """The seat waits until `until` (drawn when it was freed; its offers to the waiting list
    may have taken part of the delay): nothing when that moment has passed."""
    if until is None or until <= now or seat.ends_at <= now:
        return
    record(session, AccessKind.seat_held_back, now, site_id=seat.site_id)
    session.add(
        FreedSeat(
            site_id=seat.site_id,
            counter_id=seat.counter_id,
            first_cell=to_minute(seat.starts_at),
            end_cell=to_minute(seat.ends_at),
            cell_minutes=seat.cell_minutes,
            available_at=until,
        )
    )


def held_back(
    session: Session, counter_ids: Sequence[int], first: int, last: int, now: datetime
) -> dict[int, dict[int, int]]:
    """counter id -> cell -> seats still held back from the public, for cells in [first, last)."""
    held: dict[int, dict[int, int]] = {cid: {} for cid in counter_ids}
    if not counter_ids:
        return held
    rows = session.execute(
        select(
            _table.c.counter_id, _table.c.first_cell, _table.c.end_cell, _table.c.cell_minutes
        ).where(
            _table.c.counter_id.in_(counter_ids),
            _table.c.available_at > now,
            _table.c.end_cell > first,
            _table.c.first_cell < last,
        )
    ).all()
    for counter_id, start, end, step in rows:
        cells = held[counter_id]
        for cell in range(start, end, step):
            cells[cell] = cells.get(cell, 0) + 1
    return held


def purge(session: Session, before: datetime) -> int:
    return session.execute(delete(_table).where(_table.c.available_at < before)).rowcount or 0


def use_up(
    session: Session,
    counter_id: int,
    capacity: int,
    cells: range,
    taken: dict[int, int],
    now: datetime,
) -> None:
    """Staff booked into seats held back: those seats are theirs now, so as many held-back
    rows over these cells as the counter lacks room for are spent (the public never gets
    a seat twice)."""
    rows = session.execute(
        select(_table.c.id, _table.c.first_cell, _table.c.end_cell)
        .where(
            _table.c.counter_id == counter_id,
            _table.c.available_at > now,
            _table.c.end_cell > cells.start,
            _table.c.first_cell < cells.stop,
        )
        .order_by(_table.c.available_at.desc())
    ).all()
    over = max(
        (
            taken.get(cell, 0) + sum(r.first_cell <= cell < r.end_cell for r in rows) - capacity
            for cell in cells
        ),
        default=0,
    )
    spent = [row.id for row in rows[: max(0, over)]]
    if spent:
        session.execute(delete(_table).where(_table.c.id.in_(spent)))
