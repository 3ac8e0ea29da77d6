"""The procedure catalogue: one TOML file a procedure, loaded and validated at start-up."""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from completeness.language import ChecklistError, ChecklistSpec, parse_checklist

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


class CatalogueError(ValueError):
    """A procedure file is invalid; the message names the file and the field."""


class LocalisedText(msgspec.Struct, forbid_unknown_fields=True):
    fr: str
    en: str

    def get(self, language: str) -> str:
        return self.en if language == "en" else self.fr


CHECKLIST_KEYS = ("gate", "questions", "eligibility", "groups", "documents")


class ProcedureFile(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """The plain keys of a procedure file (the checklist keys are parsed apart)."""

    id: str
    name: LocalisedText
    duration_minutes: int
    horizon_days: int
    min_notice_hours: int = 0
    # Whole days of notice, for procedures never booked for the same day (0 = hours only).
    min_notice_days: int = 0
    description: LocalisedText | None = None
    # Scarce seats: a booking is final only once a code sent to the citizen's mobile is typed.
    contact_check: bool = False


@dataclass(frozen=True)
class Procedure:
    id: str
    name: LocalisedText
    duration_minutes: int
    horizon_days: int
    min_notice_hours: int = 0
    min_notice_days: int = 0
    description: LocalisedText | None = None
    contact_check: bool = False
    checklist: ChecklistSpec = field(default_factory=ChecklistSpec)
    # A digest of the checklist as written: editing it makes a new version.
    checklist_version: str = ""
    checklist_source: dict[str, Any] = field(default_factory=dict)


def checklist_digest(source: dict[str, Any]) -> str:
    canonical = json.dumps(source, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Catalogue:
    procedures: dict[str, Procedure]

    def get(self, procedure_id: str) -> Procedure | None:
        return self.procedures.get(procedure_id)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(sorted(self.procedures.values(), key=lambda p: p.id))


def load_procedure(path: Path) -> Procedure:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{path}: not valid TOML: {exc}") from exc
    source = {key: raw.pop(key) for key in CHECKLIST_KEYS if key in raw}
    try:
        procedure = msgspec.convert(raw, ProcedureFile)
    except msgspec.ValidationError as exc:
        raise CatalogueError(f"{path}: {_field_message(str(exc))}") from exc
    _check(procedure, path)
    try:
        spec = parse_checklist(source)
    except ChecklistError as exc:
        raise CatalogueError(f"{path}: field '{exc.path}': {exc.reason}") from exc
    return Procedure(
        **msgspec.structs.asdict(procedure),
        checklist=spec,
        checklist_version=checklist_digest(source),
        checklist_source=source,
    )


def _field_message(message: str) -> str:
    """msgspec says "Object missing required field `en` - at `$.name`": name the field plainly."""
    match = re.search(r"\s*- at `\$\.?(.*)`$", message)
    path = match.group(1) if match else ""
    text = message[: match.start()] if match else message
    missing = re.search(r"missing required field `(.+)`", text)
    if missing:
        path = f"{path}.{missing.group(1)}" if path else missing.group(1)
        text = "missing"
    return f"field '{path}': {text.replace('`', '')}" if path else text


def _check(procedure: ProcedureFile, path: Path) -> None:
    problems = []
    if not SLUG.match(procedure.id):
        problems.append("field 'id': use lower-case letters, digits and dashes")
    if procedure.id != path.stem:
        problems.append(f"field 'id': '{procedure.id}' must match the file name '{path.stem}'")
    if not 5 <= procedure.duration_minutes <= 480:
        problems.append("field 'duration_minutes': must be between 5 and 480")
    if not 1 <= procedure.horizon_days <= 366:
        problems.append("field 'horizon_days': must be between 1 and 366")
    if procedure.min_notice_hours < 0:
        problems.append("field 'min_notice_hours': must not be negative")
    if procedure.min_notice_days < 0:
        problems.append("field 'min_notice_days': must not be negative")
    if problems:
        raise CatalogueError(f"{path}: " + "; ".join(problems))


def load_catalogue(folder: Path) -> Catalogue:
    files = sorted(folder.glob("*.toml"))
    if not files:
        raise CatalogueError(f"{folder}: no procedure files (*.toml)")
    return Catalogue({p.id: p for p in map(load_procedure, files)})
