"""Slot computation rules (pure: no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from booking.core.holidays import site_calendar, subdivision_for_department
from booking.core.slots import (
    BookingRules,
    CounterPlan,
    Refusal,
    SiteCalendar,
    WeeklyWindow,
    booking_rules,
    cells_of,
    counters_for_start,
    find_slots,
    from_minute,
    local_minute,
    offered_seats,
    refusal_for_start,
    to_minute,
)

PARIS = ZoneInfo("Europe/Paris")
MORNING = tuple(WeeklyWindow(d, time(9), time(12)) for d in range(5))
FULL_DAY = tuple(
    WeeklyWindow(d, s, e)
    for d in range(5)
    for s, e in ((time(9), time(12)), (time(13, 30), time(16, 30)))
)


def rules(duration: int = 15, last_day: date = date(2030, 1, 1), earliest: int = 0) -> BookingRules:
    return BookingRules(duration_minutes=duration, earliest=earliest, last_day=last_day)


def local_starts(slots, tz=PARIS) -> list[str]:
    return [from_minute(s.start, tz).strftime("%H:%M") for s in slots]


def plan(counter_id=1, capacity=1, step=15, windows=MORNING, closures=()) -> CounterPlan:
    return CounterPlan(counter_id, capacity, step, windows, closures)


def test_ordinary_day_gives_every_grid_start_that_fits():
    day = date(2026, 3, 24)  # Tuesday
    slots = find_slots([plan(windows=FULL_DAY)], SiteCalendar(PARIS), day, day, rules(30), {})
    starts = local_starts(slots)
    assert starts[0] == "09:00" and "11:30" in starts and "11:45" not in starts
    assert starts[11] == "13:30" and starts[-1] == "16:00"
    assert len(starts) == 11 + 11
    assert all(s.end - s.start == 30 for s in slots)


def test_weekend_has_no_slot():
    saturday = date(2026, 3, 28)
    assert find_slots([plan()], SiteCalendar(PARIS), saturday, saturday, rules(), {}) == []


def test_odd_duration_keeps_the_grid():
    day = date(2026, 3, 24)
    slots = find_slots([plan()], SiteCalendar(PARIS), day, day, rules(10), {})
    assert local_starts(slots)[:3] == ["09:00", "09:15", "09:30"]
    assert local_starts(slots)[-1] == "11:45"  # ends 11:55, fits
    slots = find_slots([plan()], SiteCalendar(PARIS), day, day, rules(45), {})
    assert local_starts(slots)[-1] == "11:15"


def test_visits_of_different_lengths_do_not_overlap_on_one_counter():
    day = date(2026, 3, 24)
    nine = local_minute(day, time(9), PARIS)
    interview = cells_of(nine, 45, 15)  # 09:00-09:45 holds three cells
    load = {1: dict.fromkeys(interview, 1)}
    pickup = find_slots([plan()], SiteCalendar(PARIS), day, day, rules(10), load)
    assert "09:30" not in local_starts(pickup) and "09:45" in local_starts(pickup)
    # and a 45-minute visit cannot start at 08:45-equivalent slots that reach 09:00
    long = find_slots([plan()], SiteCalendar(PARIS), day, day, rules(45), load)
    assert local_starts(long)[0] == "09:45"


def test_capacity_above_one_counts_free_seats_across_counters():
    day = date(2026, 3, 24)
    nine = local_minute(day, time(9), PARIS)
    plans = [plan(1, capacity=2), plan(2, capacity=1)]
    load = {1: {nine: 1}, 2: {}}
    slots = find_slots(plans, SiteCalendar(PARIS), day, day, rules(15), load)
    assert slots[0].start == nine and slots[0].available == 2
    assert slots[1].available == 3
    full = {1: {nine: 2}, 2: {nine: 1}}
    slots = find_slots(plans, SiteCalendar(PARIS), day, day, rules(15), full)
    assert local_starts(slots)[0] == "09:15"  # a full start is left out


def test_counters_for_start_prefers_the_freest_counter():
    day = date(2026, 3, 24)
    nine = local_minute(day, time(9), PARIS)
    plans = [plan(1, capacity=2), plan(2, capacity=3)]
    load = {1: {}, 2: {nine: 1}}
    assert counters_for_start(plans, SiteCalendar(PARIS), nine, rules(), load) == [1, 2]
    load = {1: {nine: 2}, 2: {nine: 1}}
    assert counters_for_start(plans, SiteCalendar(PARIS), nine, rules(), load) == [2]


def test_counters_for_start_counts_every_cell_of_the_visit():
    day = date(2026, 3, 24)
    nine = local_minute(day, time(9), PARIS)
    plans = [plan(1, capacity=2), plan(2, capacity=2)]
    # a 20-minute visit holds two cells: counter 1's second one is full
    load = {1: {nine + 15: 2}, 2: {nine: 1}}
    assert counters_for_start(plans, SiteCalendar(PARIS), nine, rules(20), load) == [2]
    assert counters_for_start(plans, SiteCalendar(PARIS), nine + 5, rules(20), {}) == []


def test_public_holidays_close_the_site():
    may_day = date(2026, 5, 1)  # Friday
    calendar = site_calendar("Europe/Paris", None, False, may_day, may_day)
    assert find_slots([plan()], calendar, may_day, may_day, rules(), {}) == []
    opened = site_calendar("Europe/Paris", None, True, may_day, may_day)
    assert find_slots([plan()], opened, may_day, may_day, rules(), {}) != []


def test_alsace_moselle_closes_on_good_friday_but_paris_does_not():
    good_friday = date(2026, 4, 3)
    assert subdivision_for_department("67") == "6AE" and subdivision_for_department("57") == "57"
    strasbourg = site_calendar("Europe/Paris", "6AE", False, good_friday, good_friday)
    paris = site_calendar("Europe/Paris", None, False, good_friday, good_friday)
    assert find_slots([plan()], strasbourg, good_friday, good_friday, rules(), {}) == []
    assert find_slots([plan()], paris, good_friday, good_friday, rules(), {}) != []
    st_stephen = date(2024, 12, 26)  # Thursday
    moselle = site_calendar("Europe/Paris", "57", False, st_stephen, st_stephen)
    assert find_slots([plan()], moselle, st_stephen, st_stephen, rules(), {}) == []


def test_overseas_site_uses_its_own_holidays_and_clock():
    reunion = ZoneInfo("Indian/Reunion")
    abolition = date(2027, 12, 20)  # Monday: Réunion's abolition of slavery day
    assert subdivision_for_department("974") == "974"
    calendar = site_calendar("Indian/Reunion", "974", False, abolition, abolition)
    assert find_slots([plan()], calendar, abolition, abolition, rules(), {}) == []
    metropole = site_calendar("Europe/Paris", None, False, abolition, abolition)
    assert find_slots([plan()], metropole, abolition, abolition, rules(), {}) != []
    day = date(2027, 12, 21)
    calendar = site_calendar("Indian/Reunion", "974", False, day, day)
    slots = find_slots([plan()], calendar, day, day, rules(), {})
    first = from_minute(slots[0].start)
    assert first == datetime(2027, 12, 21, 5, 0, tzinfo=UTC)  # 09:00 at UTC+4
    assert local_starts(slots, reunion)[0] == "09:00"


def test_noumea_and_cayenne_windows_stay_local():
    for zone, utc_hour, day in (
        ("Pacific/Noumea", 22, date(2026, 3, 23)),  # UTC+11: 09:00 local is 22:00 the day before
        ("America/Cayenne", 12, date(2026, 3, 24)),  # UTC-3
    ):
        tz = ZoneInfo(zone)
        slots = find_slots(
            [plan()], SiteCalendar(tz), date(2026, 3, 24), date(2026, 3, 24), rules(), {}
        )
        first = from_minute(slots[0].start)
        assert (first.date(), first.hour) == (day, utc_hour)
        assert local_starts(slots, tz)[0] == "09:00"


def test_dst_change_weeks_keep_nine_local_in_paris():
    spring_before, spring_after = date(2026, 3, 27), date(2026, 3, 30)
    autumn_before, autumn_after = date(2026, 10, 23), date(2026, 10, 26)
    cal = SiteCalendar(PARIS)
    utc_hours = []
    for day in (spring_before, spring_after, autumn_before, autumn_after):
        slots = find_slots([plan()], cal, day, day, rules(), {})
        assert local_starts(slots)[0] == "09:00" and local_starts(slots)[-1] == "11:45"
        assert len(slots) == 12
        utc_hours.append(from_minute(slots[0].start).hour)
    assert utc_hours == [8, 7, 7, 8]


def test_window_across_the_clock_change_has_its_real_length():
    sunday = date(2026, 3, 29)  # 02:00 -> 03:00 in Paris
    night = (WeeklyWindow(6, time(1, 0), time(4, 0)),)
    slots = find_slots([plan(windows=night)], SiteCalendar(PARIS), sunday, sunday, rules(60), {})
    # 01:00 to 04:00 local is two real hours: starts at 01:00, 01:15, ... 03:00 local
    assert local_starts(slots)[0] == "01:00" and local_starts(slots)[-1] == "03:00"
    assert len(slots) == 5


def test_closures_whole_day_and_time_range():
    day = date(2026, 3, 24)
    whole = (
        to_minute(datetime(2026, 3, 24, tzinfo=PARIS)),
        to_minute(datetime(2026, 3, 25, tzinfo=PARIS)),
    )
    assert find_slots([plan(closures=(whole,))], SiteCalendar(PARIS), day, day, rules(), {}) == []
    late = (
        to_minute(datetime(2026, 3, 24, 10, 30, tzinfo=PARIS)),
        to_minute(datetime(2026, 3, 24, 12, tzinfo=PARIS)),
    )
    slots = find_slots([plan(closures=(late,))], SiteCalendar(PARIS), day, day, rules(30), {})
    assert local_starts(slots)[-1] == "10:00"  # 10:00-10:30 ends as the closure starts
    other = plan(2)
    both = find_slots([plan(closures=(late,)), other], SiteCalendar(PARIS), day, day, rules(30), {})
    assert local_starts(both)[-1] == "11:30"  # the other counter stays open


def test_notice_in_hours_and_whole_days_and_the_horizon():
    now = datetime(2026, 3, 24, 9, 7, tzinfo=PARIS)
    hours = booking_rules(
        duration_minutes=15,
        min_notice_hours=2,
        min_notice_days=0,
        horizon_days=10,
        now=now,
        tz=PARIS,
    )
    day = date(2026, 3, 24)
    slots = find_slots([plan()], SiteCalendar(PARIS), day, date(2026, 4, 30), hours, {})
    assert local_starts(slots)[0] == "11:15"  # 09:07 + 2h = 11:07 -> next grid start
    assert from_minute(slots[-1].start, PARIS).date() == date(2026, 4, 3)  # today + 10 days
    days = booking_rules(
        duration_minutes=45,
        min_notice_hours=0,
        min_notice_days=1,
        horizon_days=10,
        now=now,
        tz=PARIS,
    )
    slots = find_slots([plan()], SiteCalendar(PARIS), day, day + timedelta(days=1), days, {})
    assert from_minute(slots[0].start, PARIS).date() == date(2026, 3, 25)  # never the same day


def test_refusal_reasons():
    day = date(2026, 3, 24)
    cal = SiteCalendar(PARIS, frozenset({date(2026, 3, 25)}))
    r = rules(15, last_day=date(2026, 3, 31), earliest=local_minute(day, time(10), PARIS))
    plans = [plan()]
    assert (
        refusal_for_start(plans, cal, local_minute(day, time(9), PARIS), r) == Refusal.before_notice
    )
    assert (
        refusal_for_start(plans, cal, local_minute(day, time(10, 5), PARIS), r) == Refusal.off_grid
    )
    assert refusal_for_start(plans, cal, local_minute(day, time(12), PARIS), r) == Refusal.off_grid
    assert refusal_for_start(plans, cal, local_minute(day, time(10, 15), PARIS), r) is None
    holiday = local_minute(date(2026, 3, 25), time(10), PARIS)
    assert refusal_for_start(plans, cal, holiday, r) == Refusal.closed
    far = local_minute(date(2026, 4, 1), time(10), PARIS)
    assert refusal_for_start(plans, cal, far, r) == Refusal.beyond_horizon


@settings(max_examples=60, deadline=None)
@given(
    duration=st.integers(5, 90),
    step=st.sampled_from([5, 10, 15, 20, 30]),
    capacity=st.integers(1, 3),
    taken=st.sets(st.integers(0, 40), max_size=30),
)
def test_every_slot_fits_a_window_and_never_exceeds_free_seats(duration, step, capacity, taken):
    day = date(2026, 3, 24)
    opens = local_minute(day, time(9), PARIS)
    closes = local_minute(day, time(12), PARIS)
    load = {1: {opens + i * step: capacity for i in taken}}
    slots = find_slots(
        [plan(capacity=capacity, step=step)], SiteCalendar(PARIS), day, day, rules(duration), load
    )
    for slot in slots:
        assert opens <= slot.start and slot.end <= closes
        assert (slot.start - opens) % step == 0
        held = set(cells_of(slot.start, duration, step))
        assert not held & set(load[1]), "a slot covers a full cell"
        assert 1 <= slot.available <= capacity


def naive_slots(plans, calendar, first_day, last_day, rules, load):
    """A plain oracle: every grid start of every window, checked one by one."""
    totals: dict[int, int] = {}
    day = first_day
    while day <= min(last_day, rules.last_day):
        if day not in calendar.closed_days:
            for plan in plans:
                for window in plan.windows:
                    if not window.applies_on(day):
                        continue
                    opens = local_minute(day, window.starts, calendar.timezone)
                    closes = local_minute(day, window.ends, calendar.timezone)
                    start = opens
                    while start + rules.duration_minutes <= closes:
                        end = start + rules.duration_minutes
                        closed = any(a < end and start < b for a, b in plan.closures)
                        if start >= rules.earliest and not closed:
                            cells = cells_of(start, rules.duration_minutes, plan.slot_minutes)
                            taken = max(load.get(plan.counter_id, {}).get(c, 0) for c in cells)
                            if plan.capacity - taken > 0:
                                totals[start] = totals.get(start, 0) + plan.capacity - taken
                        start += plan.slot_minutes
        day += timedelta(days=1)
    return [(start, totals[start]) for start in sorted(totals)]


def quarter(index: int) -> time:
    return time(index // 4, 15 * (index % 4))


WINDOW = st.builds(
    lambda weekday, start, length: WeeklyWindow(
        weekday, quarter(start), quarter(min(start + length, 95))
    ),
    st.integers(0, 6),
    st.integers(7 * 4, 15 * 4),  # opens between 07:00 and 15:00
    st.integers(1, 24),  # for 15 minutes to 6 hours
)


@settings(max_examples=150, deadline=None)
@given(
    data=st.data(),
    counters=st.integers(1, 3),
    duration=st.integers(5, 75),
    zone=st.sampled_from(["Europe/Paris", "Indian/Reunion", "Pacific/Noumea", "America/Cayenne"]),
    first=st.dates(date(2026, 3, 20), date(2026, 11, 1)),
)
def test_find_slots_agrees_with_a_plain_oracle(data, counters, duration, zone, first):
    tz = ZoneInfo(zone)
    last = first + timedelta(days=data.draw(st.integers(0, 9)))
    plans = []
    load: dict[int, dict[int, int]] = {}
    for counter_id in range(1, counters + 1):
        step = data.draw(st.sampled_from([10, 15, 20, 30]))
        capacity = data.draw(st.integers(1, 3))
        windows = tuple(data.draw(st.lists(WINDOW, min_size=1, max_size=4)))
        base = local_minute(first, time(0), tz)
        closures = tuple(
            (base + a, base + a + b)
            for a, b in data.draw(
                st.lists(st.tuples(st.integers(0, 14400), st.integers(15, 600)), max_size=2)
            )
        )
        plans.append(CounterPlan(counter_id, capacity, step, windows, closures))
        cells = data.draw(st.lists(st.integers(0, 14400 // step), max_size=40))
        load[counter_id] = {
            base + c * step + 9 * 60: data.draw(st.integers(1, capacity)) for c in cells
        }
    holidays = frozenset(data.draw(st.sets(st.dates(first, last), max_size=2)))
    calendar = SiteCalendar(tz, holidays)
    earliest = local_minute(first, time(data.draw(st.integers(0, 23))), tz)
    rules = BookingRules(duration, earliest, first + timedelta(days=data.draw(st.integers(0, 12))))
    found = [(s.start, s.available) for s in find_slots(plans, calendar, first, last, rules, load)]
    assert found == naive_slots(plans, calendar, first, last, rules, load)


def test_offered_seats_count_grid_cells_outside_closures_and_holidays():
    monday, easter_monday = date(2026, 3, 23), date(2026, 4, 6)
    closure = (to_minute(datetime(2026, 3, 23, 10, tzinfo=PARIS)),
               to_minute(datetime(2026, 3, 23, 11, tzinfo=PARIS)))  # fmt: skip
    plan = CounterPlan(
        counter_id=1,
        capacity=2,
        slot_minutes=15,
        windows=(
            WeeklyWindow(0, time(9), time(12)),
            WeeklyWindow(0, time(9), time(10), date(2099, 1, 1)),
        ),
        closures=(closure,),
    )
    calendar = SiteCalendar(PARIS, frozenset({easter_monday}))
    seats = offered_seats(plan, calendar, monday, easter_monday)
    # 12 cells, 4 of them closed, 2 seats each; the next Monday whole; Easter Monday closed;
    # the window valid from 2099 counts on none of these days.
    assert seats == {monday: 16, date(2026, 3, 30): 24}
