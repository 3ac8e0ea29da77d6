"""The domain of a visit: book, cancel, reschedule, and the moves made at the counter.

Every function takes the session (whose transaction the caller's unit of work commits) and
the time; none sends anything: the use cases in `booking.use_cases` add the messages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session

from booking.core.booking_request import MOTIVE_LENGTH, NAME_LENGTH, BookingRequest
from booking.core.clock import local_date
from booking.core.contacts import (
    ContactError,
    NotMobile,
    checked_phone,
    normalise_email,
    parse_phone,
    phone_key,
    phone_keys,
)
from booking.core.errors import Conflict, FieldError, InvalidRequest, NotFound
from booking.core.i18n import N_
from booking.core.lifecycle import RULES, Move, Outcome, decide, timestamp_column, wait_seconds
from booking.core.references import new_reference, new_salt, normalise_reference
from booking.core.slots import (
    CounterPlan,
    Refusal,
    Slot,
    cells_of,
    counters_for_start,
    from_minute,
    refusal_for_start,
    to_minute,
)
from booking.core.statuses import LIVE_STATUSES, AppointmentStatus, Channel
from booking.domain import credentials, repeats
from booking.domain.availability import (
    SitePlan,
    closure_reason,
    current_load,
    load_and_held_back,
    plus,
    public_rooms,
    rules_for,
    search_slots,
)
from booking.domain.closures import closure_over, closure_reason_over
from booking.domain.credentials import Keys
from booking.domain.documents import check_file, remember_version
from booking.domain.freed_seats import use_up
from booking.domain.models import Appointment, Site
from booking.domain.occupancy import change_load, load_between, take_cells
from booking.domain.plans import Plans
from booking.domain.release import Public, Release, public_rules
from booking.domain.sites import get_site
from booking.domain.staff_share import ShareRooms, lock_counter, share_exceeded
from completeness.catalogue import Catalogue, Procedure
from storage.inserts import prepared_upsert
from storage.rows import new_row

DEFAULT_RELEASE = Release()
REFUSAL_MESSAGES = {
    Refusal.before_notice: N_("This time is too soon: choose a later one."),
    Refusal.beyond_horizon: N_("This time is too far ahead: it cannot be booked yet."),
    Refusal.off_grid: N_("This is not a start time of this site's opening hours."),
    Refusal.closed: N_("The site is closed at this time."),
}


class SlotTaken(Conflict):
    """The start was free when shown but is full now.

    The nearest free starts are added by `offer_alternatives`, after the failed transaction
    has ended, so that no write lock is held while they are searched.
    """

    def __init__(self, site_id: str, procedure: Procedure, start: int) -> None:
        message = N_("This time has just been taken. Choose another one.")
        super().__init__(message, [FieldError("start", message)])
        self.site_id, self.procedure, self.start = site_id, procedure, start


def offer_alternatives(
    session: Session, taken: SlotTaken, *, public: Public, count: int
) -> SlotTaken:
    site = get_site(session, taken.site_id)
    free = alternatives(session, site, taken.procedure, taken.start, public, count)
    taken.extra = {"alternatives": free, "timezone": site.timezone}
    return taken


def get_procedure(catalogue: Catalogue, procedure_id: str, field_name: str) -> Procedure:
    procedure = catalogue.get(procedure_id)
    if procedure is None:
        raise InvalidRequest.for_field(field_name, N_("Unknown procedure."))
    return procedure


NOT_MOBILE = N_(
    "This number cannot receive SMS (a landline or a special-rate number): give a mobile"
    " number, or choose to be told by email only."
)


def can_text(phone: str | None, site: Site) -> bool:
    """Whether SMS can go to this stored number (staff may have recorded a landline)."""
    if phone is None:
        return False
    try:
        return parse_phone(phone, site.phone_region).mobile
    except ContactError:
        return True  # stored before these checks, or written by the demo: leave it as it was


def contact_details(request: BookingRequest, site: Site) -> tuple[str | None, str | None]:
    """The phone in E.164 and the email, checked; every field's error at once."""
    phone, email, _ = _contacts(request, site)
    return phone, email


