"""The base of every form: WTForms' own messages ('This field is required.',
'Not a valid integer value.', ...) in the page's language.

WTForms ships a Swedish catalogue but no Danish one, so the forms take their
messages from the app's catalogues instead, which carry every message a field
or validator can show (listed below, so extraction picks them up)."""
from __future__ import annotations

from flask_babel import get_translations, lazy_gettext as _l, lazy_ngettext
from flask_wtf import FlaskForm
from wtforms import Form as PlainForm


class _AppCatalogue:
    """WTForms' translations interface on the app's catalogues. The raw
    lookups: WTForms fills the placeholders itself (flask_babel's gettext
    would format the text first and fail on them)."""

    def gettext(self, string: str) -> str:
        return get_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ungettext(singular, plural, n)


APP_CATALOGUE = _AppCatalogue()


class Form(FlaskForm):
    """Every form of the app derives from this (tests/test_form_messages.py
    checks that none uses FlaskForm directly)."""

    class Meta:
        def get_translations(self, form):
            return APP_CATALOGUE


class SubForm(PlainForm):
    """The rows of a FormField (no CSRF token of their own), same messages."""

    class Meta:
        def get_translations(self, form):
            return APP_CATALOGUE


# Named so that extraction reads the singular and the plural.
ngettext = lazy_ngettext

# Every message of wtforms/validators.py and wtforms/fields (WTForms 3.3)
# and of Flask-WTF's file fields, exactly as they write them (but EqualTo's
# message for a wrong field name: a mistake in the code, not in the input).
WTFORMS_MESSAGES = (
    _l('Field must be equal to %(other_name)s.'),
    ngettext('Field must be at least %(min)d character long.',
             'Field must be at least %(min)d characters long.', 1),
    ngettext('Field cannot be longer than %(max)d character.',
             'Field cannot be longer than %(max)d characters.', 1),
    ngettext('Field must be exactly %(max)d character long.',
             'Field must be exactly %(max)d characters long.', 1),
    _l('Field must be between %(min)d and %(max)d characters long.'),
    _l('Number must be at least %(min)s.'),
    _l('Number must be at most %(max)s.'),
    _l('Number must be between %(min)s and %(max)s.'),
    _l('Date must be at least %(min)s.'),
    _l('Date must be at most %(max)s.'),
    _l('Date must be between %(min)s and %(max)s.'),
    _l('This field is required.'),
    _l('Invalid input.'),
    _l('Invalid email address.'),
    _l('Invalid IP address.'),
    _l('Invalid Mac address.'),
    _l('Invalid URL.'),
    _l('Invalid UUID.'),
    _l('Invalid value, must be one of: %(values)s.'),
    _l('Invalid value, can\'t be any of: %(values)s.'),
    _l('This field cannot be edited.'),
    _l('This field is disabled and cannot have a value.'),
    _l('Invalid CSRF Token.'),
    _l('CSRF token missing.'),
    _l('CSRF failed.'),
    _l('CSRF token expired.'),
    _l('Invalid Choice: could not coerce.'),
    _l('Choices cannot be None.'),
    _l('Not a valid choice.'),
    _l('Invalid choice(s): one or more data inputs could not be coerced.'),
    ngettext('\'%(value)s\' is not a valid choice for this field.',
             '\'%(value)s\' are not valid choices for this field.', 1),
    _l('Not a valid datetime value.'),
    _l('Not a valid date value.'),
    _l('Not a valid time value.'),
    _l('Not a valid week value.'),
    _l('Not a valid integer value.'),
    _l('Not a valid decimal value.'),
    _l('Not a valid float value.'),
    _l('File does not have an approved extension: {extensions}'),
    _l('File does not have an approved extension.'),
)
