"""Identity numbers and phone numbers: parse, validate, normalise."""
from __future__ import annotations

import phonenumbers
from stdnum.dk import cpr as dk_cpr
from stdnum.exceptions import ValidationError
from stdnum.se import personnummer as se_pnr


def normalise_cpr(value: str) -> str | None:
    """A Danish CPR (10 digits, date-checked, no modulus-11: numbers issued
    since 2007 may fail it) or a Swedish personnummer (Luhn), compacted.
    Returns None when it is neither."""
    value = (value or '').strip()
    if not value or len(value) > 20:
        return None
    try:
        return dk_cpr.validate(value)
    except ValidationError:
        pass
    try:
        return ''.join(c for c in se_pnr.validate(value) if c.isdigit())
    except ValidationError:
        return None


def normalise_phone(value: str, country: str = 'DK') -> str | None:
    """E.164 (+4512345678) for a valid number, national numbers read in
    `country`; None when invalid."""
    value = (value or '').strip()
    if not value or len(value) > 30:
        return None
    try:
        number = phonenumbers.parse(value, country)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_mobile(e164: str) -> bool:
    number = phonenumbers.parse(e164, None)
    return phonenumbers.number_type(number) in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