def _contacts(request: BookingRequest, site: Site) -> tuple[str | None, str | None, bool]:
    """The phone, the email, and whether SMS can go to the phone (parsed once)."""
    errors = []
    if not request.name.strip():
        errors.append(FieldError("name", N_("Give your name.")))
    elif len(request.name.strip()) > NAME_LENGTH:
        message = N_("Give a name of at most {count} characters.")
        errors.append(FieldError("name", message, {"count": NAME_LENGTH}))
    if request.motive and len(request.motive.strip()) > MOTIVE_LENGTH:
        message = N_("Keep the note for the counter to at most {count} characters.")
        errors.append(FieldError("motive", message, {"count": MOTIVE_LENGTH}))
    phone = email = None
    textable = False
    # Online, a number is for SMS unless only email was chosen; staff may record a landline
    # (to call), which then gets no SMS.
    sms_wanted = request.channel == Channel.web and (
        request.notify is None or "sms" in request.notify
    )
    if request.phone and request.return_of is not None:
        phone = request.phone  # copied from the first visit: never checked again
        textable = can_text(phone, site)
    elif request.phone:
        try:
            checked = checked_phone(request.phone, site.phone_region, mobile=sms_wanted)
            phone, textable = checked.e164, checked.mobile
        except NotMobile:
            errors.append(FieldError("phone", NOT_MOBILE))
        except ContactError:
            errors.append(FieldError("phone", N_("This phone number is not valid.")))
    if request.email:
        try:
            email = normalise_email(request.email)
        except ContactError:
            errors.append(FieldError("email", N_("This email address is not valid.")))
    if not errors and request.channel == Channel.web and not (phone or email):
        errors.append(FieldError("phone", N_("Give a phone number or an email address.")))
    wanted = request.notify or ()
    if ("sms" in wanted and not phone) or ("email" in wanted and not email):
        errors.append(FieldError("notify", N_("Give the contact for each way you chose.")))
    if errors:
        raise InvalidRequest(N_("Some fields are not valid."), errors)
    return phone, email, textable


def _refuse_start(
    session: Session,
    plan: SitePlan,
    start: int,
    procedure: Procedure,
    site: Site,
    now: datetime,
    public: Public | None,
) -> None:
    rules = rules_for(procedure, site, now)
    if public is not None:  # a day not released yet is still too far ahead
        rules = public_rules(session, site, rules, public)
    refusal = refusal_for_start(plan.counters, plan.calendar, start, rules)
    if refusal is None:
        return
    if refusal is Refusal.closed:
        reason = closure_reason(session, site.id, start, start + procedure.duration_minutes)
        if reason:
            message = N_("The site is closed at this time: {reason}.")
            raise InvalidRequest.for_field("start", message, reason=reason)
    raise InvalidRequest.for_field("start", REFUSAL_MESSAGES[refusal])


def alternatives(
    session: Session,
    site: Site,
    procedure: Procedure,
    around: int,
    public: Public,
    count: int,
) -> list[Slot]:
    """The `count` free starts nearest to `around`, earliest first, as the public sees them.

    Searches the same day first and widens only when it holds too few (a lost race is usually
    answered from its own day, cheaply).
    """
    tz = ZoneInfo(site.timezone)
    day = from_minute(around, tz).date()
    today = public.now.astimezone(tz).date()
    rules = rules_for(procedure, site, public.now)
    slots: list[Slot] = []
    for reach in (0, 3, 14):
        first_day = max(today, day - timedelta(days=reach))
        last_day = day + timedelta(days=reach)
        slots = search_slots(session, site, procedure, first_day, last_day, rules, public=public)
        if len(slots) >= count:
            break
    nearest = sorted(slots, key=lambda slot: (abs(slot.start - around), slot.start))[:count]
    return sorted(nearest, key=lambda slot: slot.start)


