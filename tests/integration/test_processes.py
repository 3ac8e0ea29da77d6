"""Several web processes on one PostgreSQL database (issue 18): `guichet serve --workers 2`
starts two, answers from both, and stops on SIGTERM in under 10 s; SQLite refuses with why."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path

import pytest

from booking.demo.builders import add_counter, add_site
from tests.support.servers import wait_until_answering
from tools.live_server import free_port

ROOT = Path(__file__).resolve().parents[2]


def environment(database_url: str, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "GUICHET_DATABASE_URL": database_url,
        "GUICHET_ENVIRONMENT": "development",
        "GUICHET_SECRET_KEY": "processes-secret-0123456789",
        "GUICHET_PORT": str(port),
        "GUICHET_LOG_LEVEL": "warning",
    }


def children(pid: int) -> list[int]:
    found = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(line) for line in found.stdout.split()]


def test_serve_with_two_workers_answers_and_stops_on_sigterm(container, database_url):
    if not database_url.startswith("postgres"):
        pytest.skip("several web processes share a PostgreSQL database")
    with container.uow.writing() as session:
        site = add_site(session)
        add_counter(session, site, capacity=5, procedures=("residence-permit-pickup",))
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "booking.cli", "serve", "--workers", "2"],
        cwd=ROOT,
        env=environment(database_url, port),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_until_answering(f"{base}/health/ready", server)["status"] == "ok"
        workers = [pid for pid in children(server.pid) if children(pid) is not None]
        assert len(workers) >= 2  # the two web processes (beside uvicorn's own helpers)
        for _ in range(10):  # answered by either: the same sites
            with urllib.request.urlopen(f"{base}/api/v1/sites", timeout=5) as answer:
                assert [s["id"] for s in json.load(answer)] == ["paris"]
        day = date.today() + timedelta(days=10)
        slots = f"{base}/api/v1/sites/paris/slots?procedure=residence-permit-pickup"
        with urllib.request.urlopen(f"{slots}&from={day}&to={day + timedelta(days=7)}") as found:
            starts = [slot["start"] for slot in json.load(found)["slots"]]
        for n in range(4):  # four bookings, through whichever process answers
            body = {
                "site_id": "paris",
                "procedure_id": "residence-permit-pickup",
                "start": starts[n],
                "name": f"Visiteur {n}",
                "phone": f"06 12 34 56 0{n}",
                "declared": ["pickup-notification", "passport", "tax-stamp"],
            }
            booking = urllib.request.Request(
                f"{base}/api/v1/appointments",
                json.dumps(body).encode(),
                {"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(booking, timeout=10) as answer:
                assert answer.status == 201
        with urllib.request.urlopen(f"{base}/metrics", timeout=5) as answer:
            text = answer.read().decode()
        assert 'guichet_bookings_total{channel="web",outcome="booked"} 4.0' in text
    finally:
        began = time.monotonic()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=15)
        stopped = time.monotonic() - began
    assert stopped < 10
    assert server.returncode == 0


def test_two_workers_on_sqlite_are_refused_with_the_reason(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "booking.cli", "serve", "--workers", "2"],
        cwd=ROOT,
        env=environment(f"sqlite:///{tmp_path / 'one.db'}", free_port()),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "--workers needs PostgreSQL" in done.stderr


def test_two_serves_and_two_workers_run_each_job_once(container, database_url):
    """Four processes tick the periodic jobs (each web process runs the scheduler too): within
    one period, each job ran once, in one of them. And a booking made through one web process
    is out of the other's next slot list (its cached list is checked against the database)."""
    if not database_url.startswith("postgres"):
        pytest.skip("several processes share a PostgreSQL database")
    with container.uow.writing() as session:
        site = add_site(session)
        add_counter(session, site, capacity=1, procedures=("residence-permit-pickup",))
    ports = [free_port(), free_port()]
    processes = []
    for port in ports:
        env = {**environment(database_url, port), "GUICHET_LOG_LEVEL": "info"}
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "booking.cli", "serve"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    for _ in range(2):
        env = {**environment(database_url, free_port()), "GUICHET_LOG_LEVEL": "info"}
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "booking.cli", "worker"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    try:
        for port, process in zip(ports, processes, strict=False):
            wait_until_answering(f"http://127.0.0.1:{port}/health/live", process)
        day = date.today() + timedelta(days=10)
        query = f"procedure=residence-permit-pickup&from={day}&to={day + timedelta(days=7)}"
        b = f"http://127.0.0.1:{ports[1]}/api/v1/sites/paris/slots?{query}"
        with urllib.request.urlopen(b) as found:  # process B computes and caches its list
            start = json.load(found)["slots"][0]["start"]
        booking = urllib.request.Request(
            f"http://127.0.0.1:{ports[0]}/api/v1/appointments",
            json.dumps(
                {
                    "site_id": "paris",
                    "procedure_id": "residence-permit-pickup",
                    "start": start,
                    "name": "Par A",
                    "phone": "06 12 34 56 98",
                    "declared": ["pickup-notification", "passport", "tax-stamp"],
                }
            ).encode(),
            {"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(booking) as booked:  # through process A
            assert booked.status == 201
        with urllib.request.urlopen(b) as found:
            assert start not in [slot["start"] for slot in json.load(found)["slots"]]
        time.sleep(12)  # beyond the 10 s tick of every process, within the 30 s period
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        outputs = [process.communicate(timeout=20)[0] for process in processes]
    ran = "\n".join(outputs)
    for job in ("housekeeping", "day_closing", "holds", "offers"):
        assert ran.count(f"periodic job {job} ran") == 1, (job, ran[-2000:])


def test_a_request_in_flight_when_sigterm_comes_is_answered(container, database_url):
    """SIGTERM while a booking's body is still arriving: the server finishes that request
    (an answer, not a reset), then exits."""
    import socket

    with container.uow.writing() as session:
        site = add_site(session)
        add_counter(session, site, capacity=5, procedures=("residence-permit-pickup",))
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "booking.cli", "serve"],
        cwd=ROOT,
        env={**environment(database_url, port), "GUICHET_DISPATCH_IN_SERVE": "false"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_answering(f"http://127.0.0.1:{port}/health/live", server)
        day = date.today() + timedelta(days=10)
        slots = (
            f"http://127.0.0.1:{port}/api/v1/sites/paris/slots?procedure=residence-permit-pickup"
        )
        with urllib.request.urlopen(f"{slots}&from={day}&to={day + timedelta(days=7)}") as found:
            start = json.load(found)["slots"][0]["start"]
        body = json.dumps(
            {
                "site_id": "paris",
                "procedure_id": "residence-permit-pickup",
                "start": start,
                "name": "En Vol",
                "phone": "06 12 34 56 99",
                "declared": ["pickup-notification", "passport", "tax-stamp"],
            }
        ).encode()
        with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
            head = (
                f"POST /api/v1/appointments HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode()
            sock.sendall(head + body[:20])
            time.sleep(0.3)
            server.send_signal(signal.SIGTERM)  # the request is in flight
            time.sleep(0.3)
            sock.sendall(body[20:])
            answer = sock.recv(4096).decode("latin-1")
        assert answer.startswith("HTTP/1.1 201"), answer[:200]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=15)


def test_a_served_process_puts_what_startup_made_out_of_the_collectors_reach(tmp_path, monkeypatch):
    import gc

    from litestar.testing import TestClient

    import booking.asgi
    from booking.migrate import migrate

    url = f"sqlite:///{tmp_path}/served.db"
    migrate(url)
    for name, value in environment(url, 0).items():
        if name.startswith("GUICHET_"):
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("GUICHET_DISPATCH_IN_SERVE", "false")
    monkeypatch.setattr(booking.asgi, "configure_logging", lambda *_: None)  # the tests' own
    gc.unfreeze()
    try:
        with TestClient(booking.asgi.app_from_settings()) as client:
            assert gc.get_freeze_count() > 0
            assert client.get("/health/live").status_code == 200
    finally:
        gc.unfreeze()
