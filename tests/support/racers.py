"""Functions run in other processes by the concurrency tests (importable under spawn)."""

from __future__ import annotations

from datetime import datetime

from booking.container import build_container
from booking.core.booking_request import BookingRequest
from booking.domain import appointments
from booking.domain.appointments import SlotTaken


def book_in_process(
    database_url: str, procedures_dir: str, start: str, now: str, tries: int
) -> list[str]:
    from tests.support.settings import make_settings

    frozen = datetime.fromisoformat(now)
    container = build_container(
        make_settings(database_url, procedures_dir=procedures_dir), clock=lambda: frozen
    )
    outcomes = []
    for index in range(tries):
        request = BookingRequest(
            site_id="paris",
            procedure_id="residence-permit-pickup",
            start=datetime.fromisoformat(start),
            name=f"Process citizen {index}",
            phone="06 12 34 56 78",
        )
        try:
            with container.uow.writing() as session:
                appointments.book(
                    session, catalogue=container.catalogue, request=request, now=frozen
                )
            outcomes.append("booked")
        except SlotTaken:
            outcomes.append("taken")
    container.engine.dispose()
    return outcomes
