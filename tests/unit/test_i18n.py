"""Every user-facing message has a French translation, and languages are picked sensibly."""

from __future__ import annotations

import re

from babel.messages.extract import extract_from_dir

from booking.web.shared.language import pick_language, translations, translator
from tests.support.settings import ROOT


def marked_messages() -> set[str]:
    """Messages marked N_() in the code and _() in the page templates."""
    found = extract_from_dir(
        str(ROOT / "booking"),
        method_map=[("**.py", "python"), ("**/templates/**.html", "jinja2")],
        keywords={"N_": None, "_": None},
    )
    return {message if isinstance(message, str) else message[0] for *_, message, _, _ in found}


def test_page_templates_are_read_for_their_messages():
    assert "Confirm my appointment" in marked_messages()


def test_every_marked_message_is_translated_into_french():
    catalogue = translations("fr")._catalog  # entries may equal their id ("Actions")
    messages = marked_messages()
    assert len(messages) > 15
    missing = sorted(m for m in messages if not catalogue.get(m))
    assert missing == []


def test_french_translations_keep_their_placeholders():
    french = translator("fr")
    for message in marked_messages():
        assert set(re.findall(r"{\w+}", french(message))) == set(re.findall(r"{\w+}", message))


def test_english_is_the_message_id():
    assert translator("en")("Unknown site.") == "Unknown site."


def test_language_from_accept_language():
    assert pick_language(None) == "fr"
    assert pick_language("en-GB,en;q=0.9") == "en"
    assert pick_language("de-DE, en;q=0.5, fr;q=0.8") == "fr"
    assert pick_language("de", default="en") == "en"
    assert pick_language("en;q=abc, fr;q=0.1") == "fr"
