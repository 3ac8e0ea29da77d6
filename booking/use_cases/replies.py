"""Use cases of what the SMS provider posts back: delivery statuses and citizens' replies."""

from __future__ import annotations

from booking.domain import waitlist
from booking.domain.sms_commands import cancel_by_sms, record_satisfaction
from booking.use_cases.context import Context
from notifications.inbound import record_reply, record_status


class Replies:
    def __init__(self, context: Context) -> None:
        self._context = context
        self._uow = context.uow

    def delivery_status(self, provider_id: str, status: str, error_code: str | None) -> None:
        with self._uow.writing() as session:
            record_status(
                session.connection(), provider_id, status, error_code, self._context.now()
            )

    def sms_received(self, phone: str, body: str) -> str:
        """ANNULER <ref>, a 1-5 survey answer, or STOP/START; what was done, as a word."""
        now = self._context.now()
        with self._uow.writing() as session:
            freeing = self._context.freeing
            if cancel_by_sms(session, self._context.notices, phone, body, now, freeing):
                return "cancelled"
            if record_satisfaction(session, phone, body, now):
                return "satisfaction"
            done = record_reply(session.connection(), phone, body, now) or "ignored"
            if done == "stop":  # no more offers to this number: its entries leave the list
                waitlist.stop_number(session, phone, now, self._context.freeing.offering)
            return done
