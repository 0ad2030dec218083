"""Reading Ja / Nej answers: kinder than the original, never guessing."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, strategies as st

from scheduling.sms_replies import NO, OTHER, WORDS, YES, Reply, normalise, parse


# Replies as people send them (Swedish, Danish, Norwegian, English), with what
# they mean. Whatever a person could mean two ways stays OTHER: they get the
# help SMS and answer again.
REPLIES = [
    # The bare words, as the original took them, and their spellings.
    ('Ja', Reply(YES)),
    ('Nej', Reply(NO)),
    ('ja', Reply(YES)),
    (' Ja ', Reply(YES)),
    ('NEJ.', Reply(NO)),
    ('Ja!', Reply(YES)),
    ('\u00a0ja\n', Reply(YES)),            # non-breaking space, line break
    ('ja\u200b', Reply(YES)),              # zero-width space from a keyboard
    ('ＪＡ', Reply(YES)),                   # full-width letters
    ('yes', Reply(YES)),
    ('No.', Reply(NO)),
    ('Jo', Reply(YES)),
    ('Japp!', Reply(YES)),
    ('Jepp', Reply(YES)),
    ('Nä', Reply(NO)),
    ('Nei', Reply(NO)),                     # Norwegian
    ('Næ', Reply(NO)),                      # Danish, spoken
    # With the code.
    ('Ja 4821', Reply(YES, '4821')),
    ('JA4821', Reply(YES, '4821')),
    ('nej-0042', Reply(NO, '0042')),
    ('Ja, 4821.', Reply(YES, '4821')),
    ('  nej   1234  ', Reply(NO, '1234')),
    ('ja ４８２１', Reply(YES, '4821')),     # full-width digits
    ('Ja #4821', Reply(YES, '4821')),
    ('4821 ja', Reply(YES, '4821')),
    ('4821: Nej', Reply(NO, '4821')),
    ('Ja kod 4821', Reply(YES, '4821')),
    ('Nej, kode 4821', Reply(NO, '4821')),
    ('JA (4821)', Reply(YES, '4821')),
    # Polite Swedish, Danish and Norwegian.
    ('Ja tack', Reply(YES)),
    ('Ja, tack!', Reply(YES)),
    ('Ja tack!!', Reply(YES)),
    ('JA TACK 1234', Reply(YES, '1234')),
    ('ja tack 1234', Reply(YES, '1234')),
    ('Ja 1234 tack', Reply(YES, '1234')),
    ('Ja gärna', Reply(YES)),
    ('Ja, gärna!', Reply(YES)),
    ('Tack, ja', Reply(YES)),
    ('Ja tack så mycket', Reply(YES)),
    ('Nej tack', Reply(NO)),
    ('Nej, tack.', Reply(NO)),
    ('Nej tyvärr', Reply(NO)),
    ('Nej tyvärr 4821', Reply(NO, '4821')),
    ('Ja tak', Reply(YES)),
    ('Ja, tak!', Reply(YES)),
    ('Ja gerne', Reply(YES)),
    ('Ja, mange tak', Reply(YES)),
    ('Nej tak', Reply(NO)),
    ('Nej desværre', Reply(NO)),
    ('Ja takk', Reply(YES)),
    ('Ja gjerne!', Reply(YES)),
    ('Nei takk', Reply(NO)),
    ('Nei, dessverre 4821', Reply(NO, '4821')),
    ('Ja tusen takk', Reply(YES)),
    ('Yes please', Reply(YES)),
    ('No thanks', Reply(NO)),
    ('No, sorry', Reply(NO)),
    # Emoji and marks phones add.
    ('Ja 👍', Reply(YES)),
    ('Ja 👍🏽', Reply(YES)),                 # with a skin tone
    ('Ja tack 😊', Reply(YES)),
    ('✅ Ja 4821', Reply(YES, '4821')),
    ('Nej 😔', Reply(NO)),
    ('Ja ❤️', Reply(YES)),                   # with the emoji variation selector
    ('\u200fJa 4821\u200f', Reply(YES, '4821')),   # right-to-left marks
    ('\u200eNej\u200e', Reply(NO)),                 # left-to-right marks
    ('\u202bJa tack\u202c', Reply(YES)),            # an embedding and its end
    ('\u202aJA\u202c \u202d4821\u202c', Reply(YES, '4821')),
    ('\u202eja\u202c', Reply(YES)),                 # a right-to-left override
    ('\ufeffja', Reply(YES)),                         # a byte-order mark
    # Ambiguous, or not an answer: the help SMS goes back.
    ('', Reply(OTHER)),
    ('   ', Reply(OTHER)),
    ('.', Reply(OTHER)),
    ('J', Reply(OTHER)),
    ('N', Reply(OTHER)),
    ('Jaa', Reply(OTHER)),
    ('Nejj', Reply(OTHER)),
    ('kanske', Reply(OTHER)),
    ('Kanske 4821', Reply(OTHER)),
    ('Måske', Reply(OTHER)),
    ('Kanskje', Reply(OTHER)),
    ('Ja Ja', Reply(OTHER)),
    ('ja ja 4821', Reply(OTHER)),
    ('ja nej', Reply(OTHER)),
    ('Nej ja', Reply(OTHER)),
    ('Ja 482', Reply(OTHER)),
    ('Ja 48210', Reply(OTHER)),
    ('Ja 4821 1234', Reply(OTHER)),          # two codes
    ('4821', Reply(OTHER)),
    ('Ja?', Reply(OTHER)),
    ('Nej?', Reply(OTHER)),
    ('Tack', Reply(OTHER)),
    ('Tak!', Reply(OTHER)),
    ('Ja men först kl 8', Reply(OTHER)),
    ('Ja, om jag får sluta 15', Reply(OTHER)),
    ('Jaha', Reply(OTHER)),
    ('Oui', Reply(OTHER)),
    ('Kyllä', Reply(OTHER)),
    ('да', Reply(OTHER)),
    ('👍', Reply(OTHER)),
    ('✅', Reply(OTHER)),
    ('Ja\u0301', Reply(OTHER)),
    ('Ja ٤٨٢١', Reply(OTHER)),               # Arabic-Indic digits are no code
    ('Hej! Vem är detta?', Reply(OTHER)),
    ('STOP', Reply(OTHER)),
]


def test_the_table_holds_enough_real_replies():
    assert len(REPLIES) >= 60
    assert len({text for text, _ in REPLIES}) == len(REPLIES)


@pytest.mark.parametrize('text, expected', REPLIES, ids=[repr(t) for t, _ in REPLIES])
def test_replies_people_send(text, expected):
    assert parse(text) == expected


words = st.sampled_from(['ja', 'nej', 'yes', 'no'])
spaces = st.text(alphabet=' \t\n\u00a0\u2003', max_size=4)


def any_case(word):
    return st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
        lambda flags: ''.join(c.upper() if f else c for c, f in zip(word, flags)))


@given(word=words.flatmap(lambda w: st.tuples(st.just(w), any_case(w))),
       before=spaces, after=spaces, stop=st.sampled_from(['', '.', '!', '..']))
def test_spaces_case_and_a_full_stop_never_matter(word, before, after, stop):
    plain, written = word
    expected = YES if plain in ('ja', 'yes') else NO
    assert parse(f'{before}{written}{stop}{after}') == Reply(expected)


@given(word=words, code=st.integers(0, 9999).map(lambda n: f'{n:04d}'),
       separator=st.sampled_from(['', ' ', '  ', '-', ': ', ', ', '#']))
def test_the_code_is_read_back_exactly(word, code, separator):
    reply = parse(f'{word.upper()}{separator}{code}')
    assert reply.code == code and reply.kind in (YES, NO)


@given(st.text(max_size=40))
def test_any_text_is_read_without_error_and_only_answer_words_count(text):
    reply = parse(text)
    assert reply.kind in (YES, NO, OTHER)
    if reply.kind == OTHER:
        assert reply.code is None
    else:   # exactly one answer word, and the code is one of the text's digits
        assert sum(word in WORDS for word in re.split(r'[^\w]+|(?<=\D)(?=\d)',
                                                      normalise(text))) == 1
        assert reply.code is None or reply.code in normalise(text)
    assert parse(normalise(text)) == reply     # normalising twice changes nothing
