"""Staff accounts on both engines: passwords changed and reset, the CLI, the demo's accounts,
the client's address behind a trusted proxy, the agenda's search."""

from __future__ import annotations

import subprocess
import sys

import pytest

from booking import staff_cli
from booking.core.access import Forbidden, NotSignedIn, Role
from booking.core.errors import InvalidRequest
from tests.support.scenarios import TUESDAY_9, request
from tests.support.settings import ROOT
from tests.support.staff import PASSWORD, add_everyone, bearer


def sign_in(container, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return container.staff.sign_in(email, password, address="test", kind="bearer")


def test_a_member_changes_their_password_and_a_site_admin_resets_one(container, two_sites, client):
    emails = add_everyone(container)
    agent = sign_in(container, emails["agent"]).actor
    with pytest.raises(InvalidRequest):
        container.staff.change_password(agent, "not it", "a brand new password")
    with pytest.raises(InvalidRequest):
        container.staff.change_password(agent, PASSWORD, "short")
    container.staff.change_password(agent, PASSWORD, "a brand new password")
    assert sign_in(container, emails["agent"], "a brand new password").actor.role == "agent"
    admin = sign_in(container, emails["site_admin"]).actor
    token = sign_in(container, emails["agent"], "a brand new password").token
    container.staff.reset_password(admin, emails["agent"], "given at the desk 42")
    with pytest.raises(NotSignedIn):  # a reset ends the member's sessions
        container.staff.authenticate(token, kind="bearer", address="test")
    assert sign_in(container, emails["agent"], "given at the desk 42")
    stranger = sign_in(container, emails["stranger"]).actor
    with pytest.raises(Forbidden):  # another site's agent
        container.staff.reset_password(stranger, emails["manager"], "given at the desk 42")
    with pytest.raises(Forbidden):  # a site admin cannot touch an admin
        container.staff.reset_password(admin, emails["admin"], "given at the desk 42")


def test_the_cli_adds_an_account_from_standard_input_and_disables_it(
    database_url, two_sites, client
):
    env = {
        "GUICHET_DATABASE_URL": database_url,
        "PATH": "/usr/bin:/bin",
        "GUICHET_ENVIRONMENT": "development",
    }
    guichet = [sys.executable, "-m", "booking.cli", "staff"]
    added = subprocess.run(
        [*guichet, "add", "Agent@Paris.example.org", "--role", "agent", "--site", "paris"],
        input="a password from stdin\n",
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert added.returncode == 0, added.stderr
    assert "agent@paris.example.org" in added.stdout
    short = subprocess.run(
        [*guichet, "add", "x@paris.example.org", "--role", "agent"],
        input="short\n",
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert short.returncode == 2 and "at least 12 characters" in short.stderr
    disabled = subprocess.run(
        [*guichet, "disable", "agent@paris.example.org"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert disabled.returncode == 0


def test_the_demo_accounts_exist_in_development_only(container, two_sites, client):
    from dataclasses import replace

    container.settings = replace(container.settings, environment="production")
    assert staff_cli.add_demo_accounts(container) == []
    container.settings = replace(container.settings, environment="development")
    created = staff_cli.add_demo_accounts(container)
    assert len(created) == 4
    assert sign_in(container, "admin@demo.guichet.fr", staff_cli.DEMO_PASSWORD).actor.role == (
        Role.admin
    )


def test_sign_in_limits_count_the_client_behind_a_trusted_proxy(container, two_sites, client):
    emails = add_everyone(container)
    container.settings = container.settings.replace(forwarded_allow_ips="testclient")
    wrong = {"email": emails["agent"], "password": "not the password"}
    for index in range(20):  # 20 failures from one client, over different accounts
        client.post(
            "/api/v1/staff/login",
            json={**wrong, "email": f"nobody{index}@x.example.org"},
            headers={"X-Forwarded-For": "203.0.113.7"},
        )
    blocked = client.post(
        "/api/v1/staff/login",
        json={"email": emails["agent"], "password": PASSWORD},
        headers={"X-Forwarded-For": "203.0.113.7"},
    )
    assert blocked.status_code == 429
    other = client.post(
        "/api/v1/staff/login",
        json={"email": emails["agent"], "password": PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.9"},
    )
    assert other.status_code == 200  # another client behind the same proxy


def test_the_agenda_finds_a_visit_by_reference_or_name(container, two_sites, client, clock):
    setup = container.visits.book(request(name="Jean Martin")).appointment
    container.visits.book(request(start=TUESDAY_9.replace(hour=10)))
    agent = bearer(client, add_everyone(container)["agent"])
    url = "/api/v1/staff/sites/paris/agenda?date=2026-03-24"
    assert len(client.get(url, headers=agent).json()["appointments"]) == 2
    actor = sign_in(container, "agent@paris.example.org").actor
    by_name = container.desk.agenda(actor, "paris", TUESDAY_9.date(), search="martin")
    display = f"{setup.reference[:3]}-{setup.reference[3:6]}-{setup.reference[6:]}"
    by_reference = container.desk.agenda(actor, "paris", TUESDAY_9.date(), search=display.lower())
    assert [r.appointment.reference for r in by_name.rows] == [setup.reference]
    assert [r.appointment.reference for r in by_reference.rows] == [setup.reference]
