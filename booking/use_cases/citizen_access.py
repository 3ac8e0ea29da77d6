"""How a citizen reaches their visit without an account — its link (a token) or its reference
and management code — and the limits that keep anyone from guessing them: wrong tokens and
codes are counted per client address, never per visit (nobody can lock a citizen out), in
the database (every process counts the same)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from booking.core.errors import BookingError
from booking.core.i18n import N_
from booking.domain import limits
from booking.domain.appointments import WrongCredentials
from booking.domain.limits import Limit
from booking.use_cases.context import Context

WRONG_CREDENTIALS = Limit("wrong-credentials", 20, timedelta(hours=1))
LINK_RESENDS = Limit("link-resends", 10, timedelta(hours=1))
LOCAL = "local"  # the address of a call made inside the service (CLI, tests)


class TooManyTries(BookingError):
    status_code = 429

    def __init__(self, retry_after: int, limit: str | None = None) -> None:
        super().__init__(N_("Too many attempts: try again in a few minutes."))
        self.headers = {"Retry-After": str(retry_after)}
        self.limit = limit  # which one (the figures count refusals by limit)


@contextmanager
def guarded(context: Context, address: str) -> Iterator[None]:
    """Refuse an address past its wrong tokens and codes (429 with Retry-After); count one
    more, in a transaction of its own, for each wrong one (the answer stays a 404)."""
    now = context.now()
    with context.uow.reading() as session:
        if limits.over(session, WRONG_CREDENTIALS, address, now):
            raise TooManyTries(WRONG_CREDENTIALS.retry_after(now), WRONG_CREDENTIALS.name)
    try:
        yield
    except WrongCredentials:
        with context.uow.writing() as session:
            limits.count(session, WRONG_CREDENTIALS, address, now)
        raise


def may_resend_link(context: Context, address: str) -> bool:
    """One more "lost link" request from this address this hour (10 at most)."""
    with context.uow.writing() as session:
        return limits.take(session, LINK_RESENDS, address, context.now())
