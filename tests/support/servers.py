"""Waiting for a server process the test started: its answer, or the reason it has none."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request


def wait_until_answering(url: str, process: subprocess.Popen, timeout: float = 60) -> dict:
    """The JSON `url` answers once the process serves it (it must not have stopped)."""
    deadline = time.monotonic() + timeout
    while True:
        assert process.poll() is None, f"the server stopped ({process.args})"
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                return json.load(answer)
        except OSError:
            assert time.monotonic() < deadline, f"no answer from {url}"
            time.sleep(0.2)
