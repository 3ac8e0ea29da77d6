"""SMS through Twilio's official client, kept off the event loop by the dispatcher's thread.

`api_base` replaces Twilio's host (tests point it at a local fake of the REST API).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from requests import RequestException
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from notifications.senders import Outgoing, SendError

OPTED_OUT = 21610
# Numbers that can never receive: invalid, not a mobile, unreachable region, blocked.
PERMANENT_CODES = {21211, 21214, 21408, 21612, 21614, 21606, 21635, 30003, 30005, 30006}
CREATED_SLACK = timedelta(minutes=2)


@dataclass(frozen=True)
class TwilioSettings:
    account_sid: str
    auth_token: str
    from_number: str | None = None
    messaging_service_sid: str | None = None
    api_base: str | None = None  # e.g. http://127.0.0.1:8765 for a local fake
    status_callback: str | None = None


class BaseUrlHttpClient(TwilioHttpClient):
    """Twilio's own HTTP client, sending to another base URL."""

    def __init__(self, api_base: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.api_base = api_base.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        return super().request(
            method, re.sub(r"^https://[^/]+", self.api_base, url), *args, **kwargs
        )


class TwilioSender:
    def __init__(self, settings: TwilioSettings) -> None:
        if not (settings.from_number or settings.messaging_service_sid):
            raise ValueError("Twilio needs a sender number or a Messaging Service SID")
        http_client = (
            BaseUrlHttpClient(settings.api_base, timeout=20) if settings.api_base else None
        )
        self.settings = settings
        self.client = Client(settings.account_sid, settings.auth_token, http_client=http_client)

    def send(self, message: Outgoing) -> str:
        options: dict[str, Any] = {"to": message.recipient, "body": message.body}
        if self.settings.messaging_service_sid:
            options["messaging_service_sid"] = self.settings.messaging_service_sid
        else:
            options["from_"] = self.settings.from_number
        if self.settings.status_callback:
            options["status_callback"] = self.settings.status_callback
        try:
            return self.client.messages.create(**options).sid
        except TwilioRestException as exc:
            raise _send_error(exc) from exc
        except (RequestException, TwilioException) as exc:
            raise SendError(f"twilio unreachable: {exc}", permanent=False) from exc

    def find_sent(self, message: Outgoing) -> str | None:
        """A message with this body to this number, created since it was handed over.

        Twilio has no idempotency key: this is how a message whose answer was lost (the
        worker died) is not sent twice. A queued message has no send date yet, so match on
        the creation date.
        """
        since = message.handed_at - CREATED_SLACK if message.handed_at else None
        try:
            listed = self.client.messages.list(to=message.recipient, limit=50)
        except (TwilioRestException, RequestException, TwilioException) as exc:
            raise SendError(f"twilio list failed: {exc}", permanent=False) from exc
        for sent in listed:
            if sent.body == message.body and (since is None or sent.date_created >= since):
                return sent.sid
        return None


def _send_error(exc: TwilioRestException) -> SendError:
    reason = f"twilio {exc.code}: {exc.msg}"
    if exc.code == OPTED_OUT:
        return SendError(reason, permanent=True, opted_out=True)
    if exc.code in PERMANENT_CODES or (
        exc.status and 400 <= exc.status < 500 and exc.status != 429
    ):
        return SendError(reason, permanent=True)
    return SendError(reason, permanent=False)
