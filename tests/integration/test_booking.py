"""Booking on a real database (SQLite and PostgreSQL): the domain's guard against double
booking under concurrent requests, the visit's rules, the messages each change writes."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from booking.container import Container, build_container
from booking.core.errors import Conflict, InvalidRequest, NotFound
from booking.core.lifecycle import Move, Outcome
from booking.core.references import manage_token
from booking.core.slots import cells_of, to_minute
from booking.core.statuses import LIVE_STATUSES, AppointmentStatus, Channel
from booking.demo.builders import add_counter, add_site
from booking.domain import appointments, credentials
from booking.domain.appointments import SlotTaken
from booking.domain.availability import rules_for, search_slots
from booking.domain.credentials import Keys
from booking.domain.models import Appointment, Counter, CounterLoad, FreedSeat
from booking.domain.occupancy import change_load, take_cells
from booking.domain.release import Public
from tests.support.scenarios import PARIS, TUESDAY_9, book, request, setup_site
from tests.support.settings import SECRET, count


def assert_load_matches_live_appointments(container: Container) -> None:
    """Invariant 1's bookkeeping: every load cell counts exactly the live visits covering it."""
    with container.uow.writing() as session:
        loads = {(r.counter_id, r.cell): r.booked for r in session.exec(select(CounterLoad))}
        expected: dict[tuple[int, int], int] = {}
        live = select(Appointment).where(Appointment.status.in_(LIVE_STATUSES))
        for visit in session.exec(live):
            for cell in cells_of(
                to_minute(visit.starts_at), visit_minutes(visit), visit.cell_minutes
            ):
                key = (visit.counter_id, cell)
                expected[key] = expected.get(key, 0) + 1
    assert {key: booked for key, booked in loads.items() if booked} == expected


def visit_minutes(visit: Appointment) -> int:
    return int((visit.ends_at - visit.starts_at).total_seconds()) // 60


def test_booking_takes_the_slot_and_shows_it_to_nobody_else(container):
    setup_site(container)
    appointment = book(container, request())
    assert appointment.status == AppointmentStatus.booked
    assert appointment.phone == "+33612345678"
    assert appointment.ends_at - appointment.starts_at == timedelta(minutes=10)
    with pytest.raises(SlotTaken) as taken:
        book(container, request(name="Someone Else"))
    with container.uow.reading() as session:
        appointments.offer_alternatives(
            session, taken.value, public=Public(container.now()), count=5
        )
    alternatives = taken.value.extra["alternatives"]
    assert alternatives and all(
        slot.start != int(TUESDAY_9.timestamp()) // 60 for slot in alternatives
    )
    assert_load_matches_live_appointments(container)


def test_overlapping_visits_of_different_lengths_are_refused(container):
    setup_site(container)
    book(
        container,
        request(
            procedure="naturalisation-interview", start=datetime(2026, 3, 31, 9, 0, tzinfo=PARIS)
        ),
    )
    with pytest.raises(SlotTaken):
        book(container, request(start=datetime(2026, 3, 31, 9, 30, tzinfo=PARIS)))
    after = book(container, request(start=datetime(2026, 3, 31, 9, 45, tzinfo=PARIS)))
    assert after.status == "booked" and after.starts_at == datetime(
        2026, 3, 31, 9, 45, tzinfo=PARIS
    )
    assert count(container, "SELECT count(*) FROM appointment") == 2


def test_capacity_two_takes_two_then_refuses(container):
    setup_site(container, capacity=2)
    first, second = book(container, request()), book(container, request())
    assert first.counter_id == second.counter_id
    with pytest.raises(SlotTaken):
        book(container, request())


def test_the_database_refuses_overbooking_even_without_the_guard(container):
    setup_site(container)
    book(container, request())
    with pytest.raises(IntegrityError), container.uow.writing() as session:
        row = session.exec(select(CounterLoad)).first()
        row.booked = row.capacity + 1
        session.flush()


