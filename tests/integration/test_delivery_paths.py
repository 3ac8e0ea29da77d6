"""The calendar endpoint, email over real SMTP, the dispatcher inside `serve`, quiet logs."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message as EmailMessage

import pytest
from aiosmtpd.controller import Controller
from icalendar import Calendar
from litestar.testing import TestClient

from booking.container import build_container
from booking.demo.builders import add_counter, add_site
from booking.web.app import create_app
from booking.worker import build_dispatcher, start_scheduler
from tests.support.settings import count, make_settings


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def seeded(container) -> None:
    with container.uow.writing() as session:
        site = add_site(session)
        add_counter(session, site)


def book(client, **changes) -> dict:
    body = {
        "site_id": "paris",
        "procedure_id": "residence-permit-pickup",
        "start": "2026-03-24T09:00:00+01:00",
        "name": "Amina Diallo",
        "phone": "06 12 34 56 78",
        "email": "amina@example.fr",
    } | changes
    response = client.post("/api/v1/appointments", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_calendar_endpoint_with_the_token_in_the_query(container):
    seeded(container)
    with TestClient(create_app(container)) as client:
        body = book(client)
        reference = body["reference"]
        response = client.get(f"/api/v1/appointments/{reference}.ics?token={body['token']}")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/calendar")
        event = Calendar.from_ical(response.content).walk("VEVENT")[0]
        assert event.decoded("DTSTART").strftime("%H:%M") == "09:00"
        assert client.get(f"/api/v1/appointments/{reference}.ics?token=wrong").status_code == 404
        assert client.get(f"/api/v1/appointments/{reference}.ics").status_code == 404
        client.post(
            f"/api/v1/appointments/{reference}/cancel", headers={"X-Manage-Token": body["token"]}
        )
        cancelled = client.get(
            f"/api/v1/appointments/{reference}.ics", headers={"X-Manage-Token": body["token"]}
        )
        assert Calendar.from_ical(cancelled.content)["METHOD"] == "CANCEL"


def test_email_goes_through_smtp_with_the_calendar_part(database_url, clock, smtp):
    inbox, port = smtp
    settings = make_settings(
        database_url,
        email_backend="smtp",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_from="rdv@prefecture.example",
    )
    container = build_container(settings, clock=clock)
    seeded(container)
    with TestClient(create_app(container)) as client:
        book(client, notify=["email"])
    build_dispatcher(container).run_until_idle()
    [mail] = inbox.messages
    assert mail["To"] == "amina@example.fr" and "24 mars" in mail["Subject"]
    calendar_part = next(p for p in mail.walk() if p.get_content_type() == "text/calendar")
    assert calendar_part.get_param("method") == "REQUEST"
    assert Calendar.from_ical(calendar_part.get_payload(decode=True))["METHOD"] == "REQUEST"
    assert (
        "Passeport"
        in next(p for p in mail.walk() if p.get_content_type() == "text/plain")
        .get_payload(decode=True)
        .decode()
    )
    container.engine.dispose()


def test_serve_sends_due_messages_by_itself(database_url, clock):
    container = build_container(
        make_settings(database_url, dispatch_interval_seconds=1), clock=clock
    )
    seeded(container)
    with TestClient(create_app(container, background=lambda: start_scheduler(container))) as client:
        book(client)
        deadline = time.monotonic() + 15
        while count(container, "SELECT count(*) FROM notification WHERE status = 'sent'") < 2:
            assert time.monotonic() < deadline, "the embedded dispatcher sent nothing"
            time.sleep(0.2)
    container.engine.dispose()


def test_manage_tokens_never_reach_the_logs(container, caplog):
    seeded(container)
    with TestClient(create_app(container)) as client:
        body = book(client)
    caplog.set_level(logging.DEBUG, logger="guichet.notifications")
    build_dispatcher(container).run_until_idle()
    assert "RDV confirm" in caplog.text
    assert body["token"] not in caplog.text
