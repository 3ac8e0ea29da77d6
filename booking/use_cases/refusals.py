"""Refusals of fair access, noted for the managers' figures and the site admins' page: an
attempt past a limit (429) or a second live visit (409). Noted in a transaction of their own
once the refused one has ended (it rolled back; SQLite has one writer at a time)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from booking.domain import access_log
from booking.domain.access_log import AccessKind
from booking.domain.persons import LiveVisit
from booking.use_cases.citizen_access import TooManyTries
from booking.use_cases.context import Context


@dataclass
class Asking:
    """Who asks, as far as known (a confirmation learns the site and phone on the way)."""

    address: str | None
    site_id: str | None = None
    phone: str | None = None


@contextmanager
def noting_refusals(context: Context, asking: Asking) -> Iterator[Asking]:
    try:
        yield asking
    except TooManyTries as refused:
        _note(context, asking, AccessKind.limit, refused.limit)
        raise
    except LiveVisit:
        _note(context, asking, AccessKind.second_visit, None)
        raise


def _note(context: Context, asking: Asking, kind: AccessKind, detail: str | None) -> None:
    with context.uow.writing() as session:
        access_log.record(
            session,
            kind,
            context.now(),
            site_id=asking.site_id,
            detail=detail,
            address=asking.address,
            phone=asking.phone,
        )
