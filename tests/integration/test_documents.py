"""The document checklist at booking, on the manage page and at the counter (both engines)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from litestar.testing import TestClient

from booking.container import build_container
from booking.core.errors import InvalidRequest
from booking.demo.builders import add_counter, add_site
from booking.domain import appointments, documents
from booking.web.app import create_app
from tests.support.settings import ROOT, count, make_settings

RENEWAL_ANSWERS = {
    "permit_expires": "2026-06-20",
    "hosted": True,
    "married": False,
    "situation": "employee",
}
RENEWAL_DECLARED = [
    "passport",
    "current-permit",
    "host-statement",
    "host-identity",
    "host-proof-of-address",
    "photos",
    "payslips",
    "work-contract",
]
START = "2026-03-24T09:00:00+01:00"


@pytest.fixture(autouse=True)
def site(container) -> None:
    with container.uow.writing() as session:
        site = add_site(session)
        add_counter(
            session, site, procedures=("residence-permit-renewal", "residence-permit-pickup")
        )


def renewal(**changes) -> dict:
    body = {
        "site_id": "paris",
        "procedure_id": "residence-permit-renewal",
        "start": START,
        "name": "Amina Diallo",
        "phone": "06 12 34 56 78",
        "answers": RENEWAL_ANSWERS,
        "declared": RENEWAL_DECLARED,
    }
    return body | changes


def test_a_complete_renewal_books_and_lists_exactly_what_applies(client):
    created = client.post("/api/v1/appointments", json=renewal())
    assert created.status_code == 201, created.text
    body = created.json()
    assert [d["id"] for d in body["documents_to_bring"]] == [
        "passport",
        "current-permit",
        "host-statement",
        "host-identity",
        "host-proof-of-address",
        "photos",
        "payslips",
        "work-contract",
        "employer-certificate",
    ]
    photos = next(d for d in body["documents_to_bring"] if d["id"] == "photos")
    assert (
        photos["count"] == 3
        and photos["max_age_months"] == 6
        and photos["label"].startswith("Photos")
    )
    assert body["file_status"] == "declared_complete" and body["missing_documents"] == []
    english = client.get(
        f"/api/v1/appointments/{body['reference']}",
        headers={"X-Manage-Token": body["token"], "Accept-Language": "en"},
    ).json()
    assert english["documents_to_bring"][0]["label"].startswith("Passport")
    assert "proof-of-address" not in [d["id"] for d in english["documents_to_bring"]]


@pytest.mark.parametrize(("language", "label"), [("fr", "Bulletins"), ("en", "payslips")])
def test_missing_documents_are_a_422_listing_them_in_the_request_language(
    client, container, language, label
):
    declared = [d for d in RENEWAL_DECLARED if d not in ("payslips", "work-contract")]
    response = client.post(
        "/api/v1/appointments",
        json=renewal(declared=declared),
        headers={"Accept-Language": language},
    )
    assert response.status_code == 422
    missing = response.json()["missing"]
    assert [m["id"] for m in missing] == ["payslips", "employment-proof"]
    assert label.lower() in missing[0]["label"].lower()
    assert count(container, "SELECT count(*) FROM appointment") == 0


def test_warn_mode_books_and_flags_the_file(client):
    pickup = renewal(procedure_id="residence-permit-pickup", answers={}, declared=["passport"])
    body = client.post("/api/v1/appointments", json=pickup).json()
    assert body["file_status"] == "declared_incomplete"
    assert body["missing_documents"] == ["pickup-notification", "tax-stamp"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"answers": {"hosted": True}}, "answers.permit_expires"),
        ({"answers": RENEWAL_ANSWERS | {"situation": "astronaut"}}, "answers.situation"),
        ({"answers": RENEWAL_ANSWERS | {"colour": "blue"}}, "answers.colour"),
        ({"declared": [*RENEWAL_DECLARED, "unicorn"]}, "declared"),
        ({"answers": RENEWAL_ANSWERS | {"permit_expires": "2027-01-01"}}, "answers.permit_expires"),
    ],
)
def test_checklist_errors_are_422_with_the_field(client, changes, field):
    response = client.post("/api/v1/appointments", json=renewal(**changes))
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]


def test_renewal_outside_its_window_gets_the_reason_and_no_slots(client):
    base = (
        "/api/v1/sites/paris/slots?procedure=residence-permit-renewal&from=2026-03-24&to=2026-03-24"
    )
    refused = client.get(base + "&permit_expires=2026-12-01", headers={"Accept-Language": "en"})
    assert refused.status_code == 422 and "between 4 and 2 months" in refused.json()["detail"]
    assert "slots" not in refused.json()
    assert client.get(base + "&permit_expires=2026-06-20").json()["slots"]


def test_checklist_endpoint_whole_and_applicable(client):
    whole = client.get("/api/v1/procedures/residence-permit-renewal/checklist").json()
    assert {q["id"] for q in whole["questions"]} == {
        "permit_expires",
        "hosted",
        "married",
        "situation",
    }
    assert len(whole["documents"]) == 14 and whole["gate"] == "block"
    employment = [d for d in whole["documents"] if d["group"] == "employment-proof"]
    assert {d["id"] for d in employment} == {"work-contract", "employer-certificate"}
    hosted = next(d for d in whole["documents"] if d["id"] == "host-statement")
    assert hosted["when"] == {"question": "hosted", "equals": True}
    applicable = client.get(
        "/api/v1/procedures/residence-permit-renewal/checklist?hosted=true&situation=employee&married=no"
    ).json()
    assert "proof-of-address" not in [d["id"] for d in applicable["documents"]]
    assert "host-statement" in [d["id"] for d in applicable["documents"]]
    assert applicable["unanswered"] == ["permit_expires"] and applicable["complete"] is False
    assert (
        client.get(
            "/api/v1/procedures/residence-permit-renewal/checklist?hosted=perhaps"
        ).status_code
        == 422
    )
    assert client.get("/api/v1/procedures/nope/checklist").status_code == 404


def test_counter_side_recording(client, container):
    body = client.post("/api/v1/appointments", json=renewal()).json()
    now = container.now()
    with container.uow.writing() as session:
        appointment = appointments.find(session, body["reference"], lock=True)
        documents.record_presented(
            session, container.catalogue, appointment, ["passport", "photos"], now=now
        )
        assert documents.file_status(appointment) == "incomplete"
        assert "current-permit" in appointment.missing_presented
        assert "employment-proof" in appointment.missing_presented
        with pytest.raises(InvalidRequest):
            documents.record_presented(
                session, container.catalogue, appointment, ["spaceship"], now=now
            )
        documents.record_presented(session, container.catalogue, appointment, None, now=now)
        assert (
            documents.file_status(appointment) == "complete" and appointment.file_checked_at == now
        )
    assert (
        count(container, "SELECT count(*) FROM appointment WHERE missing_presented IS NOT NULL")
        == 1
    )


def test_appointments_keep_the_checklist_version_they_were_booked_with(
    client, container, tmp_path, clock
):
    old = client.post("/api/v1/appointments", json=renewal()).json()
    folder = tmp_path / "procedures"
    shutil.copytree(ROOT / "config" / "procedures", folder)
    path = Path(folder / "residence-permit-renewal.toml")
    path.write_text(
        path.read_text()
        + '\n[[documents]]\nid = "new-form"\n'
        + 'label = { fr = "Nouveau formulaire", en = "New form" }\n'
    )
    edited = build_container(
        make_settings(container.settings.database_url, procedures_dir=str(folder)), clock=clock
    )
    assert (
        edited.catalogue.get("residence-permit-renewal").checklist_version
        != container.catalogue.get("residence-permit-renewal").checklist_version
    )
    with TestClient(create_app(edited)) as new_client:
        kept = new_client.get(
            f"/api/v1/appointments/{old['reference']}", headers={"X-Manage-Token": old["token"]}
        )
        assert "new-form" not in [d["id"] for d in kept.json()["documents_to_bring"]]
        refused = new_client.post(
            "/api/v1/appointments", json=renewal(start="2026-03-24T10:00:00+01:00")
        )
        assert [m["id"] for m in refused.json()["missing"]] == ["new-form"]
        fresh = new_client.post(
            "/api/v1/appointments",
            json=renewal(
                start="2026-03-24T10:00:00+01:00", declared=[*RENEWAL_DECLARED, "new-form"]
            ),
        ).json()
        assert "new-form" in [d["id"] for d in fresh["documents_to_bring"]]
    edited.engine.dispose()
    assert count(container, "SELECT count(DISTINCT checklist_version) FROM appointment") == 2
    assert count(container, "SELECT count(*) FROM checklist_version") == 2


def test_a_checklist_version_seen_stored_is_not_written_again(client, container):
    """The first booking stores the version; the second finds it there, and from then on the
    process writes it no more (a version is never deleted)."""
    procedure = container.catalogue.get("residence-permit-renewal")
    key = (procedure.id, procedure.checklist_version)
    stored = container.context.plans.stored_versions
    assert client.post("/api/v1/appointments", json=renewal()).status_code == 201
    assert key not in stored  # written by this booking: it could still have rolled back
    later = renewal(start="2026-03-24T10:00:00+01:00", phone="06 98 76 54 32")
    assert client.post("/api/v1/appointments", json=later).status_code == 201
    assert key in stored
    assert count(container, "SELECT count(*) FROM checklist_version") == 1