def _place(
    session: Session,
    plan: SitePlan,
    procedure: Procedure,
    site: Site,
    start: int,
    now: datetime,
    release: Appointment | None = None,
    *,
    public: Public | None = None,
) -> int | None:
    """Take the cells of a visit at `start` on the freest counter that still has room: its id.

    With `release`, the same pass frees that appointment's cells (a reschedule), so the
    old slot is freed only if the new one is taken. For the `public`, a seat freed by a
    citizen and still held back is not room, nor is a staff share not open yet: both are
    checked again once the cells are taken.
    """
    rules = rules_for(procedure, site, now)
    rooms = None
    if public is None:
        load = current_load(session, plan)
    else:  # the public's: the seats held back count as taken, not in the staff share's room
        # The counter is chosen by the visit's own cells; a staff share's room counts the day's.
        shared_day = site.staff_share_percent > 0
        span = plan.minute_range() if shared_day else _span(plan, start, procedure)
        load, held, _ = load_and_held_back(session, plan, *span, now)
        rooms = public_rooms(session, plan, load, public)
        load = plus(load, held)
    counters = {c.counter_id: c for c in plan.counters}
    released = None
    if release is not None:
        released = (release.counter_id, _cells(release))
        own = load.get(release.counter_id)
        if own is not None:  # the visit being moved must not block its own new time
            own = dict(own)
            for cell in released[1]:
                own[cell] = own.get(cell, 1) - 1
            load = {**load, release.counter_id: own}
        if rooms and release.counter_id in rooms:  # nor its own place in the day's room
            rooms = {**rooms, release.counter_id: _with_room_of(rooms, release, site)}
    day = from_minute(start, plan.calendar.timezone).date()
    for counter_id in counters_for_start(plan.counters, plan.calendar, start, rules, load, rooms):
        counter = counters[counter_id]
        cells = cells_of(start, procedure.duration_minutes, counter.slot_minutes)
        shared = public is not None and bool(rooms)
        # A refusal after a change (a second cell, a move, the share's count) is rolled back.
        undoable = shared or released is not None or len(cells) > 1
        with session.begin_nested() if undoable else nullcontext() as savepoint:
            if shared:
                lock_counter(session, counter_id)
            took = _take(session, plan, counter, cells, now, released, public=public is not None)
            if took and public is None:  # staff may take a seat held back: it is theirs now
                taken = load_between(session, [counter_id], cells.start, cells.stop)[counter_id]
                use_up(session, counter_id, counter.capacity, cells, taken, now)
                return counter_id
            if took and not (
                shared and share_exceeded(session, site, plan.calendar, counter, day, public)
            ):
                return counter_id
            if savepoint is not None:
                savepoint.rollback()
    return None


def _span(plan: SitePlan, start: int, procedure: Procedure) -> tuple[int, int]:
    """The cells a visit at `start` may hold, on whichever of the plan's counters."""
    minutes = procedure.duration_minutes
    ends = [cells_of(start, minutes, counter.slot_minutes).stop for counter in plan.counters]
    return start, max(ends, default=start)


def _take(
    session: Session,
    plan: SitePlan,
    counter: CounterPlan,
    cells: range,
    now: datetime,
    released: tuple[int, range] | None,
    *,
    public: bool,
) -> bool:
    """Take the cells on the counter (and free the moved visit's); for the `public`, a seat
    held back is not room. A booking is one guarded statement."""
    if released is None:
        where = (plan.site.id, plan.calendar.timezone)
        held_back_at = now if public else None
        return take_cells(
            session,
            counter.counter_id,
            counter.capacity,
            cells,
            site=where,
            held_back_at=held_back_at,
        )
    took = change_load(
        session, take=(counter.counter_id, counter.capacity, cells), release=released
    )
    return took and not (public and _held_back_over(session, plan, counter, cells, now))


