"""Administration: the organisation's SMS sender, a number (people can
answer) or a name (they cannot). For job centres and substitute pools."""
from __future__ import annotations

import re

from flask import Blueprint, flash
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from wtforms import StringField
from wtforms.validators import ValidationError

from blueprints.admin.home import section
from blueprints.baseform import Form
from blueprints.forms import ADMIN_PANEL, strip
from common.validators import normalise_phone
from models import AuditEvent, Organisation, User
from web import render, role_required, see_other

bp = Blueprint('admin_sms', __name__, url_prefix='/admin/sms')
section('admin_sms.edit', _l('SMS sender'), 90, kinds=(Organisation.PLANNER, Organisation.POOL))

MAX_SENDER = 11             # what networks carry as a sender, and the column's size
NAME = re.compile(r'[A-Za-z0-9 ]{1,11}')


def sender_value(text: str, country: str) -> str:
    """The sender to store: a phone number as its international digits
    (4670123456), or a name of up to 11 letters, digits and spaces with at
    least one letter. ValueError with the message for people otherwise."""
    text = (text or '').strip()
    if not text:
        raise ValueError(_('Enter a phone number or a name.'))
    if not any(c.isalpha() for c in text):
        number = normalise_phone(text, country)
        if number is None:
            raise ValueError(_('Enter a valid phone number, for example +46 70 123 45 67.'))
        if len(number) - 1 > MAX_SENDER:
            raise ValueError(_('This number is too long to be an SMS sender (at most '
                               '%(n)d digits with the country code).', n=MAX_SENDER))
        return number.lstrip('+')
    if not NAME.fullmatch(text):
        raise ValueError(_('A name may have at most 11 characters: the letters A to Z, '
                           'digits and spaces.'))
    return text


def is_number(sender: str) -> bool:
    """Whether people can answer SMS from this sender."""
    return (sender or '').lstrip('+').isdigit()


class SenderForm(Form):
    sender = StringField(_l('SMS sender'), filters=[strip], description=_l(
        'A phone number, for example +46 70 123 45 67: people can answer, so substitutes '
        'can reply Ja or Nej and citizens can reply. It must be the number your SMS '
        'provider delivers to Planpool. A name of up to 11 characters, for example '
        '"Jobcenter": people see who wrote, but nobody can answer.'))

    def validate_sender(self, field):
        try:
            field.data = sender_value(field.data, current_user.organisation.country)
        except ValueError as error:
            raise ValidationError(str(error)) from None


@bp.route('/', methods=['GET', 'POST'])
@role_required(User.ADMIN)
def edit():
    org = current_user.organisation
    form = SenderForm(data={'sender': org.sms_sender})
    if form.validate_on_submit():
        old, org.sms_sender = org.sms_sender, form.sender.data
        org.save(only=[Organisation.sms_sender])
        AuditEvent.record('sms_sender_changed', actor=current_user, organisation=org,
                          detail=f'{old} -> {org.sms_sender}')
        flash(_('SMS sender saved.'), 'success')
        return see_other('admin_sms.edit')
    return render('admin/sms.html', panel=ADMIN_PANEL, form=form,
                  answerable=is_number(org.sms_sender))
