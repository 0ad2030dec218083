"""Read a substitute's SMS answer to a shift request: Ja, Nej, with a code.

Kinder than the original system, which took only the exact text "Ja" or
"Nej". What people actually send is understood:

* one answer word, Swedish, Danish, Norwegian or English ("Ja", "Jo",
  "Japp", "Nej", "Nei", "Nä", "Yes", "No"), in any letter case;
* with polite words around it ("Ja tack", "Ja, tak!", "Nei takk", "Ja gärna",
  "Nej tyvärr", "Tack så mycket, ja");
* with the request's 4-digit code before or after, also glued on or behind a
  label ("JA TACK 1234", "ja4821", "JA-4821", "kod 4821 nej");
* with emoji, punctuation and the invisible characters phones and gateways
  add (zero-width, byte-order and soft-hyphen marks, right-to-left and
  left-to-right marks and embeddings).

Anything else is OTHER and the caller answers with an SMS saying what is
accepted: no answer word ("kanske", "👍"), two ("Ja Ja", "ja nej"), a
question ("Ja?"), a word that is neither an answer nor politeness ("Ja men
först kl 8"), two codes or a number that is not a code.
"""
from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

YES = 'yes'
NO = 'no'
OTHER = 'other'

CODE_DIGITS = 4
WORDS = {
    'ja': YES, 'jo': YES, 'japp': YES, 'jepp': YES, 'jep': YES, 'yes': YES,
    'nej': NO, 'nei': NO, 'nä': NO, 'næ': NO, 'no': NO,
}
# Words that may stand beside the answer without changing it.
POLITE = frozenset({
    'tack', 'tak', 'takk', 'gärna', 'gerne', 'gjerne', 'så', 'mycket', 'mange', 'tusen',
    'tusind', 'hjärtligt', 'hjertelig', 'tyvärr', 'desværre', 'dessverre', 'beklager',
    'thanks', 'thank', 'you', 'please', 'sorry',
})
CODE_LABELS = frozenset({'kod', 'kode', 'code', 'nr'})

# Invisible characters phones and gateways add: zero-width, word joiner, BOM,
# soft hyphen, and the direction marks, embeddings and isolates.
_INVISIBLE = dict.fromkeys(map(ord, '\u200b\u200c\u200d\u2060\ufeff\u00ad'
                                    '\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e'
                                    '\u2066\u2067\u2068\u2069'))
# Between letters and digits ("ja4821"), and punctuation that only separates.
_GLUED = re.compile(r'(?<=[^\W\d_])(?=[0-9])|(?<=[0-9])(?=[^\W\d_])')
_SEPARATORS = re.compile(r"[,.!:;#\-–—()\[\]\"'/*…]+")
_CODE = re.compile(r'[0-9]{%d}' % CODE_DIGITS)


class Reply(NamedTuple):
    kind: str                 # YES, NO or OTHER
    code: str | None = None   # the request's code when one was given


def _is_emoji(char: str) -> bool:
    code = ord(char)
    return (unicodedata.category(char) == 'So' or 0x1F3FB <= code <= 0x1F3FF
            or code in (0xFE0E, 0xFE0F, 0x20E3))


def normalise(text: str) -> str:
    """Compatibility-folded (full-width letters and digits become plain),
    invisible characters dropped, spaces collapsed, trimmed, case-folded,
    trailing full stops and exclamation marks removed."""
    text = unicodedata.normalize('NFKC', text or '').translate(_INVISIBLE)
    text = ' '.join(text.split()).casefold()
    return text.rstrip('.!').rstrip()


def _tokens(text: str) -> list[str]:
    text = ''.join(' ' if _is_emoji(c) else c for c in normalise(text))
    text = _SEPARATORS.sub(' ', _GLUED.sub(' ', text)).replace('?', ' ? ')
    return text.split()


def parse(text: str) -> Reply:
    """YES / NO (with the code if one was given), or OTHER."""
    answers, codes = [], []
    for token in _tokens(text):
        if token in WORDS:
            answers.append(WORDS[token])
        elif _CODE.fullmatch(token):
            codes.append(token)
        elif token not in POLITE and token not in CODE_LABELS:
            return Reply(OTHER)
    if len(answers) != 1 or len(codes) > 1:
        return Reply(OTHER)
    return Reply(answers[0], codes[0] if codes else None)