def _with_room_of(rooms: ShareRooms, moved: Appointment, site: Site) -> dict[date, int]:
    """A counter's rooms with the cells of the visit being moved given back."""
    mine = dict(rooms[moved.counter_id])
    day = local_date(moved.starts_at, site.timezone)
    if day in mine:
        mine[day] += len(_cells(moved))
    return mine


def _held_back_over(
    session: Session, plan: SitePlan, counter: CounterPlan, cells: range, now: datetime
) -> bool:
    """Whether the cells just taken, with the seats held back on them, exceed the capacity."""
    alone = replace(plan, counters=[counter])
    load, held, _ = load_and_held_back(session, alone, cells.start, cells.stop, now)
    taken, back = load[counter.counter_id], held.get(counter.counter_id, {})
    return any(taken.get(cell, 0) + back.get(cell, 0) > counter.capacity for cell in cells)


def _cells(appointment: Appointment) -> range:
    start = to_minute(appointment.starts_at)
    minutes = to_minute(appointment.ends_at) - start
    return cells_of(start, minutes, appointment.cell_minutes)


def _day_plan(
    session: Session, plans: Plans, site: Site, revision: int, procedure: Procedure, start: int
) -> SitePlan:
    day = from_minute(start, ZoneInfo(site.timezone)).date()
    return plans.day(session, site, revision, procedure.id, day)


def book(
    session: Session,
    *,
    catalogue: Catalogue,
    request: BookingRequest,
    now: datetime,
    status: str = AppointmentStatus.booked,
    release: Release = DEFAULT_RELEASE,
    phone_secret: str | None = None,
    plans: Plans | None = None,
    repeat_secrets: Sequence[str] = (),
) -> Appointment:
    """A visit (or, with `status` held, a seat held for one) through the capacity guard; on
    the web, as the public may (`release`: when new days and staff shares open). With
    `phone_secret`, the visit is written with its phone's key (a hold gets it when confirmed);
    with `repeat_secrets` (every accepted one), with its repeat mark (a hold: when confirmed).
    `plans`: the process's shared copies of the sites' configuration (none: read afresh)."""
    plans = plans or Plans()
    site, revision = plans.site(session, request.site_id, field_name="site_id")
    procedure = get_procedure(catalogue, request.procedure_id, "procedure_id")
    if request.channel != Channel.web:  # staff book for someone: no minimum notice
        procedure = replace(procedure, min_notice_hours=0, min_notice_days=0)
    phone, email, textable = _contacts(request, site)
    today = local_date(now, site.timezone)
    file = check_file(
        procedure, request.answers, request.declared, today=today, language=request.language
    )
    start = to_minute(request.start)
    if request.start.second or request.start.microsecond:
        raise InvalidRequest.for_field("start", REFUSAL_MESSAGES[Refusal.off_grid])
    plan = _day_plan(session, plans, site, revision, procedure, start)
    public = Public(now, release) if request.channel == Channel.web else None
    _refuse_start(session, plan, start, procedure, site, now, public)
    counter_id = _place(session, plan, procedure, site, start, now, public=public)
    if counter_id is None:
        raise SlotTaken(site.id, procedure, start)
    counter = plans.counter(session, site, revision, counter_id)
    appointment = new_row(
        Appointment,
        reference=new_reference(),
        token_salt=new_salt(),
        site_id=site.id,
        counter_id=counter.id,  # type: ignore[arg-type]
        procedure_id=procedure.id,
        starts_at=request.start,
        ends_at=request.start + timedelta(minutes=procedure.duration_minutes),
        cell_minutes=counter.slot_minutes,
        channel=request.channel,
        language=request.language,
        name=request.name.strip(),
        phone=phone,
        phone_key=phone_key(phone_secret, phone) if phone_secret else None,
        email=email,
        notify_sms=(request.notify is None or "sms" in request.notify) and textable,
        notify_email=request.notify is None or "email" in request.notify,
        motive=(request.motive or "").strip() or None,
        answers=file.answers,
        checklist_version=procedure.checklist_version,
        declared=file.declared,
        missing_declared=file.missing,
        status=status,
        created_at=now,
        updated_at=now,
        return_of=request.return_of,
    )
    _stamp_local_start(appointment, site, now)
    keys = phone_keys(repeat_secrets, phone)
    _refuse_a_closure_that_came_first(_insert_with_unique_reference(session, appointment, keys))
    remember_version(session, procedure, now, plans.stored_versions)
    return appointment