@pytest.mark.parametrize(
    ("start", "message"),
    [
        (datetime(2026, 3, 24, 9, 5, tzinfo=PARIS), "not a start time"),
        (datetime(2026, 3, 28, 9, 0, tzinfo=PARIS), "not a start time"),  # Saturday
        (datetime(2026, 3, 23, 7, 30, tzinfo=PARIS), "too soon"),  # in the past
        (datetime(2026, 6, 1, 9, 0, tzinfo=PARIS), "too far"),
        (datetime(2026, 4, 6, 9, 0, tzinfo=PARIS), "closed"),  # Easter Monday
    ],
)
def test_bad_starts_are_refused_with_the_reason(container, start, message):
    setup_site(container)
    with pytest.raises(InvalidRequest) as refused:
        book(container, request(start=start))
    assert message in refused.value.detail
    assert count(container, "SELECT count(*) FROM appointment") == 0


def test_web_booking_needs_a_way_to_reach_the_citizen_but_staff_booking_does_not(container):
    setup_site(container)
    with pytest.raises(InvalidRequest) as refused:
        book(container, request(phone=None))
    assert refused.value.errors[0].field == "phone"
    desk = book(container, request(phone=None, channel=Channel.desk))
    assert desk.phone is None and desk.channel == "desk"


def test_phone_numbers_as_french_people_write_them_at_any_site(container):
    """Metropolitan France and the overseas départements share one numbering plan."""
    setup_site(container, capacity=3)
    with container.uow.writing() as session:
        site = add_site(
            session, "la-reunion", timezone="Indian/Reunion", region="RE", subdivision="974"
        )
        add_counter(session, site, capacity=3)
    reunion_start = datetime(2026, 3, 24, 9, 0, tzinfo=ZoneInfo("Indian/Reunion"))
    at_reunion = dataclasses.replace(request(start=reunion_start), site_id="la-reunion")
    for typed, stored in (("0692 12 34 56", "+262692123456"), ("06 12 34 56 78", "+33612345678")):
        assert book(container, dataclasses.replace(at_reunion, phone=typed)).phone == stored
    assert book(container, request(phone="0692 12 34 56")).phone == "+262692123456"  # at Paris
    assert book(container, request(phone="+44 7911 123456")).phone == "+447911123456"  # abroad


@pytest.mark.parametrize("landline", ["01 44 55 66 77", "08 99 12 34 56"])
def test_a_number_that_cannot_receive_sms_is_refused_for_sms(container, landline):
    setup_site(container, capacity=3)
    with pytest.raises(InvalidRequest) as refused:
        book(container, request(phone=landline))
    message = refused.value.errors[0].message
    assert refused.value.errors[0].field == "phone" and "SMS" in message
    assert "FR" not in message and "{region}" not in message
    with_email = request(phone=landline, email="amina@example.org", notify=("email",))
    assert not book(container, with_email).notify_sms  # told by email: the number is kept
    desk = book(container, request(phone=landline, channel=Channel.phone))
    assert desk.phone and not desk.notify_sms  # staff may record a landline, to call


def test_reschedule_moves_and_frees_the_old_slot(container):
    setup_site(container)
    appointment = book(container, request())
    new_start = TUESDAY_9 + timedelta(hours=1)
    with container.uow.writing() as session:
        moved = appointments.find(session, appointment.reference, lock=True)
        appointments.reschedule(
            session, moved, catalogue=container.catalogue, new_start=new_start, now=container.now()
        )
    assert moved.reference == appointment.reference and moved.starts_at == new_start
    again = book(container, request(name="Other"))  # the old time is free again
    assert again.starts_at == TUESDAY_9 and again.counter_id == appointment.counter_id
    assert_load_matches_live_appointments(container)


def test_reschedule_to_a_full_slot_keeps_the_old_one(container):
    setup_site(container)
    mine = book(container, request())
    book(container, request(start=TUESDAY_9 + timedelta(hours=1), name="Other"))
    with pytest.raises(SlotTaken), container.uow.writing() as session:
        moved = appointments.find(session, mine.reference, lock=True)
        appointments.reschedule(
            session,
            moved,
            catalogue=container.catalogue,
            new_start=TUESDAY_9 + timedelta(hours=1),
            now=container.now(),
        )
    with container.uow.writing() as session:
        kept = appointments.find(session, mine.reference)
    assert kept.starts_at == TUESDAY_9 and kept.status == "booked"
    with pytest.raises(SlotTaken):
        book(container, request(name="Third"))  # the old slot is still held
    assert_load_matches_live_appointments(container)


