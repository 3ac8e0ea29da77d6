"""JSON API v1, the waiting list: join it, see where one stands and the seat offered, leave
it; accept or decline an offer (the entry's token in `X-Manage-Token`, as for a visit)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post, route
from litestar.enums import HttpMethod
from litestar.params import JSONBody, PathParameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT
from msgspec import Meta

from booking.core.statuses import Channel
from booking.use_cases.waitlist import EntryView, JoinRequest
from booking.web.api.presenters import visit_json
from booking.web.deps import TokenHeader, WaitlistDep, address_of
from booking.web.errors import documented_errors, request_language
from booking.web.shared.dates import required_date

EntryId = Annotated[int, PathParameter(ge=1, le=2_000_000_000)]
OfferId = Annotated[str, PathParameter(min_length=8, max_length=32)]
Text = Annotated[str, Meta(max_length=200)]
Id = Annotated[str, Meta(max_length=64)]
ALLOW = "DELETE, GET, OPTIONS"


class JoinBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    procedure_id: Annotated[str, Meta(max_length=64)]
    site_ids: Annotated[
        list[Annotated[str, Meta(max_length=64)]], Meta(min_length=1, max_length=20)
    ]
    from_: Annotated[str, Meta(max_length=10)] = msgspec.field(name="from")
    to: Annotated[str, Meta(max_length=10)]
    name: Text
    phone: Annotated[str, Meta(max_length=40)]
    email: Annotated[str, Meta(max_length=254)] | None = None
    weekdays: Annotated[list[int], Meta(max_length=7)] | None = None
    half_days: Annotated[list[str], Meta(max_length=2)] | None = None
    answers: dict[str, Annotated[str, Meta(max_length=200)]] | None = None
    declared: Annotated[list[Annotated[str, Meta(max_length=64)]], Meta(max_length=50)] | None = (
        None
    )


def join_request(data: JoinBody, language: str, channel: Channel) -> JoinRequest:
    """The use case's request from a join body (the citizen's, or staff's with its channel)."""
    return JoinRequest(
        procedure_id=data.procedure_id,
        site_ids=tuple(data.site_ids),
        first_day=required_date(data.from_, "from"),
        last_day=required_date(data.to, "to"),
        name=data.name,
        phone=data.phone,
        email=data.email,
        weekdays=tuple(data.weekdays or ()),
        half_days=tuple(data.half_days or ()),
        answers=dict(data.answers or {}),
        declared=tuple(data.declared or ()),
        language=language,
        channel=channel,
    )


def entry_json(view: EntryView) -> dict[str, Any]:
    entry, offer = view.entry, view.offer
    body: dict[str, Any] = {
        "entry": entry.id,
        "position": view.position,
        "state": entry.state,
        "procedure_id": entry.procedure_id,
        "site_ids": entry.site_ids,
        "from": entry.first_day.isoformat(),
        "to": entry.last_day.isoformat(),
        "offers_sent": entry.offers_sent,
        "offer": None,
    }
    if offer is not None and offer.state == "open" and view.offer_start is not None:
        body["offer"] = {
            "id": offer.public_id,
            "start": view.offer_start.isoformat(),
            "site_id": view.offer_site,
            "expires_at": offer.expires_at.isoformat(),
        }
    if view.token is not None:
        body["token"] = view.token
    if view.sent_to is not None:
        body["sent_to"] = view.sent_to
    return body


@post(
    "/waitlist",
    sync_to_thread=True,
    status_code=HTTP_201_CREATED,
    responses=documented_errors(400, 409, 422, 429),
)
def join_waitlist(
    request: Request, data: JSONBody[JoinBody], waitlist: WaitlistDep
) -> dict[str, Any]:
    """Be offered a seat of the procedure when one frees up at these sites between these dates
    (optionally these weekdays, 1 = Monday, and half-days `am`/`pm`): one person at a time, the
    seat held for them. One entry per person and procedure (409 `already_waiting`)."""
    wanted = join_request(data, request_language(request), Channel.web)
    return entry_json(waitlist.join(wanted, address=address_of(request)))


class WaitlistEntryRoutes(Controller):
    """GET and DELETE of one entry."""

    path = "/waitlist/{entry:int}"

    @route(http_method=[HttpMethod.OPTIONS], include_in_schema=False, sync_to_thread=False)
    def entry_options(self) -> Response[None]:
        """Litestar builds the automatic OPTIONS of a path from its first handler only."""
        return Response(None, status_code=HTTP_204_NO_CONTENT, headers={"Allow": ALLOW})

    @get(sync_to_thread=True, responses=documented_errors(404, 422, 429))
    def waitlist_entry(
        self, request: Request, entry: EntryId, waitlist: WaitlistDep, token: TokenHeader = None
    ) -> dict[str, Any]:
        """Where the entry stands, and the seat offered to it if there is one."""
        return entry_json(waitlist.status(entry, token, address=address_of(request)))

    @delete(
        sync_to_thread=True,
        status_code=HTTP_204_NO_CONTENT,
        responses=documented_errors(404, 422, 429),
    )
    def leave_waitlist(
        self, request: Request, entry: EntryId, waitlist: WaitlistDep, token: TokenHeader = None
    ) -> None:
        """Leave the list (a seat offered meanwhile goes to the next person)."""
        waitlist.leave(entry, token, address=address_of(request))


class Code(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, Meta(min_length=1, max_length=12)]


@post(
    "/waitlist/{entry:int}/confirm",
    sync_to_thread=True,
    status_code=200,
    responses=documented_errors(400, 404, 410, 422, 429),
)
def confirm_entry(
    request: Request,
    entry: EntryId,
    data: JSONBody[Code],
    waitlist: WaitlistDep,
    token: TokenHeader = None,
) -> dict[str, Any]:
    """For a procedure that checks the contact: the code sent by SMS puts the entry in line
    (from now); a wrong one is a 422 with `tries_left`, the fifth ends the entry (410)."""
    return entry_json(
        waitlist.confirm_contact(entry, token, data.code, address=address_of(request))
    )


@post(
    "/waitlist/offers/{offer:str}/accept",
    sync_to_thread=True,
    status_code=HTTP_201_CREATED,
    responses=documented_errors(404, 409, 410, 422, 429),
)
def accept_offer(
    request: Request, offer: OfferId, waitlist: WaitlistDep, token: TokenHeader = None
) -> Response[dict[str, Any]]:
    """The seat becomes the visit (201, the body of a booking; accepting again answers the
    same); a live visit of the same procedure moves there instead; 410 once it is over."""
    view = waitlist.accept(offer, token, address=address_of(request))
    return Response(visit_json(view, request_language(request)), status_code=HTTP_201_CREATED)


@post(
    "/waitlist/offers/{offer:str}/decline",
    sync_to_thread=True,
    status_code=HTTP_204_NO_CONTENT,
    responses=documented_errors(404, 410, 422, 429),
)
def decline_offer(
    request: Request, offer: OfferId, waitlist: WaitlistDep, token: TokenHeader = None
) -> None:
    """No thanks: the entry leaves the list and the seat goes to the next person."""
    waitlist.decline(offer, token, address=address_of(request))


ROUTES = [join_waitlist, WaitlistEntryRoutes, confirm_entry, accept_offer, decline_offer]
