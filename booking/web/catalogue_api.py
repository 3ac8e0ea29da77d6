"""JSON API v1, the public catalogue: sites, procedures, checklists and free slots."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import MediaType, Request, Response, get
from litestar.params import PathParameter, QueryParameter
from sqlalchemy import select

from booking import appointments
from booking.documents import check_eligibility, evaluate_answers
from booking.errors import InvalidRequest, NotFound
from booking.i18n import N_
from booking.models import Site
from booking.web.checklists import checklist_json
from booking.web.deps import OptionalQuery, ServicesDep, SlotLists
from booking.web.errors import request_language
from booking.web.presenters import procedure_json, site_json
from booking.web.slot_lists import site_and_revision, slot_list_body

MAX_SEARCH_DAYS = 92


def parse_day(text: str | None, field_name: str) -> date:
    message = N_("Give a date as YYYY-MM-DD.")
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        raise InvalidRequest.for_field(field_name, message) from None


@get("/sites", sync_to_thread=True)
def list_sites(services: ServicesDep) -> list[dict[str, Any]]:
    with services.transaction() as session:
        sites = session.execute(select(Site).order_by(Site.name)).scalars().all()
        return [site_json(site) for site in sites]


@get("/procedures", sync_to_thread=False)
def list_procedures(services: ServicesDep, request: Request) -> list[dict[str, Any]]:
    language = request_language(request)
    return [procedure_json(p, language) for p in services.catalogue]


@get("/sites/{site_id:str}/slots")
async def site_slots(
    request: Request,
    services: ServicesDep,
    slot_lists: SlotLists,
    site_id: Annotated[str, PathParameter(max_length=64)],
    procedure: OptionalQuery = None,
    first: Annotated[str | None, QueryParameter(name="from", max_length=10)] = None,
    last: Annotated[str | None, QueryParameter(name="to", max_length=10)] = None,
) -> Response[bytes]:
    """Free starts of a procedure at a site over local days [from, to], earliest first."""
    first_day, last_day = parse_day(first, "from"), parse_day(last, "to")
    if last_day < first_day:
        raise InvalidRequest.for_field("to", N_("'to' must not be before 'from'."))
    if (last_day - first_day).days >= MAX_SEARCH_DAYS:
        message = N_("Search at most {days} days at a time.")
        raise InvalidRequest.for_field("to", message, days=MAX_SEARCH_DAYS)
    chosen = appointments.get_procedure(services.catalogue, procedure or "", "procedure")
    answers = answers_in_query(request, reserved={"procedure", "from", "to", "lang"})
    if answers:  # e.g. a renewal outside its window: say why, and show no slot
        site_values, _ = site_and_revision(services, site_id)
        today = services.now().astimezone(ZoneInfo(site_values["timezone"])).date()
        check_eligibility(chosen, answers, today=today, language=request_language(request))
    body = await slot_list_body(
        services, slot_lists, site_id, chosen, first_day, last_day, services.now()
    )
    return Response(body, media_type=MediaType.JSON)


def answers_in_query(request: Request, reserved: set[str]) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items() if k not in reserved}


@get("/procedures/{procedure_id:str}/checklist", sync_to_thread=False)
def procedure_checklist(
    request: Request,
    services: ServicesDep,
    procedure_id: Annotated[str, PathParameter(max_length=64)],
) -> dict[str, Any]:
    """The whole checklist; with answers as query parameters, only what applies to them."""
    procedure = services.catalogue.get(procedure_id)
    if procedure is None:
        raise NotFound(N_("Unknown procedure."))
    language = request_language(request)
    raw = answers_in_query(request, reserved={"lang"})
    if not raw:
        return checklist_json(procedure, language)
    evaluated = evaluate_answers(procedure, raw, today=services.now().date())
    return checklist_json(procedure, language, evaluated)
