"""A site's settings: reminder hour, satisfaction survey, closing of the day, retention, the
time new days open to the public and the share of seats kept for staff channels."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import RawBody
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from booking.core.errors import BookingError
from booking.use_cases.site_admin import SiteSettings
from booking.web.deps import ActorDep, SettingsDep, SiteAdminDep
from booking.web.rendering import page
from booking.web.shared.dates import required_time
from booking.web.shared.forms import field_errors, form_items
from booking.web.shared.numbers import parse_whole_number
from booking.web.staff.paths import RUN_SITE, SiteId


@get("/sites/{site_id:str}/reglages", sync_to_thread=True, opt=RUN_SITE)
def settings_page(
    request: Request,
    site_id: SiteId,
    actor: ActorDep,
    site_admin: SiteAdminDep,
    settings: SettingsDep,
) -> Template:
    site = site_admin.site(actor, site_id)
    return page(
        request,
        "staff/settings.html",
        actor=actor,
        site=site,
        errors=[],
        saved=request.query_params.get("saved") == "1",
        default_retention=settings.retention_days,
        default_release=settings.release_time,
        share_opens_days=settings.staff_share_opens_days,
    )


@post("/sites/{site_id:str}/reglages", sync_to_thread=True, status_code=200, opt=RUN_SITE)
def save_settings(
    request: Request,
    site_id: SiteId,
    body: RawBody,
    actor: ActorDep,
    site_admin: SiteAdminDep,
    settings: SettingsDep,
) -> Template | Redirect:
    form = dict(form_items(body))
    errors = []
    try:
        closes = required_time(form.get("day_closes_at", "18:00"), "day_closes_at")
        release = form.get("release_time", "").strip()
        share = parse_whole_number(form.get("staff_share_percent"), "staff_share_percent")
        site_admin.update_settings(
            actor,
            site_id,
            SiteSettings(
                reminder_hour=parse_whole_number(form.get("reminder_hour"), "reminder_hour"),
                survey_enabled=form.get("survey_enabled") == "1",
                auto_no_show=form.get("auto_no_show") == "1",
                day_closes_at=closes,
                retention_days=parse_whole_number(form.get("retention_days"), "retention_days"),
                release_time=required_time(release, "release_time") if release else None,
                staff_share_percent=share or 0,
            ),
        )
    except BookingError as exc:
        if exc.status_code in (401, 403):
            raise
        errors = field_errors(exc)
    if errors:
        site = site_admin.site(actor, site_id)
        return page(
            request,
            "staff/settings.html",
            status_code=422,
            actor=actor,
            site=site,
            errors=errors,
            saved=False,
            default_retention=settings.retention_days,
            default_release=settings.release_time,
            share_opens_days=settings.staff_share_opens_days,
        )
    return Redirect(f"/staff/sites/{site_id}/reglages?saved=1", status_code=HTTP_303_SEE_OTHER)


ROUTES = [settings_page, save_settings]
