"""A visit as every entry point presents it: the appointment with its site, counter, personal
list of documents and what may still be done with it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from booking.core.lifecycle import changeable, to_record
from booking.domain import credentials, documents
from booking.domain.models import Appointment, Counter, Site
from booking.domain.sites import get_site
from booking.use_cases.context import Context
from completeness.evaluation import Checklist


@dataclass(frozen=True)
class VisitView:
    """An appointment with what presenting it needs; `token` only right after booking."""

    appointment: Appointment
    site: Site
    counter: Counter
    documents: Checklist  # the personal list: what applies to this citizen's answers
    token: str | None = None
    to_record: bool = False  # its time is past and nobody recorded an outcome
    changeable: bool = False  # the citizen may still move or cancel it (booked, not started)

    @property
    def file_status(self) -> str:
        return documents.file_status(self.appointment)


def visit_view(
    context: Context, session: Session, appointment: Appointment, *, with_token: bool = False
) -> VisitView:
    """The view of a visit now; its manage token only right after booking (`with_token`)."""
    site = get_site(session, appointment.site_id)
    counter = session.get(Counter, appointment.counter_id)
    today = context.today(site.timezone)
    checklist = documents.personal_list(session, context.catalogue, appointment, today=today)
    token = credentials.token(context.keys, appointment) if with_token else None
    now, status = context.now(), appointment.status
    return VisitView(
        appointment,
        site,
        counter,  # type: ignore[arg-type]
        checklist,
        token,
        to_record=to_record(status, appointment.ends_at, now),
        changeable=changeable(status, appointment.starts_at, now),
    )
