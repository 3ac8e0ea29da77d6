"""Callbacks of the SMS provider (Twilio): delivery statuses and replies, signature checked."""

from __future__ import annotations

from typing import Any

import anyio
from litestar import MediaType, Request, Response, post
from litestar.exceptions import PermissionDeniedException
from twilio.request_validator import RequestValidator

from booking.config.settings import Settings
from booking.web.deps import RepliesDep, SettingsDep
from booking.web.errors import documented_errors

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


async def _verified_form(request: Request, settings: Settings) -> dict[str, str]:
    """The posted form, if Twilio signed it for the public URL it called; else a 403."""
    token = settings.twilio_auth_token
    signature = request.headers.get("x-twilio-signature")
    form = {key: str(value) for key, value in (await request.form()).items()}
    public = settings.public_url.rstrip("/") + request.url.path
    if request.url.query:
        public += "?" + request.url.query
    if not token or not signature or not RequestValidator(token).validate(public, form, signature):
        raise PermissionDeniedException("invalid signature")
    return form


@post("/twilio/status", status_code=204, responses=documented_errors(403, 422))
async def twilio_status(request: Request, settings: SettingsDep, replies: RepliesDep) -> None:
    form = await _verified_form(request, settings)
    await anyio.to_thread.run_sync(
        replies.delivery_status,
        form.get("MessageSid", ""),
        form.get("MessageStatus", ""),
        form.get("ErrorCode"),
    )


@post("/twilio/inbound", status_code=200, responses=documented_errors(403, 422))
async def twilio_inbound(
    request: Request, settings: SettingsDep, replies: RepliesDep
) -> Response[Any]:
    form = await _verified_form(request, settings)
    await anyio.to_thread.run_sync(replies.sms_received, form.get("From", ""), form.get("Body", ""))
    return Response(EMPTY_TWIML, media_type=MediaType.XML)
