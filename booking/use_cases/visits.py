"""Use cases of one visit: book, show, move, cancel (citizen or office), the moves made at the
counter, and the documents presented there."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from booking.config.metrics import BOOKINGS
from booking.core.access import Actor, Forbidden, Permission
from booking.core.booking_request import BookingRequest
from booking.core.contacts import phone_keys
from booking.core.errors import Conflict, InvalidRequest, NotFound
from booking.core.i18n import N_
from booking.core.lifecycle import Move, Outcome
from booking.core.statuses import LIVE_STATUSES, AppointmentStatus, Channel
from booking.domain import (
    appointments,
    audit,
    credentials,
    documents,
    freed_seats,
    idempotency,
    persons,
    repeats,
)
from booking.domain.cancellation import cancel_and_tell
from booking.domain.models import Appointment, Counter
from booking.domain.sites import get_site
from booking.use_cases.alternatives import offering_alternatives
from booking.use_cases.attempts import BookingAttempt
from booking.use_cases.citizen_access import LOCAL, TooManyTries, guarded, may_resend_link
from booking.use_cases.context import Context
from booking.use_cases.refusals import Asking, noting_refusals
from booking.use_cases.visit_views import VisitView, visit_view
from notifications.calendar import CalendarVisit

LINKS_A_DAY = 3
ONE_DAY = timedelta(days=1)
UNKNOWN_REFERENCE = N_("No appointment has this reference.")


@dataclass(frozen=True)
class IdempotencyKey:
    key: str
    request_hash: str


@dataclass(frozen=True)
class VisitCalendar:
    event: CalendarVisit
    filename: str


class Visits:
    def __init__(self, context: Context) -> None:
        self._context = context
        self._uow = context.uow
        self._catalogue = context.catalogue

    # The citizen ------------------------------------------------------------------------

    def book(
        self,
        request: BookingRequest,
        *,
        key: IdempotencyKey | None = None,
        actor: Actor | None = None,
        address: str | None = None,
        second_visit: str | None = None,
    ) -> VisitView:
        """Book, confirm and schedule the reminder in one transaction.

        With an Idempotency-Key, a retry gets the visit booked the first time; the key is
        reserved in the booking's own transaction, so both commit together or not at all.
        Online (`address`: the client's), attempts are limited per address, and a procedure
        that checks its contact is booked through a hold instead. One live visit per person
        and procedure, unless staff book a second one on purpose (`second_visit`: why).
        """
        asking = Asking(address, request.site_id, request.phone)
        outcome = "refused"
        try:
            with noting_refusals(self._context, asking):
                view = self._book(request, key, actor, address, second_visit)
            outcome = "booked"
            return view
        except TooManyTries:
            outcome = "limited"
            raise
        except Conflict:
            outcome = "conflict"
            raise
        finally:
            BOOKINGS.labels(request.channel, outcome).inc()

    def _book(
        self,
        request: BookingRequest,
        key: IdempotencyKey | None,
        actor: Actor | None,
        address: str | None,
        second_visit: str | None,
    ) -> VisitView:
        self._refuse_two_step_procedure(request)
        online = address if request.channel == Channel.web else None
        attempt = BookingAttempt(self._context, online, self._now())
        if key is not None:
            attempt.take_apart()  # a retry answered from its key counts too
            with self._uow.reading() as session:
                reference = idempotency.stored_reference(session, key.key, key.request_hash)
            if reference is not None:
                return self._booked(reference)
        try:
            with (
                attempt.kept(),
                offering_alternatives(self._context),
                self._uow.writing() as session,
            ):
                if key is None:
                    attempt.take(session)
                reserved = (
                    idempotency.reserve(session, key.key, key.request_hash, self._now())
                    if key
                    else None
                )
                now = self._now()
                if request.channel != Channel.web:
                    if actor is None:
                        raise Forbidden(N_("Your account may not do this here."))
                    actor.require(Permission.counter, request.site_id)
                appointment = appointments.book(
                    session,
                    catalogue=self._catalogue,
                    request=request,
                    now=now,
                    release=self._context.release,
                    phone_secret=self._context.keys.current,
                    plans=self._context.plans,
                    repeat_secrets=self._context.keys.all,
                )
                self._one_live_visit(session, appointment, actor, second_visit, now)
                self._context.notices.booked(session, appointment, now)
                self._audit(session, actor, f"visit.book_{request.channel}", appointment)
                if reserved is not None:
                    idempotency.complete(session, reserved, appointment.reference)
                return self._view(session, appointment, with_token=True)
        except IntegrityError:
            if key is None:
                raise
            with self._uow.reading() as session:  # a concurrent retry won: give its answer
                reference = idempotency.stored_reference(session, key.key, key.request_hash)
            if reference is None:
                raise
            return self._booked(reference)

    def _refuse_two_step_procedure(self, request: BookingRequest) -> None:
        if request.channel != Channel.web:
            return
        procedure = self._catalogue.get(request.procedure_id)
        if procedure is not None and procedure.contact_check:
            message = N_(
                "This procedure is booked in two steps: the seat is held while a code sent to"
                " your mobile confirms it."
            )
            raise InvalidRequest.for_field("procedure_id", message)

    def _one_live_visit(
        self,
        session: Session,
        appointment: Appointment,
        actor: Actor | None,
        second_visit: str | None,
        now: datetime,
    ) -> None:
        if appointment.return_of is not None:
            return
        if actor is not None and second_visit and second_visit.strip():
            reason = second_visit.strip()[:200]
            self._audit(session, actor, "visit.second_visit", appointment, reason=reason)
            return
        persons.refuse_a_second_live_visit(
            session,
            secret=self._context.keys.current,
            procedure_id=appointment.procedure_id,
            phone=appointment.phone,
            email=appointment.email,
            now=now,
            limit=self._context.settings.live_visits_per_person,
            besides=appointment.id,
        )

    def check_contacts(self, request: BookingRequest) -> None:
        """Refuse, field by field, contact details a booking would refuse (before the summary)."""
        with self._uow.reading() as session:
            site = get_site(session, request.site_id, field_name="site_id")
            appointments.contact_details(request, site)

    def return_visit(self, reference: str, *, actor: Actor) -> VisitView:
        """A visitor missing a document comes back: the next free time for the same
        procedure at the same site, answers and contacts copied, linked to this visit."""
        with self._uow.reading() as session:
            first = self._staffs(session, reference, actor, lock=False)
            tomorrow = self._now() + timedelta(days=1)
            start = appointments.next_free_start(
                session, self._catalogue, first.site_id, first.procedure_id, tomorrow, any_day=True
            )
        if start is None:
            raise Conflict(N_("Nothing is free for this procedure in the coming weeks."))
        request = BookingRequest(
            site_id=first.site_id,
            procedure_id=first.procedure_id,
            start=start,
            name=first.name or "",
            phone=first.phone,
            email=first.email,
            motive=first.motive,
            answers=dict(first.answers),
            declared=tuple(first.declared),
            notify=tuple(
                channel
                for channel, chosen in (
                    ("sms", first.notify_sms and first.phone),
                    ("email", first.notify_email and first.email),
                )
                if chosen
            )
            or None,
            language=first.language,
            channel=Channel.desk,
            return_of=first.id,
        )
        return self.book(request, actor=actor)

    def for_staff(self, reference: str, actor: Actor) -> VisitView:
        """A visit as the counter sees it (one of the actor's sites)."""
        with self._uow.reading() as session:
            return self._view(session, self._staffs(session, reference, actor, lock=False))

    def walk_in(self, request: BookingRequest, *, actor: Actor) -> VisitView:
        """Someone at the desk now: the next free start today, booked for them."""
        actor.require(Permission.counter, request.site_id)
        with self._uow.reading() as session:
            start = appointments.next_free_start(
                session, self._catalogue, request.site_id, request.procedure_id, self._now()
            )
        if start is None:
            raise Conflict(N_("Nothing is free today for this procedure."))
        return self.book(replace(request, start=start, channel=Channel.desk), actor=actor)

    def show(self, reference: str, token: str | None, *, address: str = LOCAL) -> VisitView:
        with guarded(self._context, address), self._uow.reading() as session:
            appointment = self._citizens(session, reference, token)
            view = self._view(session, appointment)
        return self._persist_renewal(view)

    def calendar(
        self, reference: str, token: str | None, language: str, *, address: str = LOCAL
    ) -> VisitCalendar:
        """The visit as a calendar event (a CANCEL once it is cancelled)."""
        with guarded(self._context, address), self._uow.reading() as session:
            appointment = self._citizens(session, reference, token)
            view = self._view(session, appointment)
            cancelled = appointment.status in (
                AppointmentStatus.cancelled_by_citizen,
                AppointmentStatus.cancelled_by_office,
            )
            labels = view.documents.labels_to_bring(language)
            event = self._context.notices.calendar(
                session, appointment, cancelled, labels, self._now()
            )
        self._persist_renewal(view)
        return VisitCalendar(event, f"{appointment.reference}.ics")

    def reschedule(
        self, reference: str, token: str | None, new_start: datetime, *, address: str = LOCAL
    ) -> VisitView:
        """Move the visit; the old slot is kept until the new one is taken."""
        with (
            guarded(self._context, address),
            offering_alternatives(self._context),
            self._uow.writing() as session,
        ):
            appointment = self._citizens(session, reference, token, lock=True)
            now = self._now()
            old_seat = freed_seats.Seat.of(appointment)
            appointments.reschedule(
                session,
                appointment,
                catalogue=self._catalogue,
                new_start=new_start,
                now=now,
                release=self._context.release,
                plans=self._context.plans,
            )
            self._context.freeing.free(session, old_seat, now, by_citizen=True)
            self._mark_repeat(session, appointment)
            self._context.notices.moved(session, appointment, now)
            return self._view(session, appointment)

    def cancel(self, reference: str, token: str | None, *, address: str = LOCAL) -> VisitView:
        with guarded(self._context, address), self._uow.writing() as session:
            appointment = self._citizens(session, reference, token, lock=True)
            self._cancel(session, appointment, by_office=False, reason=None)
            return self._view(session, appointment)

    def open_with_code(self, reference: str, code: str, *, address: str = LOCAL) -> VisitView:
        """The visit, with its link's token, for its reference and management code (where no
        link can be followed); an unknown reference and a wrong code look the same."""
        with guarded(self._context, address), self._uow.writing() as session:
            appointment = appointments.find_with_code(session, reference, code, self._context.keys)
            return self._view(session, appointment, with_token=True)

    def resend_link(self, reference: str, *, address: str = LOCAL) -> None:
        """A new link and code sent to the contacts of the booking (the old ones work until
        the new link is first used), at most LINKS_A_DAY times a day and 10 times an hour
        from one address. Says nothing either way: whether a reference exists is not told to
        whoever asks."""
        if not may_resend_link(self._context, address):
            return
        with self._uow.writing() as session:
            appointment = appointments.find(session, reference, lock=True)
            if appointment is None or appointment.status not in LIVE_STATUSES:
                return
            now = self._now()
            notices = self._context.notices
            if notices.links_sent_since(session, appointment, now - ONE_DAY) < LINKS_A_DAY:
                credentials.renew(appointment)
                session.add(appointment)
                notices.link(session, appointment, now)

    def send_link_again(self, reference: str, *, actor: Actor) -> VisitView:
        """Staff send a new link and code to the citizen's contacts (they lost them, or fear
        someone else has them): the old ones stop working once the new link is first used."""
        with self._uow.writing() as session:
            appointment = self._staffs(session, reference, actor)
            if appointment.status not in LIVE_STATUSES or not (
                appointment.phone or appointment.email
            ):
                raise Conflict(N_("This visit has no contact to send its link to."))
            credentials.renew(appointment)
            session.add(appointment)
            self._context.notices.link(session, appointment, self._now())
            self._audit(session, actor, "visit.send_link", appointment)
            return self._view(session, appointment)

    def management_code(self, view: VisitView) -> str:
        return credentials.code(self._context.keys, view.appointment)

    # The office -------------------------------------------------------------------------

    # With an `actor` (a signed-in staff member), each of these checks that the visit is at one
    # of their sites and writes the action to the audit log, in the same transaction.

    def cancel_by_office(
        self, reference: str, reason: str, *, actor: Actor | None = None
    ) -> VisitView:
        """Cancel, free the slot, and tell the citizen why through the channels they chose."""
        with self._uow.writing() as session:
            appointment = self._staffs(session, reference, actor)
            self._cancel(session, appointment, by_office=True, reason=reason)
            reason = appointment.cancel_reason
            self._audit(session, actor, "visit.cancel_by_office", appointment, reason=reason)
            return self._view(session, appointment)

    def counter_move(
        self,
        reference: str,
        move: Move,
        *,
        actor: Actor | None = None,
        counter_id: int | None = None,
    ) -> VisitView:
        """One of the counter's moves: check in; call (to a given counter of the site, or the
        one booked); seen (where the site asks, one satisfaction SMS follows); no-show."""
        then: Callable[[Session, Appointment, datetime], None] | None = None
        if move is Move.call:

            def to_counter(session: Session, appointment: Appointment, now: datetime) -> None:
                counter = session.get(Counter, counter_id) if counter_id else None
                if counter_id and (counter is None or counter.site_id != appointment.site_id):
                    raise InvalidRequest.for_field("counter_id", N_("Unknown counter."))
                appointment.called_counter_id = counter_id or appointment.counter_id
                session.add(appointment)

            then = to_counter
        elif move is Move.seen:
            then = self._context.notices.seen
        elif move not in (Move.check_in, Move.no_show):
            raise ValueError(f"not a counter move: {move}")
        return self._move(reference, move, actor, then=then)

    def check_in(self, reference: str, *, actor: Actor | None = None) -> VisitView:
        return self.counter_move(reference, Move.check_in, actor=actor)

    def call(
        self, reference: str, *, actor: Actor | None = None, counter_id: int | None = None
    ) -> VisitView:
        return self.counter_move(reference, Move.call, actor=actor, counter_id=counter_id)

    def mark_seen(self, reference: str, *, actor: Actor | None = None) -> VisitView:
        return self.counter_move(reference, Move.seen, actor=actor)

    def mark_no_show(self, reference: str, *, actor: Actor | None = None) -> VisitView:
        return self.counter_move(reference, Move.no_show, actor=actor)

    def record_documents(
        self,
        reference: str,
        presented: Collection[str] | None = None,
        *,
        not_presented: Collection[str] = (),
        actor: Actor | None = None,
    ) -> VisitView:
        """What the visitor showed at the counter: the file becomes complete or incomplete."""
        with self._uow.writing() as session:
            appointment = self._staffs(session, reference, actor)
            documents.record_presented(
                session,
                self._catalogue,
                appointment,
                presented,
                now=self._now(),
                not_presented=not_presented,
            )
            repeats.refresh_after(session, appointment, self._phone_keys(appointment))
            self._audit(
                session, actor, "visit.documents", appointment, presented=appointment.presented
            )
            return self._view(session, appointment)

    # ------------------------------------------------------------------------------------

    def _now(self) -> datetime:
        return self._context.now()

    def _cancel(
        self, session: Session, appointment: Appointment, *, by_office: bool, reason: str | None
    ) -> None:
        notices = self._context.notices
        cancel_and_tell(
            session,
            notices,
            appointment,
            now=self._now(),
            by_office=by_office,
            reason=reason,
            freeing=self._context.freeing,
        )

    def _move(
        self,
        reference: str,
        move: Move,
        actor: Actor | None,
        then: Callable[[Session, Appointment, datetime], None] | None = None,
    ) -> VisitView:
        with self._uow.writing() as session:
            appointment = self._staffs(session, reference, actor)
            now = self._now()
            outcome = appointments.transition(session, appointment, move, now=now)
            if outcome is Outcome.apply:
                if then is not None:
                    then(session, appointment, now)
                self._audit(session, actor, f"visit.{move}", appointment)
            return self._view(session, appointment)

    def _audit(
        self,
        session: Session,
        actor: Actor | None,
        action: str,
        appointment: Appointment,
        **details: object,
    ) -> None:
        if actor is not None:
            audit.record(
                session,
                actor,
                action,
                now=self._now(),
                site_id=appointment.site_id,
                target=appointment.reference,
                **details,
            )

    def _citizens(
        self, session: Session, reference: str, token: str | None, *, lock: bool = False
    ) -> Appointment:
        keys = self._context.keys
        return appointments.find_for_citizen(session, reference, token, keys, lock=lock)

    def _phone_keys(self, appointment: Appointment) -> tuple[str, ...]:
        """The visit's phone under every accepted secret (a secret being rolled in keeps the
        repeats of the figures)."""
        if appointment.phone is None:
            return (appointment.phone_key,) if appointment.phone_key else ()
        return phone_keys(self._context.keys.all, appointment.phone)

    def _mark_repeat(self, session: Session, appointment: Appointment) -> None:
        repeats.mark(session, appointment, self._phone_keys(appointment))

    def _persist_renewal(self, view: VisitView) -> VisitView:
        """A renewed link used for the first time in a read: make it the only one."""
        appointment = view.appointment
        if appointment.next_token_salt is None and appointment.token_salt is not None:
            with self._uow.writing() as session:
                stored = appointments.find(session, appointment.reference, lock=True)
                if stored is not None and stored.next_token_salt == appointment.token_salt:
                    credentials.promote(stored)
                    session.add(stored)
        return view

    def _staffs(
        self, session: Session, reference: str, actor: Actor | None = None, *, lock: bool = True
    ) -> Appointment:
        """The visit, for staff of its site: another site's answers as an unknown one (404)."""
        appointment = appointments.find(session, reference, lock=lock)
        if appointment is None or (
            actor is not None and not actor.may(Permission.counter, appointment.site_id)
        ):
            raise NotFound(UNKNOWN_REFERENCE)
        return appointment

    def _booked(self, reference: str) -> VisitView:
        with self._uow.reading() as session:
            appointment = appointments.find(session, reference)
            if appointment is None:  # anonymised or purged since: the key is stale
                raise NotFound(N_("No appointment has this reference."))
            return self._view(session, appointment, with_token=True)

    def _view(
        self, session: Session, appointment: Appointment, *, with_token: bool = False
    ) -> VisitView:
        return visit_view(self._context, session, appointment, with_token=with_token)


__all__ = ["BookingRequest", "IdempotencyKey", "VisitCalendar", "VisitView", "Visits"]
