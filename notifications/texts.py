"""Message texts, rendered by pure functions, and SMS segment counting (GSM-7 aware).

A single character outside the GSM-7 alphabet turns a whole SMS into UCS-2 (70 characters a
segment instead of 160), so French typography is folded to plain equivalents where that reads
as well: ’ -> ', « » -> ", ê -> e, ç -> c, non-breaking spaces -> spaces.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = "^{}\\[~]|€"  # two septets each
_FOLD = str.maketrans(
    {
        "’": "'",
        "‘": "'",
        "«": '"',
        "»": '"',
        "“": '"',
        "”": '"',
        "–": "-",
        "—": "-",
        "…": "...",
        "\u00a0": " ",
        "\u202f": " ",
        "œ": "oe",
        "Œ": "OE",
    }
)
_GSM = set(GSM7_BASIC) | set(GSM7_EXTENDED)


def to_gsm7(text: str) -> str:
    """Fold characters outside GSM-7 to plain ones (ê -> e); leave what has no plain form."""
    folded = text.translate(_FOLD)
    if _GSM.issuperset(folded):  # most texts, once folded: one pass in C
        return folded
    return "".join(char if char in _GSM else _plain(char) for char in folded)


@lru_cache(maxsize=1024)
def _plain(char: str) -> str:
    plain = unicodedata.normalize("NFD", char)[0]
    return plain if plain in _GSM else char


def is_gsm7(text: str) -> bool:
    return all(char in _GSM for char in text)


def segments(text: str) -> int:
    """How many SMS segments the text takes (160/153 septets in GSM-7, 70/67 in UCS-2)."""
    if is_gsm7(text):
        length = sum(2 if char in GSM7_EXTENDED else 1 for char in text)
        single, multi = 160, 153
    else:
        length = sum(2 if ord(char) > 0xFFFF else 1 for char in text)
        single, multi = 70, 67
    if length <= single:
        return 1
    return -(-length // multi)


@dataclass(frozen=True)
class Visit:
    """What a message says about a visit (all plain values)."""

    site_name: str
    site_address: str
    starts_local: datetime  # in the site's own time zone
    reference: str  # display form, K7Q-4M2-XP
    procedure_name: str
    manage_link: str
    documents_link: str
    language: str = "fr"
    reason: str | None = None  # why the office cancelled the visit
    code: str = ""  # the management code: with the reference, opens the visit without a link
    book_link: str = ""  # where to book again


DAYS = {
    "fr": ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."],
    "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
}
MONTHS_FR = [
    "janv.",
    "févr.",
    "mars",
    "avr.",
    "mai",
    "juin",
    "juil.",
    "août",
    "sept.",
    "oct.",
    "nov.",
    "déc.",
]


def when(visit: Visit) -> str:
    at = visit.starts_local
    day = DAYS["en" if visit.language == "en" else "fr"][at.weekday()]
    if visit.language == "en":
        return f"{day} {at.day} {at:%b} at {at:%H:%M}"
    return f"{day} {at.day} {MONTHS_FR[at.month - 1]} à {at:%Hh%M}"


SMS = {
    ("fr", "confirmation"): "RDV confirmé : {site}, {when}. Réf {ref}, code {code}. Pièces à "
    "apporter : {docs} Gérer ou annuler : {manage}",
    ("en", "confirmation"): "Appointment confirmed: {site}, {when}. Ref {ref}, code {code}. "
    "Documents to bring: {docs} Manage or cancel: {manage}",
    ("fr", "reminder"): "RDV demain {when}, {site}. Réf {ref}. Empêché? {manage}",
    ("en", "reminder"): "Tomorrow {when}: {site}. Ref {ref}. Can't come? {manage}",
    ("fr", "change"): "Déplacé : {site}, {when}. Réf {ref}, code {code}. {manage}",
    ("en", "change"): "Moved: {site}, {when}. Ref {ref}, code {code}. {manage}",
    ("fr", "link"): "Votre RDV : {site}, {when}. Réf {ref}, code {code}. {manage}",
    ("en", "link"): "Your visit: {site}, {when}. Ref {ref}, code {code}. {manage}",
    ("fr", "cancellation"): "RDV annulé : {site}, {when}. Réf {ref}. Détails : {manage}",
    ("en", "cancellation"): "Cancelled: {site}, {when}. Ref {ref}. Details: {manage}",
    ("fr", "cancellation_by_office"): "RDV annulé par la préfecture : {site}, {when}. Motif : "
    "{reason}. Réf {ref}. Reprendre RDV : {book}",
    ("en", "cancellation_by_office"): "Your appointment was cancelled by the office: {site}, "
    "{when}. Reason: {reason}. Ref {ref}. Book again: {book}",
    ("fr", "survey"): "Merci de votre venue à {site} ({ref}). Votre avis sur l'accueil, de 1 "
    "(mauvais) à 5 (excellent) ? Répondez par un chiffre.",
    ("en", "survey"): "Thank you for visiting {site} ({ref}). How was your visit, from 1 (poor) "
    "to 5 (excellent)? Reply with one digit.",
}
SUBJECTS = {
    ("fr", "confirmation"): "Votre rendez-vous du {when}",
    ("en", "confirmation"): "Your appointment on {when}",
    ("fr", "reminder"): "Rappel : votre rendez-vous demain",
    ("en", "reminder"): "Reminder: your appointment tomorrow",
    ("fr", "change"): "Rendez-vous déplacé au {when}",
    ("en", "change"): "Appointment moved to {when}",
    ("fr", "cancellation"): "Rendez-vous annulé",
    ("en", "cancellation"): "Appointment cancelled",
    ("fr", "link"): "Le lien de votre rendez-vous",
    ("en", "link"): "The link to your appointment",
    ("fr", "survey"): "Votre avis sur votre rendez-vous",
    ("en", "survey"): "How was your appointment?",
}


def sms_text(kind: str, visit: Visit) -> str:
    language = "en" if visit.language == "en" else "fr"
    if kind == "cancellation" and visit.reason:
        kind = "cancellation_by_office"
    text = SMS[(language, kind)].format(
        site=visit.site_name,
        when=when(visit),
        ref=visit.reference,
        docs=visit.documents_link,
        manage=visit.manage_link,
        reason=visit.reason,
        book=visit.book_link,
        code=visit.code,
    )
    return to_gsm7(text)


def email_text(kind: str, visit: Visit, documents: list[str]) -> tuple[str, str]:
    """(subject, body) of an email; the body lists the documents for a confirmation."""
    language = "en" if visit.language == "en" else "fr"
    subject = SUBJECTS[(language, kind)].format(when=when(visit))
    lines = [sms_text(kind, visit), "", visit.site_address]
    if kind in ("confirmation", "change") and documents:
        lines += ["", "Documents to bring:" if language == "en" else "Pièces à apporter :"]
        lines += [f"- {label}" for label in documents]
    return subject, "\n".join(lines)


def fallback_subject(language: str) -> str:
    """Subject of an email sent instead of an SMS (the number opted out)."""
    return "Your appointment" if language == "en" else "Votre rendez-vous"


CODE_TEXTS = {
    "fr": "Guichet : votre code {code} confirme votre RDV du {when} ({site}). "
    "Valable {minutes} min. Ne le donnez a personne.",
    "en": "Guichet: your code {code} confirms your visit on {when} ({site}). Valid {minutes} min."
    " Do not share it.",
}


def code_text(language: str, code: str, when: str, site: str, minutes: int) -> str:
    """The SMS of a one-time code (folded to GSM-7: one segment)."""
    template = CODE_TEXTS.get(language, CODE_TEXTS["fr"])
    return to_gsm7(template.format(code=code, when=when, site=site, minutes=minutes))


OFFER_TEXTS = {
    "fr": "Place libre {when}, {site}, gardee jusqu'a {until}. Repondre : {link}",
    "en": "Seat free {when}, {site}, held until {until}. Answer: {link}",
}
OFFER_SUBJECTS = {
    "fr": "Une place s'est libérée : {when}",
    "en": "A seat is free: {when}",
}


def offer_text(language: str, when: str, site: str, until: str, link: str) -> str:
    """The SMS of a waiting-list offer (folded to GSM-7; one segment with a short site name)."""
    template = OFFER_TEXTS.get(language, OFFER_TEXTS["fr"])
    return to_gsm7(template.format(when=when, site=site, until=until, link=link))


def offer_subject(language: str, when: str) -> str:
    return OFFER_SUBJECTS.get(language, OFFER_SUBJECTS["fr"]).format(when=when)


ENDED_TEXTS = {
    ("fr", "lapsed"): "Guichet : sans reponse a 3 propositions, vous quittez la liste d'attente."
    " Pour reprendre RDV : {book}",
    ("en", "lapsed"): "Guichet: 3 offers left unanswered, you are off the waiting list."
    " To book: {book}",
    ("fr", "past"): "Guichet : les dates de votre liste d'attente sont passees, elle est close."
    " Pour reprendre RDV : {book}",
    ("en", "past"): "Guichet: the dates of your waiting-list entry are over, it is closed."
    " To book: {book}",
}


def ended_text(language: str, reason: str, book: str) -> str:
    """The SMS telling a waiting person the rules ended their entry (one segment)."""
    template = ENDED_TEXTS.get((language if language == "en" else "fr", reason))
    return to_gsm7(template.format(book=book)) if template else ""


WAITLIST_CODE_TEXTS = {
    "fr": "Guichet : votre code {code} confirme votre inscription sur liste d'attente ({site}). "
    "Ne le donnez a personne.",
    "en": "Guichet: your code {code} confirms your waiting-list entry ({site}). Do not share it.",
}


def waitlist_code_text(language: str, code: str, site: str) -> str:
    template = WAITLIST_CODE_TEXTS.get(language, WAITLIST_CODE_TEXTS["fr"])
    return to_gsm7(template.format(code=code, site=site))
