"""What every answer carries and what no request may be (issue 15, items 11-12), on both
engines: the security headers, no-store on personal answers, the API document without a
third party's viewer, no inline script in any template, the body limit on every router,
and database errors that never log their parameters."""

from __future__ import annotations

import re

import pytest
from litestar.testing import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from booking.container import build_container
from booking.web.app import create_app
from tests.support.scenarios import request
from tests.support.settings import ROOT, make_settings
from tests.support.staff import add_everyone, bearer

pytestmark = pytest.mark.usefixtures("two_sites")


def test_every_answer_carries_the_security_headers(container, client):
    visit = container.visits.book(request())
    admin = bearer(client, add_everyone(container)["admin"])
    stylesheet = re.search(r'href="(/static/[^"]+\.css)"', client.get("/").text).group(1)
    answers = {
        "home": client.get("/"),
        "a page not found": client.get("/nulle-part"),
        "a visit": client.get(
            f"/api/v1/appointments/{visit.appointment.reference}",
            headers={"X-Manage-Token": visit.token},
        ),
        "the agenda": client.get("/api/v1/staff/sites/paris/agenda", headers=admin),
        "an API error": client.get("/api/v1/sites/nowhere/slots?procedure=x&from=a&to=b"),
        "the sign-in page": client.get("/staff/login"),
        "a static file": client.get(stylesheet),
    }
    for what, answer in answers.items():
        headers = answer.headers
        policy = headers.get("content-security-policy", "")
        assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy, what
        assert "unsafe-inline" not in policy, what
        assert headers["x-content-type-options"] == "nosniff", what
        assert headers["referrer-policy"] == "no-referrer", what
        assert "strict-transport-security" not in headers, what  # public_url is http here
        if what != "a static file":
            assert headers["cache-control"] == "no-store", what
    assert "no-store" not in answers["a static file"].headers["cache-control"]


def test_hsts_when_the_service_is_public_over_https(database_url, clock):
    container = build_container(
        make_settings(database_url, public_url="https://rdv.example.fr"), clock=clock
    )
    with TestClient(create_app(container)) as client:
        assert "max-age=" in client.get("/").headers["strict-transport-security"]
    container.engine.dispose()


def test_the_api_document_is_served_without_a_third_partys_viewer(client):
    for path in ("/schema", "/schema/openapi.json"):
        answer = client.get(path)
        assert answer.status_code == 200 and answer.json()["openapi"].startswith("3.")
        assert "<script" not in answer.text


def test_no_template_has_an_inline_script_or_handler():
    for template in (ROOT / "booking" / "web" / "templates").rglob("*.html"):
        source = template.read_text()
        assert not re.search(r"\son[a-z]+\s*=", source), template
        assert not re.search(r"<script(?![^>]*\ssrc=)", source), template
        assert "style=" not in source, template


def test_a_body_over_64_kib_is_refused_on_every_router(client):
    big = "x" * (65 * 1024)
    for path, kwargs in (
        ("/staff/login", {"data": {"email": "a@example.org", "password": big}}),
        ("/api/v1/staff/login", {"json": {"email": "a@example.org", "password": big}}),
        ("/rendez-vous/recapitulatif", {"data": {"name": big}}),
        ("/api/v1/appointments", {"json": {"name": big}}),
    ):
        assert client.post(path, **kwargs).status_code == 413, path


def test_a_database_error_does_not_show_its_parameters(container):
    with pytest.raises(DBAPIError) as failed, container.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO no_such_table (email) VALUES (:email)"),
            {"email": "amina.diallo@example.org"},
        )
    assert "amina.diallo@example.org" not in str(failed.value)
    assert "parameters hidden" in str(failed.value)
