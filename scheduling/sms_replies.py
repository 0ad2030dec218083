"""Read a substitute's SMS answer to a shift request: Ja, Nej, with a code.

Kinder than the original system, which took only the exact text "Ja" or
"Nej": surrounding spaces (also non-breaking ones and line breaks), letter
case and a trailing full stop or exclamation mark do not matter, and the
English "yes" / "no" are understood too. A request SMS ends with a 4-digit
code ("Svara JA 4821 eller NEJ 4821"); "Ja 4821", "ja4821" and "JA-4821"
pick that request. Everything else is OTHER: the caller answers it with an
SMS saying what is accepted.
"""
from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

YES = 'yes'
NO = 'no'
OTHER = 'other'

CODE_DIGITS = 4
WORDS = {'ja': YES, 'yes': YES, 'nej': NO, 'no': NO}

# One answer word, optionally a separator and the code, nothing else.
_ANSWER = re.compile(r'(?P<word>[a-z]+)(?:[ ,.:;#-]*(?P<code>[0-9]{%d}))?' % CODE_DIGITS)
# Invisible characters phones and gateways add (zero-width, BOM, soft hyphen).
_INVISIBLE = dict.fromkeys(map(ord, '\u200b\u200c\u200d\u2060\ufeff\u00ad'))


class Reply(NamedTuple):
    kind: str                 # YES, NO or OTHER
    code: str | None = None   # the request's code when one was given


def normalise(text: str) -> str:
    """Compatibility-folded (full-width digits become digits), invisible
    characters dropped, spaces collapsed, trimmed, case-folded, trailing
    full stops and exclamation marks removed."""
    text = unicodedata.normalize('NFKC', text or '').translate(_INVISIBLE)
    text = ' '.join(text.split()).casefold()
    return text.rstrip('.!').rstrip()


def parse(text: str) -> Reply:
    """YES / NO (with the code if one was given), or OTHER."""
    match = _ANSWER.fullmatch(normalise(text))
    if match is None or match['word'] not in WORDS:
        return Reply(OTHER)
    return Reply(WORDS[match['word']], match['code'])
