"""A local fake of Twilio's Messages REST API (create and list), over real HTTP on 127.0.0.1.

It records every message it accepts, can refuse given numbers with a Twilio error code, fail
transiently a given number of times, and answer slowly (to kill a worker mid-batch).
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Messages\.json$")
NOT_FOUND = {"code": 20404, "message": "not found", "status": 404}


class FakeTwilio:
    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.refuse: dict[str, int] = {}  # number -> Twilio error code (a 400)
        self.flaky: dict[str, int] = {}  # number -> how many 500s before accepting
        self.delay = 0.0
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeTwilio:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def bodies_to(self, number: str) -> list[str]:
        with self.lock:
            return [m["body"] for m in self.messages if m["to"] == number]

    def create(self, account: str, form: dict[str, str]) -> tuple[int, dict]:
        """What Twilio answers a message's creation: (status, JSON payload)."""
        to = form.get("To", "")
        if not to:
            return 400, {"code": 21604, "message": "'To' is required", "status": 400}
        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            if to in self.refuse:
                code = self.refuse[to]
                return 400, {"code": code, "message": f"error {code}", "status": 400}
            if self.flaky.get(to, 0) > 0:
                self.flaky[to] -= 1
                return 503, {"code": 20503, "message": "unavailable", "status": 503}
            message = {
                "sid": "SM" + uuid.uuid4().hex,
                "account_sid": account,
                "to": to,
                "from": form.get("From"),
                "messaging_service_sid": form.get("MessagingServiceSid"),
                "body": form.get("Body", ""),
                "status": "queued",
                "status_callback": form.get("StatusCallback"),
                "date_created": format_datetime(datetime.now(UTC), usegmt=True),
                "date_sent": None,
                "date_updated": None,
                "direction": "outbound-api",
                "num_segments": "1",
                "error_code": None,
                "error_message": None,
                "received_at": time.monotonic(),
            }
            self.messages.append(message)
        return 201, message

    def listing(self, path: str, query: dict[str, str]) -> dict:
        """A page of the messages sent to `To`, newest first."""
        with self.lock:
            listed = [m for m in self.messages if m["to"] == query.get("To", m["to"])]
        listed = list(reversed(listed))[: int(query.get("PageSize", 50))]
        return {
            "messages": listed,
            "uri": path,
            "first_page_uri": path,
            "next_page_uri": None,
            "previous_page_uri": None,
            "page": 0,
            "page_size": len(listed),
            "start": 0,
            "end": len(listed),
        }

    def _handler(self):  # type: ignore[no-untyped-def]
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: object) -> None:
                pass

            def _answer(self, status: int, payload: dict) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                match = PATH.match(urlsplit(self.path).path)
                if not match:
                    self._answer(404, NOT_FOUND)
                    return
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                if len(raw) < length:  # the client died mid-request: Twilio got nothing
                    self.close_connection = True
                    return
                form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                self._answer(*fake.create(match["account"], form))

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                if not PATH.match(url.path):
                    self._answer(404, NOT_FOUND)
                    return
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                self._answer(200, fake.listing(url.path, query))

        return Handler
