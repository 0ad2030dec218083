"""WTForms' own messages ('This field is required.', 'Not a valid integer
value.', ...) are Danish on Danish pages and Swedish on Swedish ones: every
form of the app, validated with empty and with nonsense input, shows none of
them in English, and the catalogues carry every message WTForms and Flask-WTF
can show."""
from __future__ import annotations

import re
from pathlib import Path

import flask
import flask_babel
import flask_wtf
import pytest
import wtforms
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import Form as PlainForm
from wtforms.fields.choices import SelectFieldBase

import app as app_module
from blueprints.baseform import Form, SubForm

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {'gettext': None, 'ngettext': (1, 2)}
# Not a message for the user: EqualTo naming a field the form lacks (a bug),
# and FileSize's text, built with an f-string no catalogue can hold.
NOT_SHOWN = ("Invalid field name '%s'.",)


def _library_messages() -> set[str]:
    """Every msgid (singular and plural) WTForms and Flask-WTF translate."""
    found = set()
    for package in (wtforms, flask_wtf):
        folder = Path(package.__file__).parent
        for _f, _l, message, _c, _x in extract_from_dir(
                str(folder), method_map=[('**.py', 'python')], keywords=KEYWORDS):
            found.update(message if isinstance(message, tuple) else (message,))
    return {m for m in found if m and m not in NOT_SHOWN}


LIBRARY_MESSAGES = _library_messages()


def _pattern(msgid: str) -> re.Pattern:
    """The English message with any value in its placeholders."""
    parts = re.split(r'%\(\w+\)[sd]|\{\w+\}', msgid)
    return re.compile('.*'.join(re.escape(p) for p in parts), re.S)


ENGLISH = [_pattern(m) for m in LIBRARY_MESSAGES]


def _english(errors: list[str]) -> list[str]:
    return [e for e in errors if any(p.fullmatch(e) for p in ENGLISH)]


def test_the_library_messages_are_found():
    assert 'This field is required.' in LIBRARY_MESSAGES
    assert 'Not a valid integer value.' in LIBRARY_MESSAGES
    assert len(LIBRARY_MESSAGES) > 35


@pytest.mark.parametrize('language', ['da', 'sv'])
def test_the_catalogues_translate_every_library_message(language):
    path = ROOT / 'translations' / language / 'LC_MESSAGES' / 'messages.po'
    with open(path, 'rb') as fh:
        catalogue = read_po(fh, locale=language)
    translated = set()
    for message in catalogue:
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.id and not message.fuzzy and all(forms):
            translated.update(message.id if isinstance(message.id, tuple) else (message.id,))
    assert sorted(LIBRARY_MESSAGES - translated) == []


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def _app_forms(base) -> list[type]:
    app_module.blueprint_modules()   # every blueprint module is imported
    return sorted({c for c in _all_subclasses(base) if c.__module__.startswith('blueprints.')},
                  key=lambda c: (c.__module__, c.__name__))


def test_every_form_takes_the_apps_messages():
    """A form on FlaskForm or wtforms.Form directly would speak English."""
    plain = [f'{c.__module__}.{c.__name__}' for c in _app_forms(FlaskForm)
             if not issubclass(c, Form)]
    plain += [f'{c.__module__}.{c.__name__}' for c in _app_forms(PlainForm)
              if not issubclass(c, (Form, SubForm, FlaskForm))]
    assert plain == []


def _nonsense(form_class) -> MultiDict:
    """'x' in every field, sub-forms' rows included."""
    names = [name for name, _field in form_class(formdata=None, meta={'csrf': False})._fields.items()]
    data = MultiDict()
    for name in names:
        data.add(name, 'x')
        for row in range(2):
            for sub in ('start', 'end', 'opens', 'closes', 'name'):
                data.add(f'{name}-{row}-{sub}', 'x')
    return data


def _errors(form_class, formdata) -> list[str]:
    form = form_class(formdata=formdata, meta={'csrf': False})
    for field in _fields(form):
        if isinstance(field, SelectFieldBase) and getattr(field, 'choices', None) is None:
            field.choices = [('1', '1')]   # the views fill these in before validating
    form.validate()
    return list(_flatten(form.errors))


def _fields(form):
    for field in form:
        yield field
        if hasattr(field, 'entries'):
            for entry in field.entries:
                if hasattr(entry, 'form'):
                    yield from _fields(entry.form)
        if hasattr(field, 'form') and not hasattr(field, 'entries'):
            yield from _fields(field.form)


def _flatten(errors):
    if isinstance(errors, dict):
        for value in errors.values():
            yield from _flatten(value)
    elif isinstance(errors, (list, tuple)):
        for value in errors:
            yield from _flatten(value)
    elif errors is not None:
        yield str(errors)


def _errors_in(app, user, language, form_class) -> list[str]:
    with app.test_request_context(headers={'Accept-Language': language}):
        flask.g._login_user = user   # the validators that read the organisation
        flask_babel.refresh()
        errors = _errors(form_class, MultiDict()) + _errors(form_class, _nonsense(form_class))
    flask_babel.refresh()
    return errors


def test_no_form_shows_an_english_library_message_in_danish_or_swedish(app, staff):
    forms = _app_forms(FlaskForm)
    assert len(forms) > 30
    in_english, left = 0, []
    for form_class in forms:
        english = _english(_errors_in(app, staff, 'en', form_class))
        in_english += len(english)
        for language in ('da', 'sv'):
            left += [f'{language} {form_class.__name__}: {e}'
                     for e in _english(_errors_in(app, staff, language, form_class))]
    assert in_english > 30   # the same input does show library messages in English
    assert left == []


@pytest.fixture
def staff(jobcentre, make_user):
    return make_user(jobcentre, 'admin')


@pytest.mark.parametrize('language, not_a_number, out_of_range', [
    ('da', 'Ikke et gyldigt heltal.', 'Tallet skal være mellem 1 og 10000.'),
    ('sv', 'Inte ett giltigt heltal.', 'Talet måste vara mellan 1 och 10000.'),
])
def test_a_staff_form_posted_with_errors_reads_the_pages_language(
        client, admin, language, not_a_number, out_of_range):
    headers = {'Accept-Language': language}
    page = client.post('/admin/rooms/new', data={'name': 'Lokale 1', 'capacity': 'many'},
                       headers=headers).get_data(as_text=True)
    assert not_a_number in page
    assert 'Not a valid integer value.' not in page
    page = client.post('/admin/rooms/new', data={'name': 'Lokale 1', 'capacity': '0'},
                       headers=headers).get_data(as_text=True)
    assert out_of_range in page
