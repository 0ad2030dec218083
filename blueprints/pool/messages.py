"""Staffing: manual SMS to substitutes (all, those trained at a unit, those
with a qualification, or those with no availability registered soon). They
cannot be answered and say so; an answer gets the automatic "this number is
not read" SMS (see replies.handle_sms)."""
from __future__ import annotations

from flask import Blueprint, flash, request
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from wtforms import IntegerField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from blueprints.baseform import Form
from blueprints.forms import scoped_row
from blueprints.pool.home import POOL_PANEL, org
from models import Qualification, Unit
from pool import staffing
from web import pool_staff, render, see_other

bp = Blueprint('pool_messages', __name__, url_prefix='/pool/messages')

MAX_LENGTH = 480   # three SMS parts


class ManualForm(Form):
    audience = RadioField(_l('To'), default=staffing.ALL, choices=[
        SelectChoice(staffing.ALL, _l('All active substitutes')),
        SelectChoice(staffing.UNIT, _l('Those trained at a unit')),
        SelectChoice(staffing.QUALIFICATION, _l('Those with a qualification')),
        SelectChoice(staffing.NO_AVAILABILITY,
                     _l('Those with no availability registered in the coming weeks')),
    ])
    unit = SelectField(_l('Unit'), choices=[], validate_choice=False)
    qualification = SelectField(_l('Qualification'), choices=[], validate_choice=False)
    weeks = IntegerField(_l('Coming weeks'), default=2, validators=[Optional(), NumberRange(1, 12)])
    text = TextAreaField(_l('Message'), validators=[
        DataRequired(_l('Write the message.')), Length(max=MAX_LENGTH)],
        description=_l('A line saying that the SMS cannot be answered, and whom to call, '
                       'is added.'))


def _choices(form):
    form.unit.choices = [('', _('Choose a unit'))] + [
        (str(u.id), '\u2003' * depth + u.name) for u, depth in Unit.tree(org())]
    form.qualification.choices = [('', _('Choose a qualification'))] + [
        (str(q.id), q.name) for q in Qualification.select()
        .where(Qualification.organisation == org()).order_by(Qualification.name)]


def _recipients(form):
    """The chosen audience, or None with an error on the form."""
    kind = form.audience.data
    unit = scoped_row(Unit, form.unit.data or '') if kind == staffing.UNIT else None
    qualification = (scoped_row(Qualification, form.qualification.data or '')
                     if kind == staffing.QUALIFICATION else None)
    if kind == staffing.UNIT and unit is None:
        form.unit.errors = [_('Choose a unit.')]
        return None
    if kind == staffing.QUALIFICATION and qualification is None:
        form.qualification.errors = [_('Choose a qualification.')]
        return None
    return list(staffing.audience(org(), kind, unit=unit, qualification=qualification,
                                  weeks=form.weeks.data or 2, at=staffing.now()))


@bp.route('/', methods=['GET', 'POST'])
@pool_staff
def index():
    form = ManualForm()
    _choices(form)
    recipients = None
    if form.validate_on_submit():
        recipients = _recipients(form)
        if recipients is not None and request.form.get('action') == 'send':
            if not recipients:
                flash(_('Nobody matches; nothing was sent.'), 'error')
            else:
                staffing.send_manual(org(), recipients, form.text.data, by=current_user)
                flash(_('The message is on its way to %(n)s substitutes.', n=len(recipients)),
                      'success')
                return see_other('.index')
    return render('pool/messages/index.html', {'manual-form': 'form'}, panel=POOL_PANEL, form=form,
                  recipients=recipients)
