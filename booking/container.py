"""The container: builds the use cases and queries from the settings, once, for an entry point
(the web app, the CLI, the worker). Each use case gets a narrow `Context`, never the container.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError

from booking.config.paths import procedures_dir
from booking.config.settings import Settings
from booking.core.clock import Clock
from booking.domain.credentials import Keys
from booking.domain.notices import Links, Notices
from booking.domain.revisions import register_revision_hook
from booking.queries.agenda import Desk
from booking.queries.health import HealthChecks
from booking.queries.records import SiteRecords
from booking.queries.statistics import Statistics
from booking.use_cases.closures import Closures
from booking.use_cases.context import Context
from booking.use_cases.day_closing import DayClosing
from booking.use_cases.directory import Directory
from booking.use_cases.holds import Holds
from booking.use_cases.housekeeping import Housekeeping
from booking.use_cases.opening_hours import OpeningHours
from booking.use_cases.periodic import PeriodicJob, PeriodicJobs
from booking.use_cases.replies import Replies
from booking.use_cases.site_admin import SiteAdmin
from booking.use_cases.staff_accounts import StaffAccounts
from booking.use_cases.visits import Visits
from booking.use_cases.waitlist import Waitlist
from completeness.catalogue import Catalogue, load_catalogue
from storage.engines import make_engine
from storage.unit_of_work import UnitOfWork

# What a lost database raises (stopped, restarting, unreachable, a connection dropped): the web
# layer answers these with a 503 and Retry-After, never a 500.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    DisconnectionError,
)


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Container:
    settings: Settings
    engine: Engine
    catalogue: Catalogue
    clock: Clock = system_clock
    uow: UnitOfWork = field(init=False)

    def __post_init__(self) -> None:
        register_revision_hook()
        self.uow = UnitOfWork(self.engine)

    @cached_property
    def keys(self) -> Keys:
        return Keys(self.settings.secret_key, self.settings.previous_keys)

    @cached_property
    def notices(self) -> Notices:
        links = Links(self.settings.public_url)
        deadline = timedelta(hours=self.settings.reminder_deadline_hours)
        return Notices(self.catalogue, links, deadline)

    @cached_property
    def context(self) -> Context:
        return Context(self.uow, self.clock, self.settings, self.catalogue, self.notices, self.keys)

    @cached_property
    def visits(self) -> Visits:
        return Visits(self.context)

    @cached_property
    def holds(self) -> Holds:
        return Holds(self.context)

    @cached_property
    def waitlist(self) -> Waitlist:
        return Waitlist(self.context)

    @cached_property
    def directory(self) -> Directory:
        return Directory(self.context)

    @cached_property
    def replies(self) -> Replies:
        return Replies(self.context)

    @cached_property
    def staff(self) -> StaffAccounts:
        return StaffAccounts(self.context)

    @cached_property
    def site_admin(self) -> SiteAdmin:
        return SiteAdmin(self.context)

    @cached_property
    def closures(self) -> Closures:
        return Closures(self.context)

    @cached_property
    def opening_hours(self) -> OpeningHours:
        return OpeningHours(self.context)

    @cached_property
    def day_closing(self) -> DayClosing:
        return DayClosing(self.context)

    @cached_property
    def housekeeping(self) -> Housekeeping:
        return Housekeeping(self.context)

    @cached_property
    def desk(self) -> Desk:
        return Desk(self.uow, self.clock, self.catalogue)

    @cached_property
    def records(self) -> SiteRecords:
        return SiteRecords(self.uow, self.clock)

    @cached_property
    def periodic(self) -> PeriodicJobs:
        """The periodic jobs and their periods (each once per period across processes)."""

        def housekeeping() -> None:
            self.housekeeping.run()
            self.housekeeping.draw_releases()

        return PeriodicJobs(
            self.context,
            [
                PeriodicJob("housekeeping", timedelta(hours=1), housekeeping),
                PeriodicJob("day_closing", timedelta(minutes=5), self.day_closing.run),
                PeriodicJob("holds", timedelta(seconds=30), self.holds.release_expired),
                PeriodicJob("offers", timedelta(seconds=30), self.waitlist.expire_due),
            ],
        )

    @cached_property
    def health(self) -> HealthChecks:
        outbox_max_age = timedelta(seconds=self.settings.jobs_outbox_max_age_seconds)
        return HealthChecks(self.uow, self.clock, outbox_max_age, self.periodic)

    @cached_property
    def statistics(self) -> Statistics:
        return Statistics(self.uow, self.clock)

    def now(self) -> datetime:
        return self.clock()


def build_container(settings: Settings, *, clock: Clock = system_clock) -> Container:
    return Container(
        settings=settings,
        engine=make_engine(settings.database_url, pool_size=settings.database_pool_size),
        catalogue=load_catalogue(procedures_dir(settings)),
        clock=clock,
    )
