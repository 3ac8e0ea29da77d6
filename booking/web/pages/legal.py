"""What a French public site must publish: accessibility statement, legal notice, personal data."""

from __future__ import annotations

from litestar import Request, get
from litestar.response import Template

from booking.web.deps import SettingsDep
from booking.web.rendering import page


@get("/accessibilite", sync_to_thread=False)
def accessibility(request: Request) -> Template:
    return page(request, "legal/accessibility.html")


@get("/mentions-legales", sync_to_thread=False)
def legal_notice(request: Request) -> Template:
    return page(request, "legal/notice.html")


@get("/donnees-personnelles", sync_to_thread=False)
def personal_data(request: Request, settings: SettingsDep) -> Template:
    return page(request, "legal/data.html", retention_days=settings.retention_days)


ROUTES = [accessibility, legal_notice, personal_data]
