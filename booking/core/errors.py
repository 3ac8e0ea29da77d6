"""Errors of the booking use cases. Texts are gettext message ids, translated by the web layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)


class BookingError(Exception):
    """Base of the errors a citizen or a client can act on (never a 500)."""

    status_code = 400

    def __init__(
        self,
        detail: str,
        errors: list[FieldError] | None = None,
        extra: dict[str, Any] | None = None,
        **params: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.params = params
        self.errors = errors or []
        self.extra = extra or {}
        self.headers: dict[str, str] = {}  # e.g. Retry-After on a 429

    @classmethod
    def for_field(cls, field_name: str, message: str, **params: Any) -> BookingError:
        """An error about one field, whose message is also the summary."""
        return cls(message, [FieldError(field_name, message, params)], **params)


class InvalidRequest(BookingError):
    status_code = 422


class NotFound(BookingError):
    status_code = 404


class Conflict(BookingError):
    status_code = 409


class Gone(BookingError):
    """It existed and is over for good (an expired or released hold)."""

    status_code = 410
