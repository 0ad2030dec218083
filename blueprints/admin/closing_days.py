"""Administration: local closing days, for the whole organisation or one
team, and the import of a year's public holidays."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, flash, request
from flask_babel import gettext as _, lazy_gettext as _l, ngettext
from flask_login import current_user
from peewee import JOIN
from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from blueprints.admin.home import section
from blueprints.baseform import Form
from blueprints.forms import ADMIN_PANEL, org_id, scoped_row, strip, team_choices
from models import ClosingDay, Team
from web import get_in_org, job_centre_admin, render, see_other

bp = Blueprint('admin_closing_days', __name__, url_prefix='/admin/closing-days')
section('admin_closing_days.index', _l('Closing days'), 40)

FIRST_YEAR, LAST_YEAR = 2000, 2100


class ClosingDayForm(Form):
    date = DateField(_l('Date'), validators=[InputRequired(_l('Enter the date.'))])
    name = StringField(_l('Name'), filters=[strip], validators=[
        DataRequired(_l('Enter a name.')), Length(max=120)],
        description=_l('For example "Team day" or "Christmas Eve".'))
    team = SelectField(_l('Closed for'), choices=[], validate_choice=False)


class ImportForm(Form):
    year = SelectField(_l('Year'), choices=[], validate_choice=False)
    more = BooleanField(_l('Also the days most offices close'))

    MORE_EXAMPLES = {'DK': 'Grundlovsdag, Juleaftensdag, Nytårsaften',
                     'SE': 'Midsommarafton, Julafton, Nyårsafton'}


def _this_year() -> int:
    return dt.datetime.now(current_user.organisation.zone).year


def _year_arg() -> int:
    try:
        year = int(request.args.get('year', ''))
    except ValueError:
        return _this_year()
    return min(max(year, FIRST_YEAR), LAST_YEAR)


def _import_form(year: int) -> ImportForm:
    form = ImportForm(formdata=None)
    this = _this_year()
    form.year.choices = [(str(y), str(y)) for y in range(this - 1, this + 4)]
    form.year.data = str(year if this - 1 <= year <= this + 3 else this)
    # Proper names in the country's language: nothing to translate.
    form.more.description = form.MORE_EXAMPLES.get(current_user.organisation.country, '')
    return form


@bp.route('/')
@job_centre_admin
def index():
    year = _year_arg()
    days = list(ClosingDay.select(ClosingDay, Team).join(Team, JOIN.LEFT_OUTER)
                .where(ClosingDay.organisation == org_id(),
                       ClosingDay.date.between(dt.date(year, 1, 1), dt.date(year, 12, 31)))
                .order_by(ClosingDay.date, ClosingDay.id))
    return render('admin/closing_days/index.html', panel=ADMIN_PANEL, days=days, year=year,
                  import_form=_import_form(year), first_year=FIRST_YEAR,
                  last_year=LAST_YEAR)


def _save(form, day) -> bool:
    form.team.choices = team_choices(blank=_('The whole organisation'))
    team = scoped_row(Team, request.form.get('team', ''))   # theirs: 404
    valid = form.validate()
    if valid:
        clash = ClosingDay.select().where(
            ClosingDay.organisation == org_id(), ClosingDay.date == form.date.data,
            ClosingDay.team.is_null() if team is None else ClosingDay.team == team.id)
        if day.id:
            clash = clash.where(ClosingDay.id != day.id)
        if clash.exists():
            form.date.errors.append(_('There is already a closing day on this date '
                                      'for the same team or organisation.'))
            valid = False
    if not valid or request.args.get('check'):
        return False
    day.organisation = org_id()
    day.date, day.name, day.team = form.date.data, form.name.data, team
    day.save()
    return True


def _form_page(form, day, title):
    return render('admin/closing_days/form.html', {'closing-day-form': 'form'}, panel=ADMIN_PANEL,
                  field_block='form', form=form, day=day, title=title)


def _back(day):
    return see_other('.index', year=day.date.year)


@bp.route('/new', methods=['GET', 'POST'])
@job_centre_admin
def create():
    day = ClosingDay()
    form = ClosingDayForm()
    if request.method == 'POST':
        if _save(form, day):
            flash(_('Closing day %(name)s created.', name=day.name), 'success')
            return _back(day)
    else:
        form.team.choices = team_choices(blank=_('The whole organisation'))
    return _form_page(form, day, _('New closing day'))


@bp.route('/<int:day_id>/edit', methods=['GET', 'POST'])
@job_centre_admin
def edit(day_id):
    day = get_in_org(ClosingDay, day_id)
    if request.method == 'POST':
        form = ClosingDayForm()
        if _save(form, day):
            flash(_('Closing day %(name)s saved.', name=day.name), 'success')
            return _back(day)
    else:
        form = ClosingDayForm(obj=day)
        form.team.choices = team_choices(blank=_('The whole organisation'))
        form.team.data = str(day.team_id or '')
    return _form_page(form, day, _('Edit closing day'))


@bp.route('/<int:day_id>/delete', methods=['GET', 'POST'])
@job_centre_admin
def delete(day_id):
    day = get_in_org(ClosingDay, day_id)
    if request.method == 'POST':
        day.delete_instance()
        flash(_('Closing day %(name)s deleted.', name=day.name), 'success')
        return _back(day)
    return render('admin/closing_days/delete.html', panel=ADMIN_PANEL, day=day)


@bp.route('/import', methods=['POST'])
@job_centre_admin
def import_holidays():
    """A year's public holidays of the organisation's country."""
    try:
        year = int(request.form.get('year', ''))
    except ValueError:
        year = 0
    if not FIRST_YEAR <= year <= LAST_YEAR:
        flash(_('Choose a year between %(first)d and %(last)d.',
                first=FIRST_YEAR, last=LAST_YEAR), 'error')
        return see_other('.index')
    added, skipped = ClosingDay.import_holidays(
        current_user.organisation, year, more=bool(request.form.get('more')))
    message = ngettext('%(num)d public holiday in %(year)d added.',
                       '%(num)d public holidays in %(year)d added.',
                       len(added), year=year)
    if skipped:
        message += ' ' + ngettext(
            '%(num)d date already had a closing day and was skipped: %(names)s.',
            '%(num)d dates already had a closing day and were skipped: %(names)s.',
            len(skipped), names=', '.join(name for _date, name in skipped))
    flash(message, 'success')
    return see_other('.index', year=year)
