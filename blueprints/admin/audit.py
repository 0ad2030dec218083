"""Administration: the audit log. Who read or changed whose data, logins
and failed logins; searched by date, action, actor, object and text, the
organisation's own events only, newest first."""
from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlencode

from flask import Blueprint, g, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l, ngettext
from flask_login import current_user
from peewee import JOIN
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional

from blueprints.admin.home import section
from blueprints.baseform import Form
from messaging import dates
from models import AuditEvent, Organisation, User, text_contains
from web import paginate, role_required

bp = Blueprint('admin_audit', __name__, url_prefix='/admin/audit')
section('admin_audit.index', _l('Audit log'), 95,
        kinds=(Organisation.PLANNER, Organisation.POOL))

PAGE_SIZE = 50
SEARCH_KEYS = ('date_from', 'date_to', 'action', 'actor', 'object_type', 'object_id', 'text')

# What the actions mean; an action not listed here shows as its code.
ACTION_LABELS = {
    'login': _l('Logged in'),
    'login_failed': _l('Failed login'),
    'code_failed': _l('Wrong login code'),
    'logout': _l('Logged out'),
    'citizen.exported': _l('Citizen downloaded their data'),
    'citizen.erased': _l("Citizen's personal data erased"),
    'citizen_read': _l('Citizen opened'),
    'citizen_address_changed': _l("Citizen's postal address changed"),
    'citizens_searched': _l('Citizens searched'),
    'meeting_read': _l('Meeting opened'),
    'meeting_booked': _l('Meeting booked by staff'),
    'meeting_cancelled': _l('Meeting cancelled by staff'),
    'meeting_moved': _l('Meeting moved by staff'),
    'meeting_notices_resent': _l("Meeting's notices sent again"),
    'self_booked': _l('Citizen booked a meeting'),
    'self_rebooked': _l('Citizen rebooked a meeting'),
    'self_cancelled': _l('Citizen cancelled a meeting'),
    'offer_citizens_read': _l("Online offer's citizens listed"),
    'rights_text_changed': _l('Rights and duties changed'),
    'sms_sender_changed': _l('SMS sender changed'),
    'summons_citizens_read': _l("Summons' citizens listed"),
    'summons_review_read': _l('Summons reviewed'),
    'summons_citizens_added': _l('Citizens added to a summons'),
    'summons.made': _l('Citizens summoned'),
    'summons_synced': _l('Summons synced again'),
    'summons_letters_read': _l('Summons letters opened'),
    'summons_letters_printed': _l('Summons letters marked as printed'),
    'followup_read': _l('Follow-up list read'),
    'pending_read': _l('Pending list read'),
    'pending_summoned': _l('Pending citizens summoned'),
    'pending_deleted': _l('Pending citizens removed'),
    'message.view': _l('Message opened'),
    'manual_sms': _l('SMS sent by staff'),
    'absence_created': _l('Absence registered'),
    'caseworker.create': _l('Caseworker created'),
    'caseworker.update': _l('Caseworker changed'),
    'caseworker.delete': _l('Caseworker deleted'),
    'caseworker.hours': _l('Bookable hours changed'),
    'caseworker.pauses': _l('Pauses changed'),
    'caseworker.shares': _l('Meeting shares changed'),
    'calendar_feed.new_link': _l('New calendar feed link'),
    'substitutes_read': _l('Substitutes listed'),
    'substitute_read': _l('Substitute opened'),
    'substitute_saved': _l('Substitute saved'),
    'vacancy_created': _l('Vacant shift registered'),
    'vacancy_booked': _l('Shift booked'),
    'vacancy_stopped': _l('Vacant shift stopped'),
    'requests_sent': _l('Shift requests sent'),
    'request_answered': _l('Shift request answered'),
    'audit_read': _l('Audit log read'),
    'reserved_time_created': _l('Reserved time added'),
    'reserved_time_deleted': _l('Reserved time removed'),
}
OBJECT_LABELS = {
    'User': _l('Person'),
    'Meeting': _l('Meeting'),
    'OnlineOffer': _l('Online offer'),
    'SummonsDraft': _l('Summons'),
    'Caseworker': _l('Caseworker'),
    'Absence': _l('Absence'),
    'Message': _l('Message'),
    'Vacancy': _l('Vacant shift'),
    'Organisation': _l('Organisation'),
    'ReservedTime': _l('Reserved time'),
}
ROLE_LABELS = {
    User.ADMIN: _l('administrator'), User.PLANNER: _l('planner'),
    User.CASEWORKER: _l('caseworker'), User.SUBSTITUTE: _l('substitute'),
    User.CITIZEN: _l('citizen'),
}


