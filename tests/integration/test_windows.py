"""A counter's weekly windows by a site admin, on both engines: read, replace, dry run, booked
visits left outside or on a moved grid, replaced windows kept for the statistics."""

from __future__ import annotations

import pytest

from tests.support.scenarios import TUESDAY_9, request
from tests.support.settings import count
from tests.support.staff import add_everyone, bearer

MORNINGS = [{"weekday": d, "start": "09:00", "end": "12:00"} for d in range(5)]

pytestmark = pytest.mark.usefixtures("two_sites")


@pytest.fixture
def admin(container, client) -> dict[str, str]:
    return bearer(client, add_everyone(container)["site_admin"])


def url(counter: int = 1) -> str:
    return f"/api/v1/staff/sites/paris/counters/{counter}/windows"


def test_read_then_replace_keeps_the_past_windows(container, client, admin):
    before = client.get(url(), headers=admin)
    assert before.status_code == 200
    assert {
        "weekday": 0,
        "start": "09:00",
        "end": "12:00",
        "valid_from": None,
        "valid_to": None,
    } in (before.json())
    answer = client.put(url(), json={"windows": MORNINGS}, headers=admin)
    assert answer.status_code == 200 and answer.json()["saved"] is True
    assert answer.json()["windows"][0]["valid_from"] == "2026-03-23"
    after = client.get(url(), headers=admin).json()
    assert len(after) == 5 and all(w["end"] == "12:00" for w in after)
    kept = "SELECT count(*) FROM opening_window WHERE valid_to = '2026-03-22'"
    assert count(container, kept) == 10  # the old mornings and afternoons, closed yesterday
    slots = client.get(
        "/api/v1/sites/paris/slots?procedure=residence-permit-pickup&from=2026-03-24&to=2026-03-24"
    ).json()["slots"]
    assert slots and all(s["start"] < "2026-03-24T12:00" for s in slots)


def test_a_visit_left_outside_or_on_a_moved_grid_is_affected(container, client, admin):
    afternoon = container.visits.book(request(start=TUESDAY_9.replace(hour=14))).appointment
    morning = container.visits.book(request()).appointment
    only_mornings = client.put(url(), json={"windows": MORNINGS, "dry_run": True}, headers=admin)
    assert [a["reference"].replace("-", "") for a in only_mornings.json()["affected"]] == [
        afternoon.reference
    ]
    shifted = [{**w, "start": "09:05"} for w in MORNINGS] + [
        {"weekday": d, "start": "13:30", "end": "16:30"} for d in range(5)
    ]
    moved = client.put(url(), json={"windows": shifted}, headers=admin)
    assert moved.status_code == 409
    assert [a["reference"].replace("-", "") for a in moved.json()["affected"]] == [
        morning.reference
    ]
    assert count(container, "SELECT count(*) FROM opening_window WHERE valid_to IS NOT NULL") == 0
    done = client.put(url(), json={"windows": shifted, "cancel_affected": True}, headers=admin)
    assert done.status_code == 200 and done.json()["saved"]
    cancelled = "SELECT count(*) FROM appointment WHERE status = 'cancelled_by_office'"
    assert count(container, cancelled) == 1
    told = "SELECT count(*) FROM notification WHERE kind = 'cancellation'"
    assert count(container, told) == 1


def test_bad_windows_are_422_with_the_field(client, admin):
    for windows, field in (
        ([{"weekday": 0, "start": "12:00", "end": "09:00"}], "windows[0].end"),
        ([{"weekday": 0, "start": "9h", "end": "12:00"}], "windows[0].start"),
        (
            [
                {"weekday": 0, "start": "09:00", "end": "12:00"},
                {"weekday": 0, "start": "11:00", "end": "13:00"},
            ],
            "windows[1].start",
        ),
    ):
        answer = client.put(url(), json={"windows": windows}, headers=admin)
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == field


def test_another_sites_counter_is_unknown_and_agents_may_not(container, client, admin):
    assert client.get(url(2), headers=admin).status_code == 404  # counter 2 is Lyon's
    agent = bearer(client, "agent@paris.example.org")
    assert client.get(url(), headers=agent).status_code == 403


def test_counters_are_added_renamed_and_given_their_procedures(container, client, admin):
    listed = client.get("/api/v1/staff/sites/paris/counters", headers=admin).json()
    assert [(c["name"], c["procedures"]) for c in listed] == [
        ("Guichet", ["residence-permit-pickup"])
    ]
    added = client.post(
        "/api/v1/staff/sites/paris/counters",
        json={"name": "Guichet 2", "capacity": 2, "procedures": ["naturalisation-interview"]},
        headers=admin,
    )
    assert added.status_code == 201 and added.json()["id"]
    changed = client.put(
        f"/api/v1/staff/sites/paris/counters/{added.json()['id']}",
        json={"name": "Bureau 2", "capacity": 3, "procedures": ["residence-permit-pickup"]},
        headers=admin,
    )
    assert changed.json() == {
        "id": added.json()["id"],
        "name": "Bureau 2",
        "capacity": 3,
        "procedures": ["residence-permit-pickup"],
        "active": True,
    }
    bad = client.post(
        "/api/v1/staff/sites/paris/counters",
        json={"name": "X", "procedures": ["no-such-procedure"]},
        headers=admin,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "procedures"
    lyon = client.put(
        "/api/v1/staff/sites/paris/counters/2",
        json={"name": "Pris", "procedures": []},
        headers=admin,
    )
    assert lyon.status_code == 404  # counter 2 is Lyon's


def test_a_visit_inside_new_hours_whose_grid_moved_under_it_is_affected(container, client, admin):
    """08:50 instead of 09:00: the 09:00 visit still lies inside the window, but the grid now
    runs 08:50, 09:05…: it is no longer a start of the counter."""
    morning = container.visits.book(request()).appointment
    earlier = [{**w, "start": "08:50"} for w in MORNINGS] + [
        {"weekday": d, "start": "13:30", "end": "16:30"} for d in range(5)
    ]
    moved = client.put(url(), json={"windows": earlier, "dry_run": True}, headers=admin)
    assert [a["reference"].replace("-", "") for a in moved.json()["affected"]] == [
        morning.reference
    ]
    same_grid = [{**w, "start": "08:45"} for w in earlier[:5]] + earlier[5:]
    kept = client.put(url(), json={"windows": same_grid, "dry_run": True}, headers=admin)
    assert kept.json()["affected"] == []  # 08:45 keeps 09:00 on the grid
