"""The Danish and Swedish catalogues are complete (DESIGN rule 7).

A new English string fails here until `make extract-messages` has picked it
up and both catalogues translate it; a translation must keep the same
%(name)s placeholders, or formatting would raise or show the wrong value.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir, extract_from_file
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / 'translations'
LANGUAGES = ('da', 'sv')
PLACEHOLDER = re.compile(r'%\((\w+)\)[sdifr]')
KEYWORDS = {**DEFAULT_KEYWORDS, '_l': None}


def _catalog(path: Path, locale=None):
    with open(path, 'rb') as fh:
        return read_po(fh, locale=locale)


def _forms(value) -> tuple[str, ...]:
    """msgid / msgstr as a tuple of forms (one, or several for plurals)."""
    if value is None:
        return ('',)
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


FORMAT_SPEC = re.compile(r'%%|%\(\w+\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]')


def _formats(text: str) -> bool:
    """Every % starts a named placeholder or is doubled (gettext formats these
    strings with a dict: a lone % would fail, or print the whole dict)."""
    return '%' not in FORMAT_SPEC.sub('', text)


@pytest.fixture(scope='module')
def template():
    return _catalog(TRANSLATIONS / 'messages.pot')


def test_template_has_the_strings(template):
    assert len([m for m in template if m.id]) > 50


# Every folder with code or templates (the top-level modules are read above).
PACKAGES = ('blueprints', 'planner', 'pool', 'messaging', 'common', 'integrations', 'templates')


def test_template_is_up_to_date_with_the_sources(template):
    """Every translatable string in the code is in messages.pot."""
    found: dict[str, str] = {}

    def keep(where, message):
        msgid = message[0] if isinstance(message, (tuple, list)) else message
        if msgid:
            found.setdefault(msgid, where)

    for path in sorted(ROOT.glob('*.py')):
        for lineno, message, _comments, _context in extract_from_file(
                'python', str(path), keywords=KEYWORDS):
            keep(f'{path.name}:{lineno}', message)
    method_map = [('**.py', 'python'), ('**.html', 'jinja2')]
    for folder in PACKAGES:
        if (ROOT / folder).is_dir():
            for filename, lineno, message, _comments, _context in extract_from_dir(
                    str(ROOT / folder), method_map=method_map, keywords=KEYWORDS):
                keep(f'{folder}/{filename}:{lineno}', message)

    known = {_forms(m.id)[0] for m in template if m.id}
    missing = {msgid: where for msgid, where in found.items() if msgid not in known}
    assert not missing, (
        'Not in translations/messages.pot (run `make extract-messages`, check that '
        'the Makefile scans these files, then translate da and sv): '
        + '; '.join(f'{where}: {msgid!r}' for msgid, where in sorted(missing.items())))


@pytest.mark.parametrize('language', LANGUAGES)
def test_every_message_is_translated(template, language):
    catalog = _catalog(TRANSLATIONS / language / 'LC_MESSAGES' / 'messages.po',
                       locale=language)
    problems = []
    for source in template:
        if not source.id:
            continue
        key = _forms(source.id)[0]
        message = catalog.get(source.id, source.context)
        if message is None:
            problems.append(f'missing from the catalogue: {key!r}')
            continue
        if message.fuzzy:
            problems.append(f'fuzzy: {key!r}')
        translations = _forms(message.string)
        if not all(t.strip() for t in translations):
            problems.append(f'untranslated: {key!r}')
            continue
        wanted = set().union(*(_placeholders(i) for i in _forms(source.id)))
        formatted = wanted or '%%' in key
        for translation in translations:
            if formatted and not _formats(translation):
                problems.append(f'cannot be formatted: {key!r} -> {translation!r}')
            got = _placeholders(translation)
            if got != wanted:
                problems.append(f'placeholders {sorted(got)} instead of '
                                f'{sorted(wanted)}: {key!r} -> {translation!r}')
    assert not problems, f'{language}: ' + '\n'.join(problems)


@pytest.mark.parametrize('language', LANGUAGES)
def test_catalogue_header_names_the_language(language):
    catalog = _catalog(TRANSLATIONS / language / 'LC_MESSAGES' / 'messages.po')
    assert str(catalog.locale) == language
    assert not catalog.fuzzy
