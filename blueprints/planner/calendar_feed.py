"""A caseworker's private calendar feed (ICS): one secret URL per caseworker
that any calendar app can subscribe to, and the page that shows it.

The URL is a capability: whoever has it reads the caseworker's meetings
(citizens' names, never CPR numbers), so the page offers a new link that
makes the old one stop working.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.baseform import Form
from models import AuditEvent, Caseworker, User, utcnow
from planner import calendar_sync
from web import JOB_CENTRE_STAFF, role_required, see_other

bp = Blueprint('calendar_feed', __name__, url_prefix='/calendar')

class NewLinkForm(Form):
    """CSRF only: the button is the whole form."""


def _caseworker_or_404(caseworker_id: int) -> Caseworker:
    """The caseworker themself; admins and planners: anyone of their
    organisation. Everybody else finds nothing (no IDOR)."""
    if not 0 < caseworker_id < 2 ** 63:
        abort(404)
    caseworker = Caseworker.get_or_none(
        Caseworker.id == caseworker_id,
        Caseworker.organisation == current_user.organisation_id)
    if caseworker is None:
        abort(404)
    if caseworker.user_id != current_user.id \
            and current_user.role not in (User.ADMIN, User.PLANNER):
        abort(404)
    return caseworker


def _no_store(response):
    response.headers['Cache-Control'] = 'no-store'
    return response


@bp.route('/feed')
@role_required(*JOB_CENTRE_STAFF)
def mine():
    own = Caseworker.get_or_none(Caseworker.user == current_user.id)
    if own is None:
        abort(404)
    return see_other('calendar_feed.page', caseworker_id=own.id)


@bp.route('/caseworker/<int:caseworker_id>/feed', methods=['GET', 'POST'])
@role_required(*JOB_CENTRE_STAFF)
def page(caseworker_id):
    caseworker = _caseworker_or_404(caseworker_id)
    form = NewLinkForm()
    if request.method == 'POST':
        if not form.validate_on_submit():
            abort(400)
        had_one = bool(caseworker.feed_token)
        calendar_sync.new_feed_token(caseworker)
        AuditEvent.record('calendar_feed.new_link', actor=current_user._get_current_object(),
                          obj=caseworker, ip=request.remote_addr or '')
        flash(_('The new link is ready. The old link no longer works.') if had_one
              else _('The link is ready.'), 'success')
        return see_other('calendar_feed.page', caseworker_id=caseworker.id)
    feed_url = webcal_url = None
    if caseworker.feed_token:
        feed_url = url_for('calendar_feed.feed', token=caseworker.feed_token, _external=True)
        webcal_url = 'webcal://' + feed_url.split('://', 1)[1]
    sync_on = calendar_sync.enabled()
    return _no_store(make_response(render_template(
        'calendar_feed/page.html', caseworker=caseworker, form=form, feed_url=feed_url,
        webcal_url=webcal_url, confirm=request.args.get('confirm') == 'new',
        sync_on=sync_on,
        calendar_url=calendar_sync.calendar_url(caseworker, caseworker.user.email)
        if sync_on else '', days_back=calendar_sync.FEED_DAYS_BACK)))


@bp.route('/feed/<token>.ics')
def feed(token):
    """Public, no login: the secret in the URL is the key."""
    caseworker = calendar_sync.caseworker_by_token(token)
    if caseworker is None:
        abort(404)
    response = make_response(calendar_sync.feed(caseworker, utcnow()))
    response.headers['Content-Type'] = 'text/calendar; charset=utf-8'
    response.headers['Content-Disposition'] = 'inline; filename="planpool.ics"'
    response.headers['X-Robots-Tag'] = 'noindex'
    return _no_store(response)
