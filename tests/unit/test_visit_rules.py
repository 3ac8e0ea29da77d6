"""The rules of a visit's life (booking.core.lifecycle), as a table: every status against every
move, before the visit, during its day and after; pure, no database."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from booking.core.errors import Conflict
from booking.core.lifecycle import Move, Outcome, changeable, decide, to_record, unrecorded
from booking.core.statuses import AppointmentStatus as S

PARIS = ZoneInfo("Europe/Paris")
START = datetime(2026, 3, 24, 9, 0, tzinfo=PARIS)
DAY_BEFORE = START - timedelta(days=1)
SAME_DAY_EARLY = START - timedelta(hours=1)
STARTED = START + timedelta(minutes=5)
NEXT_DAY = START + timedelta(days=1)

A, R, X = Outcome.apply, Outcome.repeat, Conflict
# (status, move): outcome the day before, the same day before the start, once started
TABLE: dict[tuple[str, Move], tuple[object, object, object]] = {
    (S.booked, Move.check_in): (X, A, A),
    (S.booked, Move.call): (A, A, A),
    (S.booked, Move.seen): (X, X, X),
    (S.booked, Move.no_show): (X, X, A),
    (S.booked, Move.cancel_by_citizen): (A, A, X),
    (S.booked, Move.move_by_citizen): (A, A, X),
    (S.booked, Move.cancel_by_office): (A, A, A),
    (S.checked_in, Move.check_in): (R, R, R),
    (S.checked_in, Move.call): (A, A, A),
    (S.checked_in, Move.seen): (A, A, A),
    (S.checked_in, Move.no_show): (X, X, X),
    (S.checked_in, Move.cancel_by_citizen): (X, X, X),
    (S.checked_in, Move.move_by_citizen): (X, X, X),
    (S.checked_in, Move.cancel_by_office): (X, X, X),
    (S.called, Move.check_in): (X, X, X),
    (S.called, Move.call): (R, R, R),
    (S.called, Move.seen): (A, A, A),
    (S.called, Move.no_show): (X, X, X),
    (S.called, Move.cancel_by_citizen): (X, X, X),
    (S.seen, Move.seen): (R, R, R),
    (S.seen, Move.no_show): (X, X, X),
    (S.seen, Move.call): (X, X, X),
    (S.seen, Move.cancel_by_citizen): (X, X, X),
    (S.no_show, Move.no_show): (R, R, R),
    (S.no_show, Move.check_in): (X, X, X),
    (S.no_show, Move.seen): (X, X, X),
    (S.no_show, Move.cancel_by_citizen): (X, X, X),
    (S.no_show, Move.move_by_citizen): (X, X, X),
    (S.cancelled_by_citizen, Move.cancel_by_citizen): (R, R, R),
    (S.cancelled_by_citizen, Move.cancel_by_office): (X, X, X),
    (S.cancelled_by_citizen, Move.check_in): (X, X, X),
    (S.cancelled_by_citizen, Move.move_by_citizen): (X, X, X),
    (S.cancelled_by_office, Move.cancel_by_office): (R, R, R),
    (S.cancelled_by_office, Move.cancel_by_citizen): (X, X, X),
    (S.cancelled_by_office, Move.no_show): (X, X, X),
}


@pytest.mark.parametrize(("status", "move"), list(TABLE))
def test_each_move_from_each_status_before_on_the_day_and_after_the_start(status, move):
    for now, expected in zip(
        (DAY_BEFORE, SAME_DAY_EARLY, STARTED), TABLE[status, move], strict=True
    ):
        if expected is Conflict:
            with pytest.raises(Conflict) as refused:
                decide(move, status, starts_at=START, now=now, timezone="Europe/Paris")
            assert refused.value.status_code == 409
        else:
            outcome = decide(move, status, starts_at=START, now=now, timezone="Europe/Paris")
            assert outcome is expected, (status, move, now)


def test_the_table_covers_every_move_from_booked():
    assert {move for status, move in TABLE if status == S.booked} == set(Move)


def test_check_in_is_on_the_visits_local_day_not_the_utc_one():
    """In La Réunion (UTC+4), 08:30 local is 04:30 UTC: the local date is what counts."""
    reunion = ZoneInfo("Indian/Reunion")
    start = datetime(2026, 3, 24, 8, 30, tzinfo=reunion)
    just_after_midnight = datetime(2026, 3, 24, 0, 5, tzinfo=reunion)  # 23 March in UTC
    assert just_after_midnight.astimezone(ZoneInfo("UTC")).day == 23
    outcome = decide(
        Move.check_in, S.booked, starts_at=start, now=just_after_midnight, timezone="Indian/Reunion"
    )
    assert outcome is Outcome.apply
    with pytest.raises(Conflict):
        decide(
            Move.check_in,
            S.booked,
            starts_at=start,
            now=start + timedelta(days=1),
            timezone="Indian/Reunion",
        )


def test_an_unrecorded_past_visit_stays_out_of_the_citizens_reach():
    """Today a visit nobody recorded could later be cancelled by its citizen and vanish from
    the no-show figures; once started, only the office's outcomes remain."""
    for move in (Move.cancel_by_citizen, Move.move_by_citizen):
        with pytest.raises(Conflict) as refused:
            decide(move, S.booked, starts_at=START, now=NEXT_DAY, timezone="Europe/Paris")
        assert "started" in refused.value.detail
    no_show = decide(Move.no_show, S.booked, starts_at=START, now=NEXT_DAY, timezone="Europe/Paris")
    assert no_show is Outcome.apply


# "to record" (the counter's) and "unrecorded" (the figures'): two rules, side by side.
OVER = START + timedelta(minutes=15)
AFTER = OVER + timedelta(minutes=1)


@pytest.mark.parametrize(
    ("status", "owed", "unknown"),
    [
        (S.booked, True, True),
        (S.checked_in, True, False),  # the visitor came: the figures count it as seen
        (S.called, True, False),
        (S.seen, False, False),
        (S.no_show, False, False),
        (S.cancelled_by_citizen, False, False),
        (S.cancelled_by_office, False, False),
    ],
)
def test_to_record_and_unrecorded_differ_for_an_arrived_visitor(status, owed, unknown):
    assert to_record(status, OVER, AFTER) is owed
    assert unrecorded(status, OVER, AFTER) is unknown
    assert not to_record(status, OVER, START) and not unrecorded(status, OVER, START)


def test_only_a_booked_visit_not_started_is_changeable_by_the_citizen():
    assert changeable(S.booked, START, DAY_BEFORE)
    assert not changeable(S.booked, START, START)
    assert not changeable(S.checked_in, START, DAY_BEFORE)
    assert not changeable(S.cancelled_by_citizen, START, DAY_BEFORE)
