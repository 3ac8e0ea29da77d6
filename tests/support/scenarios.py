"""A Paris site with counters, and booking requests with a full file: shared by the tests of
the domain and of the use cases."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from booking.container import Container
from booking.core.booking_request import BookingRequest
from booking.demo.builders import add_counter, add_site
from booking.domain import appointments
from booking.domain.models import Appointment

PARIS = ZoneInfo("Europe/Paris")
TUESDAY_9 = datetime(2026, 3, 24, 9, 0, tzinfo=PARIS)

FULL_FILES = {
    "naturalisation-interview": ("interview-notification", "passport", "application-originals"),
    "residence-permit-pickup": ("pickup-notification", "passport", "tax-stamp"),
}


def setup_site(container: Container, capacity: int = 1, counters: int = 1) -> None:
    with container.uow.writing() as session:
        site = add_site(session)
        for index in range(counters):
            add_counter(
                session,
                site,
                name=f"G{index}",
                capacity=capacity,
                procedures=("residence-permit-pickup", "naturalisation-interview"),
            )


def request(
    start: datetime = TUESDAY_9, procedure: str = "residence-permit-pickup", **kw
) -> BookingRequest:
    fields = {
        "name": "Amina Diallo",
        "phone": "06 12 34 56 78",
        "declared": FULL_FILES[procedure],
    } | kw
    return BookingRequest(site_id="paris", procedure_id=procedure, start=start, **fields)


def book(container: Container, req: BookingRequest) -> Appointment:
    """The domain's booking alone (no messages): for tests of the core."""
    with container.uow.writing() as session:
        return appointments.book(
            session, catalogue=container.catalogue, request=req, now=container.now()
        )