def test_reschedule_by_less_than_its_length_on_a_full_counter(container):
    setup_site(container)
    interview = book(
        container,
        request(
            procedure="naturalisation-interview", start=datetime(2026, 3, 31, 9, 0, tzinfo=PARIS)
        ),
    )
    with container.uow.writing() as session:
        moved = appointments.find(session, interview.reference, lock=True)
        appointments.reschedule(
            session,
            moved,
            catalogue=container.catalogue,
            new_start=datetime(2026, 3, 31, 9, 15, tzinfo=PARIS),
            now=container.now(),
        )
    assert_load_matches_live_appointments(container)


def test_cancel_frees_the_slot_and_a_repeat_changes_nothing(container):
    setup_site(container)
    appointment = book(container, request())
    with container.uow.writing() as session:
        found = appointments.find(session, appointment.reference, lock=True)
        assert appointments.cancel(session, found, now=container.now()) is Outcome.apply
    assert found.status == AppointmentStatus.cancelled_by_citizen and found.cancelled_at
    with container.uow.writing() as session:
        again = appointments.find(session, appointment.reference, lock=True)
        assert appointments.cancel(session, again, now=container.now()) is Outcome.repeat
        with pytest.raises(Conflict):  # the office cannot cancel what the citizen cancelled
            appointments.cancel(session, again, now=container.now(), by_office=True)
    rebooked = book(container, request(name="Other"))
    assert rebooked.starts_at == TUESDAY_9 and rebooked.status == "booked"
    assert_load_matches_live_appointments(container)


def test_the_capacity_guard_refuses_a_second_seat_in_one_process(container):
    """Two takes of one cell of a capacity-1 counter: the second is refused by the guarded
    UPDATE (False), not by the CHECK constraint (an IntegrityError, i.e. a 500)."""
    setup_site(container)
    with container.uow.writing() as session:
        counter = session.exec(select(Counter)).first()
        cell = (counter.id, counter.capacity, [to_minute(TUESDAY_9)])
        assert change_load(session, take=cell) is True
        assert change_load(session, take=cell) is False
        assert session.exec(select(CounterLoad)).one().booked == 1


def test_a_booking_whose_view_of_the_load_is_stale_is_refused_by_the_database(
    container, monkeypatch
):
    """As if two bookings had read the load before either wrote: the Python check sees a free
    counter both times; the database guard must turn the second into 'just taken'."""
    setup_site(container)
    monkeypatch.setattr(appointments, "current_load", lambda session, plan, public=None: {})
    first = book(container, request())
    with pytest.raises(SlotTaken):
        book(container, request(name="Second"))
    assert first.status == "booked"
    assert count(container, "SELECT count(*) FROM appointment") == 1
    assert_load_matches_live_appointments(container)


def test_one_statement_takes_every_cell_of_a_visit_or_reports_a_full_one(container):
    """A half-hour visit on a quarter-hour grid takes both cells at once; a second take finds
    them full (False), and one overlapping it by a cell too; the CHECK never fires."""
    setup_site(container)
    nine = to_minute(TUESDAY_9)
    where = ("paris", PARIS)
    with container.uow.writing() as session:
        counter = session.exec(select(Counter)).first()
        assert take_cells(session, counter.id, 1, [nine, nine + 15], site=where) is True
    for cells in ([nine, nine + 15], [nine + 15, nine + 30]):
        with container.uow.writing() as session:
            assert take_cells(session, counter.id, 1, cells, site=where) is False
            session.rollback()
    with container.uow.reading() as session:
        rows = {(row.cell, row.booked) for row in session.exec(select(CounterLoad))}
    assert rows == {(nine, 1), (nine + 15, 1)}


