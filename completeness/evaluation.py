"""Evaluating a checklist against a citizen's answers and declared documents (pure)."""

from __future__ import annotations

import calendar
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from completeness.language import (
    All,
    AnyOf,
    ChecklistSpec,
    Condition,
    Document,
    Equals,
    Group,
    InChoices,
    Not,
    Question,
    Text,
    parse_answer,
)

Answers = Mapping[str, bool | str | date]


@dataclass(frozen=True)
class Missing:
    """A required document, or a required one-of group none of whose documents is declared."""

    id: str
    label: Text


@dataclass(frozen=True)
class Checklist:
    questions: tuple[Question, ...]  # the questions that apply to these answers
    unanswered: tuple[str, ...]  # applicable questions without an answer
    ineligible: Text | None  # why the procedure cannot be booked with these answers
    documents: tuple[Document, ...]  # documents to bring (required and optional)
    groups: tuple[Group, ...]  # one-of groups that apply
    declared: frozenset[str]
    missing: tuple[Missing, ...]

    @property
    def complete(self) -> bool:
        return not self.unanswered and self.ineligible is None and not self.missing

    def to_bring(self) -> list[tuple[Group | None, tuple[Document, ...]]]:
        """The list as a person reads it: each document alone, except the alternatives of a
        one-of group, together once (where the group's first member stood)."""
        groups = {group.id: group for group in self.groups}
        members: dict[str, list[Document]] = {}
        listed: list[tuple[Group | None, tuple[Document, ...]]] = []
        for document in self.documents:
            group = groups.get(document.group) if document.group else None
            if group is None:
                listed.append((None, (document,)))
            elif group.id not in members:
                members[group.id] = [document]
                listed.append((group, ()))
            else:
                members[group.id].append(document)
        return [(g, tuple(members[g.id]) if g else docs) for g, docs in listed]

    def labels_to_bring(self, language: str) -> list[str]:
        """One line a document, one line a group of alternatives (its own label)."""
        return [
            group.label.get(language) if group else documents[0].label.get(language)
            for group, documents in self.to_bring()
        ]


def holds(condition: Condition | None, answers: Answers) -> bool:
    """Whether a condition holds; a question without an answer matches no value."""
    if condition is None:
        return True
    if isinstance(condition, Equals):
        return condition.question in answers and answers[condition.question] == condition.value
    if isinstance(condition, InChoices):
        return answers.get(condition.question) in condition.values
    if isinstance(condition, All):
        return all(holds(item, answers) for item in condition.items)
    if isinstance(condition, AnyOf):
        return any(holds(item, answers) for item in condition.items)
    if isinstance(condition, Not):
        return not holds(condition.item, answers)
    raise TypeError(condition)


def coerce_answers(
    spec: ChecklistSpec, raw: Mapping[str, Any]
) -> tuple[dict[str, bool | str | date], dict[str, str]]:
    """Typed answers to known questions, and the reason for each one that does not fit."""
    answers: dict[str, bool | str | date] = {}
    errors: dict[str, str] = {}
    for key, value in raw.items():
        question = spec.questions_by_id.get(key)
        if question is None:
            errors[key] = "unknown question"
            continue
        if value is None or value == "":
            continue
        try:
            answers[key] = parse_answer(question, value)
        except ValueError as exc:
            errors[key] = (
                str(exc)
                if "expected" in str(exc) or "not one" in str(exc)
                else "expected a date YYYY-MM-DD"
            )
    return answers, errors


def applicable_answers(spec: ChecklistSpec, answers: Answers) -> dict[str, bool | str | date]:
    """Answers to questions that apply; an answer to a question that does not apply is ignored.

    Conditions form no cycle (checked at load), so a fixed point is reached in as many passes
    as the longest chain of conditions.
    """
    kept = dict(answers)
    for _ in range(len(spec.questions) + 1):
        applicable = {q.id for q in spec.questions if holds(q.when, kept)}
        pruned = {k: v for k, v in answers.items() if k in applicable}
        if pruned == kept:
            break
        kept = pruned
    return kept


def months_before(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last_day))


def evaluate(
    spec: ChecklistSpec, answers: Answers, declared: Collection[str], *, today: date
) -> Checklist:
    """Which questions apply, which documents are required, declared, missing; eligibility."""
    kept = applicable_answers(spec, answers)
    questions = tuple(q for q in spec.questions if holds(q.when, kept))
    unanswered = tuple(q.id for q in questions if q.id not in kept)
    ineligible = None
    for rule in spec.eligibility:
        expires = kept.get(rule.question)
        if isinstance(expires, date) and not (
            months_before(expires, rule.earliest_months_before)
            <= today
            <= months_before(expires, rule.latest_months_before)
        ):
            ineligible = rule.message
            break
    groups = tuple(g for g in spec.groups if holds(g.when, kept))
    group_ids = {g.id for g in groups}
    documents = tuple(
        d
        for d in spec.documents
        if holds(d.when, kept) and (d.group is None or d.group in group_ids)
    )
    declared_set = frozenset(declared)
    missing = [
        Missing(d.id, d.label)
        for d in documents
        if d.group is None and d.required and d.id not in declared_set
    ]
    for group in groups:
        members = [d.id for d in documents if d.group == group.id]
        if group.required and members and not declared_set.intersection(members):
            missing.append(Missing(group.id, group.label))
    return Checklist(
        questions, unanswered, ineligible, documents, groups, declared_set, tuple(missing)
    )
