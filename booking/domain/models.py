"""Tables of the booking service (SQLModel on SQLAlchemy 2).

Times are stored in UTC; opening windows and closures are expressed in the site's local time
and turned into UTC instants by `booking.core.slots`.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, text
from sqlmodel import Field, SQLModel

from booking.core.statuses import AppointmentStatus, Channel
from storage.columns import utc_column
from storage.metadata import metadata  # noqa: F401  (naming convention; re-exported)


class Site(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    address: str = Field(max_length=400)
    timezone: str = Field(max_length=64)
    phone_region: str = Field(default="FR", max_length=2)
    holiday_subdivision: str | None = Field(default=None, max_length=8)
    department: str | None = Field(default=None, max_length=3)  # "75", "2A", "974"
    open_on_holidays: bool = False
    # Day-before reminder: sent at this local hour the day before the visit (None: no reminder).
    reminder_hour: int | None = Field(default=18, sa_column_kwargs={"server_default": "18"})
    # One-question satisfaction SMS after a visit marked seen ("Reply 1 to 5").
    survey_enabled: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    # Close each day at this local time: still-booked visits become no-shows, checked-in or
    # called ones seen (for sites that check everyone in).
    auto_no_show: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    # Days after a visit before its personal data is anonymised (None: the setting's).
    retention_days: int | None = Field(default=None)
    day_closes_at: time = Field(
        default=time(18, 0), sa_column_kwargs={"server_default": "18:00:00"}
    )
    # New days open to the public at this local time (None: the setting `release_time`).
    release_time: time | None = Field(default=None)
    # Percentage of each counter's seats a day kept for staff channels until it opens.
    staff_share_percent: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class SiteRevision(SQLModel, table=True):
    """Bumped by every change of a site's configuration (windows, closures, counters, share).

    Reading it is how any process knows whether a slot list it computed earlier is still true.
    """

    __tablename__ = "site_revision"
    site_id: str = Field(foreign_key="site.id", primary_key=True, max_length=64)
    revision: int = 0


class SiteDayRevision(SQLModel, table=True):
    """Bumped by every change of the load of one local day at a site (bookings, cancellations,
    holds): a slot list is cached day by day, and a booking makes only its own day stale."""

    __tablename__ = "site_day_revision"
    site_id: str = Field(foreign_key="site.id", primary_key=True, max_length=64)
    day: date = Field(primary_key=True)
    revision: int = 0


class Counter(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint("capacity >= 1", name="capacity_positive"),
        CheckConstraint("slot_minutes >= 5 AND slot_minutes <= 240", name="slot_minutes_range"),
    )
    id: int | None = Field(default=None, primary_key=True)
    site_id: str = Field(foreign_key="site.id", index=True)
    name: str = Field(max_length=120)
    capacity: int = 1
    slot_minutes: int = 15
    active: bool = True


class CounterProcedure(SQLModel, table=True):
    """Which procedures a counter serves (procedures live in config/procedures/*.toml)."""

    __tablename__ = "counter_procedure"
    counter_id: int = Field(foreign_key="counter.id", primary_key=True)
    procedure_id: str = Field(primary_key=True, max_length=64)


class OpeningWindow(SQLModel, table=True):
    __tablename__ = "opening_window"
    __table_args__ = (
        CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday_range"),
        CheckConstraint("starts < ends", name="starts_before_ends"),
    )
    id: int | None = Field(default=None, primary_key=True)
    counter_id: int = Field(foreign_key="counter.id", index=True)
    weekday: int  # 0 = Monday
    starts: time
    ends: time
    valid_from: date | None = None
    valid_to: date | None = None


class Closure(SQLModel, table=True):
    """A closure of one counter, or of a whole site when counter_id is empty."""

    __table_args__ = (CheckConstraint("starts_at < ends_at", name="starts_before_ends"),)
    id: int | None = Field(default=None, primary_key=True)
    site_id: str = Field(foreign_key="site.id", index=True)
    counter_id: int | None = Field(default=None, foreign_key="counter.id")
    starts_at: datetime = utc_column()
    ends_at: datetime = utc_column()
    reason: str = Field(default="", max_length=200)


class Appointment(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
        CheckConstraint(
            "satisfaction IS NULL OR (satisfaction >= 1 AND satisfaction <= 5)",
            name="satisfaction_range",
        ),
        Index("ix_appointment_counter_starts", "counter_id", "starts_at"),
        Index("ix_appointment_site_local_date", "site_id", "local_date"),
        # A person's live visits of a procedure (`persons`), by phone or by email: looked up
        # on every booking, they must not cost more as the procedure's visits pile up.
        Index("ix_appointment_phone_procedure", "phone", "procedure_id"),
        Index("ix_appointment_email_procedure", text("lower(email)"), "procedure_id"),
        # A phone's earlier files at a site (`repeats`), asked by every booking's insert.
        Index("ix_appointment_phone_key_site_date", "phone_key", "site_id", "local_date"),
    )
    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=16, unique=True)
    token_version: int = 1
    site_id: str = Field(foreign_key="site.id", index=True)
    counter_id: int = Field(foreign_key="counter.id")
    procedure_id: str = Field(max_length=64, index=True)
    starts_at: datetime = utc_column()
    ends_at: datetime = utc_column()
    cell_minutes: int  # the counter's grid when booked: which load cells this visit holds
    status: str = Field(default=AppointmentStatus.booked, max_length=24)
    channel: str = Field(default=Channel.web, max_length=16)
    language: str = Field(default="fr", max_length=2)
    # How the citizen chose to be told: SMS, email or both (only where a contact was given).
    notify_sms: bool = Field(default=True, sa_column_kwargs={"server_default": "1"})
    notify_email: bool = Field(default=True, sa_column_kwargs={"server_default": "1"})
    # Personal data: emptied by anonymisation after the retention period.
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=20)
    email: str | None = Field(default=None, max_length=254)
    motive: str | None = Field(default=None, max_length=1000)
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # The document checklist: the version it was booked with, what the citizen declared having,
    # what was missing then (a "warn" procedure books anyway), and what staff saw at the counter.
    checklist_version: str | None = Field(default=None, max_length=32)
    declared: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    missing_declared: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    presented: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    missing_presented: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    file_checked_at: datetime | None = utc_column(nullable=True)
    file_complete: bool | None = None  # once checked at the counter: nothing was missing
    satisfaction: int | None = None  # 1 to 5, the citizen's answer to the survey SMS
    satisfaction_at: datetime | None = utc_column(nullable=True)
    survey_asked_at: datetime | None = utc_column(nullable=True)  # the survey SMS was queued
    anonymised_at: datetime | None = utc_column(nullable=True)
    # Every transition is timestamped.
    created_at: datetime = utc_column()
    updated_at: datetime = utc_column()
    checked_in_at: datetime | None = utc_column(nullable=True)
    called_at: datetime | None = utc_column(nullable=True)
    # Set with `called_at`: seconds from the later of arrival and appointment time to the call.
    wait_seconds: int | None = None
    seen_at: datetime | None = utc_column(nullable=True)
    no_show_at: datetime | None = utc_column(nullable=True)
    cancelled_at: datetime | None = utc_column(nullable=True)
    cancel_reason: str | None = Field(default=None, max_length=100)  # said by the office
    rescheduled_count: int = 0
    # What the statistics group by, in the site's own time, written with each (re)scheduling
    # so that SQLite can group too: the local date, weekday (0 = Monday) and hour of the start,
    # and the lead time in local days from the last (re)scheduling to the visit.
    local_date: date | None = Field(default=None)
    local_weekday: int | None = Field(default=None)
    local_hour: int | None = Field(default=None)
    lead_days: int | None = Field(default=None)
    # A citizen's cancellation less than 24 hours before the start (a seat hard to fill).
    cancelled_late: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    # The counter the visitor was called to (it may differ from the one booked).
    called_counter_id: int | None = Field(default=None, foreign_key="counter.id")
    # A return visit booked at the counter for a file found incomplete: the first visit.
    return_of: int | None = Field(default=None, foreign_key="appointment.id")
    # Booked by accepting a seat offered from the waiting list (a mark, not a channel).
    from_waitlist: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    # A keyed hash of the phone (HMAC with the secret key): kept after anonymisation so that
    # the figures can count a citizen coming back, without keeping the number.
    phone_key: str | None = Field(default=None, max_length=32)
    # Follows an incomplete file of the same phone at this site by at most 60 days
    # (booking/repeats.py keeps it true as visits are booked, moved and files recorded).
    repeat_of_incomplete: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    # Wrong management codes typed for this visit; past a few, the code is refused for a while.
    # The manage link's and code's salt (random, so knowing the server's secret and a visit's
    # id is not enough to forge them); a new link waits in `next_token_salt` until first used.
    token_salt: str | None = Field(default=None, max_length=32)
    next_token_salt: str | None = Field(default=None, max_length=32)


class ChecklistVersion(SQLModel, table=True):
    """Each checklist a booking was made with, as written: appointments keep their version."""

    __tablename__ = "checklist_version"
    procedure_id: str = Field(primary_key=True, max_length=64)
    version: str = Field(primary_key=True, max_length=32)
    content: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = utc_column()


class CounterLoad(SQLModel, table=True):
    """How many live visits hold one grid cell of one counter: the database's double-booking guard.

    A cell is identified by its UTC start in whole minutes since the epoch. Every booking takes
    each cell its visit covers with a guarded increment; the CHECK makes overbooking impossible
    even for a writer that forgets the guard.
    """

    __tablename__ = "counter_load"
    __table_args__ = (
        CheckConstraint("booked >= 0 AND booked <= capacity", name="within_capacity"),
    )
    counter_id: int = Field(foreign_key="counter.id", primary_key=True)
    cell: int = Field(primary_key=True)
    booked: int = 0
    capacity: int


class IdempotentRequest(SQLModel, table=True):
    """The first answer given to a POST carrying an Idempotency-Key."""

    __tablename__ = "idempotent_request"
    key: str = Field(primary_key=True, max_length=200)
    request_hash: str = Field(max_length=64)
    status_code: int
    body: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = utc_column(index=True)


# The staff side's tables belong to the same metadata (migrations, tests, the purge).
from booking.domain import staff_models  # noqa: E402, F401
from storage import job_leases  # noqa: E402, F401  (one metadata: the job leases' table)


class RateLimit(SQLModel, table=True):
    """How many times a key (an action and a client address, a phone, an account) was counted
    in a fixed window: every limit lives here, so every process counts the same."""

    __tablename__ = "rate_limit"
    key: str = Field(primary_key=True, max_length=200)
    window_start: datetime = utc_column(primary_key=True)
    count: int = 0


class Hold(SQLModel, table=True):
    """A seat held (its appointment, status `held`) while the code sent to the citizen's mobile
    is awaited. Only a digest of the hold's opaque id is kept; the code is derived from the
    hold's row and the server's secret, never stored."""

    __tablename__ = "hold"
    __table_args__ = (Index("ix_hold_phone_procedure", "phone", "procedure_id"),)
    id: int | None = Field(default=None, primary_key=True)
    digest: str = Field(max_length=64, unique=True)
    appointment_id: int = Field(foreign_key="appointment.id", unique=True)
    procedure_id: str = Field(max_length=64)
    phone: str | None = Field(default=None, max_length=20)  # E.164; emptied by anonymisation
    state: str = Field(default="open", max_length=12)  # open, confirmed, released
    released_reason: str | None = Field(default=None, max_length=24)
    tries: int = 0  # wrong codes typed
    resends: int = 0  # codes sent again (each a new code)
    expires_at: datetime = utc_column(index=True)
    created_at: datetime = utc_column()


class PersonClaim(SQLModel, table=True):
    """One row a person (a keyed hash of their phone or email) and procedure, locked by every
    booking of it: two attempts by one person at once are serialised, so the rule "one live
    visit per person and procedure" holds under concurrency on both engines."""

    __tablename__ = "person_claim"
    key: str = Field(primary_key=True, max_length=64)
    touched_at: datetime = utc_column()


class FreedSeat(SQLModel, table=True):
    """A seat a citizen freed (a cancellation, the old time of a move, a hold given up): back to
    public booking only at `available_at`, a random delay drawn per seat and never shown, so a
    seat cannot be handed over by cancelling and rebooking at once. Staff may book it before."""

    __tablename__ = "freed_seat"
    __table_args__ = (Index("ix_freed_seat_counter_cells", "counter_id", "first_cell"),)
    id: int | None = Field(default=None, primary_key=True)
    site_id: str = Field(foreign_key="site.id", index=True)
    counter_id: int = Field(foreign_key="counter.id")
    first_cell: int  # the grid's minutes since the epoch (booking.core.slots.to_minute)
    end_cell: int  # exclusive
    cell_minutes: int
    available_at: datetime = utc_column(index=True)


class DayRelease(SQLModel, table=True):
    """The random part of the moment a local day's new bookable day opens to the public at a
    site (its release time plus these seconds), drawn once so every process answers the same."""

    __tablename__ = "day_release"
    site_id: str = Field(foreign_key="site.id", primary_key=True, max_length=64)
    day: date = Field(primary_key=True)
    jitter_seconds: int


class AccessEvent(SQLModel, table=True):
    """What fair access refused or held back, for the managers' figures and the site admins'
    page of the day: an attempt refused by a limit, a second live visit refused, a freed seat
    held back. Address and phone are stored masked, and emptied after a day."""

    __tablename__ = "access_event"
    __table_args__ = (Index("ix_access_event_site_at", "site_id", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = utc_column()
    site_id: str | None = Field(default=None, max_length=64)
    kind: str = Field(max_length=24)  # limit, second_visit, seat_held_back
    detail: str | None = Field(default=None, max_length=32)  # which limit
    address: str | None = Field(default=None, max_length=64)  # masked: 203.0.113.•
    phone: str | None = Field(default=None, max_length=24)  # masked: 06 •• •• •• 78


class WaitlistEntry(SQLModel, table=True):
    """A person waiting for a seat of a procedure: their wishes (sites, dates, weekdays,
    half-days), contact and file; offered freed seats one at a time, in the order they came."""

    __tablename__ = "waitlist_entry"
    __table_args__ = (Index("ix_waitlist_entry_waiting", "procedure_id", "state", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    token_salt: str = Field(max_length=32)
    procedure_id: str = Field(max_length=64)
    site_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    first_day: date
    last_day: date
    weekdays: list[int] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    half_days: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=20)  # E.164
    email: str | None = Field(default=None, max_length=254)
    language: str = Field(default="fr", max_length=2)
    channel: str = Field(default="web", max_length=16)
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    declared: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    state: str = Field(default="waiting", max_length=12)  # checking, waiting, booked, ended
    ended_reason: str | None = Field(default=None, max_length=24)
    offers_sent: int = 0
    lapsed: int = 0  # offers left without an answer
    code_tries: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # wrong codes
    last_offer_day: date | None = None  # local day of the last offer (one a day)
    created_at: datetime = utc_column()
    ended_at: datetime | None = utc_column(nullable=True)


class WaitlistClaim(SQLModel, table=True):
    """One waiting entry per person and procedure: a keyed hash of the phone or the email,
    held while the entry waits (the primary key refuses a second)."""

    __tablename__ = "waitlist_claim"
    key: str = Field(primary_key=True, max_length=64)
    entry_id: int = Field(foreign_key="waitlist_entry.id", index=True)


class WaitlistOffer(SQLModel, table=True):
    """A freed seat held for one entry (its appointment, status `offered`) until it is
    accepted, declined or over; then offered to the next entry, or given to the public at
    `public_at` (the end of the freed-seat delay) at the earliest."""

    __tablename__ = "waitlist_offer"
    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(max_length=32, unique=True)
    entry_id: int = Field(foreign_key="waitlist_entry.id", index=True)
    appointment_id: int = Field(foreign_key="appointment.id", unique=True)
    state: str = Field(default="open", max_length=12)  # open, accepted, declined, expired
    sent_at: datetime = utc_column()  # when its message is due (08:00 after a night)
    expires_at: datetime = utc_column(index=True)
    public_at: datetime | None = utc_column(nullable=True)
    created_at: datetime = utc_column()
    answered_at: datetime | None = utc_column(nullable=True)
