"""Translations through gettext catalogues (booking/locales/<lang>/LC_MESSAGES/messages.po).

Message ids are the English texts. Catalogues are read with Babel at first use, so no compiled
file is kept in the repository.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from gettext import NullTranslations
from pathlib import Path

from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES = Path(__file__).resolve().parents[2] / "locales"
LANGUAGES = ("fr", "en")
Translate = Callable[[str], str]


@cache
def translations(language: str) -> NullTranslations:
    path = LOCALES / language / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    result = Translations()
    result._catalog = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    return result


def translator(language: str) -> Translate:
    return translations(language).gettext


def pick_language(accept_language: str | None, default: str = "fr") -> str:
    """The first supported language of an Accept-Language header, else the default."""
    if not accept_language:
        return default
    weighted = []
    for part in accept_language.split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        weighted.append((quality, tag.strip().lower()[:2]))
    for _, language in sorted(weighted, key=lambda pair: -pair[0]):
        if language in LANGUAGES:
            return language
    return default
