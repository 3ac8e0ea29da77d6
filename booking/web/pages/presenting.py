"""Shapes the citizen's pages show: the stepper and the documents to bring."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from booking.core.errors import BookingError
from booking.core.i18n import N_
from booking.core.slots import local_iso
from completeness.evaluation import Checklist

STEPS = (
    N_("Procedure"),
    N_("Place"),
    N_("Documents"),
    N_("Date and time"),
    N_("Contact details"),
    N_("Summary"),
)


@dataclass(frozen=True)
class Steps:
    current: int
    titles: tuple[str, ...] = STEPS

    @property
    def title(self) -> str:
        return self.titles[self.current - 1]

    @property
    def next(self) -> str | None:
        return self.titles[self.current] if self.current < len(self.titles) else None

    @property
    def count(self) -> int:
        return len(self.titles)


def steps(current: int) -> Steps:
    return Steps(current)


def documents_to_bring(checklist: Checklist, language: str) -> list[dict[str, Any]]:
    groups = {group.id: group.label.get(language) for group in checklist.groups}
    return [
        {
            "id": document.id,
            "label": document.label.get(language),
            "help": document.help.get(language) if document.help else None,
            "required": document.required,
            "group": groups.get(document.group) if document.group else None,
            "count": document.count,
            "max_age_months": document.max_age_months,
            "original_and_copy": document.original_and_copy,
        }
        for document in checklist.documents
    ]


def alternative_starts(exc: BookingError) -> list[datetime]:
    """The nearest free starts a lost race offers, in the site's own time."""
    timezone = exc.extra.get("timezone", "UTC")
    return [
        datetime.fromisoformat(local_iso(slot.start, timezone))
        for slot in exc.extra.get("alternatives", [])
    ]
