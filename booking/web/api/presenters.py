"""JSON shapes of the API, and local ISO 8601 times with the site's UTC offset."""

from __future__ import annotations

from typing import Any

from booking.core.references import display_reference
from booking.core.slots import Slot, local_iso, to_minute
from booking.domain.models import Appointment, Counter, Site
from booking.use_cases.visit_views import VisitView
from booking.web.api.checklists import documents_to_bring
from completeness.catalogue import Procedure


def site_json(site: Site) -> dict[str, Any]:
    return {"id": site.id, "name": site.name, "timezone": site.timezone, "address": site.address}


def procedure_json(procedure: Procedure, language: str) -> dict[str, Any]:
    return {
        "id": procedure.id,
        "name": procedure.name.get(language),
        "duration_minutes": procedure.duration_minutes,
        "min_notice_hours": procedure.min_notice_hours,
        "min_notice_days": procedure.min_notice_days,
        "horizon_days": procedure.horizon_days,
        "contact_check": procedure.contact_check,
    }


def slots_json(slots: list[Slot], timezone: str) -> list[dict[str, Any]]:
    return [
        {
            "start": local_iso(slot.start, timezone),
            "end": local_iso(slot.end, timezone),
            "available": slot.available,
        }
        for slot in slots
    ]


def appointment_json(
    appointment: Appointment,
    site: Site,
    counter: Counter,
) -> dict[str, Any]:
    """The public fields of an appointment, times in the site's own offset."""
    body: dict[str, Any] = {
        "reference": display_reference(appointment.reference),
        "start": local_iso(to_minute(appointment.starts_at), site.timezone),
        "end": local_iso(to_minute(appointment.ends_at), site.timezone),
        "status": appointment.status,
        "counter": {"id": counter.id, "name": counter.name},
        "site_id": site.id,
        "procedure_id": appointment.procedure_id,
        "name": appointment.name,
        "phone": appointment.phone,
        "email": appointment.email,
        "motive": appointment.motive,
        "answers": appointment.answers,
        "channel": appointment.channel,
        "language": appointment.language,
    }
    return body


def visit_json(view: VisitView, language: str) -> dict[str, Any]:
    """The citizen's view of a visit with its personal list of documents and file status."""
    appointment = view.appointment
    body = appointment_json(appointment, view.site, view.counter)
    if view.token is not None:
        body["token"] = view.token
    body["documents_to_bring"] = documents_to_bring(view.documents, language)
    body["file_status"] = view.file_status
    body["missing_documents"] = appointment.missing_declared
    return body


def affected_json(visits: list[Any], timezone: str) -> list[dict[str, Any]]:
    return [
        {
            "reference": display_reference(visit.reference),
            "start": local_iso(to_minute(visit.starts_at), timezone),
            "name": visit.name,
        }
        for visit in visits
    ]
