"""Reading what a page's form sent."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from booking.core.errors import BookingError, FieldError

# Fields kept to a bounded length as typed; the note for the counter is not cut: a longer one is
# refused with a message (`booking.core.booking_request.MOTIVE_LENGTH`).
CONTACT_FIELDS = {"name": 200, "phone": 40, "email": 254, "key": 64}


def form_items(body: bytes) -> list[tuple[str, str]]:
    """The fields of an urlencoded form body, repeated names kept (`doc`, `notify`)."""
    return parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)


def contact_form(items: list[tuple[str, Any]]) -> dict[str, Any]:
    """The contact fields as typed (trimmed to their length), and the chosen channels."""
    typed: dict[str, Any] = {"notify": []}
    for key, value in items:
        if key in CONTACT_FIELDS:
            typed[key] = value.strip()[: CONTACT_FIELDS[key]]
        elif key == "motive":
            typed[key] = value.strip()
        elif key == "notify" and value in ("sms", "email"):
            typed["notify"].append(value)
    return typed


def field_errors(exc: BookingError) -> list[FieldError]:
    """An error's fields, or its summary as one error of no field, for a page to show."""
    return exc.errors or [FieldError("", exc.detail, exc.params)]
