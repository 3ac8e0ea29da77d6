"""What the staff API's routes share: path parameters and the errors they document."""

from __future__ import annotations

from typing import Annotated

from litestar.params import PathParameter

from booking.web.errors import documented_errors

Reference = Annotated[str, PathParameter(max_length=40)]
SiteId = Annotated[str, PathParameter(max_length=64)]
STAFF_ERRORS = documented_errors(400, 401, 403, 404, 409, 422)
