"""What every entry point (web, CLI, worker) shares: settings, the unit of work, the catalogue,
the clock, and the use cases built on them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property

from sqlalchemy.engine import Engine

import booking.revisions  # noqa: F401  (registers the revision hook)
from booking.notices import Links, Notices
from booking.paths import procedures_dir
from booking.queries.statistics import Statistics
from booking.settings import Settings
from booking.use_cases.day_closing import DayClosing
from booking.use_cases.desk import Desk, SiteRecords
from booking.use_cases.directory import Directory
from booking.use_cases.replies import Replies
from booking.use_cases.site_admin import SiteAdmin
from booking.use_cases.staff_accounts import StaffAccounts
from booking.use_cases.visits import Visits
from completeness.catalogue import Catalogue, load_catalogue
from storage.engines import make_engine
from storage.unit_of_work import UnitOfWork

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    engine: Engine
    catalogue: Catalogue
    clock: Clock = system_clock
    uow: UnitOfWork = field(init=False)

    def __post_init__(self) -> None:
        self.uow = UnitOfWork(self.engine)

    @cached_property
    def notices(self) -> Notices:
        links = Links(self.settings.public_url, self.settings.secret_key)
        deadline = timedelta(hours=self.settings.reminder_deadline_hours)
        return Notices(self.catalogue, links, deadline)

    @cached_property
    def visits(self) -> Visits:
        return Visits(self)

    @cached_property
    def directory(self) -> Directory:
        return Directory(self)

    @cached_property
    def replies(self) -> Replies:
        return Replies(self)

    @cached_property
    def staff(self) -> StaffAccounts:
        return StaffAccounts(self)

    @cached_property
    def desk(self) -> Desk:
        return Desk(self)

    @cached_property
    def site_admin(self) -> SiteAdmin:
        return SiteAdmin(self)

    @cached_property
    def records(self) -> SiteRecords:
        return SiteRecords(self)

    @cached_property
    def statistics(self) -> Statistics:
        return Statistics(self)

    @cached_property
    def day_closing(self) -> DayClosing:
        return DayClosing(self)

    def now(self) -> datetime:
        return self.clock()


def build_services(settings: Settings, *, clock: Clock = system_clock) -> Services:
    return Services(
        settings=settings,
        engine=make_engine(settings.database_url),
        catalogue=load_catalogue(procedures_dir(settings)),
        clock=clock,
    )
