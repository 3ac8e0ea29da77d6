"""JSON API v1 of a site's running (site admins): counters, their weekly windows, closures, and
the site's messages and audit log. Bearer tokens only, like every staff route."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Response, get, post, put
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_201_CREATED
from msgspec import Meta

from booking.core.references import display_reference
from booking.use_cases.closures import ClosureRequest
from booking.use_cases.opening_hours import WindowSpec
from booking.use_cases.site_admin import CounterSpec
from booking.web.api.paths import STAFF_ERRORS, SiteId
from booking.web.api.presenters import affected_json
from booking.web.deps import (
    ActorDep,
    ClosuresDep,
    OpeningHoursDep,
    RecordsDep,
    SiteAdminDep,
)
from booking.web.shared.dates import parse_date, parse_time
from booking.web.shared.numbers import MAX_ID


class ClosureBody(msgspec.Struct, forbid_unknown_fields=True):
    start_date: Annotated[str, Meta(min_length=10, max_length=10)]
    end_date: Annotated[str, Meta(min_length=10, max_length=10)]
    reason: Annotated[str, Meta(min_length=1, max_length=200)]
    start_time: Annotated[str, Meta(min_length=5, max_length=5)] | None = None
    end_time: Annotated[str, Meta(min_length=5, max_length=5)] | None = None
    counter_id: Annotated[int, Meta(ge=1, le=MAX_ID)] | None = None
    dry_run: bool = False
    cancel_affected: bool = False


@post(
    "/sites/{site_id:str}/closures",
    status_code=HTTP_201_CREATED,
    sync_to_thread=True,
    responses=STAFF_ERRORS,
    opt={"permission": "run_site"},
)
def add_closure(
    site_id: SiteId, data: JSONBody[ClosureBody], actor: ActorDep, closures: ClosuresDep
) -> Response[dict[str, Any]]:
    """Close a counter or the whole site, days (inclusive) or hours, with a reason. Booked
    visits inside answer 409 with `affected`, unless `cancel_affected`: then they are cancelled
    by the office and told, in one transaction with the closure. `dry_run` saves nothing."""
    request = ClosureRequest(
        start_date=parse_date(data.start_date, "start_date"),
        end_date=parse_date(data.end_date, "end_date"),
        start_time=parse_time(data.start_time, "start_time"),
        end_time=parse_time(data.end_time, "end_time"),
        reason=data.reason,
        counter_id=data.counter_id,
        dry_run=data.dry_run,
        cancel_affected=data.cancel_affected,
    )
    outcome = closures.add_closure(actor, site_id, request)
    closure = outcome.closure
    body = {
        "closure": {
            "id": outcome.closure_id,
            "site_id": closure.site_id,
            "counter_id": closure.counter_id,
            "start": closure.starts_at.astimezone(ZoneInfo(outcome.timezone)).isoformat(),
            "end": closure.ends_at.astimezone(ZoneInfo(outcome.timezone)).isoformat(),
            "reason": closure.reason,
        },
        "affected": affected_json(outcome.affected, outcome.timezone),
    }
    return Response(body, status_code=200 if data.dry_run else HTTP_201_CREATED)


class CounterBody(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=120)]
    capacity: Annotated[int, Meta(ge=1, le=50)] = 1
    procedures: Annotated[list[Annotated[str, Meta(max_length=64)]], Meta(max_length=50)] = []
    active: bool = True


def counter_json(spec: CounterSpec) -> dict[str, Any]:
    return {
        "id": spec.id,
        "name": spec.name,
        "capacity": spec.capacity,
        "procedures": list(spec.procedures),
        "active": spec.active,
    }


@get(
    "/sites/{site_id:str}/counters",
    sync_to_thread=True,
    responses=STAFF_ERRORS,
    opt={"permission": "run_site"},
)
def site_counters(
    site_id: SiteId, actor: ActorDep, site_admin: SiteAdminDep
) -> list[dict[str, Any]]:
    """The site's counters, their capacity and the procedures each serves."""
    return [counter_json(c) for c in site_admin.counters(actor, site_id)]


@post(
    "/sites/{site_id:str}/counters",
    status_code=HTTP_201_CREATED,
    sync_to_thread=True,
    responses=STAFF_ERRORS,
    opt={"permission": "run_site"},
)
def add_counter(
    site_id: SiteId, data: JSONBody[CounterBody], actor: ActorDep, site_admin: SiteAdminDep
) -> dict[str, Any]:
    spec = CounterSpec(data.name, data.capacity, tuple(data.procedures), data.active)
    return counter_json(site_admin.save_counter(actor, site_id, spec))


@put(
    "/sites/{site_id:str}/counters/{counter_id:int}",
    status_code=200,
    sync_to_thread=True,
    responses=STAFF_ERRORS,
    opt={"permission": "run_site"},
)
def change_counter(
    site_id: SiteId,
    counter_id: Annotated[int, PathParameter(ge=1, le=MAX_ID)],
    data: JSONBody[CounterBody],
    actor: ActorDep,
    site_admin: SiteAdminDep,
) -> dict[str, Any]:
    """Rename, set the capacity, the procedures served, or put a counter out of service."""
    spec = CounterSpec(data.name, data.capacity, tuple(data.procedures), data.active, counter_id)
    return counter_json(site_admin.save_counter(actor, site_id, spec))


