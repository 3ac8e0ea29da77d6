"""JSON shapes of checklists: the procedure's whole checklist, or the part that applies."""

from __future__ import annotations

from typing import Any

from completeness.catalogue import Procedure
from completeness.evaluation import Checklist
from completeness.language import (
    All,
    AnyOf,
    Condition,
    Document,
    Equals,
    Group,
    InChoices,
    Not,
    Question,
    Text,
)


def condition_json(condition: Condition | None) -> dict[str, Any] | None:
    if condition is None:
        return None
    if isinstance(condition, Equals):
        return {"question": condition.question, "equals": condition.value}
    if isinstance(condition, InChoices):
        return {"question": condition.question, "in": list(condition.values)}
    if isinstance(condition, Not):
        return {"not": condition_json(condition.item)}
    key = "all" if isinstance(condition, All) else "any"
    assert isinstance(condition, All | AnyOf)
    return {key: [condition_json(item) for item in condition.items]}


def _text(text: Text | None, language: str) -> str | None:
    return text.get(language) if text else None


def question_json(question: Question, language: str) -> dict[str, Any]:
    return {
        "id": question.id,
        "kind": question.kind,
        "label": question.label.get(language),
        "help": _text(question.help, language),
        "choices": [{"id": c.id, "label": c.label.get(language)} for c in question.choices],
        "when": condition_json(question.when),
    }


def group_json(group: Group, language: str) -> dict[str, Any]:
    return {
        "id": group.id,
        "label": group.label.get(language),
        "help": _text(group.help, language),
        "required": group.required,
        "when": condition_json(group.when),
    }


def document_json(document: Document, language: str) -> dict[str, Any]:
    return {
        "id": document.id,
        "label": document.label.get(language),
        "help": _text(document.help, language),
        "required": document.required,
        "group": document.group,
        "count": document.count,
        "max_age_months": document.max_age_months,
        "original_and_copy": document.original_and_copy,
        "when": condition_json(document.when),
    }


def checklist_json(
    procedure: Procedure, language: str, evaluated: Checklist | None = None
) -> dict[str, Any]:
    """The whole checklist, or with `evaluated` only what applies and where the file stands."""
    spec = procedure.checklist
    questions = evaluated.questions if evaluated else spec.questions
    groups = evaluated.groups if evaluated else spec.groups
    documents = evaluated.documents if evaluated else spec.documents
    body: dict[str, Any] = {
        "procedure_id": procedure.id,
        "version": procedure.checklist_version,
        "gate": spec.gate,
        "questions": [question_json(q, language) for q in questions],
        "groups": [group_json(g, language) for g in groups],
        "documents": [document_json(d, language) for d in documents],
        "eligibility": [
            {
                "question": rule.question,
                "earliest_months_before": rule.earliest_months_before,
                "latest_months_before": rule.latest_months_before,
                "message": rule.message.get(language),
            }
            for rule in spec.eligibility
        ],
    }
    if evaluated is not None:
        body["unanswered"] = list(evaluated.unanswered)
        body["eligible"] = evaluated.ineligible is None
        body["ineligible_message"] = _text(evaluated.ineligible, language)
        body["missing"] = [{"id": m.id, "label": m.label.get(language)} for m in evaluated.missing]
        body["complete"] = evaluated.complete
    return body


def documents_to_bring(checklist: Checklist, language: str) -> list[dict[str, Any]]:
    """The personal list: each applicable document, one-of alternatives under their group."""
    groups = {g.id: g for g in checklist.groups}
    listed: list[dict[str, Any]] = []
    for document in checklist.documents:
        item = document_json(document, language)
        del item["when"]
        if document.group:
            item["group_label"] = groups[document.group].label.get(language)
        listed.append(item)
    return listed
