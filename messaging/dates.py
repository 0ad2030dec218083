"""How dates and times read in every text: pages, SMS, e-mail and letters.

A few named styles, each built from the current language's own Babel
patterns (Danish '23. november', Swedish '23 november', English '23
November'), so a language has one style wherever a date is shown. Templates use them
as filters (`{{ day | date }}`, registered once in the app); services call
`text(value, style)`. The clock is 24-hour with a colon in every language
(Danish allows 14:00 beside 14.00): the calendars, the time fields and every
page show it so, and a language keeps one style.

Values: a `date`; an aware `datetime`, shown in its own zone; or a naive
`datetime`, a stored UTC instant, shown in the organisation's zone (the
timezone Flask-Babel selects). The language is Flask-Babel's current one
(the request's, or `force_locale` in the worker).
"""
from __future__ import annotations

import datetime as dt

from babel import Locale
from babel.dates import format_date, format_time
from flask_babel import get_locale, get_timezone, gettext as _

TIME_PATTERN = 'HH:mm'

# Style -> how to find the date pattern in a locale.
_SKELETONS = {
    'date': 'yMMMd',               # 23. nov. 2026 | 23 nov. 2026 | 23 Nov 2026
    'day_month': 'MMMMd',          # 23. november | 23 november | 23 November
    'day_month_short': 'MMMd',     # 23. nov. | 23 nov. | 23 Nov
    'weekday_date': 'yMMMEd',      # man. 23. nov. 2026 | mån 23 nov. 2026
    'weekday_day_month_short': 'MMMEd',   # man. 23. nov. | mån 23 nov.
    'month_year': 'yMMMM',         # november 2026 | november 2026 | November 2026
}
_WIDTHS = {
    'date_long': 'long',           # 23. november 2026 | 23 november 2026 | 23 November 2026
    'date_full': 'full',           # mandag den 23. november 2026
}
DATE_STYLES = (*_SKELETONS, *_WIDTHS, 'weekday_day_month')
# Date and time together: the date style used, joined by the locale's pattern.
DATETIME_STYLES = {'datetime': 'date', 'datetime_long': 'date_long',
                   'datetime_full': 'date_full', 'weekday_datetime': 'weekday_date',
                   'weekday_day_month_time': 'weekday_day_month_short'}


# The app's English is read in Denmark and Sweden: day before month, as in
# British English ('8 Dec 2026'), not the American 'Dec 8, 2026'.
_PATTERNS_OF = {'en': 'en_GB'}


def _locale() -> Locale:
    locale = get_locale() or Locale.parse('en')
    return Locale.parse(_PATTERNS_OF.get(str(locale), str(locale)))


def _local(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc).astimezone(get_timezone())
    return value


def date_pattern(style: str, locale: Locale) -> str:
    if style in _SKELETONS:
        return str(locale.datetime_skeletons[_SKELETONS[style]].pattern)
    if style in _WIDTHS:
        return locale.date_formats[_WIDTHS[style]].pattern
    if style == 'weekday_day_month':   # 'mandag den 23. november'
        if 'MMMMEEEEd' in locale.datetime_skeletons:
            return str(locale.datetime_skeletons['MMMMEEEEd'].pattern)
        full = locale.date_formats['full'].pattern
        return full.replace(', y', '').replace(' y', '').strip()
    raise ValueError(f'no date style {style!r}')


def text(value: dt.date | dt.datetime | None, style: str = 'date') -> str:
    """`value` in the named style; '' for None."""
    if value is None:
        return ''
    locale = _locale()
    if isinstance(value, dt.datetime):
        value = _local(value)
    if style == 'time':
        return format_time(value, TIME_PATTERN, locale=locale)
    day = value.date() if isinstance(value, dt.datetime) else value
    if style in DATETIME_STYLES:
        date_text = format_date(day, date_pattern(DATETIME_STYLES[style], locale), locale=locale)
        time_text = format_time(value, TIME_PATTERN, locale=locale)
        joined = str(locale.datetime_formats['medium'])
        return joined.replace('{1}', date_text).replace('{0}', time_text)
    return format_date(day, date_pattern(style, locale), locale=locale)


def period(start: dt.datetime, end: dt.datetime) -> str:
    """An absence or any span of local time (`end` exclusive): whole days as
    '8 Dec 2026, whole day' or '8 Dec 2026 – 10 Dec 2026, whole days', else
    '8 Dec 2026, 09:00 – 12:00' or both dates with their times."""
    start, end = _local(start), _local(end)
    if start.time() == dt.time() and end.time() == dt.time() and end > start:
        last = (end - dt.timedelta(days=1)).date()
        if last == start.date():
            return _('%(date)s, whole day', date=text(start.date()))
        return _('%(first)s – %(last)s, whole days', first=text(start.date()),
                 last=text(last))
    if end.date() == start.date():
        return f"{text(start, 'datetime')} – {text(end, 'time')}"
    return f"{text(start, 'datetime')} – {text(end, 'datetime')}"


def _filter(style: str):
    def apply(value):
        return text(value, style)
    apply.__name__ = style
    return apply


# Every style as a Jinja filter of the same name (`{{ d | date_long }}`).
FILTERS = {style: _filter(style) for style in (*DATE_STYLES, *DATETIME_STYLES, 'time')}
