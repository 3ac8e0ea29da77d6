"""What no request may carry, refused before any handler runs with the same clear 422 on both
engines (never a 500 from the database or the JSON decoder):

- the NUL character (U+0000) in the path, the query or the body — raw, escaped in JSON or
  percent-encoded in a form; a body that is not JSON is read as the form it may be parsed as,
  whatever its Content-Type says (PostgreSQL cannot store NUL; SQLite would);
- JSON nested deeper than any of our bodies needs (32 levels), which would exhaust the
  decoder's recursion.
"""

from __future__ import annotations

from litestar import Request

from booking.core.errors import InvalidRequest
from booking.core.i18n import N_

JSON_NUL = (b"\x00", b"\\u0000")  # raw, or escaped in a JSON string
FORM_NUL = (b"\x00", b"%00")  # raw, or percent-encoded in a form
MAX_DEPTH = 32
NOT_ALLOWED = N_("The request contains a character that is not allowed.")
TOO_DEEP = N_("The request is nested too deeply.")


async def refuse_nul_characters(request: Request) -> None:
    if "\x00" in request.url.path or any(
        "\x00" in key or "\x00" in value for key, value in request.query_params.multi_items()
    ):
        raise InvalidRequest(NOT_ALLOWED)
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    body = (await request.body()).lower()
    if not body:
        return
    json = "json" in request.headers.get("content-type", "")
    if any(marker in body for marker in (JSON_NUL if json else FORM_NUL + JSON_NUL)):
        raise InvalidRequest(NOT_ALLOWED)
    if json and nesting(body) > MAX_DEPTH:
        raise InvalidRequest(TOO_DEEP)


def nesting(body: bytes) -> int:
    """How deep arrays and objects nest in a JSON text (strings skipped)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest
