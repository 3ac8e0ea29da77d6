"""Use cases of a held seat: hold it while a code goes to the citizen's mobile, confirm it with
that code (then it is the booking, with its usual messages), send the code again, and release
the holds whose time is over. Every limit counts in the database, per client address and per
phone, so several processes count as one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import phonenumbers

from booking.core.booking_request import BookingRequest
from booking.core.contacts import phone_key, phone_keys
from booking.core.errors import FieldError, Gone, InvalidRequest
from booking.core.i18n import N_
from booking.core.statuses import AppointmentStatus
from booking.domain import appointments, holds, limits, persons, repeats
from booking.domain.appointments import WrongCredentials
from booking.domain.limits import Limit
from booking.domain.models import Appointment, Hold
from booking.domain.sites import get_site
from booking.use_cases.alternatives import offering_alternatives
from booking.use_cases.attempts import BookingAttempt
from booking.use_cases.citizen_access import TooManyTries, guarded
from booking.use_cases.context import Context
from booking.use_cases.refusals import Asking, noting_refusals
from booking.use_cases.visit_views import VisitView, visit_view

CODES_PER_PHONE = Limit("codes-per-phone", 5, timedelta(days=1))
CODES_PER_ADDRESS = Limit("codes-per-address", 10, timedelta(hours=1))
NO_HOLD = N_("This held seat does not exist.")
OVER = N_("This seat is no longer held for you: choose a time again.")
WRONG_CODE = N_("This code is not the one we sent. Tries left: {tries_left}.")
NOT_FOR_SMS = N_("Codes are sent by SMS to mobile numbers of France and the European Union only.")


@dataclass(frozen=True)
class HeldSeat:
    token: str  # the hold's opaque id: it alone confirms and resends
    expires_at: datetime
    sent_to: str  # the mobile, masked: 06 •• •• •• 78
    start: datetime
    site_id: str
    state: str = "open"  # open, confirmed, released
    released_reason: str | None = None  # expired, not_sent, tries, replaced, changed


class Holds:
    def __init__(self, context: Context) -> None:
        self._context = context
        self._uow = context.uow

    def hold(self, request: BookingRequest, *, address: str) -> HeldSeat:
        """Hold the seat (the capacity guard decides, as for a booking) and send a code."""
        asking = Asking(address, request.site_id, request.phone)
        with noting_refusals(self._context, asking):
            return self._hold(request, address)

    def _hold(self, request: BookingRequest, address: str) -> HeldSeat:
        now = self._context.now()
        phone = self._mobile(request)
        attempt = BookingAttempt(self._context, address, now)
        with attempt.kept(), offering_alternatives(self._context), self._uow.writing() as session:
            attempt.take(session)
            self._refuse_more_codes(session, phone, address, now)
            freeing = self._context.freeing
            holds.release_others(session, phone, request.procedure_id, now, freeing)
            held = appointments.book(
                session,
                catalogue=self._context.catalogue,
                request=request,
                now=now,
                status=AppointmentStatus.held,
                release=self._context.release,
                plans=self._context.plans,
            )
            hold, token = holds.open_hold(
                session, held, now=now, minutes=self._context.settings.hold_minutes
            )
            self._send_code(session, hold, held, address, now)
            return HeldSeat(
                token, hold.expires_at, holds.masked(phone), held.starts_at, held.site_id
            )

    def confirm(self, token: str, code: str, *, address: str) -> VisitView:
        """The right code books the held seat (the same code again answers the same visit);
        a wrong one counts, and the fifth releases the seat."""
        with noting_refusals(self._context, Asking(address)) as asking:
            return self._confirm(token, code, asking)

    def _confirm(self, token: str, code: str, asking: Asking) -> VisitView:
        now, address = self._context.now(), asking.address or ""
        wrong: InvalidRequest | Gone | None = None
        with guarded(self._context, address), self._uow.writing() as session:
            hold, held = self._find(session, token)
            asking.site_id, asking.phone = held.site_id, held.phone
            right = code.strip() == holds.code_of(self._context.keys.current, hold)
            if hold.state == "confirmed" and right:
                return visit_view(self._context, session, held, with_token=True)
            if self._over(session, hold, now):
                wrong = Gone(OVER)
            elif not right:
                hold.tries += 1
                session.add(hold)
                left = holds.CODE_TRIES - hold.tries
                if left <= 0:
                    holds.release(session, hold, "tries", now, self._context.freeing)
                    wrong = Gone(OVER)
                else:
                    wrong = InvalidRequest(
                        WRONG_CODE,
                        [FieldError("code", WRONG_CODE, {"tries_left": left})],
                        extra={"tries_left": left},
                        tries_left=left,
                    )
            else:
                return self._book(session, hold, held, now)
        raise wrong

    def resend(self, token: str, *, address: str) -> None:
        """A new code (the earlier one stops working), twice at most for a hold."""
        with noting_refusals(self._context, Asking(address)) as asking:
            self._resend(token, asking)

    def _resend(self, token: str, asking: Asking) -> None:
        now, address = self._context.now(), asking.address or ""
        with guarded(self._context, address), self._uow.writing() as session:
            hold, held = self._find(session, token)
            asking.site_id, asking.phone = held.site_id, held.phone
            over = self._over(session, hold, now)
            if not over and hold.resends >= holds.RESENDS:
                retry = max(1, int((hold.expires_at - now).total_seconds()))
                raise TooManyTries(retry, "code-resends")
            if not over:
                self._refuse_more_codes(session, held.phone or "", address, now)
                hold.resends += 1
                session.add(hold)
                self._send_code(session, hold, held, address, now)
        if over:  # said once the release is committed
            raise Gone(OVER)

    def seat(self, token: str) -> HeldSeat:
        """Where a hold stands (the code page), its time over or not."""
        now = self._context.now()
        with self._uow.writing() as session:
            hold, held = self._find(session, token)
            self._over(session, hold, now)
            return HeldSeat(
                token,
                hold.expires_at,
                holds.masked(held.phone or ""),
                held.starts_at,
                held.site_id,
                hold.state,
                hold.released_reason,
            )

    def give_up(self, token: str, *, address: str) -> None:
        """The citizen changes their number: the seat goes back (after the freed-seat delay,
        as any seat a citizen frees) and they hold again with the right one."""
        now = self._context.now()
        with guarded(self._context, address), self._uow.writing() as session:
            hold, _ = self._find(session, token)
            if not self._over(session, hold, now):
                holds.release(session, hold, "changed", now, self._context.freeing)

    def release_expired(self) -> int:
        """The timed change of holds (a periodic job; idempotent)."""
        with self._uow.writing() as session:
            now, delay = self._context.now(), self._context.freeing
            return holds.release_expired(session, now, delay)

    # ------------------------------------------------------------------------------------

    def _mobile(self, request: BookingRequest) -> str:
        """The mobile a code can go to, in E.164: a mobile of an SMS country."""
        with self._uow.reading() as session:
            site = get_site(session, request.site_id, field_name="site_id")
        phone = appointments.contact_details(request, site)[0]
        if phone is None:
            message = N_("Give a mobile number: the code that confirms the seat goes there.")
            raise InvalidRequest.for_field("phone", message)
        region = phonenumbers.region_code_for_number(phonenumbers.parse(phone))
        if region not in self._context.settings.sms_regions:
            raise InvalidRequest.for_field("phone", NOT_FOR_SMS)
        return phone

    def _refuse_more_codes(self, session, phone: str, address: str, now: datetime) -> None:  # type: ignore[no-untyped-def]
        for limit, who in ((CODES_PER_PHONE, phone), (CODES_PER_ADDRESS, address)):
            if limits.over(session, limit, who, now):
                raise TooManyTries(limit.retry_after(now), limit.name)

    def _send_code(self, session, hold: Hold, held: Appointment, address: str, now) -> None:  # type: ignore[no-untyped-def]
        limits.count(session, CODES_PER_PHONE, held.phone or "", now)
        limits.count(session, CODES_PER_ADDRESS, address, now)
        holds.send_code(session, hold, held, get_site(session, held.site_id), now)

    def _find(self, session, token: str) -> tuple[Hold, Appointment]:  # type: ignore[no-untyped-def]
        hold = holds.find(session, token)
        if hold is None:
            raise WrongCredentials(NO_HOLD)
        return hold, session.get(Appointment, hold.appointment_id)

    def _over(self, session, hold: Hold, now: datetime) -> bool:  # type: ignore[no-untyped-def]
        """Whether the hold has ended; one whose time is over is released on the way."""
        if hold.state == "open" and now >= hold.expires_at:
            reason = "expired" if holds.code_sent(session, hold) else "not_sent"
            holds.release(session, hold, reason, now, self._context.freeing)
        return hold.state != "open"

    def _book(self, session, hold: Hold, held: Appointment, now: datetime) -> VisitView:  # type: ignore[no-untyped-def]
        context = self._context
        persons.refuse_a_second_live_visit(
            session,
            secret=context.keys.current,
            procedure_id=held.procedure_id,
            phone=held.phone,
            email=held.email,
            now=now,
            limit=context.settings.live_visits_per_person,
            besides=held.id,
            count_held=False,  # two holds of one person race: the first confirmed wins
        )
        appointments.confirm_held(held, now)
        held.phone_key = phone_key(context.keys.current, held.phone)
        repeats.mark(session, held, phone_keys(context.keys.all, held.phone))
        hold.state = "confirmed"
        session.add_all([hold, held])
        context.notices.booked(session, held, now)
        return visit_view(context, session, held, with_token=True)
