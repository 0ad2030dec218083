"""Pieces the administration areas (the job centre's and the pool's) share:
organisation-scoped ids from forms, name, address, phone and email checks,
trees of teams or units, and what blocks a delete."""
from __future__ import annotations

import unicodedata

from flask import abort
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.validators import ValidationError

from common import postcodes
from common.validators import normalise_phone
from models import Team
from web import paginate

ADMIN_PANEL = 'admin-panel'   # the id of every admin page's main block


def org_id() -> int:
    return current_user.organisation_id


def scoped_rows(model, values, *, allow_blank=False):
    """Rows of `model` in the current organisation for ids posted in a form.

    Any id that is not one of ours (another organisation's, unknown, not a
    number) is a 404, as it would be in the URL."""
    rows = []
    for value in values:
        value = (value or '').strip()
        if not value and allow_blank:
            continue
        if not (value.isascii() and value.isdigit()) or len(value) > 18:   # overflow
            abort(404)
        row = model.get_or_none(model.id == int(value),
                                model.organisation == org_id())
        if row is None:
            abort(404)
        rows.append(row)
    return rows


def scoped_row(model, value):
    """One optional posted id (blank: None), else as `scoped_rows`."""
    rows = scoped_rows(model, [value], allow_blank=True)
    return rows[0] if rows else None


def country() -> str:
    return current_user.organisation.country


def check_address(form, *, required: bool) -> None:
    """Address, postcode and city: all three or none (all three if required).

    The city comes from the postcode list; a postcode that is malformed or not
    in the list is refused. Errors are added to the fields."""
    address = (form.address.data or '').strip()
    code = (form.postcode.data or '').strip()
    city = (form.city.data or '').strip()
    form.address.data, form.city.data = address, city
    for f in (form.address, form.postcode, form.city):
        f.errors = list(f.errors)
    if not (address or code or city) and not required:
        form.postcode.data = ''
        return
    if not address:
        form.address.errors.append(
            _('Enter the address.') if required else
            _('Enter the address too, or clear the postcode and city.'))
    if not code:
        form.postcode.errors.append(
            _('Enter the postcode.') if required else
            _('Enter the postcode too, or clear the address.'))
        return
    found = postcodes.lookup(country(), code)
    form.postcode.data = found.postcode
    if found.error:
        form.city.data = ''
        form.postcode.errors.append(postcode_message(found))
    elif found.city:
        form.city.data = found.city
    elif not city:
        form.city.errors.append(_('Enter the city.'))


def address_errors(form) -> bool:
    return any(f.errors for f in (form.address, form.postcode, form.city))


def postcode_message(found) -> str:
    if found.error == 'malformed':
        if country() == 'SE':
            return _('A Swedish postcode has five digits, for example 114 55.')
        if country() == 'DK':
            return _('A Danish postcode has four digits, for example 2800.')
    if found.error == 'unknown':
        return _('Postcode %(code)s does not exist.', code=found.postcode)
    return ''


def check_phone(field) -> None:
    value = (field.data or '').strip()
    if not value:
        field.data = ''
        return
    normalised = normalise_phone(value, country())
    if normalised is None:
        raise ValidationError(_('Enter a valid phone number.'))
    field.data = normalised


def check_email(field) -> None:
    """A plausible address (one @, a dot in the domain, no spaces)."""
    value = (field.data or '').strip()
    field.data = value
    if not value:
        return
    local, at, domain = value.rpartition('@')
    if (not at or not local or '.' not in domain.strip('.') or ' ' in value
            or '@' in local or domain.startswith('.') or domain.endswith('.')):
        raise ValidationError(_('Enter a valid email address.'))


def unique_name(model, name: str, current=None) -> bool:
    """No other row of the organisation has this name (case-insensitive)."""
    from peewee import fn
    query = model.select().where(model.organisation == org_id(),
                                 fn.LOWER(model.name) == name.strip().lower())
    if current is not None:
        query = query.where(model.id != current.id)
    return not query.exists()


def strip(value):
    """WTForms filter: surrounding spaces and invisible characters (zero-width
    spaces, byte order and direction marks) never count, so a name of only
    those is no name."""
    if not isinstance(value, str):
        return value
    start, end = 0, len(value)
    while start < end and _invisible(value[start]):
        start += 1
    while end > start and _invisible(value[end - 1]):
        end -= 1
    return value[start:end]


def _invisible(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) == 'Cf'


def team_choices(blank=None) -> list:
    """The organisation's teams as (id, indented name), in tree order."""
    choices = [('', blank)] if blank is not None else []
    return choices + [(team.id, '\u2003' * depth + team.name)
                      for team, depth in Team.tree(org_id())]


SHOW_MEETINGS = 20   # meetings named when they block a delete


def meeting_label(meeting) -> str:
    """'Jobsamtale, 12 Jan 2027, 10:00' in the organisation's time (the meeting
    joined with its type)."""
    from flask_babel import format_datetime, get_locale
    return _('%(type)s, %(when)s', type=meeting.meeting_type.label(str(get_locale())),
             when=format_datetime(meeting.starts_at, 'medium'))


def meetings_blocking(heading: str, meetings) -> list[str]:
    """Why a delete is refused: `heading`, then the first SHOW_MEETINGS of
    `meetings` (a query joined with their types) and '… and more.' past
    them; no lines when there are no such meetings."""
    page = paginate(meetings, SHOW_MEETINGS)
    if not page.rows:
        return []
    lines = [heading] + [meeting_label(m) for m in page.rows]
    if page.has_next:
        lines.append(_('… and more.'))
    return lines
