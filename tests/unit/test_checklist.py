"""The checklist language and its evaluation (pure: no database)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from completeness.catalogue import CatalogueError, load_catalogue, load_procedure
from completeness.evaluation import coerce_answers, evaluate, holds, months_before
from completeness.language import ChecklistError, parse_checklist
from tests.support.settings import ROOT

CATALOGUE = load_catalogue(ROOT / "config" / "procedures")
RENEWAL = CATALOGUE.get("residence-permit-renewal").checklist
TODAY = date(2026, 11, 26)

TEXT = {"fr": "f", "en": "e"}


def q(qid: str, kind: str = "yes_no", **extra) -> dict:
    question = {"id": qid, "kind": kind, "label": TEXT, **extra}
    if kind == "choice" and "choices" not in extra:
        question["choices"] = [{"id": "a", "label": TEXT}, {"id": "b", "label": TEXT}]
    return question


def doc(did: str, **extra) -> dict:
    return {"id": did, "label": TEXT, **extra}


def ids(checklist) -> list[str]:
    return [d.id for d in checklist.documents]


def test_renewal_hosted_unmarried_employee_gets_exactly_these_documents():
    answers = {
        "permit_expires": date(2027, 2, 20),
        "hosted": True,
        "married": False,
        "situation": "employee",
    }
    checklist = evaluate(RENEWAL, answers, [], today=TODAY)
    assert ids(checklist) == [
        "passport",
        "current-permit",
        "host-statement",
        "host-identity",
        "host-proof-of-address",
        "photos",
        "payslips",
        "work-contract",
        "employer-certificate",
    ]
    assert [g.id for g in checklist.groups] == ["employment-proof"]
    assert [m.id for m in checklist.missing] == [
        "passport",
        "current-permit",
        "host-statement",
        "host-identity",
        "host-proof-of-address",
        "photos",
        "payslips",
        "employment-proof",
    ]
    assert checklist.unanswered == () and checklist.ineligible is None


def test_declaring_every_required_document_completes_the_file():
    answers = {
        "permit_expires": date(2027, 2, 20),
        "hosted": True,
        "married": False,
        "situation": "employee",
    }
    declared = [
        "passport",
        "current-permit",
        "host-statement",
        "host-identity",
        "host-proof-of-address",
        "photos",
        "payslips",
        "employer-certificate",
    ]
    assert evaluate(RENEWAL, answers, declared, today=TODAY).complete
    assert not evaluate(RENEWAL, answers, declared[:-1], today=TODAY).complete


def test_renewal_is_only_bookable_four_to_two_months_before_expiry():
    base = {"hosted": False, "married": False, "situation": "other"}
    too_early = evaluate(RENEWAL, {**base, "permit_expires": date(2027, 6, 1)}, [], today=TODAY)
    too_late = evaluate(RENEWAL, {**base, "permit_expires": date(2027, 1, 10)}, [], today=TODAY)
    inside = evaluate(RENEWAL, {**base, "permit_expires": date(2027, 3, 26)}, [], today=TODAY)
    assert too_early.ineligible and too_late.ineligible and inside.ineligible is None
    assert "entre 4 et 2 mois" in too_early.ineligible.fr
    assert (
        evaluate(RENEWAL, {**base, "permit_expires": date(2027, 1, 26)}, [], today=TODAY).ineligible
        is None
    )
    assert months_before(date(2027, 3, 31), 1) == date(2027, 2, 28)


def test_every_applicable_question_must_be_answered():
    checklist = evaluate(RENEWAL, {"hosted": True}, [], today=TODAY)
    assert set(checklist.unanswered) == {"permit_expires", "married", "situation"}
    assert not checklist.complete


def test_conditions_all_any_not_in():
    spec = parse_checklist(
        {
            "questions": [q("x"), q("y"), q("c", "choice")],
            "documents": [
                doc(
                    "both",
                    when={
                        "all": [
                            {"question": "x", "equals": True},
                            {"question": "y", "equals": True},
                        ]
                    },
                ),
                doc(
                    "either",
                    when={
                        "any": [
                            {"question": "x", "equals": True},
                            {"question": "y", "equals": True},
                        ]
                    },
                ),
                doc("not-x", when={"not": {"question": "x", "equals": True}}),
                doc("in-c", when={"question": "c", "in": ["a"]}),
            ],
        }
    )
    assert ids(evaluate(spec, {"x": True, "y": True, "c": "b"}, [], today=TODAY)) == [
        "both",
        "either",
    ]
    assert ids(evaluate(spec, {"x": False, "y": True, "c": "a"}, [], today=TODAY)) == [
        "either",
        "not-x",
        "in-c",
    ]
    assert ids(evaluate(spec, {"x": False, "y": False, "c": "b"}, [], today=TODAY)) == ["not-x"]


def test_conditional_questions_and_ignored_answers():
    spec = parse_checklist(
        {
            "questions": [
                q("hosted"),
                q("host_is_family", when={"question": "hosted", "equals": True}),
            ],
            "documents": [doc("family-book", when={"question": "host_is_family", "equals": True})],
        }
    )
    not_hosted = evaluate(spec, {"hosted": False, "host_is_family": True}, [], today=TODAY)
    assert [x.id for x in not_hosted.questions] == ["hosted"] and ids(not_hosted) == []
    hosted = evaluate(spec, {"hosted": True}, [], today=TODAY)
    assert hosted.unanswered == ("host_is_family",)


def test_one_of_group_count_age_original_and_copy_and_optional():
    checklist = evaluate(
        CATALOGUE.get("naturalisation-interview").checklist, {}, ["residence-permit"], today=TODAY
    )
    assert [m.id for m in checklist.missing] == ["interview-notification", "application-originals"]
    renewal = evaluate(
        RENEWAL,
        {
            "permit_expires": date(2027, 2, 1),
            "hosted": False,
            "married": False,
            "situation": "other",
        },
        [],
        today=TODAY,
    )
    photos = next(d for d in renewal.documents if d.id == "photos")
    passport = next(d for d in renewal.documents if d.id == "passport")
    assert photos.count == 3 and photos.max_age_months == 6 and passport.original_and_copy
    first = evaluate(CATALOGUE.get("residence-permit-first").checklist, {}, [], today=TODAY)
    stamp = next(d for d in first.documents if d.id == "tax-stamp-reference")
    assert not stamp.required and "tax-stamp-reference" not in [m.id for m in first.missing]


def test_answers_from_query_strings_are_typed():
    answers, errors = coerce_answers(
        RENEWAL,
        {
            "hosted": "oui",
            "married": "false",
            "situation": "employee",
            "permit_expires": "2027-02-20",
        },
    )
    assert answers == {
        "hosted": True,
        "married": False,
        "situation": "employee",
        "permit_expires": date(2027, 2, 20),
    }
    assert errors == {}
    _, errors = coerce_answers(
        RENEWAL, {"hosted": "maybe", "situation": "boss", "permit_expires": "soon", "x": 1}
    )
    assert set(errors) == {"hosted", "situation", "permit_expires", "x"}


@pytest.mark.parametrize(
    ("raw", "path", "reason"),
    [
        ({"questions": [q("a"), q("a")]}, "questions[1].id", "duplicate"),
        ({"questions": [q("a", "number")]}, "questions[0].kind", "expected one of"),
        (
            {"questions": [q("a", "choice", choices=[{"id": "x", "label": TEXT}])]},
            "questions[0].choices",
            "two",
        ),
        (
            {"documents": [doc("d", when={"question": "ghost", "equals": True})]},
            "documents[0].when.question",
            "unknown question",
        ),
        (
            {
                "questions": [q("c", "choice")],
                "documents": [doc("d", when={"question": "c", "equals": "z"})],
            },
            "documents[0].when",
            "no answer 'z'",
        ),
        (
            {
                "questions": [q("y")],
                "documents": [doc("d", when={"question": "y", "equals": "yes"})],
            },
            "documents[0].when",
            "true or false",
        ),
        (
            {
                "questions": [
                    q("a", when={"question": "b", "equals": True}),
                    q("b", when={"question": "a", "equals": True}),
                ]
            },
            "questions",
            "cycle",
        ),
        ({"groups": [{"id": "g", "label": TEXT}]}, "groups[0]", "no documents"),
        ({"documents": [doc("d", group="nowhere")]}, "documents[0].group", "unknown group"),
        ({"documents": [doc("d", count=0)]}, "documents[0].count", "at least 1"),
        ({"documents": [doc("d", colour="red")]}, "documents[0]", "unknown key"),
        ({"documents": [{"id": "d", "label": {"fr": "only"}}]}, "documents[0].label", "fr"),
        ({"documents": [doc("d", when={"all": []})]}, "documents[0].when.all", "non-empty"),
        ({"documents": [doc("d", when={"question": "x"})]}, "documents[0].when", "exactly one"),
        ({"gate": "maybe"}, "gate", "block"),
        (
            {
                "questions": [q("h")],
                "eligibility": [
                    {
                        "question": "h",
                        "earliest_months_before": 4,
                        "latest_months_before": 2,
                        "message": TEXT,
                    }
                ],
            },
            "eligibility[0].question",
            "not a date question",
        ),
        (
            {
                "questions": [q("e", "date")],
                "eligibility": [
                    {
                        "question": "e",
                        "earliest_months_before": 2,
                        "latest_months_before": 4,
                        "message": TEXT,
                    }
                ],
            },
            "eligibility[0]",
            "earliest_months_before >",
        ),
        (
            {
                "questions": [q("e", "date")],
                "documents": [doc("d", when={"question": "e", "equals": "x"})],
            },
            "documents[0].when",
            "is a date",
        ),
    ],
)
def test_invalid_checklists_are_refused_with_path_and_reason(raw, path, reason):
    with pytest.raises(ChecklistError) as error:
        parse_checklist(raw)
    assert error.value.path == path and reason in error.value.reason


def test_a_bad_checklist_fails_at_start_up_naming_file_and_field(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text(
        'id = "broken"\nduration_minutes = 10\nhorizon_days = 5\n[name]\nfr = "x"\nen = "y"\n'
        '[[documents]]\nid = "d"\nlabel = { fr = "a", en = "b" }\n'
        'when = { question = "ghost", equals = true }\n'
    )
    with pytest.raises(
        CatalogueError, match=r"broken.toml: field 'documents\[0\].when.question': unknown question"
    ):
        load_procedure(path)


def test_editing_a_checklist_changes_its_version(tmp_path):
    body = 'id = "proc"\nduration_minutes = 10\nhorizon_days = 5\n[name]\nfr = "x"\nen = "y"\n'
    path = tmp_path / "proc.toml"
    path.write_text(body)
    first = load_procedure(path).checklist_version
    path.write_text(body + '[[documents]]\nid = "d"\nlabel = { fr = "a", en = "b" }\n')
    second = load_procedure(path).checklist_version
    path.write_text(
        body.replace("duration_minutes = 10", "duration_minutes = 20")
        + '[[documents]]\nid = "d"\nlabel = { fr = "a", en = "b" }\n'
    )
    assert first != second == load_procedure(path).checklist_version  # only the checklist counts


ANSWERS = st.fixed_dictionaries(
    {},
    optional={
        "permit_expires": st.dates(date(2026, 1, 1), date(2028, 1, 1)),
        "hosted": st.booleans(),
        "married": st.booleans(),
        "situation": st.sampled_from(["employee", "student", "family", "other"]),
    },
)
DOCUMENT_IDS = [d.id for d in RENEWAL.documents] + [g.id for g in RENEWAL.groups]


@settings(max_examples=200, deadline=None)
@given(
    answers=ANSWERS,
    declared=st.sets(st.sampled_from(DOCUMENT_IDS)),
    extra=st.sampled_from(DOCUMENT_IDS),
)
def test_declaring_more_never_makes_a_complete_file_incomplete(answers, declared, extra):
    before = evaluate(RENEWAL, answers, declared, today=TODAY)
    after = evaluate(RENEWAL, answers, declared | {extra}, today=TODAY)
    assert len(after.missing) <= len(before.missing)
    if before.complete:
        assert after.complete


@settings(max_examples=200, deadline=None)
@given(answers=ANSWERS)
def test_only_documents_whose_conditions_hold_are_shown(answers):
    checklist = evaluate(RENEWAL, answers, [], today=TODAY)
    groups = {g.id: g for g in checklist.groups}
    for document in checklist.documents:
        assert holds(document.when, answers)
        if document.group:
            assert holds(groups[document.group].when, answers)
    hidden = [d for d in RENEWAL.documents if d not in checklist.documents]
    for document in hidden:
        group = next((g for g in RENEWAL.groups if g.id == document.group), None)
        assert not holds(document.when, answers) or (
            group is not None and not holds(group.when, answers)
        )


def test_a_group_of_alternatives_is_listed_once_whatever_is_declared():
    answers = {
        "permit_expires": date(2027, 3, 26),
        "hosted": False,
        "married": False,
        "situation": "employee",
    }
    for declared in ([], ["work-contract"], ["work-contract", "employer-certificate"]):
        checklist = evaluate(RENEWAL, answers, declared, today=TODAY)
        labels = checklist.labels_to_bring("fr")
        assert labels.count("Contrat de travail ou attestation de l'employeur") == 1, declared
        assert "Contrat de travail" not in labels  # the alternative is under its group
        group, members = next(item for item in checklist.to_bring() if item[0])
        assert group.id == "employment-proof"
        assert [d.id for d in members] == ["work-contract", "employer-certificate"]
