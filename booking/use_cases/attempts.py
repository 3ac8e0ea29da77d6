"""An online booking's attempt (a booking, a hold, a waiting-list entry), counted per client
address in the database (every process counts the same), refused past the hour's limit."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy.engine import Connection
from sqlmodel import Session

from booking.domain import limits
from booking.domain.limits import Limit
from booking.use_cases.citizen_access import TooManyTries
from booking.use_cases.context import Context

log = logging.getLogger(__name__)


def booking_attempts(context: Context) -> Limit:
    return Limit("booking-attempts", context.settings.booking_attempts_per_hour, timedelta(hours=1))


class BookingAttempt:
    """An online booking's attempt from a client address, counted once whatever its outcome,
    or refused past the hour's limit.

    It is counted in the booking's own transaction (`take`, first thing in it: no round trip
    and, on SQLite, no write transaction of its own). A
    booking refused then rolls its count back with everything else: `kept` counts it again
    in a statement of its own, so refused attempts count as much as the ones that succeed.
    Without an address (staff, the API's trusted callers) nothing is counted.
    """

    def __init__(self, context: Context, address: str | None, now: datetime) -> None:
        self._context, self._address, self._now = context, address, now
        self._limit = booking_attempts(context)
        self._taken = False

    def take(self, session: Session) -> None:
        """In the booking's transaction."""
        self._taken = self._count(session)

    def take_apart(self) -> None:
        """In a statement of its own (an answer given without a booking's transaction)."""
        with self._context.uow.one_write() as connection:
            self._count(connection)

    def _count(self, bind: Session | Connection) -> bool:
        if self._address is None:
            return False
        if not limits.take(bind, self._limit, self._address, self._now):
            raise TooManyTries(self._limit.retry_after(self._now), self._limit.name)
        return True

    @contextmanager
    def kept(self) -> Iterator[None]:
        """Around the booking's transaction: a count it rolled back is taken again."""
        try:
            yield
        except BaseException:
            if self._taken:
                self._taken = False
                try:
                    self.take_apart()
                except TooManyTries:
                    pass  # others from the address used the hour's last attempts meanwhile
                except Exception:  # the database is gone: the booking's own error says so
                    log.warning("a refused booking's attempt could not be counted", exc_info=True)
            raise
