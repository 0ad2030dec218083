"""What the administration areas (the job centre's and the pool's) share:
organisation-scoped ids from forms; name, address, phone and email checks;
saving a plain name; the tree of teams or units; what blocks a delete."""
from __future__ import annotations

import unicodedata

from flask import abort, flash, render_template, request
from flask_babel import get_locale, gettext as _
from flask_login import current_user
from peewee import IntegrityError, fn
from wtforms.validators import ValidationError

from common import postcodes
from common.validators import normalise_phone
from messaging import dates
from models import Team, db
from web import paginate, see_other

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


def city_lookup():
    """The answer to a postcode field's change (?postcode=): the city field
    filled in (or emptied), plus a note at the postcode field swapped in out
    of band."""
    value = request.args.get('postcode', '')[:20]
    if not value.strip():
        return render_template('admin/_city_lookup.html', city='', message='', error=False)
    found = postcodes.lookup(country(), value)
    if found.error:
        return render_template('admin/_city_lookup.html', city='', error=True,
                               message=postcode_message(found))
    return render_template('admin/_city_lookup.html', city=found.city or '', error=False,
                           message=_('%(code)s is %(city)s.', code=found.postcode,
                                     city=found.city))


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
    query = model.select().where(model.organisation == org_id(),
                                 fn.LOWER(model.name) == name.strip().lower())
    if current is not None:
        query = query.where(model.id != current.id)
    return not query.exists()


def check_unique_name(form, row) -> bool:
    """The form's name is no other row's of the organisation (case-insensitive);
    else False, with the error on the name field."""
    if unique_name(type(row), form.name.data, row if row.id else None):
        return True
    form.name.errors.append(_('Name must be unique'))
    return False


def save_name(form, row, *, check_only: bool = False) -> bool:
    """A row that is only a name unique in the organisation (a competence, a
    qualification), validated from `form` and saved; False with the errors on
    the form. `check_only`: validate, never save."""
    if not (form.validate() and check_unique_name(form, row)) or check_only:
        return False
    row.organisation = org_id()
    row.name = form.name.data
    try:
        with db.atomic():
            row.save()
    except IntegrityError:   # the same name saved meanwhile
        form.name.errors.append(_('Name must be unique'))
        return False
    return True


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


def subtrees(tree) -> dict[int, set[int]]:
    """For each node of a tree in (node, depth) order (Team.tree, Unit.tree),
    the ids of all the nodes below it."""
    below: dict[int, set[int]] = {}
    for i, (node, depth) in enumerate(tree):
        ids = set()
        for other, other_depth in tree[i + 1:]:
            if other_depth <= depth:
                break
            ids.add(other.id)
        below[node.id] = ids
    return below


def parent_choices(tree, exclude=frozenset()) -> list:
    """Where a team or unit can be placed: the top level, or under any node
    of the tree but those in `exclude` (itself and its own sub-tree)."""
    return [('', _('Top level'))] + [(str(node.id), '\u2003' * depth + node.name)
                                     for node, depth in tree if node.id not in exclude]


def children_by_parent(tree) -> dict:
    """{parent id (None at the top): [its children in order]}."""
    children: dict = {}
    for node, _depth in tree:
        children.setdefault(node.parent_id, []).append(node)
    return children


def validate_in_tree(form, node, tree, below, refusal: str):
    """Validate a team's or unit's form; (valid, the posted parent). The
    parent is another of the organisation's (else 404), never the node
    itself or one below it (`refusal` says so on the field)."""
    exclude = below.get(node.id, set()) | {node.id} if node.id else set()
    form.parent.choices = parent_choices(tree, exclude)
    parent = scoped_row(type(node), request.form.get('parent', ''))
    valid = form.validate()
    if parent is not None and parent.id in exclude:
        form.parent.errors.append(refusal)
        valid = False
    return valid, parent


def save_in_tree(node, form, fields, parent) -> None:
    """`fields` of the form into a new or edited team or unit, placed last
    under `parent` when that is new."""
    with db.atomic():
        moved = node.id is None or node.parent_id != (parent.id if parent else None)
        for name in fields:
            setattr(node, name, getattr(form, name).data or '')
        if node.id is None:
            node.organisation = org_id()
            node.parent = parent
        node.save()
        if moved:
            node.move_under(parent)


def move_among_siblings(node, direction: str) -> None:
    """A team or unit one place up or down among its siblings, and a message
    saying so (or why not)."""
    if node.move(-1 if direction == 'up' else 1):
        flash(_('%(name)s moved up.', name=node.name) if direction == 'up'
              else _('%(name)s moved down.', name=node.name), 'success')
    else:
        flash(_('%(name)s is already first.', name=node.name) if direction == 'up'
              else _('%(name)s is already last.', name=node.name), 'error')


def delete_unless_blocked(row, blocked: bool, deleted: str, back):
    """A delete page's POST: back to the page (`back`, a redirect) while it
    shows what blocks the delete, or when something was attached meanwhile;
    else the row is deleted, `deleted` flashed and the list shown."""
    if blocked:
        return back
    try:
        with db.atomic():
            row.delete_instance()
    except IntegrityError:
        return back
    flash(deleted, 'success')
    return see_other('.index')


SHOW_MEETINGS = 20   # meetings named when they block a delete


def meeting_label(meeting) -> str:
    """'Jobsamtale, 12 Jan 2027, 10:00' in the organisation's time (the meeting
    joined with its type)."""
    return _('%(type)s, %(when)s', type=meeting.meeting_type.label(str(get_locale())),
             when=dates.text(meeting.starts_at, 'datetime'))


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
