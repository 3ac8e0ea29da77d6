"""Callbacks of the SMS provider (Twilio): delivery statuses and replies, signature checked."""

from __future__ import annotations

from typing import Any

import anyio
from litestar import MediaType, Request, Response, post
from litestar.exceptions import PermissionDeniedException
from twilio.request_validator import RequestValidator

from booking.services import Services
from booking.sms_commands import cancel_by_sms, record_satisfaction
from notifications.inbound import record_reply, record_status

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


async def _verified_form(request: Request, services: Services) -> dict[str, str]:
    """The posted form, if Twilio signed it for the public URL it called; else a 403."""
    token = services.settings.twilio_auth_token
    signature = request.headers.get("x-twilio-signature")
    form = {key: str(value) for key, value in (await request.form()).items()}
    public = services.settings.public_url.rstrip("/") + request.url.path
    if request.url.query:
        public += "?" + request.url.query
    if not token or not signature or not RequestValidator(token).validate(public, form, signature):
        raise PermissionDeniedException("invalid signature")
    return form


@post("/twilio/status", status_code=204)
async def twilio_status(request: Request) -> None:
    services: Services = request.app.state.services
    form = await _verified_form(request, services)

    def apply() -> None:
        with services.engine.begin() as connection:
            record_status(
                connection,
                form.get("MessageSid", ""),
                form.get("MessageStatus", ""),
                form.get("ErrorCode"),
                services.now(),
            )

    await anyio.to_thread.run_sync(apply)


@post("/twilio/inbound", status_code=200)
async def twilio_inbound(request: Request) -> Response[Any]:
    services: Services = request.app.state.services
    form = await _verified_form(request, services)

    phone, body = form.get("From", ""), form.get("Body", "")

    def apply() -> None:
        now = services.now()
        with services.transaction() as session:
            if not (
                cancel_by_sms(session, services.notices, phone, body, now)
                or record_satisfaction(session, phone, body, now)
            ):
                record_reply(session.connection(), phone, body, now)

    await anyio.to_thread.run_sync(apply)
    return Response(EMPTY_TWIML, media_type=MediaType.XML)