def test_a_seat_held_back_is_no_room_for_the_public_in_the_guard_itself(container):
    """A cell a citizen freed a moment ago (booked 0 of 1, its seat held back for 20 minutes):
    the public's take is refused by the statement itself, whatever the load it read before;
    staff may take it, and so may the public once the seat is back."""
    setup_site(container)
    nine = to_minute(TUESDAY_9)
    where, now = ("paris", PARIS), container.now()
    with container.uow.writing() as session:
        counter = session.exec(select(Counter)).first()
        session.add(CounterLoad(counter_id=counter.id, cell=nine, booked=0, capacity=1))
        session.add(
            FreedSeat(
                site_id="paris",
                counter_id=counter.id,
                first_cell=nine,
                end_cell=nine + 15,
                cell_minutes=15,
                available_at=now + timedelta(minutes=20),
            )
        )
    for held_back_at, taken in ((now, False), (now + timedelta(minutes=21), True), (None, True)):
        with container.uow.writing() as session:
            took = take_cells(session, counter.id, 1, [nine], site=where, held_back_at=held_back_at)
            assert took is taken, held_back_at
            session.rollback()


def test_a_booking_that_read_the_load_before_a_seat_was_held_back_is_refused(
    container, monkeypatch
):
    """As if a visit had been booked and cancelled between the booking's read and its take:
    the Python check saw room and no seat held back; the guard must refuse."""
    from booking.domain import availability

    setup_site(container)
    original = availability.load_and_held_back

    def read_before(bind, plan, first, last, now):  # type: ignore[no-untyped-def]
        load, _, _ = original(bind, plan, first, last, now)
        return {cid: {} for cid in load}, {}, None

    monkeypatch.setattr(appointments, "load_and_held_back", read_before)
    seller = book(container, request())
    with container.uow.writing() as session:
        visit = session.get(Appointment, seller.id)
        appointments.cancel(session, visit, now=container.now())
        freed = FreedSeat(
            site_id="paris",
            counter_id=visit.counter_id,
            first_cell=to_minute(TUESDAY_9),
            end_cell=to_minute(TUESDAY_9) + 15,
            cell_minutes=15,
            available_at=container.now() + timedelta(minutes=30),
        )
        session.add(freed)
    with pytest.raises(SlotTaken):
        book(container, request(name="Buyer", phone="06 99 99 99 99"))
    assert_load_matches_live_appointments(container)


def test_a_booking_follows_opening_hours_changed_by_another_process(container, clock):
    """This process keeps the day's plan its first booking read; another process moves the
    morning's opening to 10:00 (the site's revision moves): 09:15 is refused, 10:00 booked."""
    from booking.domain.models import OpeningWindow
    from tests.support.settings import make_settings

    setup_site(container)
    assert container.visits.book(request()).appointment.status == "booked"
    other = build_container(make_settings(container.settings.database_url), clock=clock)
    with other.uow.writing() as session:
        for window in session.exec(select(OpeningWindow).where(OpeningWindow.starts == time(9))):
            window.starts = time(10)
            session.add(window)
    other.engine.dispose()
    later = request(start=TUESDAY_9 + timedelta(minutes=15), phone="06 98 76 54 32")
    with pytest.raises(InvalidRequest):
        container.visits.book(later)
    at_ten = request(start=TUESDAY_9 + timedelta(hours=1), phone="06 98 76 54 32")
    assert container.visits.book(at_ten).appointment.status == "booked"


def test_a_booking_reads_the_site_again_once_another_process_changed_it(container, clock):
    """This process keeps the site as of its revision and reads the revision alone at each
    booking; another process renames the site: the next booking is made under the new name."""
    from booking.domain.models import Site
    from tests.support.settings import make_settings

    setup_site(container)
    assert container.visits.book(request()).site.name != "Préfecture renommée"
    other = build_container(make_settings(container.settings.database_url), clock=clock)
    with other.uow.writing() as session:
        site = session.get(Site, "paris")
        assert site is not None
        site.name = "Préfecture renommée"
        session.add(site)
    other.engine.dispose()
    later = request(start=TUESDAY_9 + timedelta(minutes=15), phone="06 98 76 54 32")
    assert container.visits.book(later).site.name == "Préfecture renommée"
    with pytest.raises(InvalidRequest):
        container.visits.book(replace(request(phone="06 98 76 54 33"), site_id="nowhere"))


