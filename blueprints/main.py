"""Landing page, each role's home, and the language switcher."""
from __future__ import annotations

import re

from flask import Blueprint, abort, render_template, request, session, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from wtforms import HiddenField, SelectField
from wtforms.fields.choices import SelectChoice

from blueprints.planner import citizen
from blueprints.baseform import Form
from extensions import LANGUAGES
from models import Message, User, count_by
from web import YEARS, DateOutOfRange, error_page, local_path, refuse_dates_out_of_range, see_other

bp = Blueprint('main', __name__)

LANGUAGE_NAMES = {'en': 'English', 'da': 'Dansk', 'sv': 'Svenska'}


class LanguageForm(Form):
    lang = SelectField(_l('Language'), choices=[SelectChoice(code, LANGUAGE_NAMES[code])
                                                for code in LANGUAGES])
    next = HiddenField()


# Control characters but tab and line breaks (C0, DEL and C1): nothing a
# person types, and PostgreSQL text cannot even store a NUL.
_CONTROL = re.compile('[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]')


@bp.before_app_request
def _refuse_garbage():
    """400 for a control character, or a date in a year nobody means, in any
    form field or query parameter, instead of storing it in a name or a note
    or failing on it later. (The webhooks clean what Vonage sends themselves.)"""
    if request.blueprint == 'webhooks':
        return
    pairs = (*request.args.items(multi=True), *request.form.items(multi=True))
    for key, value in pairs:
        if _CONTROL.search(key) or _CONTROL.search(value):
            abort(400)
    refuse_dates_out_of_range(pairs)


@bp.app_errorhandler(DateOutOfRange)
def _date_out_of_range(e):
    return error_page(400, _('Date out of range'), _(
        'Choose a date between the years %(first)s and %(last)s.',
        first=YEARS[0], last=YEARS[-1]))


@bp.app_context_processor
def _language_switch():
    """What base.html's language switcher shows; written out there rather
    than built as a form on every page (LanguageForm checks the POST)."""
    from flask_babel import get_locale
    return {'language_names': LANGUAGE_NAMES, 'current_language': str(get_locale())}


@bp.route('/')
def index():
    if not current_user.is_authenticated:
        return render_template('main/landing.html')
    if current_user.role == User.CITIZEN:
        return citizen.home_page()
    message_counts = {}
    if current_user.role in (User.ADMIN, User.PLANNER):
        message_counts = count_by(
            Message.for_organisation(current_user.organisation_id)
            .where(Message.direction == Message.OUT), Message.status)
    return render_template('main/home.html', message_counts=message_counts)


@bp.route('/language', methods=['POST'])
def set_language():
    form = LanguageForm()
    if form.validate_on_submit():
        session['lang'] = form.lang.data
        if current_user.is_authenticated:
            User.update(language=form.lang.data).where(
                User.id == current_user.id).execute()
    return see_other(url=local_path(form.next.data) or url_for('main.index'))
