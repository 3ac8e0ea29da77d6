"""The JSON body of a booking, public or by staff (one shape, the staff's with its channel),
and the booking request built from it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from booking.core.booking_request import MOTIVE_LENGTH, NAME_LENGTH, BookingRequest

Answer = str | bool | int | float | None


class BookingBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    site_id: Annotated[str, Meta(min_length=1, max_length=64)]
    procedure_id: Annotated[str, Meta(min_length=1, max_length=64)]
    name: Annotated[str, Meta(min_length=1, max_length=NAME_LENGTH)]
    phone: Annotated[str, Meta(max_length=40)] | None = None
    email: Annotated[str, Meta(max_length=254)] | None = None
    motive: Annotated[str, Meta(max_length=MOTIVE_LENGTH)] | None = None
    answers: Annotated[dict[Annotated[str, Meta(max_length=64)], Answer], Meta(max_length=100)] = {}
    declared: Annotated[list[Annotated[str, Meta(max_length=64)]], Meta(max_length=100)] = []
    notify: Annotated[list[Literal["sms", "email"]], Meta(max_length=2)] | None = None


class AppointmentCreate(BookingBody, kw_only=True):
    start: Annotated[str, Meta(min_length=1, max_length=40, description="ISO 8601 with UTC offset")]


class StaffBooking(BookingBody, kw_only=True):
    """The public booking's body, with the channel and the citizen's language."""

    channel: Literal["phone", "desk", "intermediary"]
    start: Annotated[str, Meta(min_length=1, max_length=40)] | None = None
    language: Literal["fr", "en"] = "fr"
    # A second live visit for the same person and procedure, on purpose: why (audited).
    second_visit: Annotated[str, Meta(max_length=200)] | None = None


def booking_request(
    body: BookingBody, *, start: datetime, language: str, channel: str = "web"
) -> BookingRequest:
    return BookingRequest.of(
        site_id=body.site_id,
        procedure_id=body.procedure_id,
        start=start,
        name=body.name,
        phone=body.phone,
        email=body.email,
        motive=body.motive,
        answers=body.answers,
        declared=body.declared,
        notify=body.notify,
        language=language,
        channel=channel,
    )
