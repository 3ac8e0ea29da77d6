"""The checklist language of a procedure file: questions, eligibility, documents, groups.

Parsed from plain TOML values into frozen dataclasses; every error names the path inside the
file (e.g. `documents[3].when.all[0].question`) and the reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

QUESTION_KINDS = ("yes_no", "choice", "date")
GATES = ("block", "warn")


class ChecklistError(ValueError):
    """A checklist is invalid: `path` locates the offending value inside the procedure file."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = path, reason


@dataclass(frozen=True)
class Text:
    fr: str
    en: str

    def get(self, language: str) -> str:
        return self.en if language == "en" else self.fr


# Conditions on answers -------------------------------------------------------------------


@dataclass(frozen=True)
class Equals:
    question: str
    value: bool | str


@dataclass(frozen=True)
class InChoices:
    question: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class All:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    item: Condition


Condition = Equals | InChoices | All | AnyOf | Not


def questions_of(condition: Condition | None) -> set[str]:
    if condition is None:
        return set()
    if isinstance(condition, Equals | InChoices):
        return {condition.question}
    if isinstance(condition, Not):
        return questions_of(condition.item)
    return set().union(*(questions_of(item) for item in condition.items))


# Checklist parts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    id: str
    label: Text


@dataclass(frozen=True)
class Question:
    id: str
    kind: str
    label: Text
    help: Text | None = None
    choices: tuple[Choice, ...] = ()
    when: Condition | None = None


@dataclass(frozen=True)
class DateWindow:
    """Bookable only from `earliest_months_before` to `latest_months_before` a date answer."""

    question: str
    earliest_months_before: int
    latest_months_before: int
    message: Text


@dataclass(frozen=True)
class Group:
    """One-of alternatives: any one applicable member document satisfies it."""

    id: str
    label: Text
    help: Text | None = None
    required: bool = True
    when: Condition | None = None


@dataclass(frozen=True)
class Document:
    id: str
    label: Text
    help: Text | None = None
    required: bool = True
    group: str | None = None
    when: Condition | None = None
    count: int = 1
    max_age_months: int | None = None
    original_and_copy: bool = False


@dataclass(frozen=True)
class ChecklistSpec:
    gate: str = "block"
    questions: tuple[Question, ...] = ()
    eligibility: tuple[DateWindow, ...] = ()
    groups: tuple[Group, ...] = ()
    documents: tuple[Document, ...] = ()

    @cached_property
    def questions_by_id(self) -> dict[str, Question]:
        return {q.id: q for q in self.questions}


# Parsing -----------------------------------------------------------------------------------


def _text(raw: Any, path: str) -> Text:
    if (
        not isinstance(raw, Mapping)
        or not isinstance(raw.get("fr"), str)
        or not isinstance(raw.get("en"), str)
    ):
        raise ChecklistError(path, 'expected { fr = "…", en = "…" }')
    return Text(raw["fr"], raw["en"])


def _optional_text(raw: Mapping[str, Any], key: str, path: str) -> Text | None:
    return _text(raw[key], f"{path}.{key}") if key in raw else None


def _only(raw: Any, path: str, allowed: set[str]) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise ChecklistError(path, "expected a table")
    unknown = set(raw) - allowed
    if unknown:
        raise ChecklistError(path, f"unknown key(s) {', '.join(sorted(unknown))}")
    return raw


def _id(raw: Mapping[str, Any], path: str) -> str:
    value = raw.get("id")
    if (
        not isinstance(value, str)
        or not value
        or not value.replace("-", "").replace("_", "").isalnum()
    ):
        raise ChecklistError(f"{path}.id", "expected an id of letters, digits, - and _")
    return value


def parse_condition(raw: Any, path: str) -> Condition:
    if not isinstance(raw, Mapping) or len(raw) == 0:
        raise ChecklistError(path, "expected a condition table")
    if "all" in raw or "any" in raw:
        key = "all" if "all" in raw else "any"
        _only(raw, path, {key})
        items = raw[key]
        if not isinstance(items, list) or not items:
            raise ChecklistError(f"{path}.{key}", "expected a non-empty list of conditions")
        parsed = tuple(parse_condition(item, f"{path}.{key}[{i}]") for i, item in enumerate(items))
        return All(parsed) if key == "all" else AnyOf(parsed)
    if "not" in raw:
        _only(raw, path, {"not"})
        return Not(parse_condition(raw["not"], f"{path}.not"))
    _only(raw, path, {"question", "equals", "in"})
    question = raw.get("question")
    if not isinstance(question, str):
        raise ChecklistError(f"{path}.question", "expected a question id")
    if "equals" in raw and "in" not in raw:
        if not isinstance(raw["equals"], bool | str):
            raise ChecklistError(f"{path}.equals", "expected true, false or a choice id")
        return Equals(question, raw["equals"])
    if "in" in raw and "equals" not in raw:
        values = raw["in"]
        if (
            not isinstance(values, list)
            or not values
            or not all(isinstance(v, str) for v in values)
        ):
            raise ChecklistError(f"{path}.in", "expected a non-empty list of choice ids")
        return InChoices(question, tuple(values))
    raise ChecklistError(path, "a condition on a question needs exactly one of 'equals' or 'in'")