# The details are stored as the code writes them (English, searchable as
# such); the page says the common ones in the reader's language.
_PLAIN_DETAILS = {
    'password': _l('with password'),
    'password+device': _l('with password on a known device'),
    'password+sms': _l('with password and SMS code'),
    'sms': _l('with SMS code'),
    'copied from Monday': _l('copied from Monday'),
    'erase confirmation': _l('erase confirmation'),
    'password set': _l('password set'),
    'search': _l('search'),
    'list': _l('list'),
}
_COUNTED_DETAILS = (   # '<n> <word>' -> ngettext
    ('citizens', lambda n: ngettext('%(num)d citizen', '%(num)d citizens', n)),
    ('notices', lambda n: ngettext('%(num)d notice', '%(num)d notices', n)),
    ('letters', lambda n: ngettext('%(num)d letter', '%(num)d letters', n)),
    ('pending', lambda n: ngettext('%(num)d pending citizen', '%(num)d pending citizens', n)),
    ('substitutes', lambda n: ngettext('%(num)d substitute', '%(num)d substitutes', n)),
    ('recipients', lambda n: ngettext('%(num)d recipient', '%(num)d recipients', n)),
    ('added by CPR', lambda n: ngettext('%(num)d added by CPR number',
                                        '%(num)d added by CPR number', n)),
    ('added from a list', lambda n: ngettext('%(num)d added from a list',
                                             '%(num)d added from a list', n)),
)
_PAGE_DETAIL = re.compile(r'page (\d+), (\d+) (?:rows|events)')
_MOVED_DETAIL = re.compile(r'to (\S+) caseworker (\d+)')


def detail_label(detail: str) -> str:
    """An event's details in the current language where it is a known form,
    else as stored."""
    if detail in _PLAIN_DETAILS:
        return str(_PLAIN_DETAILS[detail])
    count, _space, rest = detail.partition(' ')
    if count.isdigit():
        for word, say in _COUNTED_DETAILS:
            if rest == word:
                return say(int(count))
    if match := _PAGE_DETAIL.fullmatch(detail):
        return _('page %(page)s, %(num)s shown', page=match[1], num=match[2])
    if match := _MOVED_DETAIL.fullmatch(detail):
        try:
            when = dates.text(dt.datetime.fromisoformat(match[1]), 'datetime')   # local
        except ValueError:
            return detail
        return _('to %(when)s, caseworker #%(id)s', when=when, id=match[2])
    return detail


def action_label(code: str) -> str:
    return str(ACTION_LABELS.get(code, code))


def object_label(code: str) -> str:
    return str(OBJECT_LABELS.get(code, code))


class SearchForm(Form):
    class Meta:
        csrf = False    # a GET search changes nothing

    date_from = DateField(_l('From'), validators=[Optional()])
    date_to = DateField(_l('To'), validators=[Optional()],
                        description=_l('Dates in local time, both included.'))
    action = SelectField(_l('Action'), default='')
    actor = StringField(_l('Done by'), validators=[Optional(), Length(max=100)],
                        description=_l('Part of the name.'))
    object_type = SelectField(_l('Concerning'), default='')
    object_id = IntegerField(_l('Reference'), validators=[Optional(), NumberRange(1, 2 ** 62)],
                             description=_l("The number after #, e.g. a citizen's reference."))
    text = StringField(_l('Text in the details'), validators=[Optional(), Length(max=100)],
                       description=_l('The log holds no CPR numbers: find a citizen '
                                      'under Citizens and search their reference.'))


