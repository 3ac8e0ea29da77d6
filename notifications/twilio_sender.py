"""SMS through Twilio's official client (over `twilio_http`), in the dispatcher's threads.

`api_base` replaces Twilio's host (tests point it at a local fake of the REST API).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client
from urllib3.exceptions import HTTPError as Urllib3Error

from notifications.senders import Outgoing, SendError
from notifications.twilio_http import PooledHttpClient

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
    connections: int = 16  # kept open to the API, one per message sent side by side


class TwilioSender:
    def __init__(self, settings: TwilioSettings) -> None:
        if not (settings.from_number or settings.messaging_service_sid):
            raise ValueError("Twilio needs a sender number or a Messaging Service SID")
        http_client = PooledHttpClient(
            api_base=settings.api_base, connections=settings.connections, timeout=20
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
        except (Urllib3Error, OSError, TwilioException) as exc:
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
        except (TwilioRestException, Urllib3Error, OSError, TwilioException) as exc:
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
