"""What `guichet serve` writes: the address, one line a request without its query string, one
line a batch of messages; never a manage token; no scheduler chatter at the default level."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import date, timedelta

from tests.support.settings import ROOT
from tools.live_server import free_port


def call(url: str, body: dict | None = None) -> dict | bytes:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if body is not None else {}
    with urllib.request.urlopen(urllib.request.Request(url, data, headers), timeout=10) as answer:
        raw = answer.read()
    return json.loads(raw) if answer.headers.get_content_type() == "application/json" else raw


def wait_until_up(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, "guichet serve stopped"
        try:
            call(f"{base}/api/v1/procedures")
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("guichet serve did not answer")


def test_serve_logs_requests_and_batches_without_tokens_or_ticks(tmp_path):
    port = free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "GUICHET_ENVIRONMENT": "development",
        "GUICHET_DATABASE_URL": f"sqlite:///{tmp_path}/logs.db",
        "GUICHET_PORT": str(port),
        "GUICHET_DISPATCH_INTERVAL_SECONDS": "1",
        "GUICHET_QUIET_HOURS": "false",
    }
    guichet = [sys.executable, "-m", "booking.cli"]
    for command in ("migrate", "demo"):
        subprocess.run([*guichet, command], cwd=ROOT, env=env, check=True, capture_output=True)
    server = subprocess.Popen(
        [*guichet, "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, server)
        call(f"{base}/api/v1/sites")
        day = date.today() + timedelta(days=14)
        slots = call(
            f"{base}/api/v1/sites/paris/slots?procedure=residence-permit-pickup"
            f"&from={day}&to={day + timedelta(days=14)}"
        )
        booked = call(
            f"{base}/api/v1/appointments",
            {
                "site_id": "paris",
                "procedure_id": "residence-permit-pickup",
                "start": slots["slots"][0]["start"],
                "name": "Amina Diallo",
                "phone": "06 12 34 56 78",
                "declared": ["pickup-notification", "passport", "tax-stamp"],
            },
        )
        token = booked["token"]
        forged = urllib.request.Request(
            f"{base}/api/v1/staff/login",
            json.dumps({"email": "nobody@example.org", "password": "wrong"}).encode(),
            {"Content-Type": "application/json", "X-Forwarded-For": "203.0.113.9"},
        )
        try:
            urllib.request.urlopen(forged, timeout=10)
        except urllib.error.HTTPError as refused:
            assert refused.code == 401
        calendar = call(f"{base}/api/v1/appointments/{booked['reference']}.ics?token={token}")
        assert calendar.startswith(b"BEGIN:VCALENDAR")
        time.sleep(2.5)  # a dispatcher tick or two
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=20)
    lines = output.splitlines()
    assert any(f"http://127.0.0.1:{port}/" in line for line in lines[:3]), lines[:5]
    assert any("GET /api/v1/sites 200" in line for line in lines)
    assert any(f"GET /api/v1/appointments/{booked['reference']}.ics 200" in line for line in lines)
    assert any("batch of 1 messages: 1 sent" in line for line in lines), output
    assert token not in output and "token=" not in output
    assert "apscheduler" not in output and "Running job" not in output
    # No proxy is trusted by default, loopback included: the socket's address is recorded.
    with sqlite3.connect(tmp_path / "logs.db") as db:
        addresses = {row[0] for row in db.execute("SELECT address FROM sign_in_failure")}
    assert addresses == {"127.0.0.1"}


def test_serve_refuses_the_development_secret_off_loopback(tmp_path):
    guichet = [sys.executable, "-m", "booking.cli", "serve"]
    env = {"PATH": "/usr/bin:/bin", "GUICHET_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    for environment, host in (("development", "0.0.0.0"), ("production", "127.0.0.1")):
        done = subprocess.run(
            [*guichet, "--host", host, "--port", str(free_port())],
            cwd=ROOT,
            env={**env, "GUICHET_ENVIRONMENT": environment},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2, done.stderr
        assert "GUICHET_SECRET_KEY" in done.stderr and "Traceback" not in done.stderr


def test_json_log_lines_carry_the_request_id_and_no_token(tmp_path):
    import json as jsonlib

    port = free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "GUICHET_ENVIRONMENT": "development",
        "GUICHET_DATABASE_URL": f"sqlite:///{tmp_path}/json.db",
        "GUICHET_PORT": str(port),
        "GUICHET_LOG_FORMAT": "json",
    }
    guichet = [sys.executable, "-m", "booking.cli"]
    subprocess.run([*guichet, "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)
    server = subprocess.Popen(
        [*guichet, "serve"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, server)
        with urllib.request.urlopen(f"{base}/health/live?token=secret-value") as answer:
            rid = answer.headers["X-Request-Id"]
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=20)
    lines = [jsonlib.loads(line) for line in output.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line["logger"] == "guichet.requests"]
    assert any(rid in line["message"] and "/health/live" in line["message"] for line in requests)
    assert "secret-value" not in output
