"""The limits live in the database: two web processes (real `guichet serve` processes on one
PostgreSQL database) count one client's attempts together (issue 16)."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.servers import wait_until_answering
from tools.live_server import free_port

ROOT = Path(__file__).resolve().parents[2]


def start(database_url: str, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "GUICHET_DATABASE_URL": database_url,
        "GUICHET_ENVIRONMENT": "development",
        "GUICHET_SECRET_KEY": "processes-secret-0123456789",
        "GUICHET_FORWARDED_ALLOW_IPS": "127.0.0.1",
        "GUICHET_DISPATCH_IN_SERVE": "false",
        "GUICHET_LOG_LEVEL": "warning",
    }
    command = [sys.executable, "-m", "booking.cli", "serve", "--port", str(port)]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_until_answering(f"http://127.0.0.1:{port}/health/live", process)
    return process


@pytest.fixture
def two_processes(database_url: str) -> Iterator[list[int]]:
    if not database_url.startswith("postgres"):
        pytest.skip("several processes share one PostgreSQL database")
    ports = [free_port(), free_port()]
    processes = [start(database_url, port) for port in ports]
    yield ports
    for process in processes:
        process.terminate()
        process.wait(10)


def attempt(port: int) -> tuple[int, dict[str, str]]:
    body = {  # an unknown site: a 422, but an attempt all the same
        "site_id": "nowhere",
        "procedure_id": "residence-permit-pickup",
        "start": "2030-01-08T09:00:00+01:00",
        "name": "Bot",
        "phone": "06 12 34 56 78",
    }
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json", "X-Forwarded-For": "198.51.100.66"}
    connection.request("POST", "/api/v1/appointments", json.dumps(body), headers)
    answer = connection.getresponse()
    answer.read()
    return answer.status, {name.lower(): value for name, value in answer.getheaders()}


def test_attempts_past_the_limit_are_refused_whichever_process_answers(two_processes):
    answers = [attempt(two_processes[n % 2]) for n in range(21)]
    assert [status for status, _ in answers[:20]] == [422] * 20
    status, headers = answers[20]
    assert status == 429 and int(headers["retry-after"]) > 0
    assert attempt(two_processes[0])[0] == 429 and attempt(two_processes[1])[0] == 429
