"""What every use case is given, and nothing more: the unit of work, the clock, the settings,
the procedure catalogue, the notices (the messages each change writes) and the secrets."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from booking.config.settings import Settings, parse_release_time
from booking.core.clock import Clock, local_date
from booking.domain.credentials import Keys
from booking.domain.freed_seats import FreedSeatDelay
from booking.domain.notices import Notices
from booking.domain.plans import Plans
from booking.domain.release import Public, Release
from booking.domain.seat_freeing import Freeing
from booking.domain.waitlist import Offering
from completeness.catalogue import Catalogue
from storage.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Context:
    uow: UnitOfWork
    clock: Clock
    settings: Settings
    catalogue: Catalogue
    notices: Notices
    keys: Keys  # the secret that issues links and codes, and those that still verify
    plans: Plans = field(default_factory=Plans)  # the sites' configuration, as of revisions

    @property
    def freed_seat_delay(self) -> FreedSeatDelay:
        least, most = self.settings.freed_seat_delay_min, self.settings.freed_seat_delay_max
        return FreedSeatDelay(least, most)

    @property
    def release(self) -> Release:
        settings = self.settings
        at = parse_release_time(settings.release_time)
        assert at is not None  # the settings were validated
        return Release(at, settings.release_jitter_minutes, settings.staff_share_opens_days)

    def public(self) -> Public:
        """The public asking now (the web and the API): see booking.domain.release."""
        return Public(self.clock(), self.release)

    @property
    def freeing(self) -> Freeing:
        """Where a freed seat goes: the waiting list first, then the public."""
        offering = Offering(
            minutes=self.settings.offer_minutes,
            catalogue=self.catalogue,
            release=self.release,
            notices=self.notices,
            quiet_hours=self.settings.quiet_hours,
        )
        return Freeing(self.freed_seat_delay, offering)

    def now(self) -> datetime:
        return self.clock()

    def today(self, timezone: str | None = None) -> date:
        """The local date in a site's zone, or in the default zone where no site is known."""
        return local_date(self.clock(), timezone or self.settings.default_timezone)
