"""The follow-up list (opfølgningsliste) of summoned meetings: has each
citizen got the summons, does each caseworker's calendar show it, a Sync
button per row; and printable summons letters.

The queries and the write paths are `followup` (beside the models); these
views read the search, call it and render. The search is a GET form, so a
result is a bookmarkable URL.
"""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from flask import (Blueprint, abort, current_app, flash, g, make_response, render_template,
                   request, url_for)
from flask_babel import format_date, gettext as _, lazy_gettext as _l, ngettext
from flask_login import current_user
from wtforms import DateField, SelectField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from blueprints.baseform import Form
from common.pdf import html_to_pdf
from messaging.errors import calendar_error
from models import AuditEvent, Caseworker, Meeting, MeetingType, Organisation, Team, User
from planner import booking, followup
from web import get_in_org, job_centre_staff, local_path, page_number, see_other

bp = Blueprint('followup', __name__, url_prefix='/summons/follow-up')

SEARCH_KEYS = ('kind', 'date_from', 'date_to', 'team', 'caseworker', 'meeting_type', 'status',
               'citizen', 'calendar')


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _org() -> Organisation:
    return current_user.organisation


def _today() -> dt.date:
    return booking.local_today(_org(), _now())


def _audit(action: str, obj=None, detail: str = '') -> None:
    AuditEvent.record(action, actor=current_user._get_current_object(), obj=obj,
                      detail=detail, ip=request.remote_addr or '')


CITIZEN_LABELS = {
    followup.DELIVERED: _l('Delivered'),
    followup.FAILED: _l('Not delivered'),
    followup.PENDING: _l('On its way'),
    followup.NONE: _l('Not sent'),
}
CALENDAR_LABELS = {
    'synced': _l('Updated'),
    'pending': _l('Waiting to be updated'),
    'failed': _l('Not updated'),
    'off': _l('Calendar sync is off'),
}
PARTICIPANT_LABELS = {'booked': _l('Summoned'), 'cancelled': _l('Cancelled')}


@bp.context_processor
def _helpers():
    return {'format_date': format_date, 'citizen_labels': CITIZEN_LABELS,
            'calendar_labels': CALENDAR_LABELS, 'participant_labels': PARTICIPANT_LABELS,
            'calendar_error': calendar_error}


# --- the search form ------------------------------------------------------------

class SearchForm(Form):
    class Meta:
        csrf = False    # a GET search changes nothing

    kind = SelectField(_l('Date'), default=followup.MEETING_DATE, choices=[
        SelectChoice(followup.MEETING_DATE, _l('Meeting date')),
        SelectChoice(followup.SUMMONS_DATE, _l('Summons date'))])
    date_from = DateField(_l('From'), validators=[Optional()])
    date_to = DateField(_l('To'), validators=[Optional()],
                        description=_l('Leave empty for no end.'))
    team = SelectField(_l('Team'), coerce=int, default=0,
                       description=_l('Sub-teams are included.'))
    caseworker = SelectMultipleField(_l('Caseworkers'), coerce=int, default=[])
    meeting_type = SelectField(_l('Meeting type'), coerce=int, default=0)
    status = SelectField(_l('Show'), default='', choices=[
        SelectChoice('', _l('All summons')),
        SelectChoice(followup.NOT_DELIVERED, _l('Citizen not notified')),
        SelectChoice(followup.NOT_SYNCED, _l('Caseworker calendar not updated'))])


