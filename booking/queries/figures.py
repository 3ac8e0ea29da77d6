"""The managers' figures as values: counts from the database, rates (with their Wilson
interval) computed from them. No SQL here."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from typing import Any

from booking.queries.maths import Rate, wilson


class Grouping(enum.StrEnum):
    """How the attendance figures may be grouped: the one list the queries, the API and the
    dashboard share."""

    site = "site"
    counter = "counter"
    procedure = "procedure"
    weekday = "weekday"
    hour = "hour"
    lead_time = "lead_time"
    channel = "channel"
    reminder = "reminder"
    waitlist = "waitlist"  # booked from the waiting list or not


COMPLETENESS_GROUPINGS = (Grouping.procedure, Grouping.counter)


@dataclass(frozen=True)
class Attendance:
    key: Any
    due: int
    seen: int
    no_show: int
    unrecorded: int
    cancelled_late: int

    @property
    def no_show_rate(self) -> Rate:
        return wilson(self.no_show, self.seen + self.no_show)

    @property
    def late_cancellation_rate(self) -> Rate:
        return wilson(self.cancelled_late, self.due + self.cancelled_late)


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


@dataclass(frozen=True)
class AttendanceReport:
    site_id: str
    period: Period
    by: str
    rows: list[Attendance]
    total: Attendance
    previous_period: Period
    previous: Attendance


@dataclass(frozen=True)
class Waiting:
    seen_with_call: int
    within_10_min: int
    green: int  # under 30 minutes
    orange: int  # 30 to 60 minutes
    red: int  # over 60 minutes
    median_minutes: float | None
    seen_without_call: int

    @property
    def share_within_10_min(self) -> Rate:
        return wilson(self.within_10_min, self.seen_with_call)


@dataclass(frozen=True)
class Completeness:
    key: Any
    recorded: int
    complete: int

    @property
    def rate(self) -> Rate:
        return wilson(self.complete, self.recorded)


@dataclass(frozen=True)
class CapacityAdvice:
    procedure: str
    visits: int  # with an outcome: seen or absent
    shows: int
    show_rate: float | None  # shrunk toward the site's rate
    seats_per_day: int  # a typical open counter-day serving the procedure
    advised_per_day: int
    risk: float


@dataclass(frozen=True)
class Affluence:
    weekday: int
    hour: int
    arrivals: int


@dataclass(frozen=True)
class Repeats:
    due: int
    linked_by_staff: int  # return visits booked at the counter
    same_phone: int  # the same phone within 60 days after an incomplete file, not linked

    @property
    def total(self) -> int:
        return self.linked_by_staff + self.same_phone

    @property
    def rate(self) -> Rate:
        return wilson(self.total, self.due)


@dataclass(frozen=True)
class Satisfaction:
    survey_enabled: bool
    surveys_asked: int
    replies: int
    by_score: dict[int, int]  # 1 to 5

    @property
    def reply_rate(self) -> Rate:
        return wilson(min(self.replies, self.surveys_asked), self.surveys_asked)

    @property
    def mean(self) -> float | None:
        if not self.replies:
            return None
        return sum(score * count for score, count in self.by_score.items()) / self.replies


@dataclass(frozen=True)
class Fill:
    booked_seats: int
    offered_seats: int

    @property
    def rate(self) -> Rate:
        """Booked over offered; above 1 only where staff booked beyond the grid."""
        return wilson(min(self.booked_seats, self.offered_seats), self.offered_seats)


@dataclass(frozen=True)
class Headline:
    """One period's headline figures, for the dashboard and its trend."""

    period: Period
    attendance: Attendance
    completeness: Completeness
    waiting: Waiting
    fill: Fill
    repeats: Repeats
    satisfaction: Satisfaction


@dataclass(frozen=True)
class FairAccess:
    """Holds, refusals and seats held back over a period (booking.queries.fair_access)."""

    holds_made: int
    holds_confirmed: int
    holds_expired: int  # the time ran out (or the code could not be sent)
    holds_given_up: int  # wrong codes, replaced by a new hold, number changed
    second_visits_refused: int
    limit_refusals: int
    seats_held_back: int


@dataclass(frozen=True)
class WaitlistFigures:
    """The waiting list over a period (booking.queries.waitlist_figures)."""

    entries: int
    offers_sent: int
    accepted: int
    declined: int
    expired: int
    seats_to_public: int  # seats offered that nobody on the list took
    median_hours_to_booking: float | None


@dataclass(frozen=True)
class Dashboard:
    site_id: str
    site_name: str
    by: str
    counter_names: dict[int, str]
    current: Headline
    previous: Headline
    attendance: list[Attendance]
    completeness: list[Completeness]
    capacity: list[CapacityAdvice]
    affluence: list[Affluence]
    fair_access: FairAccess
    waitlist: WaitlistFigures