def _stamp_local_start(appointment: Appointment, site: Site, now: datetime) -> None:
    """The start in the site's own time, and the lead time, for the statistics' groupings."""
    zone = ZoneInfo(site.timezone)
    local = appointment.starts_at.astimezone(zone)
    appointment.local_date = local.date()
    appointment.local_weekday = local.weekday()
    appointment.local_hour = local.hour
    appointment.lead_days = (local.date() - local_date(now, site.timezone)).days


def _refuse_a_closure_that_came_first(reason: str | None) -> None:
    """Once the cells are taken (the site's lock is held shared), a closure committed since
    the plan was read is visible (`reason`: a booking's insert returns it, a move looks): refuse
    rather than leave the visit inside it unlisted."""
    if reason is not None:
        message = N_("The site is closed at this time: {reason}.")
        raise InvalidRequest.for_field("start", message, reason=reason)


_visits = Appointment.__table__  # type: ignore[attr-defined]
# What a visit's life sets later (its check at the counter, the call, the survey, its
# anonymisation): NULL when it is booked, left out of its insert to the column's own NULL.
# The insert then stays within psycopg's 50 parameters, above which the driver parses the
# statement again at every booking instead of caching it (0.1 ms a booking).
SET_LATER = (
    "presented",
    "missing_presented",
    "file_checked_at",
    "file_complete",
    "satisfaction",
    "satisfaction_at",
    "survey_asked_at",
    "anonymised_at",
    "checked_in_at",
    "called_at",
    "wait_seconds",
    "seen_at",
    "no_show_at",
    "cancelled_at",
    "cancel_reason",
    "called_counter_id",
)
# The repeat mark is computed by the insert itself (`repeats.follows_incomplete_file_mark`).
_COLUMNS = tuple(
    column.key
    for column in _visits.columns
    if column.key not in ("id", "repeat_of_incomplete", *SET_LATER)
)
# A closure over the visit's time, returned by its insert. Its own parameters, not the
# inserted row's columns: SQLAlchemy does not correlate a subquery of RETURNING.
_CLOSED_FOR = closure_reason_over(
    bindparam("closure_site_id"),
    bindparam("closure_counter_id"),
    bindparam("closure_starts_at", type_=_visits.c.starts_at.type),
    bindparam("closure_ends_at", type_=_visits.c.ends_at.type),
)


@lru_cache(maxsize=8)
def _insert_visit(keys: int) -> Callable[[Session | Connection], Any]:
    """The visit's insert, its repeat mark's list of `keys` keys (`repeats.values_for_insert`)."""
    return prepared_upsert(
        lambda insert: (
            insert(_visits)
            .values(repeat_of_incomplete=repeats.follows_incomplete_file_mark(keys))
            .on_conflict_do_nothing(index_elements=[_visits.c.reference])
            .returning(_visits.c.id, _visits.c.repeat_of_incomplete, _CLOSED_FOR)
        )
    )


