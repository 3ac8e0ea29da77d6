"""Setting the demo up, each part once: its prefecture (config/demo.toml), its past, and its
present (today and the coming weeks about half booked)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select

from booking.demo.load import load_demo
from booking.demo.past import has_history, months_before, write_history
from booking.demo.upcoming import top_up
from booking.domain.models import Site
from completeness.catalogue import Catalogue
from storage.unit_of_work import UnitOfWork


def load_prefecture(uow: UnitOfWork, catalogue: Catalogue, path: Path) -> dict[str, int]:
    """The demo's sites, counters and windows (idempotent): what was created."""
    with uow.writing() as session:
        return load_demo(session, path, catalogue)


def top_up_upcoming(uow: UnitOfWork, catalogue: Catalogue, now: datetime) -> str:
    """Today and the coming two weeks about half booked (again: nothing more)."""
    with uow.writing() as session:
        booked = top_up(session, catalogue, now)
    return f"upcoming: {booked} visits booked for today and the coming two weeks"


def write_past(uow: UnitOfWork, *, today: date, months: int, secret_key: str) -> str:
    """`months` of past visits before `today`, once; what was done, as a line to print."""
    if not 1 <= months <= 36:
        return "history: give 1 to 36 months"
    with uow.writing() as session:
        if has_history(session):
            return "history: already written"
        sites = list(session.execute(select(Site).order_by(Site.id)).scalars())
        first, last = months_before(today, months)
        written = write_history(session, sites, first, last, secret_key)
    return f"history: {written} past visits from {first} to {last}"
