"""Postcode -> city for Denmark and Sweden, from the lists shipped in data/.

Denmark writes four digits (2800), Sweden five, conventionally "NNN NN"
(114 55). See data/README.md for where the lists come from.
"""
from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / 'data'
FILES = {'DK': 'postcodes_dk.csv', 'SE': 'postcodes_se.csv'}
_PATTERNS = {'DK': re.compile(r'[0-9]{4}'), 'SE': re.compile(r'[0-9]{3} ?[0-9]{2}')}


@functools.cache
def _table(country: str) -> dict[str, str]:
    name = FILES.get(country)
    if name is None:
        return {}
    with open(DATA / name, encoding='utf-8', newline='') as fh:
        return {row['postcode']: row['city']
                for row in csv.DictReader(fh, delimiter=';')}


def normalise(country: str, value: str | None) -> str | None:
    """The postcode in its stored form, or None when it is malformed."""
    value = ' '.join((value or '').split())
    if country == 'SE':
        value = value.removeprefix('SE-').removeprefix('S-')
        if _PATTERNS['SE'].fullmatch(value):
            digits = value.replace(' ', '')
            return f'{digits[:3]} {digits[3:]}'
        return None
    if country == 'DK':
        value = value.removeprefix('DK-')
        return value if _PATTERNS['DK'].fullmatch(value) else None
    # Another country: no rule we know of; keep what was typed.
    return value or None


def city(country: str, postcode: str | None) -> str | None:
    code = normalise(country, postcode)
    return _table(country).get(code) if code else None


def has_list(country: str) -> bool:
    return bool(_table(country))


@dataclass
class Lookup:
    postcode: str          # normalised, or as typed when malformed
    city: str | None       # None: not found
    error: str | None      # 'malformed' or 'unknown'


def lookup(country: str, value: str | None) -> Lookup:
    code = normalise(country, value)
    if code is None:
        return Lookup((value or '').strip(), None, 'malformed')
    found = _table(country).get(code)
    if found is None and has_list(country):
        return Lookup(code, None, 'unknown')
    return Lookup(code, found, None)
