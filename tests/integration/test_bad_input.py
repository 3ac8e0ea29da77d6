"""Bad input gets a clear 4xx, never a 500 (issue 15, items 13-14), on both engines: NUL behind
any Content-Type, dates the service cannot hold, digits that are not ASCII or too many, JSON
nested too deep, and LIKE's wildcards typed into the agenda's search. The last test sends
these shapes to every parameter and body field of every operation of the API document."""

from __future__ import annotations

import pytest

from tests.support.scenarios import TUESDAY_9, request
from tests.support.staff import add_everyone, bearer

HOSTILE = (
    "0001-01-01",
    "9999-12-31",
    "9999-12-31T09:00:00+01:00",
    "0001-01-01T00:00:00+00:00",
    "9999-12",
    "²",
    "٣",
    "9" * 25,
    "a%00b",
    "%_%",
)
HOSTILE_NUMBERS = (10**25, -(10**25), 0)
DEEP = b"[" * 1000 + b"]" * 1000


pytestmark = pytest.mark.usefixtures("two_sites")


@pytest.fixture
def admin(container, client) -> dict[str, str]:
    return bearer(client, add_everyone(container)["admin"])


def test_nul_in_a_mislabelled_form_body_is_refused(client):
    for content_type in ("text/plain", "application/octet-stream", ""):
        answer = client.post(
            "/rendez-vous/recapitulatif",
            content=b"procedure=residence-permit-pickup&site=paris&name=A%00B",
            headers={"Content-Type": content_type} if content_type else {},
        )
        assert answer.status_code == 422, (content_type, answer.status_code)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/sites/paris/slots?procedure=residence-permit-pickup&from=0001-01-01&to=0001-01-02",
        "/api/v1/sites/paris/slots?procedure=residence-permit-renewal&from=2026-03-24"
        "&to=2026-03-25&permit_expires=0001-01-01",
        "/api/v1/staff/sites/paris/agenda?date=0001-01-01",
        "/api/v1/staff/sites/paris/messages?date=9999-12-31",
        "/api/v1/staff/sites/paris/audit?date=0001-01-01",
        "/api/v1/stats/attendance?site=paris&from=0001-01-01&to=0001-01-31",
        "/api/v1/staff/sites/paris/agenda?counter=9999999999999999999999999",
    ],
)
def test_dates_and_numbers_the_service_cannot_hold_are_a_422(client, admin, path):
    answer = client.get(path, headers=admin)
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["message"]


def test_a_start_in_year_9999_or_0001_is_a_422(client):
    for start in ("9999-12-31T09:00:00+01:00", "0001-01-01T09:00:00+00:00"):
        body = {"site_id": "paris", "procedure_id": "residence-permit-pickup", "start": start}
        answer = client.post("/api/v1/appointments", json={**body, "name": "A", "phone": "0612"})
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "start"


def test_the_slot_page_of_month_9999_12_answers(client):
    query = "procedure=residence-permit-pickup&site=paris"
    for month in ("9999-12", "0001-01", "²²²²-12"):
        assert client.get(f"/rendez-vous/creneau?{query}&month={month}").status_code == 200


def test_json_nested_a_thousand_levels_is_refused(client):
    for path in ("/api/v1/staff/login", "/api/v1/appointments"):
        answer = client.post(path, content=DEEP, headers={"Content-Type": "application/json"})
        assert answer.status_code == 422, answer.text


def test_page_fields_with_non_ascii_or_too_many_digits(container, client):
    from tests.integration.test_staff_access import page_session

    cookies, csrf = page_session(container, client, add_everyone(container)["admin"])
    client.cookies.update(cookies)
    forms = {
        "/staff/sites/paris/guichets": {"name": "G9", "capacity": "²", "counter_id": "9" * 25},
        "/staff/sites/paris/guichets/1/horaires": {"weekday-0": "²", "start-0": "09:00"},
        "/staff/sites/paris/reglages": {"reminder_hour": "²", "day_closes_at": "18:00"},
        "/staff/sites/paris/fermetures": {
            "start_date": "2026-03-24",
            "reason": "x",
            "counter": "9" * 25,
        },
    }
    for path, form in forms.items():
        answer = client.post(path, data={**form, "csrf": csrf}, follow_redirects=False)
        assert answer.status_code < 500, (path, answer.status_code)
    assert client.get("/staff/sites/paris/agenda?counter=²").status_code == 200


def test_the_agendas_search_matches_percent_and_underscore_literally(container, client, admin):
    container.visits.book(request(name="Jean_Martin"))
    container.visits.book(request(name="JeanXMartin", start=TUESDAY_9.replace(minute=15)))
    url = "/api/v1/staff/sites/paris/agenda?date=2026-03-24"
    assert len(client.get(url, headers=admin).json()["appointments"]) == 2
    found = container.desk.agenda(_admin(container), "paris", TUESDAY_9.date(), search="Jean_")
    assert [row.appointment.name for row in found.rows] == ["Jean_Martin"]
    assert (
        container.desk.agenda(_admin(container), "paris", TUESDAY_9.date(), search="%").rows == []
    )


def _admin(container):  # type: ignore[no-untyped-def]
    return container.staff.sign_in(
        "admin@paris.example.org", "correct horse battery staple", address="x", kind="bearer"
    ).actor


def _filled(path: str) -> str:
    for name, value in (
        ("{site_id:str}", "paris"),
        ("{site_id}", "paris"),
        ("{reference:str}", "AAAAAAAA"),
        ("{reference}", "AAAAAAAA"),
        ("{counter_id:int}", "1"),
        ("{counter_id}", "1"),
        ("{id}", "residence-permit-pickup"),
        ("{procedure_id}", "residence-permit-pickup"),
    ):
        path = path.replace(name, value)
    return path


def test_every_operation_answers_hostile_shapes_with_a_4xx(client, admin):
    document = client.get("/schema/openapi.json").json()
    sent = 0
    for path, operations in document["paths"].items():
        url = _filled(path)
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "delete"):
                continue
            params = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            fields = list(_properties(document, body.get("schema", {})))
            for value in HOSTILE:
                query = {name: value for name in params}
                json = {name: value for name in fields} if fields else None
                answer = client.request(method.upper(), url, params=query, json=json, headers=admin)
                assert answer.status_code < 500, (method, url, value, answer.text[:200])
                sent += 1
            for number in HOSTILE_NUMBERS if fields else ():
                answer = client.request(
                    method.upper(), url, json={name: number for name in fields}, headers=admin
                )
                assert answer.status_code < 500, (method, url, number, answer.text[:200])
            if method != "get":
                deep = client.request(
                    method.upper(),
                    url,
                    content=DEEP,
                    headers={**admin, "Content-Type": "application/json"},
                )
                assert deep.status_code < 500, (method, url, "deep", deep.text[:200])
    assert sent > 200


def _properties(document: dict, schema: dict) -> dict:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    for option in schema.get("oneOf", []) + schema.get("anyOf", []):
        found = _properties(document, option)
        if found:
            return found
    return schema.get("properties", {})
