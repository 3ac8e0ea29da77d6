"""Whole numbers as forms and query strings send them: ASCII digits only, a bounded length;
the range each one must fall in is the use case's rule, not the form's."""

from __future__ import annotations

from booking.core.errors import InvalidRequest
from booking.core.i18n import N_

NUMBER_MESSAGE = N_("Give a whole number.")
MAX_DIGITS = 9


MAX_ID = 2**31 - 1  # the largest row id either engine stores in an INTEGER


def whole_number(text: str | None) -> int | None:
    """Up to 9 ASCII digits ("²" and "٣" are digits to Python, not here), else None."""
    text = (text or "").strip()
    if not text or len(text) > MAX_DIGITS or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


def parse_whole_number(text: str | None, field: str) -> int | None:
    """None when left blank; a 422 on `field` for anything but up to 9 ASCII digits."""
    number = whole_number(text)
    if number is None and (text or "").strip():
        raise InvalidRequest.for_field(field, NUMBER_MESSAGE)
    return number