def _when(raw: Mapping[str, Any], path: str) -> Condition | None:
    return parse_condition(raw["when"], f"{path}.when") if "when" in raw else None


def _question(raw: Any, path: str) -> Question:
    raw = _only(raw, path, {"id", "kind", "label", "help", "choices", "when"})
    kind = raw.get("kind")
    if kind not in QUESTION_KINDS:
        raise ChecklistError(f"{path}.kind", f"expected one of {', '.join(QUESTION_KINDS)}")
    choices: tuple[Choice, ...] = ()
    if kind == "choice":
        listed = raw.get("choices")
        if not isinstance(listed, list) or len(listed) < 2:
            raise ChecklistError(f"{path}.choices", "a choice question needs at least two choices")
        choices = tuple(
            Choice(
                _id(_only(c, f"{path}.choices[{i}]", {"id", "label"}), f"{path}.choices[{i}]"),
                _text(c.get("label"), f"{path}.choices[{i}].label"),
            )
            for i, c in enumerate(listed)
        )
    elif "choices" in raw:
        raise ChecklistError(f"{path}.choices", "only a choice question has choices")
    return Question(
        _id(raw, path),
        kind,
        _text(raw.get("label"), f"{path}.label"),
        _optional_text(raw, "help", path),
        choices,
        _when(raw, path),
    )


def _positive(raw: Mapping[str, Any], key: str, path: str, default: int | None) -> int | None:
    value = raw.get(key, default)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
        raise ChecklistError(f"{path}.{key}", "expected a whole number of at least 1")
    return value


def _document(raw: Any, path: str) -> Document:
    raw = _only(
        raw,
        path,
        {
            "id",
            "label",
            "help",
            "required",
            "group",
            "when",
            "count",
            "max_age_months",
            "original_and_copy",
        },
    )
    for flag in ("required", "original_and_copy"):
        if flag in raw and not isinstance(raw[flag], bool):
            raise ChecklistError(f"{path}.{flag}", "expected true or false")
    if "group" in raw and not isinstance(raw["group"], str):
        raise ChecklistError(f"{path}.group", "expected a group id")
    return Document(
        id=_id(raw, path),
        label=_text(raw.get("label"), f"{path}.label"),
        help=_optional_text(raw, "help", path),
        required=raw.get("required", True),
        group=raw.get("group"),
        when=_when(raw, path),
        count=_positive(raw, "count", path, 1) or 1,
        max_age_months=_positive(raw, "max_age_months", path, None),
        original_and_copy=raw.get("original_and_copy", False),
    )


def _group(raw: Any, path: str) -> Group:
    raw = _only(raw, path, {"id", "label", "help", "required", "when"})
    if "required" in raw and not isinstance(raw["required"], bool):
        raise ChecklistError(f"{path}.required", "expected true or false")
    return Group(
        _id(raw, path),
        _text(raw.get("label"), f"{path}.label"),
        _optional_text(raw, "help", path),
        raw.get("required", True),
        _when(raw, path),
    )


def _date_window(raw: Any, path: str) -> DateWindow:
    raw = _only(
        raw, path, {"question", "earliest_months_before", "latest_months_before", "message"}
    )
    earliest = _positive(raw, "earliest_months_before", path, None)
    latest = raw.get("latest_months_before")
    if earliest is None or not isinstance(latest, int) or latest < 0 or latest >= earliest:
        raise ChecklistError(path, "expected earliest_months_before > latest_months_before >= 0")
    if not isinstance(raw.get("question"), str):
        raise ChecklistError(f"{path}.question", "expected a date question id")
    return DateWindow(
        raw["question"], earliest, latest, _text(raw.get("message"), f"{path}.message")
    )


def _list(raw: Mapping[str, Any], key: str) -> Sequence[Any]:
    value = raw.get(key, [])
    if not isinstance(value, list):
        raise ChecklistError(key, "expected a list of tables ([[" + key + "]])")
    return value


def parse_checklist(raw: Mapping[str, Any]) -> ChecklistSpec:
    """Parse and check the checklist keys of a procedure file (its other keys are ignored)."""
    gate = raw.get("gate", "block")
    if gate not in GATES:
        raise ChecklistError("gate", "expected 'block' or 'warn'")
    spec = ChecklistSpec(
        gate=gate,
        questions=tuple(
            _question(q, f"questions[{i}]") for i, q in enumerate(_list(raw, "questions"))
        ),
        eligibility=tuple(
            _date_window(e, f"eligibility[{i}]") for i, e in enumerate(_list(raw, "eligibility"))
        ),
        groups=tuple(_group(g, f"groups[{i}]") for i, g in enumerate(_list(raw, "groups"))),
        documents=tuple(
            _document(d, f"documents[{i}]") for i, d in enumerate(_list(raw, "documents"))
        ),
    )
    check_references(spec)
    return spec


