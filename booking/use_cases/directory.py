"""Use cases of the public catalogue: sites, procedures, their checklists and free slots."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from booking import appointments
from booking.documents import check_eligibility, evaluate_answers
from booking.errors import InvalidRequest, NotFound
from booking.i18n import N_
from booking.models import Site
from booking.slot_lists import SlotListCache, site_and_revision, slot_list_body
from completeness.catalogue import Procedure
from completeness.evaluation import Checklist

if TYPE_CHECKING:
    from booking.services import Services

MAX_SEARCH_DAYS = 92


class Directory:
    def __init__(self, services: Services) -> None:
        self._services = services
        self._uow = services.uow
        self.catalogue = services.catalogue
        self._slot_lists = SlotListCache()

    def sites(self) -> list[Site]:
        with self._uow.reading() as session:
            return list(session.execute(select(Site).order_by(Site.name)).scalars())

    def procedure(self, procedure_id: str) -> Procedure:
        procedure = self.catalogue.get(procedure_id)
        if procedure is None:
            raise NotFound(N_("Unknown procedure."))
        return procedure

    def checklist(self, procedure: Procedure, raw_answers: Mapping[str, str]) -> Checklist:
        """What applies to these answers (given as text); bad answers are a 422."""
        return evaluate_answers(procedure, raw_answers, today=self._services.now().date())

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
        now = self._services.now()
        if answers:
            site_values, _ = site_and_revision(self._uow, site_id)
            today = now.astimezone(ZoneInfo(site_values["timezone"])).date()
            check_eligibility(procedure, answers, today=today, language=language)
        return await slot_list_body(
            self._uow, self._slot_lists, site_id, procedure, first_day, last_day, now
        )

    def site_values(self, site_id: str) -> dict[str, Any]:
        return site_and_revision(self._uow, site_id)[0]
