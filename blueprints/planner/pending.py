"""The pending list (afventerliste): citizens still to be summoned, because
they were not ticked on the summons' review step or their summons failed.

Staff tick rows and either summon them (a new summons draft with those
citizens, opened at step 1) or delete them after a confirmation page.
Every id posted is checked against the organisation (no IDOR).
"""
from __future__ import annotations


from flask import Blueprint, abort, flash, render_template, request
from flask_babel import format_date, get_locale, gettext as _, lazy_gettext as _l, ngettext
from flask_login import current_user
from peewee import JOIN

from models import AuditEvent, MeetingType, PendingSummons, Team, User
from planner import summons
from web import job_centre_staff, see_other

bp = Blueprint('pending', __name__, url_prefix='/summons/pending')

MAX_IDS = 5000

REASONS = {
    PendingSummons.UNTICKED: _l('Not ticked on review'),
    PendingSummons.NO_TIME: _l('No free time found'),
}


@bp.context_processor
def _helpers():
    return {'format_date': format_date}


def reason_text(row: PendingSummons) -> str:
    if row.reason == PendingSummons.FAILED:
        return _('Could not be summoned: %(error)s',
                 error=row.error or _('unknown error'))
    return str(REASONS.get(row.reason, row.reason))


def _rows(ids: list[int] | None = None):
    """The organisation's pending rows, newest first; only `ids` when given."""
    query = (PendingSummons
             .select(PendingSummons, User, Team, MeetingType)
             .join(User, on=(PendingSummons.citizen == User.id))
             .switch(PendingSummons)
             .join(Team, join_type=JOIN.LEFT_OUTER, on=(PendingSummons.team == Team.id))
             .switch(PendingSummons)
             .join(MeetingType, join_type=JOIN.LEFT_OUTER,
                   on=(PendingSummons.meeting_type == MeetingType.id))
             .where(PendingSummons.organisation == current_user.organisation_id))
    if ids is not None:
        query = query.where(PendingSummons.id.in_(ids))
    return list(query.order_by(PendingSummons.created_at.desc(), PendingSummons.id.desc()))


def _creators(rows) -> dict[int, str]:
    ids = {r.created_by_id for r in rows if r.created_by_id}
    if not ids:
        return {}
    return dict(User.select(User.id, User.name).where(User.id.in_(ids)).tuples())


def _view_rows(rows) -> list[dict]:
    org = current_user.organisation
    lang = str(get_locale())
    creators = _creators(rows)
    out = []
    for row in rows:
        local = org.local(row.created_at)
        out.append(dict(
            id=row.id, name=row.citizen.name, masked_cpr=row.citizen.masked_cpr,
            team=row.team.name if row.team_id else '',
            meeting_type=row.meeting_type.label(lang) if row.meeting_type_id else '',
            earliest=row.earliest, deadline=row.deadline, reason=reason_text(row),
            failed=row.reason == PendingSummons.FAILED,
            created_day=local.date(), created_time=local.strftime('%H:%M'),
            created_by=creators.get(row.created_by_id, '')))
    return out


def _posted_ids() -> list[int]:
    """Row ids from the form (or query string), as own-organisation ids only."""
    values = request.form.getlist('ids') if request.method == 'POST' \
        else request.args.getlist('ids')
    ids = []
    for value in values[:MAX_IDS]:
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if 0 < number < 2 ** 63 and number not in ids:
            ids.append(number)
    if not ids:
        return []
    return [row_id for (row_id,) in PendingSummons
            .select(PendingSummons.id)
            .where(PendingSummons.id.in_(ids),
                   PendingSummons.organisation == current_user.organisation_id)
            .tuples()]


def _nothing_selected():
    flash(_('Select at least one citizen first.'), 'error')
    return see_other('pending.index')


@bp.route('/')
@job_centre_staff
def index():
    rows = _view_rows(_rows())
    AuditEvent.record('pending_read', actor=current_user._get_current_object(),
                      detail=f'{len(rows)} citizens', ip=request.remote_addr or '')
    select_all = request.args.get('all') == '1'
    return render_template('pending/index.html', rows=rows, select_all=select_all)


@bp.route('/', methods=['POST'])
@job_centre_staff
def act():
    """The list's form: "Summon selected" or "Delete selected"."""
    action = request.form.get('action')
    ids = _posted_ids()
    if action not in ('summon', 'delete'):
        abort(400)
    if not ids:
        return _nothing_selected()
    if action == 'delete':
        return see_other('pending.delete', ids=ids)
    draft = summons.pending_to_draft(current_user.organisation,
                                     current_user._get_current_object(), ids)
    if draft is None:   # removed by someone else meanwhile
        return _nothing_selected()
    AuditEvent.record('pending_summoned', actor=current_user._get_current_object(), obj=draft,
                      detail=f'{len(ids)} pending', ip=request.remote_addr or '')
    return see_other('summons.step1', draft_id=draft.id)


@bp.route('/delete', methods=['GET', 'POST'])
@job_centre_staff
def delete():
    """GET: who will be removed, and a button to confirm. POST: remove them."""
    ids = _posted_ids()
    if not ids:
        return _nothing_selected()
    if request.method == 'POST':
        removed = summons.delete_pending(current_user.organisation, ids)
        AuditEvent.record('pending_deleted', actor=current_user._get_current_object(),
                          detail=f'{removed} pending', ip=request.remote_addr or '')
        flash(ngettext('%(num)d citizen was removed from the pending list.',
                       '%(num)d citizens were removed from the pending list.', removed), 'info')
        return see_other('pending.index')
    return render_template('pending/delete.html', rows=_view_rows(_rows(ids)))
