"""What the staff pages' routes share: their path parameters and the permission each needs
(checked by the permission guard before the body is read)."""

from __future__ import annotations

from typing import Annotated

from litestar.params import PathParameter

SiteId = Annotated[str, PathParameter(max_length=64)]
Reference = Annotated[str, PathParameter(max_length=40)]
AGENDA = {"permission": "agenda"}
COUNTER = {"permission": "counter"}
RUN_SITE = {"permission": "run_site"}
STATISTICS = {"permission": "statistics"}
PUBLIC = {"public": True}
