"""Reading Ja / Nej answers: kinder than the original, never guessing."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from scheduling.sms_replies import NO, OTHER, YES, Reply, normalise, parse


@pytest.mark.parametrize('text, expected', [
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
    ('Ja 4821', Reply(YES, '4821')),
    ('JA4821', Reply(YES, '4821')),
    ('nej-0042', Reply(NO, '0042')),
    ('Ja, 4821.', Reply(YES, '4821')),
    ('  nej   1234  ', Reply(NO, '1234')),
    ('ja ４８２１', Reply(YES, '4821')),     # full-width digits
])
def test_answers_that_are_understood(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize('text', [
    '', '   ', '.', 'J', 'N', 'Jaa', 'Nejj', 'Ja tack', 'Nej tack', 'ja ja', 'Ja nej',
    'Ja 482', 'Ja 48210', '4821', '4821 ja', 'Ja?', 'kanske', 'Oui', 'Kyllä', 'да',
    '👍', 'Ja 👍', '✅', 'Ja\u0301', 'Ja ٤٨٢١', 'Hej! Vem är detta?',
])
def test_everything_else_is_other(text):
    assert parse(text) == Reply(OTHER)


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
    else:
        assert normalise(text).split(' ')[0].rstrip(',.:;#-0123456789') in (
            'ja', 'nej', 'yes', 'no')
    assert parse(normalise(text)) == reply     # normalising twice changes nothing
