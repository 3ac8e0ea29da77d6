"""CSRF is one guard (`booking/web/shared/csrf.py`), and the app's own route table proves that
no unsafe page route escapes it: every staff form without its session's token is refused,
and no page takes a form posted from another site."""

from __future__ import annotations

import pytest
from litestar.routes import HTTPRoute

from booking.web.shared.csrf import csrf_guard
from tests.integration.test_staff_access import concrete, page_session
from tests.support.scenarios import request
from tests.support.staff import add_everyone

pytestmark = pytest.mark.usefixtures("two_sites")
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def unsafe_page_routes(app) -> list[tuple[str, str, object]]:  # type: ignore[no-untyped-def]
    """(method, path, handler) of every route of the pages (not the JSON API) that changes
    something."""
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith(("/api/", "/schema")):
            continue
        for handler in route.route_handlers:
            for method in sorted(handler.http_methods & UNSAFE):
                found.append((method, route.path, handler))
    return found


def test_every_unsafe_page_route_is_behind_the_csrf_guard(client):
    routes = unsafe_page_routes(client.app)
    assert len(routes) >= 15  # the citizen's and the staff's forms
    escaped = [(m, p) for m, p, handler in routes if csrf_guard not in handler.resolve_guards()]
    assert escaped == []


def test_every_staff_form_without_its_token_is_refused(container, client):
    emails = add_everyone(container)
    reference = container.visits.book(request()).appointment.reference
    cookies, csrf = page_session(container, client, emails["admin"])
    checked = 0
    for method, template, handler in unsafe_page_routes(client.app):
        if not template.startswith("/staff") or handler.opt.get("public"):
            continue
        url = concrete(template, reference)
        for sent in ({}, {"csrf": "not-the-token"}, {"csrf": csrf[:-1]}):
            client.cookies.update(cookies)
            answer = client.request(method, url, data=sent, follow_redirects=False)
            client.cookies.clear()
            assert answer.status_code == 403, (method, url, sent, answer.status_code)
            assert "Ce formulaire a expiré" in answer.text.replace("\u00a0", " ")
        checked += 1
    assert checked >= 10


def test_a_form_posted_from_another_site_is_refused_on_every_page(container, client):
    emails = add_everyone(container)
    reference = container.visits.book(request()).appointment.reference
    cookies, csrf = page_session(container, client, emails["admin"])
    foreign = (
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "https://attacker.example"},
        {"Sec-Fetch-Site": "same-site", "Origin": "https://rdv.attacker.example"},
    )
    for method, template, _ in unsafe_page_routes(client.app):
        url = concrete(template, reference)
        for headers in foreign:
            client.cookies.update(cookies)
            answer = client.request(
                method, url, data={"csrf": csrf}, headers=headers, follow_redirects=False
            )
            client.cookies.clear()
            assert answer.status_code == 403, (method, url, headers, answer.status_code)


def test_our_own_pages_pass_the_origin_check(container, client):
    emails = add_everyone(container)
    cookies, csrf = page_session(container, client, emails["admin"])
    own = client.base_url.scheme + "://" + client.base_url.netloc.decode()
    for headers in ({"Sec-Fetch-Site": "same-origin"}, {"Origin": own}, {}):
        client.cookies.update(cookies)
        answer = client.post(
            "/staff/logout", data={"csrf": csrf}, headers=headers, follow_redirects=False
        )
        client.cookies.clear()
        assert answer.status_code == 303, (headers, answer.text)
        cookies, csrf = page_session(container, client, emails["admin"])
