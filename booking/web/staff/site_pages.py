"""Staff pages of a site's running: its settings, its staff, its messages and audit log, and
each staff member's own password."""

from __future__ import annotations

import secrets
from typing import Annotated

from litestar import Request, get, post
from litestar.params import PathParameter, RawBody
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from booking.core.access import Role
from booking.core.errors import BookingError, FieldError
from booking.core.i18n import N_
from booking.use_cases.site_admin import SiteSettings
from booking.web.deps import ActorDep, RecordsDep, SettingsDep, SiteAdminDep, StaffDep
from booking.web.rendering import page
from booking.web.shared.dates import parse_date, required_time
from booking.web.shared.forms import form_items
from booking.web.shared.numbers import parse_whole_number
from booking.web.staff.session import check_csrf

SiteId = Annotated[str, PathParameter(max_length=64)]
RUN_SITE = {"permission": "run_site"}
ROLE_LABELS = {
    Role.agent: N_("Agent"),
    Role.site_admin: N_("Site administrator"),
    Role.manager: N_("Manager (statistics)"),
}


def _errors(exc: BookingError) -> list[FieldError]:
    return exc.errors or [FieldError("", exc.detail, exc.params)]


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
    check_csrf(actor, form.get("csrf"))
    errors = []
    try:
        closes = required_time(form.get("day_closes_at", "18:00"), "day_closes_at")
        site_admin.update_settings(
            actor,
            site_id,
            SiteSettings(
                reminder_hour=parse_whole_number(form.get("reminder_hour"), "reminder_hour"),
                survey_enabled=form.get("survey_enabled") == "1",
                auto_no_show=form.get("auto_no_show") == "1",
                day_closes_at=closes,
                retention_days=parse_whole_number(form.get("retention_days"), "retention_days"),
            ),
        )
    except BookingError as exc:
        if exc.status_code in (401, 403):
            raise
        errors = _errors(exc)
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
        )
    return Redirect(f"/staff/sites/{site_id}/reglages?saved=1", status_code=HTTP_303_SEE_OTHER)


@get("/sites/{site_id:str}/agents", sync_to_thread=True, opt=RUN_SITE)
def staff_page(request: Request, site_id: SiteId, actor: ActorDep, staff: StaffDep) -> Template:
    return _staff_page(request, site_id, actor, staff)


def _staff_page(
    request: Request,
    site_id: str,
    actor: ActorDep,
    staff: StaffDep,
    *,
    errors: list[FieldError] | None = None,
    notice: str | None = None,
    password: str | None = None,
    status_code: int = 200,
) -> Template:
    return page(
        request,
        "staff/staff.html",
        status_code=status_code,
        actor=actor,
        site_id=site_id,
        members=staff.of_site(actor, site_id),
        roles=ROLE_LABELS,
        errors=errors or [],
        notice=notice,
        password=password,
    )


@post("/sites/{site_id:str}/agents", sync_to_thread=True, status_code=200, opt=RUN_SITE)
def staff_action(
    request: Request, site_id: SiteId, body: RawBody, actor: ActorDep, staff: StaffDep
) -> Template:
    """Add a member (with a first password to hand over), disable one, or reset a password."""
    form = dict(form_items(body))
    check_csrf(actor, form.get("csrf"))
    action, email = form.get("action"), form.get("email", "").strip()[:254]
    password = secrets.token_urlsafe(12)
    try:
        if action == "add":
            role = form.get("role", "agent")
            if role not in ROLE_LABELS:
                role = "agent"
            staff.add_to_site(actor, site_id, email, password, role)
            notice = N_("Account created: hand over its first password.")
        elif action == "reset":
            staff.reset_password(actor, email, password)
            notice = N_("Password reset: hand over the new one.")
        else:
            staff.disable(email, by=actor)
            notice, password = N_("Account disabled: its sessions have ended."), None
    except BookingError as exc:
        if exc.status_code in (401, 403):
            raise
        return _staff_page(request, site_id, actor, staff, errors=_errors(exc), status_code=422)
    return _staff_page(request, site_id, actor, staff, notice=notice, password=password)


@get("/sites/{site_id:str}/messages", sync_to_thread=True, opt=RUN_SITE)
def messages_page(
    request: Request, site_id: SiteId, actor: ActorDep, records: RecordsDep
) -> Template:
    """The site's outbox of a day: with the console sender, what citizens would receive."""
    day, messages = records.messages(actor, site_id, parse_date(request.query_params.get("date")))
    return page(
        request, "staff/messages.html", actor=actor, site_id=site_id, day=day, messages=messages
    )


@get("/sites/{site_id:str}/journal", sync_to_thread=True, opt=RUN_SITE)
def audit_page(request: Request, site_id: SiteId, actor: ActorDep, records: RecordsDep) -> Template:
    day, events = records.audit(actor, site_id, parse_date(request.query_params.get("date")))
    return page(request, "staff/audit.html", actor=actor, site_id=site_id, day=day, events=events)


@get("/mot-de-passe", sync_to_thread=False)
def password_page(request: Request, actor: ActorDep) -> Template:
    return page(request, "staff/password.html", actor=actor, errors=[], saved=False)


@post("/mot-de-passe", sync_to_thread=True, status_code=200)
def change_password(request: Request, body: RawBody, actor: ActorDep, staff: StaffDep) -> Template:
    form = dict(form_items(body))
    check_csrf(actor, form.get("csrf"))
    try:
        staff.change_password(actor, form.get("current", ""), form.get("password", ""))
    except BookingError as exc:
        if exc.status_code in (401, 403):
            raise
        return page(
            request,
            "staff/password.html",
            status_code=422,
            actor=actor,
            errors=_errors(exc),
            saved=False,
        )
    return page(request, "staff/password.html", actor=actor, errors=[], saved=True)


ROUTES = [
    settings_page,
    save_settings,
    staff_page,
    staff_action,
    messages_page,
    audit_page,
    password_page,
    change_password,
]
