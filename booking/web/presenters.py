"""JSON shapes of the API, and local ISO 8601 times with the site's UTC offset."""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from booking.models import Appointment, Counter, Site
from booking.references import display_reference, manage_token
from booking.slots import Slot, from_minute, to_minute
from completeness.catalogue import Procedure


@lru_cache(maxsize=200_000)
def local_iso(minute: int, timezone: str) -> str:
    """'2026-03-29T09:00:00+02:00' for a UTC minute at a site (cached: slot lists repeat)."""
    return from_minute(minute, ZoneInfo(timezone)).isoformat()


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
    *,
    secret_key: str | None = None,
) -> dict[str, Any]:
    """The citizen's view of an appointment; `secret_key` adds the manage token (on creation)."""
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
    if secret_key is not None:
        body["token"] = manage_token(secret_key, appointment.id, appointment.token_version)  # type: ignore[arg-type]
    return body