def _org_events():
    return AuditEvent.select().where(AuditEvent.organisation == current_user.organisation_id)


def _distinct(column) -> list[str]:
    return [value for (value,) in _org_events().select(column).distinct()
            .order_by(column).tuples() if value]


def _utc_start(day: dt.date, zone) -> dt.datetime:
    """Local midnight at the start of `day`, as naive UTC (DST-safe)."""
    local = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    return local.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _search_form():
    form = SearchForm(formdata=request.args)
    form.action.choices = [SelectChoice('', _('All actions'))] + sorted(
        (SelectChoice(code, action_label(code)) for code in _distinct(AuditEvent.action)),
        key=lambda c: c.label.lower())
    form.object_type.choices = [SelectChoice('', _('Anything'))] + [
        SelectChoice(code, object_label(code)) for code in _distinct(AuditEvent.object_type)]
    form.validate()
    if (form.date_from.data and form.date_to.data and not form.date_from.errors
            and not form.date_to.errors and form.date_from.data > form.date_to.data):
        form.date_to.errors = list(form.date_to.errors) + [
            _('The end date is before the start date.')]
    return form


def _query(form):
    """The organisation's events matching the fields without errors."""
    def ok(f):
        return not f.errors and f.data not in (None, '')

    zone = current_user.organisation.zone
    Actor = User.alias()
    query = (AuditEvent.select(AuditEvent, Actor.id, Actor.name, Actor.role)
             .join(Actor, JOIN.LEFT_OUTER, on=(AuditEvent.actor == Actor.id))
             .where(AuditEvent.organisation == current_user.organisation_id))
    if ok(form.date_from) and not form.date_to.errors:
        query = query.where(AuditEvent.at >= _utc_start(form.date_from.data, zone))
    if ok(form.date_to):
        query = query.where(AuditEvent.at < _utc_start(
            form.date_to.data + dt.timedelta(days=1), zone))
    if ok(form.action):
        query = query.where(AuditEvent.action == form.action.data)
    if ok(form.actor):
        for word in form.actor.data.split()[:5]:
            query = query.where(text_contains(Actor.name, word))
    if ok(form.object_type):
        query = query.where(AuditEvent.object_type == form.object_type.data)
    if ok(form.object_id):
        query = query.where(AuditEvent.object_id == form.object_id.data)
    if ok(form.text):
        query = query.where(text_contains(AuditEvent.detail, form.text.data.strip()))
    return query


def _page_url(page: int) -> str:
    pairs = [(k, v) for k, v in request.args.items(multi=True) if k in SEARCH_KEYS and v]
    if page > 1:
        pairs.append(('page', page))
    return url_for('.index') + ('?' + urlencode(pairs) if pairs else '')


@bp.route('/')
@role_required(User.ADMIN)
def index():
    g.personal_data = True
    form = _search_form()
    page = paginate(_query(form).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()),
                    PAGE_SIZE, request.args.get('page'), count=True)
    # Reading the log is logged too (after the search: it is not in the page).
    AuditEvent.record('audit_read', actor=current_user._get_current_object(),
                      detail=f'page {page.number}, {len(page.rows)} events',
                      ip=request.remote_addr or '')
    return render_template('admin/audit.html', form=form, events=page.rows, total=page.total,
                           page=page.number, pages=page.pages, page_url=_page_url,
                           action_label=action_label, object_label=object_label,
                           detail_label=detail_label, role_labels=ROLE_LABELS,
                           utc=dt.timezone.utc)