def _search_form(organisation: Organisation, language: str):
    """The form filled from the query string, its choices and the Search it
    stands for (fields with errors do not filter)."""
    today = _today()
    form = SearchForm(formdata=request.args)
    # Absent (not merely empty) dates: from today, four weeks.
    if 'date_from' not in request.args:
        form.date_from.data = today
    if 'date_to' not in request.args:
        form.date_to.data = today + dt.timedelta(days=followup.DEFAULT_DAYS - 1)
    # Short links other pages may use: ?citizen=not_delivered, ?calendar=not_synced.
    if 'status' not in request.args:
        if request.args.get('citizen') == followup.NOT_DELIVERED:
            form.status.data = followup.NOT_DELIVERED
        elif request.args.get('calendar') == followup.NOT_SYNCED:
            form.status.data = followup.NOT_SYNCED
    tree = Team.tree(organisation)
    form.team.choices = [SelectChoice(0, _('All teams'))] + [
        SelectChoice(team.id, '\u2014 ' * depth + team.name) for team, depth in tree]
    caseworkers = list(Caseworker.select(Caseworker.id, User.name).join(User)
                       .where(Caseworker.organisation == organisation)
                       .order_by(User.name, Caseworker.id).tuples())
    form.caseworker.choices = [SelectChoice(cw_id, name) for cw_id, name in caseworkers]
    form.meeting_type.choices = [SelectChoice(0, _('All meeting types'))] + [
        SelectChoice(t.id, t.label(language)) for t in MeetingType.select().order_by(
            MeetingType.position, MeetingType.id)]
    form.validate()
    if (not form.date_from.errors and not form.date_to.errors and form.date_from.data
            and form.date_to.data and form.date_from.data > form.date_to.data):
        form.date_to.errors = list(form.date_to.errors) + [
            _('The end date is before the start date.')]

    def ok(f):
        return not f.errors

    search = followup.Search(page=page_number(request.args.get('page')))
    if ok(form.kind):
        search.date_kind = form.kind.data
    if ok(form.date_from) and ok(form.date_to):
        search.date_from, search.date_to = form.date_from.data, form.date_to.data
    if ok(form.team) and form.team.data:
        search.team_ids = _subtree(tree, form.team.data)
    if ok(form.caseworker):
        search.caseworker_ids = list(form.caseworker.data or [])
    if ok(form.meeting_type) and form.meeting_type.data:
        search.meeting_type_id = form.meeting_type.data
    if ok(form.status):
        search.status = form.status.data or ''
    return form, search


def _subtree(tree, team_id: int) -> list[int]:
    """The team and every team under it, from Team.tree's (team, depth) list."""
    ids, depth = [], None
    for team, level in tree:
        if depth is not None:
            if level <= depth:
                break
            ids.append(team.id)
        elif team.id == team_id:
            ids, depth = [team.id], level
    return ids


def _list_url(pairs: list[tuple[str, object]]) -> str:
    base = url_for('followup.index')
    return base + ('?' + urlencode(pairs) if pairs else '')


def _page_url(page: int) -> str:
    pairs = [(k, v) for k, v in request.args.items(multi=True) if k in SEARCH_KEYS]
    if page > 1:
        pairs.append(('page', page))
    return _list_url(pairs)


def _count_links(counts: followup.Counts) -> dict[str, str]:
    """The counts cover meetings from today on, with no end: so do their links."""
    since = counts.since.isoformat()

    def link(status):
        return _list_url([('kind', followup.MEETING_DATE), ('date_from', since),
                          ('date_to', ''), ('status', status)])
    return {'citizen': link(followup.NOT_DELIVERED), 'calendar': link(followup.NOT_SYNCED)}


# --- the list -----------------------------------------------------------------

@bp.route('/')
@job_centre_staff
def index():
    org = _org()
    g.personal_data = True
    language = _language()
    form, search = _search_form(org, language)
    page = followup.page_of(org, search)
    counts = followup.counts(org, _now())
    _audit('followup_read', detail=f'page {page.page}, {len(page.rows)} rows')
    context = dict(form=form, page=page, counts=counts, count_links=_count_links(counts),
                   page_url=_page_url, next_url=request.full_path.rstrip('?'),
                   language=language)
    return render_template('followup/index.html', **context)


def _language() -> str:
    from flask_babel import get_locale
    return str(get_locale() or 'en')


