"""Use cases of the public catalogue: sites, procedures, their checklists and free slots."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select

from booking.core.clock import local_date
from booking.core.errors import InvalidRequest, NotFound
from booking.core.i18n import N_
from booking.core.slots import Slot, from_minute
from booking.domain import appointments
from booking.domain.availability import rules_for, search_slots
from booking.domain.documents import check_eligibility, check_file, evaluate_answers
from booking.domain.models import Counter, CounterProcedure, Site
from booking.domain.release import public_rules, release_time
from booking.domain.sites import get_site
from booking.use_cases.context import Context
from booking.use_cases.slot_lists import (
    SlotListCache,
    first_free,
    site_and_revision,
    slot_list_body,
)
from completeness.catalogue import Procedure
from completeness.evaluation import Checklist

MAX_SEARCH_DAYS = 92
LOCAL_CATALOGUE = 12  # more sites than this serving a procedure: shown by department


class Directory:
    def __init__(self, context: Context) -> None:
        self._context = context
        self._uow = context.uow
        self.catalogue = context.catalogue
        self._slot_lists = SlotListCache()

    def sites(self) -> list[Site]:
        with self._uow.reading() as session:
            return list(session.execute(select(Site).order_by(Site.name)).scalars())

    def procedure(self, procedure_id: str) -> Procedure:
        procedure = self.catalogue.get(procedure_id)
        if procedure is None:
            raise NotFound(N_("Unknown procedure."))
        return procedure

    def checklist(
        self,
        procedure: Procedure,
        raw_answers: Mapping[str, str],
        declared: Collection[str] = (),
    ) -> Checklist:
        """What applies to these answers (given as text), and what is missing from the
        documents declared; bad answers are a 422."""
        today = self._context.today()
        return evaluate_answers(procedure, raw_answers, today=today, declared=declared)

    def check_file(
        self,
        site_id: str,
        procedure_id: str,
        raw_answers: Mapping[str, str],
        declared: Collection[str],
        language: str,
    ) -> None:
        """The booking's own checklist gate, asked before the booking (the documents step):
        the same refusals, with the same fields (`answers.<question>`, `declared`)."""
        procedure = self.procedure(procedure_id)
        with self._uow.reading() as session:
            timezone = get_site(session, site_id).timezone
        today = self._context.today(timezone)
        check_file(procedure, raw_answers, declared, today=today, language=language)

    async def slots(
        self,
        site_id: str,
        procedure_id: str,
        first_day: date,
        last_day: date,
        *,
        answers: Mapping[str, str] | None = None,
        language: str = "fr",
    ) -> bytes:
        """Free starts over local days [first, last] as JSON `{"slots": [...]}`.

        Answers that make the procedure not bookable now (a renewal outside its window) are
        refused with the procedure's own message, and no slot is shown.
        """
        if last_day < first_day:
            raise InvalidRequest.for_field("to", N_("'to' must not be before 'from'."))
        if (last_day - first_day).days >= MAX_SEARCH_DAYS:
            message = N_("Search at most {days} days at a time.")
            raise InvalidRequest.for_field("to", message, days=MAX_SEARCH_DAYS)
        procedure = appointments.get_procedure(self.catalogue, procedure_id, "procedure")
        public = self._context.public()
        now = public.now
        if answers:
            site_values, _ = site_and_revision(self._uow, site_id)
            today = local_date(now, site_values["timezone"])
            check_eligibility(procedure, answers, today=today, language=language)
        return await slot_list_body(
            self._uow, self._slot_lists, site_id, procedure, first_day, last_day, public
        )

    def sites_for(
        self, procedure_id: str, postcode: str | None = None, *, near_site: str | None = None
    ) -> SiteChoice:
        """The sites serving a procedure, each with its next free day (read from the shared
        slot lists). With a postcode, the sites of its department first; in a national
        catalogue (more than `LOCAL_CATALOGUE` sites), only the sites of the department of
        the postcode (or of `near_site`), and none without one: the page asks for it."""
        procedure = self.procedure(procedure_id)
        public = self._context.public()
        department = department_of(postcode)
        with self._uow.reading() as session:
            serving = _serving(procedure.id)
            count = select(func.count()).select_from(serving.subquery())
            national = session.execute(count).scalar_one() > LOCAL_CATALOGUE
            if national:
                if department is None and near_site:
                    department = session.execute(
                        select(Site.department).where(Site.id == near_site)
                    ).scalar_one_or_none()
                if department is None:
                    return SiteChoice([], national)
                serving = serving.where(Site.department == department)
            sites = list(session.execute(serving).scalars())
        offers = []
        for site in sites:
            start, last_day = first_free(self._uow, self._slot_lists, site.id, procedure, public)
            first = from_minute(start, ZoneInfo(site.timezone)) if start is not None else None
            offers.append(SiteOffer(site, first, last_day, release_time(site, public.release)))
        offers.sort(key=lambda o: (o.site.department != department, o.site.name))
        return SiteChoice(offers, national)

    def counters(self, site_id: str) -> list[Counter]:
        with self._uow.reading() as session:
            return list(
                session.execute(
                    select(Counter).where(Counter.site_id == site_id).order_by(Counter.name)
                ).scalars()
            )

    def local_today(self, site: Site) -> date:
        return self._context.today(site.timezone)

    def site(self, site_id: str) -> Site:
        with self._uow.reading() as session:
            site = get_site(session, site_id)
        return site

    def month(self, site_id: str, procedure_id: str, month: date | None = None) -> MonthOffer:
        """The free starts of a month (its first day); without one, of the current month, or
        of the first month with a free start when the current one is full."""
        first = month or self.local_today(self.site(site_id)).replace(day=1)
        offer = self.offer(site_id, procedure_id, first, month_end(first))
        nothing_before_horizon = False
        if month is None and not offer.slots:
            later = self.offer(site_id, procedure_id, first, offer.last_day)
            if later.slots:
                first = later.local(later.slots[0]).date().replace(day=1)
                offer = self.offer(site_id, procedure_id, first, month_end(first))
            nothing_before_horizon = not later.slots
        return MonthOffer(offer, first, nothing_before_horizon)

    def offer(
        self, site_id: str, procedure_id: str, first: date, last: date, *, staff: bool = False
    ) -> Offer:
        """The free starts of a procedure at a site over local days [first, last]; `staff`
        books for someone, without the minimum notice."""
        procedure = self.procedure(procedure_id)
        if staff:
            procedure = replace(procedure, min_notice_hours=0, min_notice_days=0)
        public = None if staff else self._context.public()
        now = self._context.now() if public is None else public.now
        with self._uow.reading() as session:
            site = get_site(session, site_id)
            rules = rules_for(procedure, site, now)
            if public is not None:
                rules = public_rules(session, site, rules, public)
            today = local_date(now, site.timezone)
            slots = search_slots(
                session, site, procedure, max(first, today), last, rules, public=public
            )
        return Offer(site, procedure, slots, today, rules.last_day)


@dataclass(frozen=True)
class MonthOffer:
    offer: Offer  # the free starts of the month shown
    month: date  # its first day
    nothing_before_horizon: bool  # no free start at all up to the horizon


def month_end(first: date) -> date:
    return shift_month(first, 1) - timedelta(days=1)


def shift_month(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class SiteOffer:
    site: Site
    next_free: datetime | None  # local time of the first free start
    last_day: date  # the last day one may book today
    opens_at: time  # the local time a new day opens to the public each morning


@dataclass(frozen=True)
class SiteChoice:
    offers: list[SiteOffer]  # the sites shown, each with its next free day
    national: bool  # more sites than one list shows: those of one department only


@dataclass(frozen=True)
class Offer:
    site: Site
    procedure: Procedure
    slots: list[Slot]
    today: date
    last_day: date  # the horizon: days after it open one by one, each day

    def local(self, slot: Slot) -> datetime:
        return from_minute(slot.start, ZoneInfo(self.site.timezone))


def _serving(procedure_id: str) -> Select:
    """The sites with an active counter serving the procedure."""
    return (
        select(Site)
        .join(Counter, Counter.site_id == Site.id)
        .join(CounterProcedure, CounterProcedure.counter_id == Counter.id)
        .where(CounterProcedure.procedure_id == procedure_id, Counter.active)
        .distinct()
    )


def department_of(postcode: str | None) -> str | None:
    """'75004' -> '75', '97405' -> '974', '20000' -> '20'; None if it is not a postcode."""
    digits = (postcode or "").strip().replace(" ", "")
    if len(digits) != 5 or not digits.isdigit():
        return None
    return digits[:3] if digits.startswith("97") else digits[:2]
