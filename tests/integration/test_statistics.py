"""Attendance figures on both engines, on synthetic histories whose figures are known by
construction; CSV; who may read them."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from tests.support.histories import MONDAY, history, mondays
from tests.support.staff import add_everyone, bearer


def thousand_mondays(container) -> None:
    days = mondays(1000)
    cancelled_at = datetime(2025, 12, 1, tzinfo=UTC)
    rows = (
        [{"day": d, "status": "no_show"} for d in days[:150]]
        + [{"day": d, "status": "seen"} for d in days[150:950]]
        + [{"day": d, "status": "booked"} for d in days[950:980]]  # past, nobody recorded them
        + [
            {
                "day": d,
                "status": "cancelled_by_citizen",
                "cancelled_at": cancelled_at,
                "cancelled_late": i < 5,
            }
            for i, d in enumerate(days[980:])
        ]
    )
    history(container, rows)


def test_a_thousand_monday_visits_with_150_no_shows(container, two_sites, client):
    thousand_mondays(container)
    manager = bearer(client, add_everyone(container)["manager"])
    answer = client.get(
        "/api/v1/stats/attendance?site=paris&from=2026-01-01&to=2026-03-22&by=weekday",
        headers=manager,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    (monday,) = body["rows"]
    assert monday["key"] == 0
    assert (monday["due"], monday["seen"], monday["no_show"]) == (980, 800, 150)
    assert (monday["unrecorded"], monday["cancelled_late"]) == (30, 5)
    assert monday["no_show_rate"] == 150 / 950
    assert monday["ci_low"] < 150 / 950 < monday["ci_high"]
    assert body["total"] == {k: v for k, v in monday.items() if k != "key"}
    assert body["previous"] == {
        "from": "2025-10-12",
        "to": "2025-12-31",
        "total": {
            "due": 0,
            "seen": 0,
            "no_show": 0,
            "unrecorded": 0,
            "cancelled_late": 0,
            "no_show_rate": None,
            "ci_low": None,
            "ci_high": None,
        },
    }


def test_groupings_by_lead_time_and_channel(container, two_sites, client):
    history(
        container,
        [
            {"day": MONDAY, "status": "no_show", "lead": 0},
            {"day": MONDAY, "status": "seen", "lead": 2, "channel": "phone"},
            {"day": MONDAY, "status": "seen", "lead": 45},
            {"day": MONDAY, "status": "seen", "lead": 20},
            {"day": MONDAY, "status": "seen", "lead": 4},
        ],
    )
    manager = bearer(client, add_everyone(container)["manager"])
    url = "/api/v1/stats/attendance?site=paris&from=2026-01-05&to=2026-01-05&by="
    leads = client.get(url + "lead_time", headers=manager).json()["rows"]
    assert [(r["key"], r["no_show"], r["seen"]) for r in leads] == [
        ("0", 1, 0),
        ("1-2", 0, 1),
        ("3-7", 0, 1),
        ("15-30", 0, 1),
        ("31+", 0, 1),
    ]
    channels = client.get(url + "channel", headers=manager).json()["rows"]
    assert [(r["key"], r["due"]) for r in channels] == [("phone", 1), ("web", 4)]


def test_the_figures_come_as_csv_too(container, two_sites, client):
    thousand_mondays(container)
    manager = bearer(client, add_everyone(container)["manager"])
    url = "/api/v1/stats/attendance?site=paris&from=2026-01-01&to=2026-03-22&by=weekday"
    for request in (
        {"url": url + "&format=csv", "headers": manager},
        {"url": url, "headers": {**manager, "Accept": "text/csv"}},
    ):
        answer = client.get(**request)
        assert answer.headers["content-type"].startswith("text/csv")
        table = list(csv.reader(io.StringIO(answer.text)))
        assert table[0] == [
            "key",
            "due",
            "seen",
            "no_show",
            "unrecorded",
            "cancelled_late",
            "no_show_rate",
            "ci_low",
            "ci_high",
        ]
        assert table[1][:6] == ["0", "980", "800", "150", "30", "5"]
        assert float(table[1][6]) == 150 / 950 and answer.text.endswith("\r\n")


def test_only_managers_and_admins_of_the_site_read_its_figures(container, two_sites, client):
    emails = add_everyone(container)
    url = "/api/v1/stats/attendance?site=paris&from=2026-01-01&to=2026-01-31"
    assert client.get(url).status_code == 401
    for who, status in (
        ("manager", 200),
        ("site_admin", 200),
        ("admin", 200),
        ("agent", 403),
        ("stranger", 403),
    ):
        assert client.get(url, headers=bearer(client, emails[who])).status_code == status
    bad = client.get(url + "&by=colour", headers=bearer(client, emails["manager"]))
    assert bad.status_code == 422
