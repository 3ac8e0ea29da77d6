"""What asks for a booking, from any channel (the citizen's pages, the JSON API, the staff's
pages and API, a return visit): one value, built one way."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from booking.core.statuses import Channel

NAME_LENGTH = 200
MOTIVE_LENGTH = 1000  # the note for the counter: refused beyond this, never cut
LANGUAGES = ("fr", "en")
NOTIFY_CHANNELS = ("sms", "email")


@dataclass(frozen=True)
class BookingRequest:
    site_id: str
    procedure_id: str
    start: datetime
    name: str
    phone: str | None = None
    email: str | None = None
    motive: str | None = None
    answers: dict[str, Any] = field(default_factory=dict)
    declared: tuple[str, ...] = ()
    notify: tuple[str, ...] | None = None  # "sms", "email"; None: every contact given
    language: str = "fr"
    channel: Channel = Channel.web
    return_of: int | None = None  # the visit this one comes back for (a return visit)

    @classmethod
    def of(
        cls,
        *,
        site_id: str,
        procedure_id: str,
        start: datetime,
        name: str,
        phone: str | None = None,
        email: str | None = None,
        motive: str | None = None,
        answers: Mapping[str, Any] | None = None,
        declared: Iterable[str] = (),
        notify: Iterable[str] | None = None,
        language: str | None = None,
        channel: str = Channel.web,
    ) -> BookingRequest:
        """The request as any channel sends it: blank contacts and notes are absent, unknown
        notification channels and languages are dropped (the default language instead)."""
        return cls(
            site_id=site_id,
            procedure_id=procedure_id,
            start=start,
            name=name,
            phone=phone or None,
            email=email or None,
            motive=motive or None,
            answers=dict(answers or {}),
            declared=tuple(declared),
            notify=None if notify is None else tuple(n for n in notify if n in NOTIFY_CHANNELS),
            language=language if language in LANGUAGES else "fr",
            channel=Channel(channel),
        )
