"""Phone numbers (parsed with the site's own region, stored in E.164) and email addresses."""

from __future__ import annotations

import hashlib
import hmac

import phonenumbers
from email_validator import EmailNotValidError, validate_email


class ContactError(ValueError):
    """The contact given cannot be used to reach the citizen."""


def normalise_phone(raw: str, region: str) -> str:
    """E.164 form of a phone number as dialled in the site's region (`0692…` is valid as RE)."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ContactError("not a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise ContactError("not a valid phone number for this site's region")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


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