def check_references(spec: ChecklistSpec) -> None:
    """Unknown questions, impossible answers, duplicate ids, cycles, empty one-of groups."""
    questions = {}
    for i, question in enumerate(spec.questions):
        if question.id in questions:
            raise ChecklistError(f"questions[{i}].id", f"duplicate question '{question.id}'")
        questions[question.id] = question
    for i, question in enumerate(spec.questions):
        _check_condition(question.when, questions, f"questions[{i}].when")
    _check_no_cycle(spec.questions)
    groups = {}
    for i, group in enumerate(spec.groups):
        if group.id in groups:
            raise ChecklistError(f"groups[{i}].id", f"duplicate group '{group.id}'")
        groups[group.id] = group
        _check_condition(group.when, questions, f"groups[{i}].when")
    seen: set[str] = set()
    for i, document in enumerate(spec.documents):
        if document.id in seen or document.id in groups:
            raise ChecklistError(f"documents[{i}].id", f"duplicate id '{document.id}'")
        seen.add(document.id)
        _check_condition(document.when, questions, f"documents[{i}].when")
        if document.group is not None and document.group not in groups:
            raise ChecklistError(f"documents[{i}].group", f"unknown group '{document.group}'")
    for i, group in enumerate(spec.groups):
        members = [d for d in spec.documents if d.group == group.id]
        if not members:
            raise ChecklistError(f"groups[{i}]", f"one-of group '{group.id}' has no documents")
    for i, rule in enumerate(spec.eligibility):
        question = questions.get(rule.question)
        if question is None or question.kind != "date":
            raise ChecklistError(
                f"eligibility[{i}].question", f"'{rule.question}' is not a date question"
            )


def _check_condition(
    condition: Condition | None, questions: Mapping[str, Question], path: str
) -> None:
    if condition is None:
        return
    if isinstance(condition, Not):
        _check_condition(condition.item, questions, f"{path}.not")
        return
    if isinstance(condition, All | AnyOf):
        key = "all" if isinstance(condition, All) else "any"
        for i, item in enumerate(condition.items):
            _check_condition(item, questions, f"{path}.{key}[{i}]")
        return
    question = questions.get(condition.question)
    if question is None:
        raise ChecklistError(f"{path}.question", f"unknown question '{condition.question}'")
    values = (condition.value,) if isinstance(condition, Equals) else condition.values
    if question.kind == "yes_no" and not all(isinstance(v, bool) for v in values):
        raise ChecklistError(
            path, f"'{question.id}' is answered yes or no: compare with true or false"
        )
    if question.kind == "choice":
        known = {c.id for c in question.choices}
        wrong = [v for v in values if v not in known]
        if wrong:
            raise ChecklistError(path, f"'{question.id}' has no answer '{wrong[0]}'")
    if question.kind == "date":
        raise ChecklistError(path, f"'{question.id}' is a date: conditions cannot test it")


def _check_no_cycle(questions: Sequence[Question]) -> None:
    depends = {q.id: questions_of(q.when) for q in questions}
    state: dict[str, int] = {}  # 1 = on the path, 2 = done

    def visit(question_id: str, trail: list[str]) -> None:
        if state.get(question_id) == 2:
            return
        if state.get(question_id) == 1:
            cycle = " -> ".join([*trail[trail.index(question_id) :], question_id])
            raise ChecklistError("questions", f"conditions form a cycle: {cycle}")
        state[question_id] = 1
        for other in sorted(depends.get(question_id, ())):
            visit(other, [*trail, question_id])
        state[question_id] = 2

    for question in questions:
        visit(question.id, [])


FIRST_DATE, LAST_DATE = date(1900, 1, 1), date(2199, 12, 31)


def parse_answer(question: Question, value: Any) -> bool | str | date:
    """One answer, from JSON or a query string, in the question's own type (ValueError if not)."""
    if question.kind == "yes_no":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "yes", "oui", "1"):
            return True
        if text in ("false", "no", "non", "0"):
            return False
        raise ValueError("expected yes or no")
    if question.kind == "choice":
        if isinstance(value, str) and value in {c.id for c in question.choices}:
            return value
        raise ValueError("not one of the choices")
    if isinstance(value, date):
        answer = value
    else:
        text = str(value).strip()
        try:
            if "/" in text:  # as written in France: 15/03/2027
                day, month, year = (int(part) for part in text.split("/") if part.isascii())
                answer = date(year, month, day)
            else:
                answer = date.fromisoformat(text)
        except ValueError:
            raise ValueError("expected a date YYYY-MM-DD") from None
    if not FIRST_DATE <= answer <= LAST_DATE:  # what date arithmetic on it can hold
        raise ValueError("expected a date YYYY-MM-DD")
    return answer
