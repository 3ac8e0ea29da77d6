"""The database goes away and comes back (issue 18), through a TCP proxy in front of the shared
PostgreSQL that the test cuts: answers are 201, 409 or 503 — never a 500 —, nothing is
half-written, and the service recovers by itself, without a restart."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from litestar.testing import TestClient
from sqlalchemy.engine import make_url

from booking.container import build_container
from booking.demo.builders import add_counter, add_site
from booking.web.app import create_app
from tests.support.settings import make_settings
from tests.support.tcp_proxy import TcpProxy

SLOTS = "/api/v1/sites/paris/slots?procedure=residence-permit-pickup&from=2026-03-24&to=2026-03-24"


@pytest.fixture
def proxied(database_url, clock):  # type: ignore[no-untyped-def]
    if not database_url.startswith("postgres"):
        pytest.skip("a PostgreSQL server to lose")
    url = make_url(database_url)
    proxy = TcpProxy(url.port or 5432)
    # A connection the cut left half-open must not hold a lock for minutes: the server ends a
    # transaction whose client went silent, and a wait for a lock, within seconds.
    bounded = "-c lock_timeout=3000 -c idle_in_transaction_session_timeout=3000"
    through = (
        url.set(port=proxy.port)
        .update_query_dict({"options": bounded, "keepalives_idle": "2", "keepalives_interval": "1"})
        .render_as_string(hide_password=False)
    )
    built = build_container(make_settings(through), clock=clock)
    with built.uow.writing() as session:
        add_counter(session, add_site(session), capacity=3, procedures=("residence-permit-pickup",))
    yield built, proxy
    built.engine.dispose()
    proxy.close()


def booking(n: int) -> dict:
    start = f"2026-03-24T{9 + n // 4:02d}:{15 * (n % 4):02d}:00+01:00"
    return {
        "site_id": "paris",
        "procedure_id": "residence-permit-pickup",
        "start": start,
        "name": f"Visiteur {n}",
        "phone": f"06 12 34 56 {n:02d}",
        "declared": ["pickup-notification", "passport", "tax-stamp"],
    }


def test_lost_then_back_the_service_answers_503_then_recovers_without_a_restart(proxied):
    container, proxy = proxied
    with TestClient(create_app(container)) as client:
        assert client.get(SLOTS).status_code == 200
        proxy.cut()
        lost = client.get(SLOTS)
        assert lost.status_code == 503 and lost.headers["retry-after"]
        assert client.get("/health/ready").status_code == 503
        assert client.post("/api/v1/appointments", json=booking(0)).status_code == 503
        proxy.restore()
        answers = [client.get(SLOTS).status_code for _ in range(3)]
        assert answers[-1] == 200 and set(answers) <= {200, 503}  # back by itself
        assert client.get("/health/ready").status_code == 200
        assert client.post("/api/v1/appointments", json=booking(1)).status_code == 201


def test_postgresql_restarted_during_bookings_answers_and_writes_nothing_by_halves(clock):
    """Our own PostgreSQL, really restarted while citizens book: 201, 409 or 503, never a 500;
    every visit with its messages; the service goes on without a restart."""
    from booking.migrate import migrate
    from tests.support.private_postgres import PrivatePostgres

    if not PrivatePostgres.available():
        pytest.skip("no PostgreSQL binaries to start a private server")
    server = PrivatePostgres()
    try:
        url = server.start()
        migrate(url)
        built = build_container(make_settings(url), clock=clock)
        with built.uow.writing() as session:
            site = add_site(session)
            add_counter(session, site, capacity=3, procedures=("residence-permit-pickup",))
        with TestClient(create_app(built)) as client:

            def book(n: int) -> int:
                key = {"Idempotency-Key": f"restart-{n}"}
                return client.post(
                    "/api/v1/appointments", json=booking(n % 12), headers=key
                ).status_code

            with ThreadPoolExecutor(max_workers=4) as pool:
                first = [pool.submit(book, n) for n in range(8)]
                statuses = [future.result() for future in first]  # before: all answered
                restart = pool.submit(server.restart)
                pending = [pool.submit(book, n) for n in range(8, 24)]
                restart.result()
                statuses += [future.result() for future in pending]
            assert set(statuses) <= {201, 409, 503}, statuses
            assert 201 in statuses[:8] and 503 in statuses[8:]
            after = [client.get(SLOTS).status_code for _ in range(3)]
            assert after[-1] == 200  # back by itself
            for n, status in enumerate(statuses):
                if status == 503:
                    assert book(n) in (201, 409)
        with built.engine.connect() as conn:
            half = conn.exec_driver_sql(
                "SELECT count(*) FROM appointment a WHERE NOT EXISTS"
                " (SELECT 1 FROM notification n WHERE n.appointment_id = a.id)"
            ).scalar_one()
        assert half == 0
        built.engine.dispose()
    finally:
        server.remove()