@bp.route('/meetings/<int:meeting_id>/sync', methods=['POST'])
@job_centre_staff
def sync(meeting_id):
    """Send the meeting's undelivered notices again (every participant) and
    update the caseworkers' calendars. htmx: the meeting's rows come back;
    without JavaScript: back to the same search."""
    org = _org()
    meeting = get_in_org(Meeting, meeting_id)
    if meeting.summoned_at is None:
        abort(404)
    result = followup.sync(meeting)
    _audit('summons_synced', obj=meeting, detail=f'{result.notices} notices')
    next_url = local_path(request.form.get('next')) or url_for('followup.index')
    if request.htmx.target == f'followup-meeting-{meeting.id}':
        g.personal_data = True
        rows = followup.rows_of(org, meeting, request.form.getlist('row', type=int))
        counts = followup.counts(org, _now())
        return (render_template('followup/_meeting.html', meeting=meeting, rows=rows,
                                next_url=next_url, synced=True)
                + render_template('followup/_counts.html', counts=counts, oob=True,
                                  count_links=_count_links(counts)))
    if result.notices:
        flash(ngettext('%(num)d notice is being sent to the citizen again.',
                       '%(num)d notices are being sent to the citizens again.',
                       result.notices), 'info')
    else:
        flash(_('There was no notice to send again.'), 'info')
    if result.calendars:
        flash(ngettext("%(num)d caseworker calendar is being updated.",
                       "%(num)d caseworker calendars are being updated.",
                       result.calendars), 'info')
    return see_other(url=next_url)


# --- letters ------------------------------------------------------------------

def _letters_asked():
    """The letters the query asks for: (letters, meetings, citizen ids,
    everyone); 404 when no meeting is the organisation's."""
    meeting_ids = request.args.getlist('meeting', type=int)
    citizen_ids = request.args.getlist('citizen', type=int) or None
    everyone = request.args.get('all') == '1'
    found, meetings = followup.letters(_org(), meeting_ids, _now(), citizen_ids=citizen_ids,
                                       everyone=everyone)
    if not meetings:
        abort(404)
    return found, meetings, citizen_ids, everyone


@bp.route('/letters')
@job_centre_staff
def letters():
    """Printable summons letters, one per citizen, for `meeting` ids (the
    summons wizard links here). Letter attendance and citizens without a
    phone and an e-mail get one; `citizen` ids or all=1 choose others."""
    g.personal_data = True
    found, meetings, citizen_ids, everyone = _letters_asked()
    _audit('summons_letters_read', detail=f'{len(found)} letters')
    all_url = None
    if not everyone and citizen_ids is None:
        all_url = url_for('followup.letters', meeting=[m.id for m in meetings], all=1)
    pdf_url = url_for('followup.letters_pdf', **request.args.to_dict(flat=False))
    return render_template('followup/letters.html', letters=found, meetings=meetings,
                           all_url=all_url, pdf_url=pdf_url,
                           next_url=request.full_path.rstrip('?'))


@bp.route('/letters.pdf')
@job_centre_staff
def letters_pdf():
    """The same letters as one PDF, a letter a page, to post or to send to
    a print service."""
    g.personal_data = True
    found, _meetings, _citizens, _everyone = _letters_asked()
    _audit('summons_letters_read', detail=f'{len(found)} letters (PDF)')
    with current_app.open_resource('static/css/letters.css', 'r') as sheet:
        css = sheet.read()
    html = render_template('followup/letters_pdf.html', letters=found,
                           language=current_user.organisation.language)
    response = make_response(html_to_pdf(html, css))
    response.headers['Content-Type'] = 'application/pdf'
    response.headers['Content-Disposition'] = 'attachment; filename="summons-letters.pdf"'
    return response


@bp.route('/letters/printed', methods=['POST'])
@job_centre_staff
def printed():
    ids = request.form.getlist('participant', type=int)
    marked = followup.mark_printed(_org(), ids)
    _audit('summons_letters_printed', detail=f'{marked} letters')
    if marked:
        flash(ngettext('%(num)d letter is marked as printed.',
                       '%(num)d letters are marked as printed.', marked), 'info')
    else:
        flash(_('These letters were already marked as printed.'), 'info')
    return see_other(url=local_path(request.form.get('next')) or url_for('followup.index'))
