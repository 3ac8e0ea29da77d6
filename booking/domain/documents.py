"""The document checklist of a booking: the gate before booking, the personal list of what to
bring, and what staff record at the counter. The checklist logic itself is in `completeness`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session

from booking.core.clock import local_date
from booking.core.errors import FieldError, InvalidRequest
from booking.core.i18n import N_
from booking.domain.models import Appointment, ChecklistVersion
from booking.domain.sites import get_site
from completeness.catalogue import Catalogue, Procedure
from completeness.evaluation import Checklist, coerce_answers, evaluate
from completeness.language import ChecklistSpec, parse_checklist
from storage.inserts import prepared_upsert

_versions = ChecklistVersion.__table__  # type: ignore[attr-defined]
_REMEMBER = prepared_upsert(
    lambda insert: (
        insert(_versions)
        .values(
            procedure_id=bindparam("procedure_id"),
            version=bindparam("version"),
            content=bindparam("content"),
            created_at=bindparam("now", type_=_versions.c.created_at.type),
        )
        .on_conflict_do_nothing()
        .execution_options(preserve_rowcount=True)  # an INSERT's count is kept only if asked
    )
)


@dataclass(frozen=True)
class FileAtBooking:
    """What a booking stores about its file."""

    answers: dict[str, Any]  # JSON-ready (dates as ISO strings)
    declared: list[str]
    missing: list[str]


class MissingDocuments(InvalidRequest):
    """Required documents not declared; `extra["missing"]` lists them for the client."""


def evaluate_answers(
    procedure: Procedure,
    raw_answers: Mapping[str, Any],
    *,
    today: date,
    declared: Collection[str] = (),
) -> Checklist:
    """The checklist for answers given as text (query parameters); bad answers are a 422."""
    answers, invalid = coerce_answers(procedure.checklist, raw_answers)
    if invalid:
        errors = [FieldError(key, N_("This answer is not valid.")) for key in invalid]
        raise InvalidRequest(N_("Some fields are not valid."), errors)
    return evaluate(procedure.checklist, answers, declared, today=today)


def check_eligibility(
    procedure: Procedure, raw_answers: Mapping[str, Any], *, today: date, language: str
) -> None:
    """Refuse, with the procedure's own message, answers that make it not bookable now."""
    checklist = evaluate_answers(procedure, raw_answers, today=today)
    if checklist.ineligible is not None:
        message = checklist.ineligible.get(language)
        question = procedure.checklist.eligibility[0].question
        raise InvalidRequest(message, [FieldError(question, message)])


def check_file(
    procedure: Procedure,
    raw_answers: Mapping[str, Any],
    declared: Collection[str],
    *,
    today: date,
    language: str,
) -> FileAtBooking:
    """Refuse a booking whose answers or declared documents do not pass the checklist.

    Unknown or unanswered questions and ineligible answers always refuse; missing documents
    refuse with gate "block" and are recorded with gate "warn".
    """
    spec = procedure.checklist
    answers, invalid = coerce_answers(spec, raw_answers)
    errors = [FieldError(f"answers.{key}", N_("This answer is not valid.")) for key in invalid]
    known = {d.id for d in spec.documents} | {g.id for g in spec.groups}
    errors += [
        FieldError("declared", N_("Unknown document: {id}."), {"id": document_id})
        for document_id in declared
        if document_id not in known
    ]
    if errors:
        raise InvalidRequest(N_("Some fields are not valid."), errors)
    checklist = evaluate(spec, answers, declared, today=today)
    if checklist.unanswered:
        errors = [
            FieldError(f"answers.{q}", N_("Answer this question.")) for q in checklist.unanswered
        ]
        raise InvalidRequest(N_("Answer every question of the checklist."), errors)
    if checklist.ineligible is not None:
        message = checklist.ineligible.get(language)
        fields = [FieldError(f"answers.{rule.question}", message) for rule in spec.eligibility]
        raise InvalidRequest(message, fields[:1])
    if checklist.missing and spec.gate == "block":
        raise MissingDocuments(
            N_("Some required documents are missing from your file."),
            [FieldError("declared", N_("Some required documents are missing from your file."))],
            extra={
                "missing": [{"id": m.id, "label": m.label.get(language)} for m in checklist.missing]
            },
        )
    return FileAtBooking(
        answers={k: v.isoformat() if isinstance(v, date) else v for k, v in answers.items()},
        declared=sorted(set(declared)),
        missing=[m.id for m in checklist.missing],
    )


def remember_version(
    session: Session, procedure: Procedure, now: datetime, stored: set[tuple[str, str]]
) -> None:
    """Keep the checklist as written under its version, once. `stored`: the versions this
    process has seen already stored (a version is never deleted), not written again."""
    key = (procedure.id, procedure.checklist_version)
    if key in stored:
        return
    connection = session.connection()
    values = {"procedure_id": key[0], "version": key[1], "content": procedure.checklist_source}
    if connection.execute(_REMEMBER(connection), values | {"now": now}).rowcount == 0:
        stored.add(key)  # there already, so committed: our transaction may still roll back


def checklist_for(
    session: Session, catalogue: Catalogue, appointment: Appointment
) -> ChecklistSpec:
    """The checklist an appointment was booked with (the current one if unchanged since)."""
    procedure = catalogue.get(appointment.procedure_id)
    if procedure is not None and procedure.checklist_version == appointment.checklist_version:
        return procedure.checklist
    stored = session.get(
        ChecklistVersion, (appointment.procedure_id, appointment.checklist_version)
    )
    if stored is None:
        return procedure.checklist if procedure else ChecklistSpec()
    return parse_checklist(stored.content)


def personal_list(
    session: Session, catalogue: Catalogue, appointment: Appointment, *, today: date
) -> Checklist:
    """What this citizen must bring: only the documents that apply to their answers."""
    spec = checklist_for(session, catalogue, appointment)
    answers, _ = coerce_answers(spec, appointment.answers)
    return evaluate(spec, answers, appointment.declared, today=today)


def record_presented(
    session: Session,
    catalogue: Catalogue,
    appointment: Appointment,
    presented: Collection[str] | None = None,
    *,
    now: datetime,
    not_presented: Collection[str] = (),
) -> Appointment:
    """Staff note what was shown at the counter: the documents presented (None: all of them),
    or all but `not_presented` (the quicker entry when only a few are missing)."""
    spec = checklist_for(session, catalogue, appointment)
    answers, _ = coerce_answers(spec, appointment.answers)
    today = local_date(now, get_site(session, appointment.site_id).timezone)
    expected = evaluate(spec, answers, appointment.declared, today=today)
    if presented is None:
        presented = [d.id for d in expected.documents if d.id not in not_presented]
    known = {d.id for d in expected.documents} | {g.id for g in expected.groups}
    unknown = sorted((set(presented) | set(not_presented)) - known)
    if unknown:
        raise InvalidRequest.for_field(
            "presented", N_("Unknown document: {id}."), id=", ".join(unknown)
        )
    at_counter = evaluate(spec, answers, presented, today=today)
    appointment.presented = sorted(set(presented))
    appointment.missing_presented = [m.id for m in at_counter.missing]
    appointment.file_complete = not appointment.missing_presented
    appointment.file_checked_at = now
    appointment.updated_at = now
    session.add(appointment)
    session.flush()
    return appointment


def file_status(appointment: Appointment) -> str:
    """`complete` / `incomplete` once checked at the counter, else what was declared."""
    if appointment.missing_presented is not None:
        return "complete" if not appointment.missing_presented else "incomplete"
    return "declared_incomplete" if appointment.missing_declared else "declared_complete"
