"""Administration: time reserved for summons only or for citizens'
self-booking only (scheduling/reserved.py), per team or caseworker, on
weekdays and/or a date range, optionally a time of day. The slot engine,
the summons and the citizens' pages read the rows; here they are listed,
added (one row per weekday chosen) and removed."""
from __future__ import annotations

from babel.dates import get_day_names
from flask import Blueprint, flash, request
from flask_babel import get_locale, gettext as _, lazy_gettext as _l, ngettext
from flask_login import current_user
from peewee import JOIN
from wtforms import DateField, RadioField, SelectField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional

from blueprints.admin.caseworkers import MultiCheckboxField
from blueprints.admin.home import section
from blueprints.baseform import Form
from blueprints.forms import ADMIN_PANEL, org_id, scoped_row, team_choices
from models import AuditEvent, Caseworker, ReservedTime, Team, User
from web import get_in_org, job_centre_admin, render, see_other

bp = Blueprint('admin_reserved_time', __name__, url_prefix='/admin/reserved-time')
section('admin_reserved_time.index', _l('Reserved time'), 45)

PURPOSES = (SelectChoice(ReservedTime.SUMMONS, _l('Summons only')),
            SelectChoice(ReservedTime.SELF_BOOKING, _l('Self-booking only')))


def purpose_label(purpose: str) -> str:
    return next((str(choice.label) for choice in PURPOSES if choice.value == purpose), purpose)


def day_names() -> dict[int, str]:
    return get_day_names('wide', locale=get_locale())


class ReservedTimeForm(Form):
    purpose = RadioField(_l('Reserved for'), choices=PURPOSES,
                         validators=[InputRequired(_l('Choose what the time is for.'))])
    team = SelectField(_l('Team'), choices=[], validate_choice=False,
                       description=_l('The whole team, or one caseworker below.'))
    caseworker = SelectField(_l('Caseworker'), choices=[], validate_choice=False)
    weekdays = MultiCheckboxField(_l('Weekdays'), choices=[], coerce=int,
                                  description=_l('None: every day of the date range.'))
    first_day = DateField(_l('From'), validators=[Optional()])
    last_day = DateField(_l('To and including'), validators=[Optional()])
    start = TimeField(_l('From time of day'), validators=[Optional()],
                      description=_l('Empty: the whole day.'))
    end = TimeField(_l('To time of day'), validators=[Optional()])

    def fill_choices(self) -> None:
        self.team.choices = [SelectChoice(value, label) for value, label in team_choices(blank='')]
        self.caseworker.choices = [SelectChoice('', '')] + [
            SelectChoice(c.id, c.user.name) for c in Caseworker.select(Caseworker, User).join(User)
            .where(Caseworker.organisation == org_id()).order_by(User.name)]
        self.weekdays.choices = list(day_names().items())    # the checkboxes macro unpacks pairs

    def check_rules(self, team, caseworker) -> bool:
        """The rules across fields; errors at the field they concern."""
        problems = []
        if (team is None) == (caseworker is None):
            problems.append((self.team, _('Choose a team or a caseworker (one of them).')))
        if not self.weekdays.data and not (self.first_day.data and self.last_day.data):
            problems.append((self.weekdays, _('Choose weekdays, a date range, or both.')))
        if (self.first_day.data and self.last_day.data
                and self.first_day.data > self.last_day.data):
            problems.append((self.last_day, _('The last day must not be before the first.')))
        if bool(self.start.data) != bool(self.end.data):
            problems.append((self.end, _('Give both times of day, or neither.')))
        elif self.start.data and self.start.data >= self.end.data:
            problems.append((self.end, _('The end must be after the start.')))
        for field, message in problems:
            field.errors = list(field.errors) + [message]
        return not problems


@bp.route('/')
@job_centre_admin
def index():
    rows = list(ReservedTime.select(ReservedTime, Team, Caseworker, User)
                .join(Team, JOIN.LEFT_OUTER).switch(ReservedTime)
                .join(Caseworker, JOIN.LEFT_OUTER).join(User, JOIN.LEFT_OUTER)
                .where(ReservedTime.organisation == org_id())
                .order_by(ReservedTime.purpose, ReservedTime.team, ReservedTime.caseworker,
                          ReservedTime.weekday, ReservedTime.first_day, ReservedTime.id))
    return render('admin/reserved_time/index.html', panel=ADMIN_PANEL, rows=rows,
                  day_names=day_names(), purpose_label=purpose_label)


def _save(form) -> list[ReservedTime] | None:
    form.fill_choices()
    team = scoped_row(Team, request.form.get('team', ''))              # theirs: 404
    caseworker = scoped_row(Caseworker, request.form.get('caseworker', ''))
    valid = form.validate()
    valid = form.check_rules(team, caseworker) and valid
    if not valid or request.args.get('check'):
        return None
    fields = dict(organisation=org_id(), team=team, caseworker=caseworker,
                  purpose=form.purpose.data, first_day=form.first_day.data,
                  last_day=form.last_day.data, start=form.start.data, end=form.end.data)
    rows = [ReservedTime.create(weekday=day, **fields) for day in (form.weekdays.data or [None])]
    for row in rows:
        AuditEvent.record('reserved_time_created', actor=current_user, obj=row,
                          detail=row.purpose, ip=request.remote_addr)
    return rows


@bp.route('/new', methods=['GET', 'POST'])
@job_centre_admin
def create():
    form = ReservedTimeForm()
    if request.method == 'POST':
        rows = _save(form)
        if rows is not None:
            flash(ngettext('%(num)d reservation added.', '%(num)d reservations added.',
                           len(rows)), 'success')
            return see_other('.index')
    else:
        form.fill_choices()
    return render('admin/reserved_time/form.html', {'reserved-time-form': 'form'},
                  panel=ADMIN_PANEL, field_block='form', form=form)


@bp.route('/<int:reserved_id>/delete', methods=['GET', 'POST'])
@job_centre_admin
def delete(reserved_id):
    row = get_in_org(ReservedTime, reserved_id)
    if request.method == 'POST':
        AuditEvent.record('reserved_time_deleted', actor=current_user, obj=row,
                          detail=row.purpose, ip=request.remote_addr)
        row.delete_instance()
        flash(_('Reservation removed.'), 'success')
        return see_other('.index')
    return render('admin/reserved_time/delete.html', panel=ADMIN_PANEL, row=row,
                  day_names=day_names(), purpose_label=purpose_label)