def _insert_with_unique_reference(
    session: Session, appointment: Appointment, phone_keys: Sequence[str]
) -> str | None:
    """Insert the visit under a reference drawn again while it is taken (one statement, no
    savepoint), with its repeat mark (`phone_keys`: the phone's keys under every accepted
    secret), then keep it in the session as if read: later changes are updates. Returns the
    reason of a closure over the visit's time, if there is one (None: none)."""
    state = appointment.__dict__
    if any(state.get(column) is not None for column in SET_LATER):
        raise ValueError("a visit is booked before its check, call, survey or anonymisation")
    connection = session.connection()
    keys, repeat = repeats.values_for_insert(
        appointment.site_id, phone_keys, appointment.local_date
    )
    insert = _insert_visit(keys)(connection)
    over = {
        "closure_site_id": appointment.site_id,
        "closure_counter_id": appointment.counter_id,
        "closure_starts_at": appointment.starts_at,
        "closure_ends_at": appointment.ends_at,
    } | repeat
    for _ in range(5):
        values = {key: getattr(appointment, key) for key in _COLUMNS} | over
        inserted = connection.execute(insert, values).first()
        if inserted is not None:
            appointment.id, appointment.repeat_of_incomplete, closed_for = inserted
            make_transient_to_detached(appointment)
            session.add(appointment)
            return closed_for
        appointment.reference = new_reference()
    raise RuntimeError("could not draw a unique reference")


def find(session: Session, reference: str, *, lock: bool = False) -> Appointment | None:
    """By reference as typed (any case, with or without dashes); `lock` for a change to follow.

    Locking the row serialises two changes of one appointment (a double cancel must not
    release its cells twice).
    """
    canonical = normalise_reference(reference)
    if canonical is None:
        return None
    query = select(Appointment).where(Appointment.reference == canonical)
    if lock:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


class WrongCredentials(NotFound):
    """An unknown reference, a wrong link or a wrong code: all look the same (404)."""


def find_for_citizen(
    session: Session, reference: str, token: str | None, keys: Keys, *, lock: bool = False
) -> Appointment:
    """The appointment if the link's token fits (the first use of a renewed link makes it the
    only one); an unknown reference and a wrong token look the same."""
    appointment = find(session, reference, lock=lock)
    match = None if appointment is None else credentials.token_match(keys, appointment, token)
    if match is None:
        raise WrongCredentials(N_("No appointment matches this reference and link."))
    if match is credentials.Match.renewed:
        credentials.promote(appointment)  # type: ignore[arg-type]
        session.add(appointment)
    return appointment  # type: ignore[return-value]


def find_with_code(session: Session, reference: str, code: str, keys: Keys) -> Appointment:
    """The appointment if its management code fits (locked: a renewed code is promoted)."""
    appointment = find(session, reference, lock=True)
    match = None if appointment is None else credentials.code_match(keys, appointment, code)
    if match is None:
        raise WrongCredentials(N_("No appointment matches this reference and code."))
    if match is credentials.Match.renewed:
        credentials.promote(appointment)  # type: ignore[arg-type]
        session.add(appointment)
    return appointment  # type: ignore[return-value]


def _decide(session: Session, appointment: Appointment, move: Move, now: datetime) -> Outcome:
    site = get_site(session, appointment.site_id)
    return decide(
        move, appointment.status, starts_at=appointment.starts_at, now=now, timezone=site.timezone
    )


def release_seat(
    session: Session,
    appointment: Appointment,
    now: datetime,
    status: str = AppointmentStatus.released,
) -> None:
    """A held (or offered) seat goes back: its cells are freed and the row stays, `released`
    (or `withdrawn`, an offer of the waiting list)."""
    change_load(session, release=(appointment.counter_id, _cells(appointment)))
    appointment.status = status
    appointment.updated_at = now
    session.add(appointment)
    session.flush()


def confirm_held(appointment: Appointment, now: datetime) -> None:
    """The held seat becomes the booking (the seat's cells are already taken)."""
    appointment.status = AppointmentStatus.booked
    appointment.created_at = appointment.updated_at = now


