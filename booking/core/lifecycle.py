"""The rules of a visit's life, in one place: which move is allowed from which status, when.

    booked ──check in (on the visit's local day)──▶ checked_in ──call──▶ called ──seen──▶ seen
    booked ──call──▶ called                          checked_in ──seen──▶ seen
    booked ──no-show (once the visit has started)──▶ no_show
    booked ──cancel by the citizen (before the start)──▶ cancelled_by_citizen
    booked ──cancel by the office──▶ cancelled_by_office
    booked ──move by the citizen (before the start)──▶ booked

Repeating the move just made is answered as before (a double click, a retried request);
anything else is a conflict. Pure: statuses and instants in, a decision out.
"""

from __future__ import annotations

import enum
from datetime import datetime
from zoneinfo import ZoneInfo

from booking.core.errors import Conflict
from booking.core.i18n import N_
from booking.core.statuses import LIVE_STATUSES
from booking.core.statuses import AppointmentStatus as S


class Move(enum.StrEnum):
    check_in = "check_in"
    call = "call"
    seen = "seen"
    no_show = "no_show"
    cancel_by_citizen = "cancel_by_citizen"
    cancel_by_office = "cancel_by_office"
    move_by_citizen = "move_by_citizen"


# move: (statuses it starts from, status it leads to)
RULES: dict[Move, tuple[frozenset[str], str]] = {
    Move.check_in: (frozenset({S.booked}), S.checked_in),
    Move.call: (frozenset({S.booked, S.checked_in}), S.called),
    Move.seen: (frozenset({S.checked_in, S.called}), S.seen),
    Move.no_show: (frozenset({S.booked}), S.no_show),
    Move.cancel_by_citizen: (frozenset({S.booked}), S.cancelled_by_citizen),
    Move.cancel_by_office: (frozenset({S.booked}), S.cancelled_by_office),
    Move.move_by_citizen: (frozenset({S.booked}), S.booked),
}
CITIZEN_MOVES = (Move.cancel_by_citizen, Move.move_by_citizen)
STARTED = N_("This visit has started: it can no longer be cancelled or moved.")


class Outcome(enum.Enum):
    apply = "apply"  # make the move
    repeat = "repeat"  # already done: answer as before, change nothing


def decide(
    move: Move, status: str, *, starts_at: datetime, now: datetime, timezone: str
) -> Outcome:
    """Whether `move` may be made now on a visit in `status`; a Conflict (409) if not."""
    allowed, target = RULES[move]
    if status == target and move != Move.move_by_citizen:
        return Outcome.repeat
    if status not in allowed:
        raise Conflict(
            N_("This appointment can no longer be changed (status: {status})."), status=status
        )
    started = now >= starts_at
    if move in CITIZEN_MOVES and started:
        raise Conflict(STARTED)
    if move == Move.no_show and not started:
        raise Conflict(N_("A visit can be marked as missed only once it has started."))
    if move == Move.check_in:
        zone = ZoneInfo(timezone)
        if now.astimezone(zone).date() != starts_at.astimezone(zone).date():
            raise Conflict(N_("A visitor can be checked in only on the day of their visit."))
    return Outcome.apply


# Two rules about a visit whose time is over and whose outcome nobody recorded, side by side:
# - the counter's "to record": still live (booked, checked in or called), so staff owe it an
#   outcome (the agenda marks it);
# - the figures' "unrecorded": still booked, so nobody knows whether the visitor came. A visit
#   checked in or called has seen its visitor arrive: the figures count it as seen.
# `booking/queries/sql.py` spells the second in SQL from the same statuses.
TO_RECORD_STATUSES = LIVE_STATUSES
UNRECORDED_STATUSES = (S.booked,)
ARRIVED_STATUSES = (S.checked_in, S.called)


def to_record(status: str, ends_at: datetime, now: datetime) -> bool:
    """Over, and the counter has not said how it went."""
    return status in TO_RECORD_STATUSES and ends_at <= now


def unrecorded(status: str, ends_at: datetime, now: datetime) -> bool:
    """Over, and nobody said whether the visitor came (neither present nor absent)."""
    return status in UNRECORDED_STATUSES and ends_at <= now


def changeable(status: str, starts_at: datetime, now: datetime) -> bool:
    """The citizen may still move or cancel it: booked and not started."""
    return status in RULES[Move.move_by_citizen][0] and now < starts_at


def timestamp_column(move: Move) -> str:
    """The column recording when the move was made."""
    return {
        Move.check_in: "checked_in_at",
        Move.call: "called_at",
        Move.seen: "seen_at",
        Move.no_show: "no_show_at",
        Move.cancel_by_citizen: "cancelled_at",
        Move.cancel_by_office: "cancelled_at",
        Move.move_by_citizen: "updated_at",
    }[move]


def wait_seconds(starts_at: datetime, checked_in_at: datetime | None, called_at: datetime) -> int:
    """The wait a call ends: from the later of arrival and appointment time (0 if called early)."""
    waited_from = max(checked_in_at or starts_at, starts_at)
    return max(0, int((called_at - waited_from).total_seconds()))