class WindowBody(msgspec.Struct, forbid_unknown_fields=True):
    weekday: Annotated[int, Meta(ge=0, le=6, description="0 = Monday")]
    start: Annotated[str, Meta(min_length=5, max_length=5, description="HH:MM, local")]
    end: Annotated[str, Meta(min_length=5, max_length=5)]
    valid_from: Annotated[str, Meta(min_length=10, max_length=10)] | None = None
    valid_to: Annotated[str, Meta(min_length=10, max_length=10, description="inclusive")] | None = (
        None
    )


class WindowsBody(msgspec.Struct, forbid_unknown_fields=True):
    windows: Annotated[list[WindowBody], Meta(max_length=100)]
    dry_run: bool = False
    cancel_affected: bool = False


CounterId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]


WINDOWS = "/sites/{site_id:str}/counters/{counter_id:int}/windows"


def windows_json(windows: list[WindowSpec]) -> list[dict[str, Any]]:
    return [
        {
            "weekday": w.weekday,
            "start": w.starts.strftime("%H:%M"),
            "end": w.ends.strftime("%H:%M"),
            "valid_from": w.valid_from.isoformat() if w.valid_from else None,
            "valid_to": w.valid_to.isoformat() if w.valid_to else None,
        }
        for w in windows
    ]


@get(WINDOWS, sync_to_thread=True, responses=STAFF_ERRORS, opt={"permission": "run_site"})
def counter_windows(
    site_id: SiteId, counter_id: CounterId, actor: ActorDep, opening_hours: OpeningHoursDep
) -> list[dict[str, Any]]:
    """The counter's weekly windows in force from today on, in the site's local time."""
    return windows_json(opening_hours.windows(actor, site_id, counter_id))


@put(
    WINDOWS,
    status_code=200,
    sync_to_thread=True,
    responses=STAFF_ERRORS,
    opt={"permission": "run_site"},
)
def replace_counter_windows(
    site_id: SiteId,
    counter_id: CounterId,
    data: JSONBody[WindowsBody],
    actor: ActorDep,
    opening_hours: OpeningHoursDep,
) -> dict[str, Any]:
    """Replace the counter's windows from today on (replaced ones end yesterday). Booked
    visits left outside, or on a grid that moved under them, answer 409 with `affected`
    unless `cancel_affected`; `dry_run` saves nothing."""
    specs = [
        WindowSpec(
            weekday=w.weekday,
            starts=parse_time(w.start, f"windows[{i}].start"),
            ends=parse_time(w.end, f"windows[{i}].end"),
            valid_from=parse_date(w.valid_from, f"windows[{i}].valid_from"),
            valid_to=parse_date(w.valid_to, f"windows[{i}].valid_to"),
        )
        for i, w in enumerate(data.windows)
    ]
    outcome = opening_hours.replace_windows(
        actor,
        site_id,
        counter_id,
        specs,
        dry_run=data.dry_run,
        cancel_affected=data.cancel_affected,
    )
    return {
        "windows": windows_json(outcome.windows),
        "affected": affected_json(outcome.affected, outcome.timezone),
        "saved": outcome.saved,
    }


@get(
    "/sites/{site_id:str}/messages",
    sync_to_thread=True,
    responses=STAFF_ERRORS,
    opt={"permission": "run_site"},
)
def site_messages(
    site_id: SiteId,
    actor: ActorDep,
    records: RecordsDep,
    day: Annotated[str | None, QueryParameter(name="date", max_length=10)] = None,
) -> dict[str, Any]:
    """The site's outbox for a local due date, with delivery status; tokens are masked. With
    the console sender (the embedded default) this is what citizens would receive."""
    found, messages = records.messages(actor, site_id, parse_date(day, "date"))
    return {
        "date": found.isoformat(),
        "messages": [
            {
                "kind": m.kind,
                "channel": m.channel,
                "recipient": m.recipient,
                "status": m.status,
                "due_at": m.due_at.isoformat(),
                "sent_at": m.sent_at.isoformat() if m.sent_at else None,
                "error": m.error,
                "body": m.body,
                "reference": display_reference(m.reference) if m.reference else None,
            }
            for m in messages
        ],
    }


@get(
    "/sites/{site_id:str}/audit",
    sync_to_thread=True,
    responses=STAFF_ERRORS,
    opt={"permission": "run_site"},
)
def site_audit(
    site_id: SiteId,
    actor: ActorDep,
    records: RecordsDep,
    day: Annotated[str | None, QueryParameter(name="date", max_length=10)] = None,
) -> dict[str, Any]:
    """Who did what at the site on a local day, and from which address."""
    found, events = records.audit(actor, site_id, parse_date(day, "date"))
    return {
        "date": found.isoformat(),
        "events": [
            {
                "at": e.at.isoformat(),
                "staff": e.staff_email,
                "address": e.address,
                "action": e.action,
                "target": e.target,
                "details": e.details,
            }
            for e in events
        ],
    }


ROUTES = [
    add_closure,
    counter_windows,
    replace_counter_windows,
    site_messages,
    site_audit,
    site_counters,
    add_counter,
    change_counter,
]