def cancel(
    session: Session,
    appointment: Appointment,
    *,
    now: datetime,
    by_office: bool = False,
    reason: str | None = None,
) -> Outcome:
    """Cancel and free the slot at once; `repeat` when it was already cancelled that way."""
    move = Move.cancel_by_office if by_office else Move.cancel_by_citizen
    outcome = _decide(session, appointment, move, now)
    if outcome is Outcome.repeat:
        return outcome
    change_load(session, release=(appointment.counter_id, _cells(appointment)))
    appointment.status = RULES[move][1]
    appointment.cancelled_at = now
    appointment.cancel_reason = reason
    appointment.cancelled_late = not by_office and appointment.starts_at - now < LATE_CANCELLATION
    appointment.updated_at = now
    session.add(appointment)
    session.flush()
    return outcome


def reschedule(
    session: Session,
    appointment: Appointment,
    *,
    catalogue: Catalogue,
    new_start: datetime,
    now: datetime,
    release: Release = DEFAULT_RELEASE,
    plans: Plans | None = None,
) -> Appointment:
    """Move a visit; the old slot is freed only if the new one is taken (one transaction).
    The citizen moves it: to what the public may book."""
    _decide(session, appointment, Move.move_by_citizen, now)
    plans = plans or Plans()
    site, revision = plans.site(session, appointment.site_id)
    procedure = get_procedure(catalogue, appointment.procedure_id, "procedure_id")
    start = to_minute(new_start)
    plan = _day_plan(session, plans, site, revision, procedure, start)
    public = Public(now, release)
    _refuse_start(session, plan, start, procedure, site, now, public)
    counter_id = _place(
        session, plan, procedure, site, start, now, release=appointment, public=public
    )
    if counter_id is None:
        raise SlotTaken(site.id, procedure, start)
    counter = plans.counter(session, site, revision, counter_id)
    appointment.counter_id = counter.id  # type: ignore[assignment]
    appointment.cell_minutes = counter.slot_minutes
    appointment.starts_at = new_start
    appointment.ends_at = new_start + timedelta(minutes=procedure.duration_minutes)
    appointment.rescheduled_count += 1
    appointment.updated_at = now
    _stamp_local_start(appointment, site, now)
    session.add(appointment)
    session.flush()
    _refuse_a_closure_that_came_first(closure_over(session, appointment))
    return appointment


LATE_CANCELLATION = timedelta(hours=24)
STAFF_MOVES = (Move.check_in, Move.call, Move.seen, Move.no_show)


def transition(session: Session, appointment: Appointment, move: Move, *, now: datetime) -> Outcome:
    """A move made at the counter: check in, call, seen, no-show."""
    if move not in STAFF_MOVES:
        raise ValueError(f"not a counter move: {move}")
    outcome = _decide(session, appointment, move, now)
    if outcome is Outcome.repeat:
        return outcome
    target = RULES[move][1]
    if target not in LIVE_STATUSES:
        # A finished visit stops holding its counter: the load counts live visits only.
        change_load(session, release=(appointment.counter_id, _cells(appointment)))
    appointment.status = target
    setattr(appointment, timestamp_column(move), now)
    if move is Move.call:
        appointment.wait_seconds = wait_seconds(
            appointment.starts_at, appointment.checked_in_at, now
        )
    appointment.updated_at = now
    session.add(appointment)
    session.flush()
    return outcome


def next_free_start(
    session: Session,
    catalogue: Catalogue,
    site_id: str,
    procedure_id: str,
    now: datetime,
    *,
    any_day: bool = False,
) -> datetime | None:
    """The first free start from now, today only (a walk-in) or within the procedure's
    horizon (a return visit); staff rules: no minimum notice."""
    site = get_site(session, site_id, field_name="site_id")
    procedure = get_procedure(catalogue, procedure_id, "procedure_id")
    procedure = replace(procedure, min_notice_hours=0, min_notice_days=0)
    rules = rules_for(procedure, site, now)
    today = local_date(now, site.timezone)
    last = rules.last_day if any_day else today
    slots = search_slots(session, site, procedure, today, last, rules)
    return from_minute(slots[0].start) if slots else None