def test_counter_moves_are_timestamped_and_ordered(container):
    setup_site(container)
    appointment = book(container, request())
    with container.uow.writing() as session:
        found = appointments.find(session, appointment.reference, lock=True)
        with pytest.raises(Conflict):
            appointments.transition(session, found, Move.seen, now=container.now())
    at_nine = TUESDAY_9 + timedelta(minutes=2)
    with container.uow.writing() as session:
        found = appointments.find(session, appointment.reference, lock=True)
        for move in (Move.check_in, Move.call, Move.seen):
            appointments.transition(session, found, move, now=at_nine)
    assert found.checked_in_at and found.called_at and found.seen_at and found.status == "seen"
    other = book(container, request(start=TUESDAY_9 + timedelta(minutes=30)))
    with container.uow.writing() as session:
        found = appointments.find(session, other.reference, lock=True)
        appointments.transition(session, found, Move.no_show, now=TUESDAY_9 + timedelta(minutes=31))
    assert found.no_show_at is not None
    assert_load_matches_live_appointments(container)


def test_token_and_reference_checks(container):
    setup_site(container, capacity=2)
    appointment = book(container, request())
    keys = Keys(SECRET)
    token = credentials.token(keys, appointment)
    typed = appointment.reference.lower()[:3] + "-" + appointment.reference.lower()[3:]
    with container.uow.writing() as session:
        assert appointments.find_for_citizen(session, typed, token, keys).id == appointment.id
        for bad in (None, "", token[:-1] + ("A" if token[-1] != "A" else "B")):
            with pytest.raises(NotFound):
                appointments.find_for_citizen(session, appointment.reference, bad, keys)
        with pytest.raises(NotFound):
            appointments.find_for_citizen(session, "AAA-AAA-AA", token, keys)
        found = appointments.find(session, appointment.reference)
        found.token_version += 1  # revoking a leaked link
        session.flush()
        with pytest.raises(NotFound):
            appointments.find_for_citizen(session, appointment.reference, token, keys)


def test_a_visits_token_opens_that_visit_only(container):
    """The HMAC covers the visit's id: with the same salt and version, A's token is not B's."""
    setup_site(container, capacity=2)
    first, second = book(container, request()), book(container, request())
    keys = Keys(SECRET)
    with container.uow.writing() as session:
        other = appointments.find(session, second.reference)
        other.token_salt = first.token_salt
        session.flush()
        with pytest.raises(NotFound):
            appointments.find_for_citizen(
                session, second.reference, credentials.token(keys, first), keys
            )


def test_the_secret_and_a_reference_are_not_enough_to_forge_a_link(container):
    setup_site(container)
    appointment = book(container, request())
    assert appointment.token_salt  # random, drawn at booking
    unsalted = manage_token(SECRET, appointment.id, appointment.token_version)
    with container.uow.writing() as session, pytest.raises(NotFound):
        appointments.find_for_citizen(session, appointment.reference, unsalted, Keys(SECRET))


def test_a_previous_secret_still_opens_the_links_it_made(container):
    setup_site(container)
    appointment = book(container, request())
    old_link = credentials.token(Keys(SECRET), appointment)
    rolled = Keys("a-new-secret-0123456789", (SECRET,))
    unknown = Keys("a-new-secret-0123456789")
    with container.uow.writing() as session:
        assert appointments.find_for_citizen(session, appointment.reference, old_link, rolled)
        with pytest.raises(NotFound):
            appointments.find_for_citizen(session, appointment.reference, old_link, unknown)


def test_slot_search_hides_taken_starts(container):
    setup_site(container, counters=2)
    book(container, request())
    with container.uow.writing() as session:
        site = appointments.get_site(session, "paris")
        procedure = container.catalogue.get("residence-permit-pickup")
        rules = rules_for(procedure, site, container.now())
        slots = search_slots(session, site, procedure, date(2026, 3, 24), date(2026, 3, 24), rules)
    assert slots[0].available == 1 and slots[1].available == 2


