"""One way to render a page: Jinja templates in the request's language, the design system's
static files under a versioned path (cached for a year), dates written out by Babel."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from jinja2 import pass_context
from litestar import Request
from litestar.datastructures import CacheControlHeader, Cookie
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from booking.web.errors import request_language
from booking.web.shared.language import translator

WEB = Path(__file__).resolve().parent
STATIC = WEB / "static"
TEMPLATES = WEB / "templates"
LOCALES = {"fr": "fr_FR", "en": "en_GB"}
LANGUAGE_COOKIE = "lang"


class AssetsMissing(RuntimeError):
    """The static files were not built."""


def assets_version() -> str:
    """A digest of every static file: it is in their URL, so a new build is a new URL."""
    bundle = STATIC / "css" / "guichet.css"
    if not bundle.is_file():
        raise AssetsMissing(
            f"the pages' static files are missing ({STATIC}): run `make assets` in a checkout"
            " (it needs npm), or install a wheel built by `make wheel`"
        )
    digest = hashlib.sha256()
    for path in sorted(p for p in STATIC.rglob("*") if p.is_file()):
        digest.update(path.relative_to(STATIC).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def static_router(version: str):  # type: ignore[no-untyped-def]
    return create_static_files_router(
        path=f"/static/{version}",
        directories=[STATIC],
        cache_control=CacheControlHeader(max_age=31_536_000, public=True, immutable=True),
        include_in_schema=False,
    )


@pass_context
def _translate(context: Any, message: str, **values: Any) -> str:
    text = translator(context["lang"])(message)
    return text.format(**values) if values else text


def visit_time(moment: datetime, language: str) -> str:
    """'mardi 12 janvier 2027 à 09 h 30' / 'Tuesday 12 January 2027 at 09:30'."""
    pattern = "EEEE d MMMM y 'à' HH 'h' mm" if language == "fr" else "EEEE d MMMM y 'at' HH:mm"
    return format_datetime(moment, pattern, tzinfo=moment.tzinfo, locale=LOCALES[language])


def day_name(day: date, language: str) -> str:
    return format_date(day, "EEEE d MMMM", locale=LOCALES[language])


def full_day(day: date, language: str) -> str:
    return format_date(day, "EEEE d MMMM y", locale=LOCALES[language])


def month_name(day: date, language: str) -> str:
    return format_date(day, "MMMM y", locale=LOCALES[language]).capitalize()


def clock_time(moment: datetime, language: str) -> str:
    return moment.strftime("%H h %M") if language == "fr" else moment.strftime("%H:%M")


def hour_of_day(moment: time, language: str) -> str:
    """'8 h', '7 h 30' / '8:00', '7:30': a time of day in a sentence."""
    if language != "fr":
        return f"{moment.hour}:{moment.minute:02d}"
    return f"{moment.hour} h" + (f" {moment.minute:02d}" if moment.minute else "")


def labels(items: Any, language: str) -> str:
    """'Passeport, Titre de séjour' from things that have a bilingual `label`."""
    return ", ".join(item.label.get(language) for item in items)


def choices(question: Any, language: str) -> list[tuple[str, str]]:
    return [(choice.id, choice.label.get(language)) for choice in question.choices]


def local_clock(moment: datetime, timezone: str, language: str) -> str:
    return clock_time(moment.astimezone(ZoneInfo(timezone)), language)


def _configure(engine: JinjaTemplateEngine) -> None:
    environment = engine.engine
    environment.globals["_"] = _translate
    environment.filters.update(
        visit_time=visit_time,
        day_name=day_name,
        full_day=full_day,
        month_name=month_name,
        clock_time=clock_time,
        hour_of_day=hour_of_day,
        local_clock=local_clock,
        labels=labels,
        next_day=lambda day: day + timedelta(days=1),
        choices=choices,
    )
    environment.trim_blocks = True
    environment.lstrip_blocks = True


def template_config() -> TemplateConfig:
    return TemplateConfig(
        directory=TEMPLATES, engine=JinjaTemplateEngine, engine_callback=_configure
    )


def page(
    request: Request,
    template: str,
    *,
    status_code: int = 200,
    cookies: list[Cookie] | None = None,
    switch_to: str | None = None,
    **context: Any,
) -> Template:
    """A page in the request's language; `switch_to` is where the language switch leads
    (by default this page again, which only works for GET pages)."""
    language = request_language(request)
    other = "en" if language == "fr" else "fr"
    if switch_to is None:
        kept = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
        switch_to = request.url.path + "?" + urlencode([*kept, ("lang", other)])
    cookies = list(cookies or [])
    if request.query_params.get("lang") in LOCALES:
        cookies.append(
            Cookie(
                key=LANGUAGE_COOKIE,
                value=language,
                max_age=31_536_000,
                httponly=True,
                samesite="lax",
                path="/",
            )
        )
    return Template(
        template_name=template,
        context={
            "lang": language,
            "other_lang": other,
            "switch_to": switch_to,
            "static": f"/static/{request.app.state.assets_version}",
            "path": request.url.path,
            **context,
        },
        status_code=status_code,
        cookies=cookies,
        media_type="text/html",
    )
