"""The authorization matrix, built from the app's own route table so that no new staff route
can escape it: every staff route, page or JSON, against anonymous, each role, and a staff
member of another site; and a JSON route called with the pages' cookie alone."""

from __future__ import annotations

import re

import pytest
from litestar.routes import HTTPRoute
from sqlalchemy import text

from booking.core.access import GRANTS, Permission
from booking.use_cases.staff_accounts import digest
from tests.support.scenarios import request
from tests.support.staff import PASSWORD, add_everyone, bearer

PUBLIC = {"/staff/login", "/api/v1/staff/login"}
ANY_SIGNED_IN = {"/staff", "/staff/logout", "/api/v1/staff/logout", "/staff/mot-de-passe"}
WHO = ("agent", "site_admin", "manager", "admin", "stranger")
BODIES = {  # a valid body for each JSON route that takes one, by the path's last part
    "cancel": {"reason": "Test"},
    "documents": {"presented": []},
    "windows": {"windows": [], "dry_run": True},
    "counters": {"name": "Guichet 9", "procedures": ["residence-permit-pickup"]},
    "1": {"name": "Guichet 1", "capacity": 2, "procedures": ["residence-permit-pickup"]},
    "closures": {
        "start_date": "2026-03-24",
        "end_date": "2026-03-24",
        "reason": "Test",
        "dry_run": True,
    },
    "waitlist": {
        "procedure_id": "residence-permit-pickup",
        "site_ids": ["paris"],
        "from": "2026-03-24",
        "to": "2026-03-26",
        "name": "Jean Martin",
        "phone": "06 44 44 44 44",
        "declared": ["pickup-notification", "passport", "tax-stamp"],
    },
    "appointments": {
        "site_id": "paris",
        "procedure_id": "residence-permit-pickup",
        "name": "Jean Martin",
        "channel": "phone",
        "declared": ["pickup-notification", "passport", "tax-stamp"],
    },
}

pytestmark = pytest.mark.usefixtures("two_sites")


def staff_routes(app) -> list[tuple[str, str, str | None]]:  # type: ignore[no-untyped-def]
    """(method, path template, permission) of every staff route, pages and JSON."""
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith(
            ("/staff", "/api/v1/staff", "/api/v1/stats")
        ):
            continue
        for handler in route.route_handlers:
            for method in sorted(handler.http_methods - {"HEAD", "OPTIONS"}):
                found.append((method, route.path, handler.opt.get("permission")))
    return found


def concrete(path: str, reference: str) -> str:
    path = path.replace("{site_id:str}", "paris").replace("{reference:str}", reference)
    path = path.replace("{move:str}", "call").replace("{counter_id:int}", "1")
    path = path.replace("{table:str}", "attendance").replace("{entry:int}", "1")
    path = path.replace("{offer:str}", "AAAAAAAAAAAA")
    assert not re.search(r"{\w+", path), f"a path parameter the matrix does not know: {path}"
    if "/stats" in path:
        path += "?site=paris&from=2026-03-01&to=2026-03-22"
    return path


def page_session(container, client, email: str) -> tuple[dict[str, str], str]:  # type: ignore[no-untyped-def]
    client.cookies.clear()
    answer = client.post(
        "/staff/login", data={"email": email, "password": PASSWORD}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    cookie = answer.cookies["guichet_staff"]
    with container.engine.connect() as connection:
        csrf = connection.execute(
            text("SELECT csrf FROM staff_session WHERE digest = :digest"),
            {"digest": digest(cookie)},
        ).scalar_one()
    client.cookies.clear()
    return {"guichet_staff": cookie}, csrf


# Who may do what, written out here rather than read from `GRANTS` (the table under test).
MAY = {
    "agent": {"agenda", "counter"},
    "site_admin": {"agenda", "counter", "run_site", "statistics"},
    "manager": {"statistics"},
    "admin": {"agenda", "counter", "run_site", "statistics"},
}


def allowed(role: str, permission: str | None, who: str) -> bool:
    if permission is None:
        return True
    return permission in MAY[role] and who != "stranger"


def test_the_written_out_table_is_the_services_own():
    assert {role: {p.value for p in GRANTS[role]} for role in MAY} == MAY


def test_every_staff_route_declares_who_may_use_it(client):
    for method, path, permission in staff_routes(client.app):
        assert permission in {p.value for p in Permission} or path in PUBLIC | ANY_SIGNED_IN, (
            method,
            path,
        )


def test_the_authorization_matrix(container, client):
    emails = add_everyone(container)
    reference = container.visits.book(request()).appointment.reference
    routes = staff_routes(client.app)
    assert len(routes) >= 10
    tokens = {who: bearer(client, emails[who]) for who in WHO}
    sessions = {who: page_session(container, client, emails[who]) for who in WHO}
    roles = {"stranger": "agent"} | {who: who for who in WHO if who != "stranger"}
    checked = 0
    for method, template, permission in routes:
        if template in PUBLIC or template.endswith("/logout"):
            continue
        url = concrete(template, reference)
        is_page = template.startswith("/staff")
        body = BODIES.get(template.rsplit("/", 1)[-1], {})
        anonymous = client.request(method, url, follow_redirects=False)
        if is_page:
            assert anonymous.status_code == 303 and anonymous.headers["location"] == "/staff/login"
        else:
            assert anonymous.status_code == 401, (method, url, anonymous.text)
        for who in WHO:
            if is_page:
                cookies, csrf = sessions[who]
                client.cookies.update(cookies)
                answer = client.request(
                    method,
                    url,
                    data={"csrf": csrf} if method == "POST" else None,
                    follow_redirects=False,
                )
                client.cookies.clear()
            else:
                answer = client.request(method, url, headers=tokens[who], json=body)
            expected = allowed(roles[who], permission, who)
            if expected:
                assert answer.status_code not in (401, 403), (
                    who,
                    method,
                    url,
                    re.findall(r"<h1>.*?</h1>\s*<p>.*?</p>", answer.text, re.S),
                )
            else:
                # Another site's visit answers as an unknown one: nothing is told about it.
                refused = (403, 404) if who == "stranger" and "{reference" in template else (403,)
                assert answer.status_code in refused, (who, method, url, answer.status_code)
            checked += 1
        if not is_page:  # the pages' cookie alone never opens a JSON route
            cookies, _ = sessions["admin"]
            client.cookies.update(cookies)
            assert client.request(method, url, json=body).status_code == 401
            client.cookies.clear()
    assert checked >= 40


def test_a_page_form_without_its_csrf_token_is_refused(container, client):
    emails = add_everyone(container)
    reference = container.visits.book(request()).appointment.reference
    cookies, csrf = page_session(container, client, emails["agent"])
    client.cookies.update(cookies)
    url = f"/staff/sites/paris/visits/{reference}/call"
    assert client.post(url, data={}, follow_redirects=False).status_code == 403
    assert client.post(url, data={"csrf": "forged"}, follow_redirects=False).status_code == 403
    assert client.post(url, data={"csrf": csrf}, follow_redirects=False).status_code == 303
