"""Senders behind one small protocol: console (embedded default), Twilio (SMS), SMTP (email)."""

from __future__ import annotations

import logging
import re
import smtplib
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Protocol

log = logging.getLogger("guichet.notifications")
SECRET_FRAGMENT = re.compile(r"#[A-Za-z0-9_-]{8,}")
SECRET_MARKER = re.compile(r"\[\[\w+\]\]")


def mask_tokens(body: str) -> str:
    """A message as staff and logs may see it: manage tokens (link fragments) and the markers
    of secrets filled only when sent, masked."""
    return SECRET_MARKER.sub("…", SECRET_FRAGMENT.sub("#…", body))


@dataclass(frozen=True)
class Outgoing:
    id: int
    channel: str
    recipient: str
    body: str
    subject: str | None = None
    attachment: str | None = None
    attachment_method: str | None = None
    handed_at: datetime | None = None


class SendError(Exception):
    """The provider refused. `permanent` ones are not retried; `opted_out` marks the number."""

    def __init__(self, reason: str, *, permanent: bool, opted_out: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.permanent, self.opted_out = reason, permanent, opted_out


class Sender(Protocol):
    def send(self, message: Outgoing) -> str:
        """Hand the message over; return the provider's id. Raises SendError."""
        ...

    def find_sent(self, message: Outgoing) -> str | None:
        """The provider's id if this message already went out (its answer may have been lost)."""
        ...


class ConsoleSender:
    """Nothing leaves the machine: the outbox row is the record; the log says it was 'sent'."""

    def send(self, message: Outgoing) -> str:
        body = mask_tokens(message.body)  # manage tokens never go to a log
        log.debug("console %s to %s: %s", message.channel, _masked(message.recipient), body)
        return f"console-{message.id}"

    def find_sent(self, message: Outgoing) -> str | None:
        return None


def _masked(recipient: str) -> str:
    return recipient[:4] + "…" + recipient[-2:] if len(recipient) > 6 else "…"


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    starttls: bool = False


class SmtpSender:
    """Email through SMTP, with the calendar file as `text/calendar; method=…`."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def build(self, message: Outgoing) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.settings.sender
        email["To"] = message.recipient
        email["Subject"] = message.subject or ""
        email["Message-ID"] = f"<guichet-{message.id}@{self.settings.sender.split('@')[-1]}>"
        email.set_content(message.body)
        if message.attachment:
            email.add_attachment(
                message.attachment.encode(),
                maintype="text",
                subtype="calendar",
                filename="rendez-vous.ics",
                params={"method": message.attachment_method or "REQUEST"},
            )
        return email

    def send(self, message: Outgoing) -> str:
        settings = self.settings
        try:
            with smtplib.SMTP(settings.host, settings.port, timeout=20) as smtp:
                if settings.starttls:
                    smtp.starttls()
                if settings.username:
                    smtp.login(settings.username, settings.password or "")
                smtp.send_message(self.build(message))
        except smtplib.SMTPRecipientsRefused as exc:
            raise SendError(f"recipient refused: {exc}", permanent=True) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise SendError(f"smtp: {exc}", permanent=False) from exc
        return f"smtp-{message.id}"

    def find_sent(self, message: Outgoing) -> str | None:
        return None  # SMTP cannot tell; an email sent twice is the lesser harm
