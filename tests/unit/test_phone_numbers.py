"""Phone numbers: what `parse_phone` accepts is exactly what phonenumbers calls valid."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from booking.core.contacts import FRENCH_PLAN, ContactError, parse_phone

REGIONS = ("FR", "RE", "YT", "GP", "MQ", "GF", "PM", "NC", "PF", "BE", "US")


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(REGIONS), st.from_regex(r"\+?0?[1-9][0-9]{7,10}", fullmatch=True))
def test_a_number_is_accepted_when_phonenumbers_finds_it_valid(region, raw):
    try:
        parse_phone(raw, region)
        accepted = True
    except ContactError:
        accepted = False
    regions = (region, *FRENCH_PLAN) if region in FRENCH_PLAN else (region,)
    valid = False
    for candidate in regions:
        try:
            valid = valid or phonenumbers.is_valid_number(phonenumbers.parse(raw, candidate))
        except phonenumbers.NumberParseException:
            break
    assert accepted == valid


@pytest.mark.parametrize(
    ("raw", "region", "e164", "mobile"),
    [
        ("06 12 34 56 78", "FR", "+33612345678", True),
        ("01 42 76 40 40", "FR", "+33142764040", False),  # a landline
        ("0692 12 34 56", "FR", "+262692123456", True),  # a Réunion mobile at Paris
        ("06 12 34 56 78", "RE", "+33612345678", True),
    ],
)
def test_a_number_is_stored_in_e164_with_whether_it_takes_sms(raw, region, e164, mobile):
    phone = parse_phone(raw, region)
    assert (phone.e164, phone.mobile) == (e164, mobile)
