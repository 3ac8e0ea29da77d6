"""JSON API v1, the public catalogue: sites, procedures, checklists and free slots."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import MediaType, Request, Response, get
from litestar.params import PathParameter, QueryParameter

from booking.web.api.checklists import checklist_json
from booking.web.api.presenters import procedure_json, site_json
from booking.web.deps import DirectoryDep, OptionalQuery
from booking.web.errors import documented_errors, request_language
from booking.web.shared.dates import required_date


def answers_in_query(request: Request, reserved: set[str]) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items() if k not in reserved}


@get("/sites", sync_to_thread=True)
def list_sites(directory: DirectoryDep) -> list[dict[str, Any]]:
    return [site_json(site) for site in directory.sites()]


@get("/procedures", sync_to_thread=False)
def list_procedures(directory: DirectoryDep, request: Request) -> list[dict[str, Any]]:
    language = request_language(request)
    return [procedure_json(p, language) for p in directory.catalogue]


@get("/sites/{site_id:str}/slots", responses=documented_errors(404, 422))
async def site_slots(
    request: Request,
    directory: DirectoryDep,
    site_id: Annotated[str, PathParameter(max_length=64)],
    procedure: OptionalQuery = None,
    first: Annotated[str | None, QueryParameter(name="from", max_length=10)] = None,
    last: Annotated[str | None, QueryParameter(name="to", max_length=10)] = None,
) -> Response[bytes]:
    """Free starts of a procedure at a site over local days [from, to], earliest first."""
    body = await directory.slots(
        site_id,
        procedure or "",
        required_date(first, "from"),
        required_date(last, "to"),
        answers=answers_in_query(request, reserved={"procedure", "from", "to", "lang"}),
        language=request_language(request),
    )
    return Response(body, media_type=MediaType.JSON)


@get(
    "/procedures/{procedure_id:str}/checklist",
    sync_to_thread=False,
    responses=documented_errors(404, 422),
)
def procedure_checklist(
    request: Request,
    directory: DirectoryDep,
    procedure_id: Annotated[str, PathParameter(max_length=64)],
) -> dict[str, Any]:
    """The whole checklist; with answers as query parameters, only what applies to them."""
    procedure = directory.procedure(procedure_id)
    language = request_language(request)
    raw = answers_in_query(request, reserved={"lang"})
    if not raw:
        return checklist_json(procedure, language)
    return checklist_json(procedure, language, directory.checklist(procedure, raw))
