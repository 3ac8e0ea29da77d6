"""The NUL character (U+0000) is refused wherever a request carries it — path, query or body —
before any handler runs: PostgreSQL cannot store it (SQLite would), so both engines answer the
same clear 422 instead of a 500 from the database."""

from __future__ import annotations

from litestar import Request

from booking.core.errors import InvalidRequest
from booking.core.i18n import N_

JSON_NUL = (b"\x00", b"\\u0000")  # raw, or escaped in a JSON string
FORM_NUL = (b"\x00", b"%00")  # raw, or percent-encoded in a form


async def refuse_nul_characters(request: Request) -> None:
    if "\x00" in request.url.path or any(
        "\x00" in key or "\x00" in value for key, value in request.query_params.multi_items()
    ):
        raise InvalidRequest(N_("The request contains a character that is not allowed."))
    if request.method in ("POST", "PUT", "PATCH"):
        body = (await request.body()).lower()
        form = request.headers.get("content-type", "").startswith("application/x-www-form")
        if any(marker in body for marker in (FORM_NUL if form else JSON_NUL)):
            raise InvalidRequest(N_("The request contains a character that is not allowed."))
