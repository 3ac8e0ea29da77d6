"""Health and a lost database (issue 18): live, ready and jobs answers; with the database
unreachable the process still starts and answers, ready says 503, pages and the API answer a
503 with Retry-After, never a 500."""

from __future__ import annotations

from datetime import timedelta

from litestar.testing import TestClient

from booking.container import build_container
from booking.migrate import migrate
from booking.web.app import create_app
from notifications.outbox import Message, enqueue
from tests.support.settings import make_settings

NOWHERE = "postgresql://postgres@127.0.0.1:1/nothing"  # no server listens on port 1


def test_live_ready_and_jobs_answer_ok(container, client):
    container.periodic.run_due()  # the jobs have run once
    for path in ("/health/live", "/health/ready", "/health/jobs"):
        answer = client.get(path)
        assert answer.status_code == 200, (path, answer.text)
        assert answer.json()["status"] == "ok"
    checks = client.get("/health/ready").json()["checks"]
    assert checks["database"]["ok"] and checks["migrations"]["ok"]


def test_a_backlog_fails_the_jobs_check_not_readiness(container, client, clock):
    with container.uow.writing() as session:
        message = Message(
            idempotency_key="late",
            channel="sms",
            kind="reminder",
            recipient="+33612345678",
            body="x",
            due_at=clock.moment - timedelta(minutes=6),
        )
        enqueue(session, [message], clock.moment)
    container.periodic.run_due()
    jobs = client.get("/health/jobs")
    assert jobs.status_code == 503 and not jobs.json()["checks"]["outbox"]["ok"]
    assert "360 s" in jobs.json()["checks"]["outbox"]["detail"]
    assert client.get("/health/ready").status_code == 200


def test_a_schema_behind_the_code_is_not_ready(tmp_path, clock):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate(url, "0016")
    built = build_container(make_settings(url), clock=clock)
    with TestClient(create_app(built)) as client:
        answer = client.get("/health/ready")
    assert answer.status_code == 503
    assert not answer.json()["checks"]["migrations"]["ok"]
    built.engine.dispose()


def test_without_its_database_the_service_starts_and_answers_503_never_500(clock):
    built = build_container(make_settings(NOWHERE), clock=clock)
    with TestClient(create_app(built)) as client:
        assert client.get("/health/live").status_code == 200
        ready = client.get("/health/ready")
        assert ready.status_code == 503 and not ready.json()["checks"]["database"]["ok"]
        api = client.get(
            "/api/v1/sites/paris/slots?procedure=residence-permit-pickup&from=2026-03-24&to=2026-03-24"
        )
        assert api.status_code == 503 and api.headers["retry-after"] == "5"
        assert set(api.json()) == {"detail", "errors"}
        booking = client.post(
            "/api/v1/appointments",
            json={
                "site_id": "paris",
                "procedure_id": "residence-permit-pickup",
                "start": "2026-03-24T09:00:00+01:00",
                "name": "Amina Diallo",
                "phone": "06 12 34 56 78",
            },
        )
        assert booking.status_code == 503
        page = client.get(
            "/rendez-vous/lieu?procedure=residence-permit-pickup", headers={"Accept-Language": "fr"}
        )
        assert page.status_code == 503 and "Service momentanément indisponible" in page.text
        assert page.headers["retry-after"] == "5"
    built.engine.dispose()


def test_every_answer_carries_a_request_id_the_trusted_proxy_may_give(database_url, clock):
    built = build_container(
        make_settings(database_url, forwarded_allow_ips="testclient"), clock=clock
    )
    with TestClient(create_app(built)) as client:
        own = client.get("/health/live").headers["x-request-id"]
        assert len(own) == 32 and own != client.get("/health/live").headers["x-request-id"]
        given = client.get("/health/live", headers={"X-Request-Id": "proxy-42.a_b"})
        assert given.headers["x-request-id"] == "proxy-42.a_b"
        odd = client.get("/health/live", headers={"X-Request-Id": "a b\\u00e9"})
        assert (
            odd.headers["x-request-id"] != "a b\\u00e9" and len(odd.headers["x-request-id"]) == 32
        )
    built.engine.dispose()
    untrusted = build_container(make_settings(database_url), clock=clock)
    with TestClient(create_app(untrusted)) as client:
        answer = client.get("/health/live", headers={"X-Request-Id": "proxy-42"})
        assert answer.headers["x-request-id"] != "proxy-42"  # nobody trusted: a new one
    untrusted.engine.dispose()


def test_metrics_need_the_token_and_count_what_happened(database_url, clock):
    from tests.support.scenarios import request, setup_site

    built = build_container(make_settings(database_url, metrics_token="m" * 24), clock=clock)
    setup_site(built)
    built.visits.book(request())
    with TestClient(create_app(built)) as client:
        assert client.get("/metrics").status_code == 403  # no token: loopback only
        client.get("/api/v1/sites")
        answer = client.get("/metrics", headers={"Authorization": "Bearer " + "m" * 24})
    assert answer.status_code == 200
    text = answer.text
    assert 'guichet_bookings_total{channel="web",outcome="booked"}' in text
    assert 'guichet_http_requests_total{method="GET",route="/api/v1/sites",status="200"}' in text
    assert "guichet_outbox_pending 2.0" in text  # the confirmation and the reminder
    assert "guichet_outbox_oldest_due_age_seconds" in text
    built.engine.dispose()
