"""A lost race answers with the nearest free starts, searched once the write is over (no write
lock is held while they are looked for): for bookings, moves and holds alike."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from booking.domain import appointments
from booking.domain.appointments import SlotTaken
from booking.use_cases.context import Context


@contextmanager
def offering_alternatives(context: Context) -> Iterator[None]:
    try:
        yield
    except SlotTaken as taken:
        with context.uow.reading() as session:
            raise appointments.offer_alternatives(
                session, taken, public=context.public(), count=context.settings.alternatives_count
            ) from None