@pytest.mark.parametrize("capacity", [1, 3])
def test_concurrent_bookings_of_one_slot_give_exactly_capacity_winners(container, capacity):
    setup_site(container, capacity=capacity)

    def attempt(index: int) -> str:
        try:
            book(container, request(name=f"Citizen {index}"))
            return "booked"
        except SlotTaken:
            return "taken"

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(attempt, range(40)))
    assert outcomes.count("booked") == capacity
    assert count(container, "SELECT count(*) FROM appointment") == capacity
    assert_load_matches_live_appointments(container)


def test_concurrent_bookings_from_several_processes_give_exactly_capacity_winners(container):
    import multiprocessing

    from tests.support.racers import book_in_process

    setup_site(container, capacity=2)
    context = multiprocessing.get_context("spawn")
    args = (
        container.settings.database_url,
        container.settings.procedures_dir,
        TUESDAY_9.isoformat(),
        container.now().isoformat(),
        5,
    )
    with context.Pool(4) as pool:
        outcomes = [o for result in pool.starmap(book_in_process, [args] * 4) for o in result]
    assert outcomes.count("booked") == 2 and outcomes.count("taken") == 18
    assert count(container, "SELECT count(*) FROM appointment") == 2
    assert_load_matches_live_appointments(container)


def test_concurrent_reschedules_and_cancels_keep_the_load_true(container):
    setup_site(container, capacity=1, counters=2)
    booked = [
        book(container, request(start=TUESDAY_9 + timedelta(minutes=15 * i))) for i in range(6)
    ]

    def churn(index: int) -> bool:
        target = TUESDAY_9 + timedelta(hours=1, minutes=15 * (index % 3))
        try:
            with container.uow.writing() as session:
                mine = appointments.find(session, booked[index].reference, lock=True)
                if index % 2:
                    appointments.cancel(session, mine, now=container.now())
                else:
                    appointments.reschedule(
                        session,
                        mine,
                        catalogue=container.catalogue,
                        new_start=target,
                        now=container.now(),
                    )
        except (SlotTaken, Conflict):
            return False
        return True

    with ThreadPoolExecutor(max_workers=6) as pool:
        succeeded = list(pool.map(churn, list(range(6)) * 2))
    # 3 cancels succeed (their repeats answer as before); moves to 3 free times on 2 counters
    assert succeeded.count(True) >= 3 + 2
    cancelled = "SELECT count(*) FROM appointment WHERE status = 'cancelled_by_citizen'"
    assert count(container, cancelled) == 3
    assert_load_matches_live_appointments(container)


def test_each_booking_keeps_its_local_start_and_lead_time_for_the_statistics(container):
    setup_site(container)
    with container.uow.writing() as session:
        site = add_site(
            session, "la-reunion", timezone="Indian/Reunion", region="RE", subdivision="974"
        )
        add_counter(session, site)
    reunion = datetime(2026, 3, 27, 13, 30, tzinfo=ZoneInfo("Indian/Reunion"))  # Friday
    req = request(start=reunion, phone="0692 12 34 56")
    visit = book(container, dataclasses.replace(req, site_id="la-reunion"))
    assert (visit.local_date, visit.local_weekday, visit.local_hour, visit.lead_days) == (
        date(2026, 3, 27),
        4,
        13,
        4,  # booked on Monday 23 March
    )
    paris = book(container, request())
    with container.uow.writing() as session:
        moved = appointments.find(session, paris.reference, lock=True)
        appointments.reschedule(
            session,
            moved,
            catalogue=container.catalogue,
            new_start=datetime(2026, 3, 31, 15, 0, tzinfo=PARIS),  # the Tuesday after DST
            now=container.now(),
        )
    assert (moved.local_date, moved.local_weekday, moved.local_hour, moved.lead_days) == (
        date(2026, 3, 31),
        1,
        15,
        8,
    )
