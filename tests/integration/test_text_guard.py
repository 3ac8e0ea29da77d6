"""The NUL character is refused with a clear 422 on both engines, wherever it comes, and
nothing is written (PostgreSQL cannot store it; SQLite would)."""

from __future__ import annotations

from tests.support.settings import count
from tests.support.staff import add_everyone

REFUSED = "La demande contient un caractère non autorisé."


def test_a_nul_character_is_refused_before_any_handler(container, two_sites, client):
    add_everyone(container)
    login = client.post("/api/v1/staff/login", json={"email": "a\u0000b", "password": "x"})
    assert login.status_code == 422 and login.json()["detail"] == REFUSED
    booking = client.post(
        "/api/v1/appointments",
        json={
            "site_id": "paris",
            "procedure_id": "residence-permit-pickup",
            "start": "2026-03-25T09:00:00+01:00",
            "name": "Amina\u0000",
            "phone": "06 12 34 56 78",
        },
    )
    assert booking.status_code == 422 and booking.json()["detail"] == REFUSED
    form = client.post(
        "/staff/login",
        content=b"email=a%00b&password=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert form.status_code == 422
    assert client.get("/api/v1/appointments/AB%00C").status_code == 422
    assert client.get("/api/v1/sites/paris/slots?procedure=a%00").status_code == 422
    assert count(container, "SELECT count(*) FROM appointment") == 0
    assert count(container, "SELECT count(*) FROM sign_in_failure") == 0
    # A percent sign and zeros in JSON text are fine.
    fine = client.post("/api/v1/staff/login", json={"email": "100%00@x.fr", "password": "x"})
    assert fine.status_code == 401
