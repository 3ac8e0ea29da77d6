"""JSON API v1, a held seat: hold it while a code goes to the citizen's mobile, confirm it with
the code (the same answer as a booking), send the code again."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Response, post
from litestar.params import JSONBody, PathParameter
from litestar.status_codes import HTTP_201_CREATED
from msgspec import Meta

from booking.web.api.booking_body import AppointmentCreate, booking_request
from booking.web.api.presenters import visit_json
from booking.web.deps import HoldsDep, address_of
from booking.web.errors import documented_errors, request_language
from booking.web.shared.dates import required_moment

HoldId = Annotated[str, PathParameter(min_length=8, max_length=64)]


class Code(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, Meta(min_length=1, max_length=12)]


@post(
    "/holds",
    sync_to_thread=True,
    status_code=HTTP_201_CREATED,
    responses=documented_errors(400, 409, 422, 429),
)
def hold_seat(
    request: Request, data: JSONBody[AppointmentCreate], holds: HoldsDep
) -> dict[str, Any]:
    """Hold the seat (the same body as a booking) and send a 6-digit code to the mobile given;
    `hold` alone confirms or resends. A new hold by the same mobile for the same procedure
    replaces the earlier one."""
    language = request_language(request)
    wanted = booking_request(data, start=required_moment(data.start), language=language)
    held = holds.hold(wanted, address=address_of(request))
    return {
        "hold": held.token,
        "expires_at": held.expires_at.isoformat(),
        "sent_to": held.sent_to,
    }


@post(
    "/holds/{hold:str}/confirm",
    sync_to_thread=True,
    status_code=HTTP_201_CREATED,
    responses=documented_errors(400, 404, 409, 410, 422, 429),
)
def confirm_hold(
    request: Request, hold: HoldId, data: JSONBody[Code], holds: HoldsDep
) -> Response[dict[str, Any]]:
    """The right code books the seat (201, the body of a booking; the same code again answers
    the same); a wrong one is a 422 with `tries_left`; the 5th wrong one, or a hold over, 410."""
    view = holds.confirm(hold, data.code, address=address_of(request))
    return Response(visit_json(view, request_language(request)), status_code=HTTP_201_CREATED)


@post(
    "/holds/{hold:str}/resend",
    sync_to_thread=True,
    status_code=204,
    responses=documented_errors(404, 410, 422, 429),
)
def resend_code(request: Request, hold: HoldId, holds: HoldsDep) -> None:
    """A new code (the earlier one stops working); twice at most, then 429."""
    holds.resend(hold, address=address_of(request))


ROUTES = [hold_seat, confirm_hold, resend_code]
