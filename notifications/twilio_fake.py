"""A local fake of Twilio's Messages REST API (create and list), over real HTTP on 127.0.0.1.

It records every message it accepts, can refuse given numbers with a Twilio error code, fail
transiently a given number of times, and answer slowly (to kill a worker mid-batch). It is a
small ASGI application served by uvicorn in a thread of its own, with kept-alive connections
as Twilio's API has, so that a benchmark measures the dispatcher, not the fake.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
import uuid
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qs

import uvicorn

PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Messages\.json$")
NOT_FOUND = {"code": 20404, "message": "not found", "status": 404}


class FakeTwilio:
    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.refuse: dict[str, int] = {}  # number -> Twilio error code (a 400)
        self.flaky: dict[str, int] = {}  # number -> how many 500s before accepting
        self.delay = 0.0
        self.lock = threading.Lock()
        self._socket = socket.socket()
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        config = uvicorn.Config(
            self._app,
            interface="asgi3",
            log_level="warning",
            access_log=False,
            backlog=512,
            lifespan="off",
        )
        self._server = uvicorn.Server(config)
        self._server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self.thread = threading.Thread(
            target=lambda: self._server.run(sockets=[self._socket]), daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._socket.getsockname()[1]}"

    def __enter__(self) -> FakeTwilio:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        return self

    def __exit__(self, *_: object) -> None:
        self._server.should_exit = True
        self.thread.join(10)
        self._socket.close()

    def bodies_to(self, number: str) -> list[str]:
        with self.lock:
            return [m["body"] for m in self.messages if m["to"] == number]

    def create(self, account: str, form: dict[str, str]) -> tuple[int, dict]:
        """What Twilio answers a message's creation: (status, JSON payload)."""
        to = form.get("To", "")
        if not to:
            return 400, {"code": 21604, "message": "'To' is required", "status": 400}
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

    async def _app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        raw = b""
        while True:
            event = await receive()
            if event["type"] == "http.disconnect":
                return  # the client died mid-request: Twilio got nothing
            raw += event.get("body", b"")
            if not event.get("more_body"):
                break
        match = PATH.match(scope["path"])
        if not match:
            status, payload = 404, NOT_FOUND
        elif scope["method"] == "POST":
            if self.delay:
                await asyncio.sleep(self.delay)
            form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            status, payload = self.create(match["account"], form)
        else:
            query = {k: v[0] for k, v in parse_qs(scope["query_string"].decode()).items()}
            status, payload = 200, self.listing(scope["path"], query)
        body = json.dumps(payload).encode()
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
