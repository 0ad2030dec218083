"""The staffing centre's front page and settings, and what every page of the
pool shares: its main block's id, labels, the clock.

The other pool areas live beside this module; the write paths in
`pool/staffing.py`.
"""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, flash
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, IntegerField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange

from blueprints.baseform import Form
from blueprints.forms import city_lookup
from models import PoolSettings, ShiftRequest, User, Vacancy, count_by
from pool import staffing
from scheduling import staffing as core
from web import pool_staff, render, see_other

bp = Blueprint('pool', __name__, url_prefix='/pool')

POOL_PANEL = 'pool-panel'   # the id of every pool page's main block

VACANCY_STATUS = {
    Vacancy.OPEN: _l('Open'), Vacancy.REQUESTED: _l('Requested'),
    Vacancy.BOOKED: _l('Booked'), Vacancy.CANCELLED: _l('Cancelled'),
    Vacancy.UNFILLED: _l('Unfilled'),
}
REQUEST_STATUS = {
    ShiftRequest.OPEN: _l('Waiting for an answer'), ShiftRequest.ACCEPTED: _l('Yes: got the shift'),
    ShiftRequest.DECLINED: _l('No'), ShiftRequest.LOST: _l('Yes, but did not get the shift'),
    ShiftRequest.WITHDRAWN: _l('Not needed any more'), ShiftRequest.EXPIRED: _l('No answer in time'),
}
MODE = {core.REQUEST: _l('Requests'), core.DIRECT: _l('Direct booking')}


def org():
    return current_user.organisation


def local_datetime(instant: dt.datetime) -> str:
    return staffing.local_text(current_user.organisation, instant)


@bp.app_context_processor
def _pool_helpers():
    return {'vacancy_status': VACANCY_STATUS, 'request_status': REQUEST_STATUS,
            'mode_label': MODE, 'shift_when': staffing.when_text,
            'local_datetime': local_datetime}


@bp.route('/')
@pool_staff
def index():
    at = staffing.now()
    staffing.expire(org(), at)
    counts = count_by(Vacancy.select().where(Vacancy.organisation == org(),
                                             Vacancy.ends_at > at), Vacancy.status)
    substitutes = User.select().where(User.organisation == org(),
                                      User.role == User.SUBSTITUTE,
                                      User.active == True).count()  # noqa: E712
    sender = org().sms_sender or ''
    return render('pool/index.html', panel=POOL_PANEL, counts=counts, substitutes=substitutes,
                  numeric_sender=sender.lstrip('+').isdigit())


class SettingsForm(Form):
    requests_per_wave = IntegerField(
        _l('Requests sent at once'), [InputRequired(), NumberRange(1, 50)],
        description=_l('A wave of requests goes to this many eligible substitutes, '
                       'first in the fair order.'))
    answer_minutes = IntegerField(
        _l('Time to answer (minutes)'), [InputRequired(), NumberRange(5, 7 * 24 * 60)],
        description=_l('The default deadline of a wave; never later than the shift starts.'))
    expiry_sms = SelectField(
        _l('When the time to answer runs out, the substitute gets'),
        choices=[SelectChoice('expired', _l('An SMS: the time to answer has passed')),
                 SelectChoice('not_needed', _l('An SMS: the shift is no longer needed')),
                 SelectChoice('none', _l('No SMS'))])
    next_wave_on_expiry = BooleanField(
        _l('Send the next wave by itself'),
        description=_l('When every request of a wave is answered no or has run out, the '
                       'next eligible substitutes are asked at once. Otherwise the shift '
                       'shows as unfilled for you to decide.'))


@bp.route('/settings', methods=['GET', 'POST'])
@pool_staff
def settings():
    current = PoolSettings.of(org())
    form = SettingsForm(obj=current)
    if form.validate_on_submit():
        current.requests_per_wave = form.requests_per_wave.data
        current.answer_minutes = form.answer_minutes.data
        current.expiry_sms = form.expiry_sms.data
        current.next_wave_on_expiry = form.next_wave_on_expiry.data
        current.save()
        flash(_('Settings saved.'), 'success')
        return see_other('pool.settings')
    return render('pool/settings.html', panel=POOL_PANEL, form=form)


@bp.route('/postcode')
@pool_staff
def city():
    """The unit form's city lookup (as the team form's, for the pool)."""
    return city_lookup()
