"""Phone numbers (parsed with the site's own region, stored in E.164) and email addresses."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

import phonenumbers
from email_validator import EmailNotValidError, validate_email


class ContactError(ValueError):
    """The contact given cannot be used to reach the citizen."""


# Metropolitan France and the overseas départements and collectivities share one numbering
# plan: "06 12 34 56 78" is a French mobile at La Réunion's counter, "0692 12 34 56" a Réunion
# mobile at Paris's.
FRENCH_PLAN = ("FR", "RE", "YT", "GP", "MQ", "GF", "PM", "BL", "MF")
SMS_TYPES = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


class NotMobile(ContactError):
    """A valid number that cannot receive SMS (a landline, a special-rate number)."""


@dataclass(frozen=True)
class Phone:
    e164: str
    mobile: bool  # can receive SMS


def parse_phone(raw: str, region: str) -> Phone:
    """A number as dialled at a site of `region`: in international form, or national, valid
    in the site's region or anywhere else in the French plan (the first region that fits)."""
    regions = (
        (region, *(r for r in FRENCH_PLAN if r != region)) if region in FRENCH_PLAN else (region,)
    )
    for candidate in regions:
        try:
            number = phonenumbers.parse(raw, candidate)
        except phonenumbers.NumberParseException as exc:
            raise ContactError("not a phone number") from exc
        kind = phonenumbers.number_type(number)  # UNKNOWN: not valid (`is_valid_number`)
        if kind != phonenumbers.PhoneNumberType.UNKNOWN:
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            return Phone(e164, kind in SMS_TYPES)
    raise ContactError("not a valid phone number")


def checked_phone(raw: str, region: str, *, mobile: bool = False) -> Phone:
    """A valid number; with `mobile`, one that can receive SMS (NotMobile if not)."""
    phone = parse_phone(raw, region)
    if mobile and not phone.mobile:
        raise NotMobile("this number cannot receive SMS")
    return phone


def normalise_phone(raw: str, region: str, *, mobile: bool = False) -> str:
    """E.164 form of a valid number; with `mobile`, one that can receive SMS (NotMobile if not)."""
    return checked_phone(raw, region, mobile=mobile).e164


def normalise_email(raw: str) -> str:
    try:
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ContactError("not a valid email address") from exc


def phone_key(secret: str, phone: str | None) -> str | None:
    """A keyed hash of an E.164 number: the same citizen is recognised across visits, and the
    number cannot be read back from it once the visit is anonymised."""
    if not phone:
        return None
    digest = hmac.new(secret.encode(), b"phone:" + phone.encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def phone_keys(secrets: Iterable[str], phone: str | None) -> tuple[str, ...]:
    """The number's key under each secret (every accepted one: a secret being rolled in
    keeps the same citizen recognised); none without a number."""
    return tuple(phone_key(secret, phone) for secret in secrets) if phone else ()  # type: ignore[misc]
