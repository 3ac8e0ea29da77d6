"""The managers' dashboard (`/staff/stats`): headline rates against the previous period,
charts drawn on the server with the same figures in a table beside each, filters in a GET
form, and every table as CSV from the session (the JSON API's columns)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from babel.dates import get_day_names
from litestar import Request, Response, get
from litestar.params import PathParameter, QueryParameter
from litestar.response import Template

from booking.core.access import Actor
from booking.core.errors import FieldError, InvalidRequest, NotFound
from booking.core.i18n import N_
from booking.domain.models import Site
from booking.queries.figures import Dashboard, Grouping, Period
from booking.queries.statistics import DEFAULT_RISK, Statistics
from booking.use_cases.directory import Directory
from booking.web.deps import ActorDep, DirectoryDep, StatisticsDep
from booking.web.errors import request_language
from booking.web.rendering import LOCALES, page
from booking.web.shared import figure_tables as figures
from booking.web.shared.dates import parse_date, required_date
from booking.web.shared.figure_tables import TableRequest
from booking.web.shared.labels import STAFF_CHANNEL_LABELS
from booking.web.shared.language import translator
from booking.web.staff import charts
from booking.web.staff.paths import STATISTICS
from completeness.catalogue import Catalogue

Text = Annotated[str | None, QueryParameter(max_length=64)]
GROUPING_LABELS = {
    Grouping.site: N_("Site"),
    Grouping.counter: N_("Counter"),
    Grouping.procedure: N_("Procedure"),
    Grouping.weekday: N_("Weekday"),
    Grouping.hour: N_("Hour of the day"),
    Grouping.lead_time: N_("Booked how long before"),
    Grouping.channel: N_("Booking channel"),
    Grouping.reminder: N_("Day-before reminder"),
    Grouping.waitlist: N_("Booked from the waiting list"),
}
LEAD_TIME_LABELS = {
    "0": N_("The same day"),
    "1-2": N_("1 to 2 days before"),
    "3-7": N_("3 to 7 days before"),
    "8-14": N_("8 to 14 days before"),
    "15-30": N_("15 to 30 days before"),
    "31+": N_("31 days or more before"),
}
CHANNEL_LABELS = {"web": N_("Online"), **STAFF_CHANNEL_LABELS}


def _risk(text: str | None) -> float:
    try:
        return float(text.replace(",", ".")) if text else DEFAULT_RISK
    except ValueError:
        raise InvalidRequest.for_field("risk", N_("Give a risk between 0.001 and 0.5.")) from None


def _choices(
    statistics: Statistics,
    directory: Directory,
    actor: Actor,
    site: str | None,
    first: str | None,
    last: str | None,
) -> tuple[list[Site], str, Period]:
    """The readable sites, the chosen one (the first by default) and the period (the last
    13 weeks by default)."""
    sites = statistics.sites(actor)
    if not sites:
        raise NotFound(N_("No site yet: ask an administrator."))
    chosen = next((s for s in sites if s.id == site), None)
    if site and chosen is None:
        chosen = directory.site(site)  # unknown: 404; not theirs: the use case's 403
    chosen = chosen or sites[0]
    default = statistics.last_weeks(chosen)
    period = Period(
        parse_date(first, "from") or default.first, parse_date(last, "to") or default.last
    )
    return sites, chosen.id, period


class Labels:
    """The names a manager reads for each grouping's keys, in the page's language."""

    def __init__(self, dashboard: Dashboard, catalogue: Catalogue, language: str) -> None:
        self._dashboard = dashboard
        self._catalogue = catalogue
        self._language = language
        self._t = translator(language)
        self._days = get_day_names("wide", locale=LOCALES[language])

    def __call__(self, by: str, key: Any) -> str:
        t = self._t
        if key is None:
            return t(N_("Unknown"))
        if by == "site":
            return self._dashboard.site_name
        if by == "counter":
            return self._dashboard.counter_names.get(key, str(key))
        if by == "procedure":
            procedure = self._catalogue.get(key)
            return procedure.name.get(self._language) if procedure else str(key)
        if by == "weekday":
            return self._days[key].capitalize()
        if by == "hour":
            return f"{key} h" if self._language == "fr" else f"{key}:00"
        if by == "lead_time":
            return t(LEAD_TIME_LABELS.get(key, key))
        if by == "channel":
            return t(CHANNEL_LABELS.get(key, key))
        if by == "reminder":
            return t(N_("Reminder sent")) if key else t(N_("No reminder sent"))
        if by == "waitlist":
            return t(N_("From the waiting list")) if key else t(N_("Booked directly"))
        return str(key)


@get("/stats", sync_to_thread=True, opt=STATISTICS)
def dashboard_page(
    request: Request,
    actor: ActorDep,
    statistics: StatisticsDep,
    directory: DirectoryDep,
    site: Text = None,
    first: Annotated[str | None, QueryParameter(name="from", max_length=10)] = None,
    last: Annotated[str | None, QueryParameter(name="to", max_length=10)] = None,
    by: Text = "weekday",
    risk: Text = None,
) -> Template:
    language = request_language(request)
    sites, site_id, period, grouping = [], site or "", None, by or "weekday"
    errors: list[FieldError] = []
    dashboard = None
    try:
        sites, site_id, period = _choices(statistics, directory, actor, site, first, last)
        dashboard = statistics.dashboard(
            actor, site_id, period.first, period.last, grouping, _risk(risk)
        )
    except InvalidRequest as exc:
        errors = exc.errors
    context: dict[str, Any] = {
        "actor": actor,
        "sites": sites,
        "site_id": site_id,
        "period": period,
        "by": grouping,
        "risk": risk or "",
        "groupings": [(key.value, GROUPING_LABELS[key]) for key in Grouping],
        "by_label": translator(language)(GROUPING_LABELS.get(grouping, grouping)),
        "errors": errors,
        "d": dashboard,
        "percent": lambda value: charts.percent(value, language),
        "number": lambda value, digits=1: charts.number(value, language, digits),
        "points": lambda now, before: charts.points(now, before, language),
    }
    if dashboard is not None:
        label = Labels(dashboard, directory.catalogue, language)
        query = {"site": site_id, "from": period.first, "to": period.last, "by": grouping}
        if risk:
            query["risk"] = risk
        context |= {
            "label": label,
            "attendance": charts.bar_rows(
                [(label(grouping, r.key), r.no_show_rate) for r in dashboard.attendance]
            ),
            "completeness": charts.bar_rows(
                [(label("procedure", r.key), r.rate) for r in dashboard.completeness]
            ),
            "heat": charts.heat_map(dashboard.affluence),
            "csv": lambda table: f"/staff/stats/csv/{table}?{urlencode(query)}",
        }
    return page(request, "staff/stats.html", status_code=422 if errors else 200, **context)


@get("/stats/csv/{table:str}", sync_to_thread=True, opt=STATISTICS)
def table_csv(
    actor: ActorDep,
    statistics: StatisticsDep,
    table: Annotated[str, PathParameter(max_length=20)],
    site: Annotated[str, QueryParameter(max_length=64)],
    first: Annotated[str, QueryParameter(name="from", max_length=10)],
    last: Annotated[str, QueryParameter(name="to", max_length=10)],
    by: Text = None,
    risk: Text = None,
) -> Response[bytes]:
    """One table of the dashboard as a CSV file, the JSON API's columns."""
    if table not in figures.TABLES:
        raise NotFound(N_("No such table."))
    asked = TableRequest(
        site, required_date(first, "from"), required_date(last, "to"), by, _risk(risk)
    )
    name = f"guichet-{site}-{table}-{asked.first.isoformat()}-{asked.last.isoformat()}.csv"
    return figures.table_csv(statistics, actor, table, asked, filename=name)


ROUTES = [dashboard_page, table_csv]
