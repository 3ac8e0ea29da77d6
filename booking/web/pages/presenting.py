"""Shapes the citizen's pages show: the stepper and the documents to bring."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from booking.core.errors import BookingError
from booking.core.i18n import N_
from booking.core.slots import local_iso
from completeness.evaluation import Checklist
from completeness.language import Document

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


CODE_STEP = N_("Code received by SMS")


def steps(current: int, checked_contact: bool = False) -> Steps:
    """The stepper; a procedure with a checked contact has one more step, the code."""
    return Steps(current, (*STEPS, CODE_STEP) if checked_contact else STEPS)


def documents_to_bring(checklist: Checklist, language: str) -> list[dict[str, Any]]:
    """The personal list for a page: a document a line, the alternatives of a one-of group
    under its label, once."""
    listed = []
    for group, documents in checklist.to_bring():
        if group is None:
            listed.append(_document(documents[0], language))
        else:
            alternatives = [_document(document, language) for document in documents]
            listed.append(
                {
                    "id": group.id,
                    "label": group.label.get(language),
                    "required": any(item["required"] for item in alternatives),
                    "alternatives": alternatives,
                }
            )
    return listed


def _document(document: Document, language: str) -> dict[str, Any]:
    return {
        "id": document.id,
        "label": document.label.get(language),
        "help": document.help.get(language) if document.help else None,
        "required": document.required,
        "count": document.count,
        "max_age_months": document.max_age_months,
        "original_and_copy": document.original_and_copy,
    }


def alternative_starts(exc: BookingError) -> list[datetime]:
    """The nearest free starts a lost race offers, in the site's own time."""
    timezone = exc.extra.get("timezone", "UTC")
    return [
        datetime.fromisoformat(local_iso(slot.start, timezone))
        for slot in exc.extra.get("alternatives", [])
    ]
