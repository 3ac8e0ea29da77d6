"""Message texts, SMS segments, reminder times, quiet hours and calendar files (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from icalendar import Calendar

from notifications.calendar import CalendarVisit, calendar_file
from notifications.schedule import end_of_quiet_hours, in_quiet_hours, reminder_due, retry_delay
from notifications.texts import Visit, email_text, is_gsm7, segments, sms_text, to_gsm7

PARIS = ZoneInfo("Europe/Paris")
LINK = "https://rdv.prefecture.gouv.fr/r/K7Q4M2XP#qntWe-cex0U2U2DM"


def visit(language: str = "fr", site: str = "Préfecture de police — Paris Cité") -> Visit:
    return Visit(
        site_name=site,
        site_address="1 bis rue de Lutèce, 75004 Paris",
        starts_local=datetime(2026, 8, 13, 9, 15, tzinfo=PARIS),
        reference="K7Q-4M2-XP",
        procedure_name="Titre de séjour",
        manage_link=LINK,
        documents_link=LINK.replace("#", "/pieces#"),
        language=language,
        code="UEN999CG",
    )


def test_gsm7_folding_keeps_french_readable():
    assert (
        to_gsm7("Préfecture « Cité » – l’été, ça c’est sûr")
        == "Préfecture \" Cité \" - l'été, ca c'est sur"
    )
    assert is_gsm7(to_gsm7("Empêché ? Œuvre"))


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80))
def test_gsm7_folding_keeps_gsm7_and_folds_the_rest_character_by_character(text):
    folded = to_gsm7(text)
    assert to_gsm7(folded) == folded
    assert folded == "".join(to_gsm7(char) for char in text)  # the fast path changes nothing
    assert all(is_gsm7(char) or not is_gsm7(to_gsm7(char)) for char in folded)


def test_segment_counting():
    assert segments("a" * 160) == 1 and segments("a" * 161) == 2 and segments("a" * 306) == 2
    assert segments("€" * 80) == 1 and segments("€" * 81) == 2  # extension characters count twice
    assert segments("ê" * 70) == 1 and segments("ê" * 71) == 2  # UCS-2


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize(
    ("kind", "most"),
    [("confirmation", 2), ("reminder", 1), ("change", 1), ("cancellation", 1), ("link", 1)],
)
def test_sms_are_gsm7_and_short(language, kind, most):
    text = sms_text(kind, visit(language))
    assert is_gsm7(text)
    assert segments(text) <= most, (len(text), text)
    assert "K7Q-4M2-XP" in text and "Paris Cit" in text
    assert ("13 aout" in text) if language == "fr" else ("13 Aug" in text)  # û is not GSM-7
    assert LINK in text
    if kind == "confirmation":
        assert "/pieces#" in text
    if kind in ("confirmation", "change", "link"):
        assert "UEN999CG" in text  # the management code, for when the link cannot be used


def test_email_lists_documents():
    subject, body = email_text("confirmation", visit(), ["Passeport", "3 photos"])
    assert "13 août" in subject and "- Passeport" in body and "Lutèce" in body


def test_reminder_is_the_day_before_at_the_site_hour():
    start = datetime(2026, 3, 30, 7, 0, tzinfo=UTC)  # Monday 09:00 in Paris, after the change
    due = reminder_due(start, "Europe/Paris", 18, now=datetime(2026, 3, 20, tzinfo=UTC))
    assert (
        due == datetime(2026, 3, 29, 18, 0, tzinfo=PARIS)
        and due.utcoffset().total_seconds() == 7200
    )
    reunion = reminder_due(start, "Indian/Reunion", 18, now=datetime(2026, 3, 20, tzinfo=UTC))
    assert reunion.astimezone(UTC) == datetime(2026, 3, 29, 14, 0, tzinfo=UTC)
    assert (
        reminder_due(start, "Europe/Paris", 18, now=datetime(2026, 3, 29, 17, tzinfo=UTC)) is None
    )
    assert reminder_due(start, "Europe/Paris", None, now=datetime(2026, 3, 20, tzinfo=UTC)) is None


def test_quiet_hours_are_local():
    assert in_quiet_hours(datetime(2026, 3, 20, 20, 30, tzinfo=UTC), "Europe/Paris")  # 21:30
    assert not in_quiet_hours(datetime(2026, 3, 20, 7, 30, tzinfo=UTC), "Europe/Paris")  # 08:30
    assert in_quiet_hours(datetime(2026, 3, 20, 17, 30, tzinfo=UTC), "Indian/Reunion")  # 21:30
    assert end_of_quiet_hours(datetime(2026, 3, 20, 21, 0, tzinfo=UTC), "Europe/Paris") == datetime(
        2026, 3, 21, 8, 0, tzinfo=PARIS
    )
    assert end_of_quiet_hours(datetime(2026, 3, 21, 2, 0, tzinfo=UTC), "Europe/Paris") == datetime(
        2026, 3, 21, 8, 0, tzinfo=PARIS
    )


REUNION = ZoneInfo("Indian/Reunion")


@pytest.mark.parametrize("zone", [PARIS, REUNION], ids=["Paris", "Reunion"])
def test_quiet_hours_begin_at_21_00_00_and_end_at_08_00_00_to_the_second(zone):
    name = str(zone)
    day = datetime(2026, 3, 20, tzinfo=zone)
    assert not in_quiet_hours(day.replace(hour=20, minute=59, second=59), name)
    assert in_quiet_hours(day.replace(hour=21), name)
    assert in_quiet_hours(day.replace(hour=7, minute=59, second=59), name)
    assert not in_quiet_hours(day.replace(hour=8), name)
    assert end_of_quiet_hours(day.replace(hour=21), name) == day.replace(day=21, hour=8)
    assert end_of_quiet_hours(day.replace(hour=8), name) == day.replace(hour=8)


def test_the_night_the_clocks_go_back_in_paris():
    """25 October 2026: 03:00 CEST becomes 02:00 CET, so 02:30 happens twice."""
    first = datetime(2026, 10, 25, 2, 30, tzinfo=PARIS)  # fold=0: CEST, 00:30 UTC
    second = datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=PARIS)  # CET, 01:30 UTC
    assert second.astimezone(UTC) - first.astimezone(UTC) == timedelta(hours=1)
    for visit in (first, second):
        assert reminder_due(visit, "Europe/Paris", 18, now=datetime(2026, 10, 20, tzinfo=UTC)) == (
            datetime(2026, 10, 24, 16, 0, tzinfo=UTC)  # 18:00 CEST the day before
        )
        assert in_quiet_hours(visit, "Europe/Paris")
        assert end_of_quiet_hours(visit, "Europe/Paris") == datetime(2026, 10, 25, 7, 0, tzinfo=UTC)
    assert not in_quiet_hours(datetime(2026, 10, 24, 16, 0, tzinfo=UTC), "Europe/Paris")


def test_retry_backoff_grows_and_is_capped():
    delays = [retry_delay(n).total_seconds() for n in range(1, 10)]
    assert delays[:3] == [30, 60, 120] and max(delays) == 1800


def calendar_visit(**changes) -> CalendarVisit:
    base = {
        "uid": "K7Q4M2XP@rdv.example.fr",
        "summary": "Titre de séjour — Paris",
        "starts": datetime(2026, 3, 30, 7, 0, tzinfo=UTC),
        "ends": datetime(2026, 3, 30, 7, 30, tzinfo=UTC),
        "timezone": "Europe/Paris",
        "location": "1 bis rue de Lutèce",
        "description": "Passeport\n3 photos",
        "sequence": 0,
    }
    return CalendarVisit(**(base | changes))


@pytest.mark.parametrize(
    ("starts", "timezone", "local"),
    [
        (datetime(2026, 3, 27, 8, 0, tzinfo=UTC), "Europe/Paris", "09:00"),  # before the change
        (datetime(2026, 3, 30, 7, 0, tzinfo=UTC), "Europe/Paris", "09:00"),  # after it
        (datetime(2026, 10, 26, 8, 0, tzinfo=UTC), "Europe/Paris", "09:00"),
        (datetime(2026, 3, 30, 5, 0, tzinfo=UTC), "Indian/Reunion", "09:00"),
    ],
)
def test_calendar_file_reparses_with_local_times(starts, timezone, local):
    raw = calendar_file(
        calendar_visit(starts=starts, ends=starts.replace(minute=30), timezone=timezone)
    )
    calendar = Calendar.from_ical(raw)
    assert calendar["METHOD"] == "REQUEST"
    event = calendar.walk("VEVENT")[0]
    start = event.decoded("DTSTART")
    assert start.strftime("%H:%M") == local and str(start.tzinfo) == timezone
    assert start.astimezone(UTC) == starts
    assert calendar.walk("VTIMEZONE")[0]["TZID"] == timezone
    assert event["UID"] == "K7Q4M2XP@rdv.example.fr" and event["LOCATION"] == "1 bis rue de Lutèce"


def test_cancellation_is_a_cancel_with_a_higher_sequence():
    calendar = Calendar.from_ical(calendar_file(calendar_visit(cancelled=True, sequence=2)))
    event = calendar.walk("VEVENT")[0]
    assert (
        calendar["METHOD"] == "CANCEL" and event["STATUS"] == "CANCELLED" and event["SEQUENCE"] == 2
    )


@pytest.mark.parametrize("language", ["fr", "en"])
def test_survey_question_fits_one_segment_and_asks_for_a_digit(language):
    text = sms_text("survey", visit(language))
    assert is_gsm7(text) and segments(text) == 1, (len(text), text)
    assert "K7Q-4M2-XP" in text and "5" in text
