"""Administration of caseworkers: contact details, teams and competences,
bookable hours, meeting shares and fixed pauses (deck slides 51-66).

A caseworker is a User account (role caseworker: name and email, locked after
creation) plus a Caseworker row. Each tab is its own URL; htmx swaps only the
tab panel (the block chosen by the HX-Target header).
"""
from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from itertools import combinations

from babel.dates import get_day_names
from flask import Blueprint, abort, flash, request
from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from peewee import IntegrityError, fn
from wtforms import (BooleanField, IntegerField, PasswordField, SelectMultipleField, StringField,
                     TextAreaField)
from wtforms.validators import (DataRequired, InputRequired, Length, NumberRange, Optional,
                                ValidationError)
from wtforms.widgets import CheckboxInput, ListWidget

from blueprints.admin.home import section
from blueprints.forms import SHOW_MEETINGS, meeting_label, strip
from common.validators import normalise_phone
from models import (AuditEvent, Caseworker, CaseworkerCompetence, CaseworkerTeam, Competence,
                    Meeting, Pause, Team, User, UserSession, WorkingHours, db)
from planner import calendar_sync
from planner.loading import weekly_schedules
from scheduling.availability import (HOURS_END_BEFORE_START, HOURS_OVERLAP, MAX_PAUSES_PER_DAY,
                                     PAUSE_END_BEFORE_START, PAUSE_OUTSIDE_HOURS, PAUSES_OVERLAP,
                                     TOO_MANY_PAUSES, WeeklySchedule, validate_schedule)
from web import htmx_status, job_centre_admin, render, see_other

bp = Blueprint('admin_caseworkers', __name__, url_prefix='/admin/caseworkers')
section('admin_caseworkers.index', _l('Caseworkers'), order=20)

WEEKDAYS = range(7)            # 0 = Monday, as WorkingHours and Pause store them
MIN_PASSWORD = 12
# Rows a pause form may post per day: room for a fifth (refused with a
# message); more is no form of ours (400).
MAX_PAUSE_ROWS = 20
TABS_TARGET = 'caseworker-tabs'
LIST_TARGET = 'caseworker-list'
FORM_TARGET = 'caseworker-form'


@bp.before_request
@job_centre_admin
def _only_job_centre_admins():
    """Every page here: caseworkers exist only in a job centre (as in the
    other Planner areas)."""


# --- helpers -----------------------------------------------------------------

def _org():
    return current_user.organisation


def _caseworker_or_404(caseworker_id) -> Caseworker:
    """A caseworker of the current organisation (id from the URL or a form)."""
    try:
        caseworker_id = int(caseworker_id)
    except (TypeError, ValueError):
        abort(404)
    if not 0 < caseworker_id < 2 ** 63:   # a longer number would fail in the driver
        abort(404)
    row = (Caseworker.select(Caseworker, User).join(User)
           .where(Caseworker.id == caseworker_id,
                  Caseworker.organisation == current_user.organisation_id)
           .first())
    if row is None:
        abort(404)
    return row


def _invalid() -> int:
    """Status of a form shown again with errors: htmx swaps only 2xx."""
    return htmx_status(422)


def _refused() -> int:
    """Status of a refused delete: 409, but 200 for htmx, which swaps only 2xx."""
    return htmx_status(409)


def _validating() -> bool:
    """An inline check of the form while typing: validate, never save."""
    return request.method == 'POST' and request.form.get('_validate') == '1'


def _audit(action: str, obj, detail: str = '') -> None:
    AuditEvent.record(action, actor=current_user._get_current_object(), obj=obj,
                      detail=detail, ip=request.remote_addr or '')


def _day_names() -> dict[int, str]:
    return get_day_names('wide', locale=get_locale())


def _team_choices() -> list[tuple[int, str]]:
    """The organisation's teams in tree order, each labelled with its path
    (clearer than indentation beside a checkbox, and read out in full)."""
    choices, path = [], []
    for team, depth in Team.tree(current_user.organisation_id):
        path[depth:] = [team.name]
        choices.append((team.id, ' › '.join(path)))
    return choices


def _competence_choices() -> list[tuple[int, str]]:
    return [(c.id, c.name) for c in Competence.select()
            .where(Competence.organisation == current_user.organisation_id)
            .order_by(fn.LOWER(Competence.name))]


TIME_PATTERN = re.compile(r'^(\d{1,2})[:.](\d{2})(?::00)?$')


def _parse_time(text: str) -> dt.time | None:
    """'8:30', '08:30' or '08.30' (the Danish way); None when not a time."""
    match = TIME_PATTERN.match(text or '')
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    return dt.time(hour, minute)


def _hhmm(value: dt.time | None) -> str:
    return value.strftime('%H:%M') if value else ''


def _schedule(caseworker: Caseworker) -> WeeklySchedule:
    return weekly_schedules([caseworker.id])[caseworker.id]


def _hours_text(hours) -> str:
    return ', '.join(f'{_hhmm(s)}–{_hhmm(e)}' for s, e in hours)


# --- forms ---------------------------------------------------------------------

class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _check_phone(form, field):
    value = (field.data or '').strip()
    if not value:
        field.data = ''
        return
    normalised = normalise_phone(value, _org().country)
    if normalised is None:
        raise ValidationError(_('Enter a valid phone number, with the country code '
                                'if it is not a local number.'))
    field.data = normalised


EMAIL_PATTERN = re.compile(r'^[^@\s]+@[^@\s]+\.[^@\s.]+$')


def _check_email(form, field):
    value = (field.data or '').strip().lower()
    field.data = value
    if not EMAIL_PATTERN.match(value):
        raise ValidationError(_('Enter a valid email address.'))
    if User.select().where(fn.LOWER(User.email) == value).exists():
        raise ValidationError(_('This email address already belongs to an account.'))


_strip = strip   # surrounding spaces and invisible characters never count


def _check_calendar_url(form, field):
    problem = calendar_sync.calendar_url_problem(field.data or '')
    if problem:
        raise ValidationError(problem)


class DetailsForm(FlaskForm):
    initials = StringField(_l('Initials'), [Optional(), Length(max=10)], filters=[_strip],
                           description=_l('Shown in lists such as the follow-up list.'))
    work_phone = StringField(_l('Work phone'), [Optional(), Length(max=30), _check_phone])
    can_be_summoned = BooleanField(
        _l('Can be summoned'), default=True,
        description=_l('Can be chosen when citizens are summoned to meetings.'))
    comment = TextAreaField(_l('Comment'), [Optional(), Length(max=2000)],
                            description=_l('Only administrators see this.'))
    calendar_url = StringField(
        _l('Calendar address (CalDAV)'), [Optional(), Length(max=300), _check_calendar_url],
        filters=[_strip],
        description=_l('Leave blank to use the calendar made for this caseworker on the '
                       'calendar server. Or the address of another calendar there.'))
    teams = MultiCheckboxField(
        _l('Teams'), coerce=int,
        validators=[DataRequired(message=_l('Choose at least one team.'))],
        description=_l('The teams this caseworker holds meetings for.'))
    competences = MultiCheckboxField(_l('Competences'), coerce=int)
    password = PasswordField(
        _l('New password'), [Optional(), Length(min=MIN_PASSWORD, max=200, message=_l(
            'Use at least %(min)d characters.', min=MIN_PASSWORD))],
        description=_l('Leave blank to keep the current password. Setting one '
                       'logs the caseworker out everywhere.'))

    def set_choices(self):
        self.teams.choices = _team_choices()
        self.competences.choices = _competence_choices()
        return self


class NewCaseworkerForm(DetailsForm):
    name = StringField(_l('Name'), [DataRequired(message=_l('Enter the name.')),
                                    Length(max=200)], filters=[_strip],
                       description=_l('Cannot be changed later.'))
    email = StringField(_l('Email'), [InputRequired(message=_l('Enter the email address.')),
                                      Length(max=254), _check_email],
                        description=_l('The login. Cannot be changed later.'))
    password = PasswordField(
        _l('Initial password'), [Optional(), Length(min=MIN_PASSWORD, max=200, message=_l(
            'Use at least %(min)d characters.', min=MIN_PASSWORD))],
        description=_l('Give it to the caseworker in person. Leave blank and the '
                       'caseworker cannot log in until an administrator sets one.'))


class SharesForm(FlaskForm):
    max_share = IntegerField(
        _l('Maximum meeting share (%)'),
        [InputRequired(message=_l('Enter a percentage from 1 to 100.')),
         NumberRange(1, 100, message=_l('Enter a percentage from 1 to 100.'))],
        description=_l('How much of the bookable time per day may be booked with '
                       'meetings. 100 is recommended: pauses are already left out.'))
    auto_share = IntegerField(
        _l('Automatic booking share (%)'),
        [InputRequired(message=_l('Enter a percentage from 1 to 100.')),
         NumberRange(1, 100, message=_l('Enter a percentage from 1 to 100.'))],
        description=_l('How much of the bookable time per day automatic distribution '
                       'may fill, at most the maximum share. For example 75 leaves '
                       'room for citizens who rebook.'))

    def validate_auto_share(self, field):
        if (field.data is not None and self.max_share.data is not None
                and 1 <= self.max_share.data <= 100 and field.data > self.max_share.data):
            raise ValidationError(_(
                'Cannot be more than the maximum meeting share (%(max)s %%).',
                max=self.max_share.data))


# --- list ----------------------------------------------------------------------

@bp.route('/')
def index():
    org_id = current_user.organisation_id
    query = (Caseworker.select(Caseworker, User).join(User)
             .where(Caseworker.organisation == org_id))
    search = (request.args.get('q') or '').strip()[:100]
    if search:
        like = f'%{search.lower()}%'
        query = query.where(fn.LOWER(User.name) ** like
                            | fn.LOWER(Caseworker.initials) ** like
                            | fn.LOWER(User.email) ** like)
    team_choices = _team_choices()
    team_id = request.args.get('team', '')
    if team_id.isdigit() and int(team_id) in dict(team_choices):
        query = query.where(Caseworker.id.in_(
            CaseworkerTeam.select(CaseworkerTeam.caseworker)
            .where(CaseworkerTeam.team == int(team_id))))
    else:
        team_id = ''
    caseworkers = list(query.order_by(fn.LOWER(User.name), Caseworker.id))
    teams = defaultdict(list)
    if caseworkers:
        for link in (CaseworkerTeam.select(CaseworkerTeam, Team).join(Team)
                     .where(CaseworkerTeam.caseworker.in_([c.id for c in caseworkers]))
                     .order_by(Team.name)):
            teams[link.caseworker_id].append(link.team.name)
    return render('admin/caseworkers/index.html', {LIST_TARGET: 'list'},
                  caseworkers=caseworkers, teams=teams, search=search,
                  team_choices=team_choices, team_id=team_id)


# --- create --------------------------------------------------------------------

@bp.route('/new', methods=['GET', 'POST'])
def new():
    form = NewCaseworkerForm().set_choices()
    if request.method == 'POST' and form.validate() and not _validating():
        created = _create(form)
        if created is not None:
            flash(_('Caseworker %(name)s created. Now set the bookable hours.',
                    name=created.user.name), 'success')
            return see_other('.hours', caseworker_id=created.id)
    if _validating():
        return render('admin/caseworkers/new.html', only_block='form', form=form)
    status = _invalid() if request.method == 'POST' else 200
    return render('admin/caseworkers/new.html', {FORM_TARGET: 'form'}, form=form), status


def _create(form: NewCaseworkerForm) -> Caseworker | None:
    try:
        with db.atomic():
            user = User(organisation=current_user.organisation_id, role=User.CASEWORKER,
                        name=form.name.data.strip(), email=form.email.data)
            if form.password.data:
                user.set_password(form.password.data)
            user.save()
            caseworker = Caseworker.create(user=user, organisation=user.organisation_id)
            _save_details(caseworker, form)
    except IntegrityError:
        # Someone took the address between the check and the insert.
        form.email.errors = list(form.email.errors) + [
            _('This email address already belongs to an account.')]
        return None
    caseworker.user = user
    _audit('caseworker.create', caseworker)
    return caseworker


def _save_details(caseworker: Caseworker, form: DetailsForm) -> None:
    """Everything of the details tab except name, email and password."""
    caseworker.initials = (form.initials.data or '').strip()
    caseworker.work_phone = form.work_phone.data or ''
    caseworker.can_be_summoned = bool(form.can_be_summoned.data)
    caseworker.comment = (form.comment.data or '').strip()
    caseworker.calendar_url = (form.calendar_url.data or '').strip()
    caseworker.save()
    CaseworkerTeam.delete().where(CaseworkerTeam.caseworker == caseworker).execute()
    CaseworkerTeam.insert_many([{'caseworker': caseworker.id, 'team': t}
                                for t in sorted(set(form.teams.data))]).execute()
    CaseworkerCompetence.delete().where(
        CaseworkerCompetence.caseworker == caseworker).execute()
    if form.competences.data:
        CaseworkerCompetence.insert_many(
            [{'caseworker': caseworker.id, 'competence': c}
             for c in sorted(set(form.competences.data))]).execute()


# --- tab: details -------------------------------------------------------------

TABS = (
    ('admin_caseworkers.edit', _l('Details')),
    ('admin_caseworkers.hours', _l('Bookable hours')),
    ('admin_caseworkers.shares', _l('Meeting share')),
    ('admin_caseworkers.pauses', _l('Pauses')),
    ('admin_caseworkers.delete', _l('Delete')),
)


def _tab(template: str, caseworker: Caseworker, status: int = 200, **context):
    return render(template, {TABS_TARGET: 'tabs'}, caseworker=caseworker,
                  tabs=TABS, **context), status


def _tab_block(template: str, caseworker: Caseworker, **context):
    """Only the tab panel: the answer to an inline check while typing."""
    return render(template, only_block='tabs', caseworker=caseworker, tabs=TABS, **context)


@bp.route('/<int:caseworker_id>', methods=['GET', 'POST'])
def edit(caseworker_id):
    caseworker = _caseworker_or_404(caseworker_id)
    if request.method == 'POST':
        form = DetailsForm().set_choices()
    else:
        form = DetailsForm(obj=caseworker).set_choices()
        form.teams.data = [link.team_id for link in caseworker.team_links]
        form.competences.data = [link.competence_id for link in caseworker.competence_links]
    if request.method == 'POST' and form.validate() and not _validating():
        # Name and email are never read from the form: they are locked.
        with db.atomic():
            _save_details(caseworker, form)
            if form.password.data:
                user = caseworker.user
                user.set_password(form.password.data)
                user.save(only=[User.password_hash])
                UserSession.delete().where(UserSession.user == user).execute()
        _audit('caseworker.update', caseworker,
               'password set' if form.password.data else '')
        flash(_('Saved.'), 'success')
        return see_other('.edit', caseworker_id=caseworker.id)
    if _validating():
        return _tab_block('admin/caseworkers/edit.html', caseworker, form=form)
    status = _invalid() if request.method == 'POST' else 200
    return _tab('admin/caseworkers/edit.html', caseworker, status, form=form)


# --- tab: bookable hours ---------------------------------------------------------

HOURS_MESSAGES = {
    HOURS_END_BEFORE_START: _l('The end must be after the start.'),
    HOURS_OVERLAP: _l('The ranges overlap.'),
    PAUSE_OUTSIDE_HOURS: _l('A pause on this day falls outside these hours. '
                            'Change the pauses first.'),
}


def _hours_from_form(days) -> tuple[dict, dict, dict]:
    """Posted from-to per weekday in `days`: (texts, parsed hours, errors)."""
    texts, hours, errors = {}, {}, {}
    for day in days:
        start_text = (request.form.get(f'start-{day}') or '').strip()[:10]
        end_text = (request.form.get(f'end-{day}') or '').strip()[:10]
        texts[day] = (start_text, end_text)
        if not start_text and not end_text:
            continue
        if not start_text or not end_text:
            errors[day] = _('Enter both from and to, or leave both blank.')
            continue
        start, end = _parse_time(start_text), _parse_time(end_text)
        if start is None or end is None:
            errors[day] = _('Enter times as hh:mm, for example 08:30.')
            continue
        hours[day] = [(start, end)]
    return texts, hours, errors


def _check_hours(hours: dict, pauses, errors: dict) -> None:
    """Schedule problems of the new hours with the saved pauses, per day."""
    for problem in validate_schedule(WeeklySchedule(hours=hours, pauses=pauses)):
        if problem.weekday not in errors:
            errors[problem.weekday] = str(HOURS_MESSAGES.get(
                problem.code, _('These hours do not fit the pauses of this day.')))


def _save_hours(caseworker: Caseworker, hours: dict) -> None:
    with db.atomic():
        WorkingHours.delete().where(WorkingHours.caseworker == caseworker).execute()
        rows = [{'caseworker': caseworker.id, 'weekday': day, 'start': s, 'end': e}
                for day, ranges in sorted(hours.items()) for s, e in ranges]
        if rows:
            WorkingHours.insert_many(rows).execute()


def _saved_hours_texts(schedule: WeeklySchedule) -> dict:
    texts = {}
    for day in WEEKDAYS:
        ranges = schedule.hours.get(day) or [(None, None)]
        texts[day] = (_hhmm(ranges[0][0]), _hhmm(ranges[0][1]))
    return texts


def _hours_page(caseworker, texts, errors, status=200):
    return _tab('admin/caseworkers/hours.html', caseworker, status,
                texts=texts, errors=errors, day_names=_day_names())


@bp.route('/<int:caseworker_id>/hours', methods=['GET', 'POST'])
def hours(caseworker_id):
    caseworker = _caseworker_or_404(caseworker_id)
    schedule = _schedule(caseworker)
    if request.method == 'GET':
        return _hours_page(caseworker, _saved_hours_texts(schedule), {})
    texts, new_hours, errors = _hours_from_form(WEEKDAYS)
    _check_hours(new_hours, schedule.pauses, errors)
    if errors:
        return _hours_page(caseworker, texts, errors, _invalid())
    _save_hours(caseworker, new_hours)
    _audit('caseworker.hours', caseworker)
    flash(_('Bookable hours saved.'), 'success')
    return see_other('.hours', caseworker_id=caseworker.id)


@bp.route('/<int:caseworker_id>/hours/copy-monday', methods=['POST'])
def hours_copy_monday(caseworker_id):
    """Monday's hours to every day. Uses Monday as posted (the button sits in
    the hours form), else as saved."""
    caseworker = _caseworker_or_404(caseworker_id)
    schedule = _schedule(caseworker)
    if 'start-0' in request.form or 'end-0' in request.form:
        texts, monday, errors = _hours_from_form(WEEKDAYS)
        monday_hours = monday.get(0)
        errors = {0: errors[0]} if 0 in errors else {}
    else:
        monday_hours = schedule.hours.get(0)
        texts, errors = _saved_hours_texts(schedule), {}
    if not errors and not monday_hours:
        errors[0] = _('Enter Monday’s hours first.')
    if not errors:
        new_hours = {day: list(monday_hours) for day in WEEKDAYS}
        _check_hours(new_hours, schedule.pauses, errors)
        for day in list(errors):
            if day != 0:
                errors[day] = _('Monday’s hours cannot be copied here: a pause on '
                                'this day falls outside them. Change the pauses first.')
    if errors:
        return _hours_page(caseworker, texts, errors, _invalid())
    _save_hours(caseworker, new_hours)
    _audit('caseworker.hours', caseworker, 'copied from Monday')
    flash(_('Monday’s hours were copied to all days.'), 'success')
    return see_other('.hours', caseworker_id=caseworker.id)


# --- tab: meeting share -----------------------------------------------------------

@bp.route('/<int:caseworker_id>/shares', methods=['GET', 'POST'])
def shares(caseworker_id):
    caseworker = _caseworker_or_404(caseworker_id)
    form = SharesForm(obj=caseworker) if request.method == 'GET' else SharesForm()
    if request.method == 'POST' and form.validate() and not _validating():
        caseworker.max_share = form.max_share.data
        caseworker.auto_share = form.auto_share.data
        caseworker.save(only=[Caseworker.max_share, Caseworker.auto_share])
        _audit('caseworker.shares', caseworker,
               f'max {caseworker.max_share}, auto {caseworker.auto_share}')
        flash(_('Meeting shares saved.'), 'success')
        return see_other('.shares', caseworker_id=caseworker.id)
    if _validating():
        return _tab_block('admin/caseworkers/shares.html', caseworker, form=form)
    status = _invalid() if request.method == 'POST' else 200
    return _tab('admin/caseworkers/shares.html', caseworker, status, form=form)


# --- tab: pauses -----------------------------------------------------------------

def _pause_messages() -> dict:
    return {
        PAUSE_END_BEFORE_START: _('The end must be after the start.'),
        PAUSES_OVERLAP: _('Overlaps another pause on this day.'),
        TOO_MANY_PAUSES: _('At most %(n)d pauses per day.', n=MAX_PAUSES_PER_DAY),
    }


def _outside_message(day_hours) -> str:
    if not day_hours:
        return _('This day has no bookable hours, so it cannot have pauses.')
    return _('The pause must lie within the bookable hours (%(hours)s).',
             hours=_hours_text(day_hours))


class DayPauses:
    """One weekday of the pause form: its rows, as typed, and their errors."""

    def __init__(self, day: int, name: str, hours):
        self.day, self.name, self.hours = day, name, list(hours or ())
        self.rows: list[dict] = []      # {'label', 'start', 'end', 'error'}
        self.errors: list[str] = []

    @property
    def hours_text(self) -> str:
        return _hours_text(self.hours)

    def padded_rows(self) -> list[dict]:
        """The rows plus empty ones, up to four, on a day with bookable hours."""
        blanks = (max(0, MAX_PAUSES_PER_DAY - len(self.rows)) if self.hours else 0)
        return self.rows + [{'label': '', 'start': '', 'end': '', 'error': ''}] * blanks

    def ranges(self) -> list[tuple[dt.time, dt.time]]:
        return [row['range'] for row in self.rows if row.get('range')]

    @property
    def has_errors(self) -> bool:
        return bool(self.errors or any(row['error'] for row in self.rows))


def _days_from_saved(caseworker: Caseworker, schedule: WeeklySchedule) -> list[DayPauses]:
    names = _day_names()
    days = [DayPauses(d, names[d], schedule.hours.get(d)) for d in WEEKDAYS]
    for pause in (Pause.select().where(Pause.caseworker == caseworker)
                  .order_by(Pause.weekday, Pause.start, Pause.id)):
        if 0 <= pause.weekday <= 6:
            days[pause.weekday].rows.append({
                'label': pause.label, 'start': _hhmm(pause.start),
                'end': _hhmm(pause.end), 'error': '', 'range': (pause.start, pause.end)})
    return days


PAUSE_FIELD = re.compile(r'^pause-([0-6])-(\d+)-(label|start|end)$')


def _days_from_form(schedule: WeeklySchedule) -> list[DayPauses]:
    """Posted rows, blank ones dropped, times parsed; row errors for what is
    not a time or half filled."""
    names = _day_names()
    days = [DayPauses(d, names[d], schedule.hours.get(d)) for d in WEEKDAYS]
    posted = defaultdict(dict)
    for key, value in request.form.items():
        match = PAUSE_FIELD.match(key)
        if not match:
            continue
        if len(match.group(2)) > 3 or int(match.group(2)) >= MAX_PAUSE_ROWS:
            abort(400)    # not from our form; never drop a row silently
        posted[(int(match.group(1)), int(match.group(2)))][match.group(3)] = \
            (value or '').strip()
    for (day, _index), fields in sorted(posted.items()):
        row = {'label': fields.get('label', '')[:60], 'start': fields.get('start', '')[:10],
               'end': fields.get('end', '')[:10], 'error': ''}
        if not (row['label'] or row['start'] or row['end']):
            continue
        if not row['start'] or not row['end']:
            row['error'] = _('Enter both from and to.')
        else:
            start, end = _parse_time(row['start']), _parse_time(row['end'])
            if start is None or end is None:
                row['error'] = _('Enter times as hh:mm, for example 12:00.')
            else:
                row['range'] = (start, end)
        days[day].rows.append(row)
    return days


def _check_pauses(days: list[DayPauses]) -> bool:
    """Schedule problems placed where they are: on the pause row (end before
    start, outside the hours, overlap) or on the day (a fifth pause). The
    rules themselves are the scheduling package's; this only locates them."""
    messages = _pause_messages()
    for day in days:
        def codes(pauses):
            schedule = WeeklySchedule(hours={day.day: day.hours},
                                      pauses={day.day: pauses})
            return {p.code for p in validate_schedule(schedule)}

        with_range = [row for row in day.rows if row.get('range') and not row['error']]
        for row in with_range:
            found = codes([row['range']])
            if PAUSE_END_BEFORE_START in found:
                row['error'] = messages[PAUSE_END_BEFORE_START]
            elif PAUSE_OUTSIDE_HOURS in found:
                row['error'] = _outside_message(day.hours)
        clean = [row for row in with_range if not row['error']]
        for first, second in combinations(clean, 2):
            if PAUSES_OVERLAP in codes([first['range'], second['range']]):
                for row in (first, second):
                    row['error'] = row['error'] or messages[PAUSES_OVERLAP]
        # The whole day once more: a fifth pause, and anything not placed above.
        for code in codes([row['range'] for row in day.rows if row.get('range')]):
            if code == TOO_MANY_PAUSES:
                day.errors.append(messages[TOO_MANY_PAUSES])
            elif not any(row['error'] for row in day.rows):
                day.errors.append(messages.get(code) or _outside_message(day.hours))
        if len(day.rows) > MAX_PAUSES_PER_DAY and messages[TOO_MANY_PAUSES] not in day.errors:
            day.errors.append(messages[TOO_MANY_PAUSES])
    return not any(day.has_errors for day in days)


def _save_pauses(caseworker: Caseworker, pauses: dict[int, list]) -> None:
    """Replace every fixed pause of the caseworker: {weekday: [(start, end, label)]}."""
    with db.atomic():
        Pause.delete().where(Pause.caseworker == caseworker).execute()
        rows = [{'caseworker': caseworker.id, 'weekday': day, 'start': s, 'end': e,
                 'label': label}
                for day, items in sorted(pauses.items()) for s, e, label in items]
        if rows:
            Pause.insert_many(rows).execute()


def _rows_to_save(day: DayPauses) -> list:
    return [(row['range'][0], row['range'][1], row['label'])
            for row in sorted(day.rows, key=lambda r: r['range'])]


def _pauses_page(caseworker, days, status=200, copy_error='', copy_source=''):
    others = (Caseworker.select(Caseworker, User).join(User)
              .where(Caseworker.organisation == current_user.organisation_id,
                     Caseworker.id != caseworker.id)
              .order_by(fn.LOWER(User.name)))
    return _tab('admin/caseworkers/pauses.html', caseworker, status, days=days,
                others=list(others), copy_error=copy_error, copy_source=copy_source,
                max_pauses=MAX_PAUSES_PER_DAY)


@bp.route('/<int:caseworker_id>/pauses', methods=['GET', 'POST'])
def pauses(caseworker_id):
    caseworker = _caseworker_or_404(caseworker_id)
    schedule = _schedule(caseworker)
    if request.method == 'GET':
        return _pauses_page(caseworker, _days_from_saved(caseworker, schedule))
    days = _days_from_form(schedule)
    if not _check_pauses(days):
        return _pauses_page(caseworker, days, _invalid())
    _save_pauses(caseworker, {day.day: _rows_to_save(day) for day in days})
    _audit('caseworker.pauses', caseworker)
    flash(_('Pauses saved.'), 'success')
    return see_other('.pauses', caseworker_id=caseworker.id)


@bp.route('/<int:caseworker_id>/pauses/copy-monday', methods=['POST'])
def pauses_copy_monday(caseworker_id):
    """Monday's pauses (as posted, else as saved) to every other day that has
    bookable hours; a day they do not fit stops the copy and is named."""
    caseworker = _caseworker_or_404(caseworker_id)
    schedule = _schedule(caseworker)
    posted = any(PAUSE_FIELD.match(key) for key in request.form)
    days = _days_from_form(schedule) if posted else _days_from_saved(caseworker, schedule)
    monday = days[0]
    if not _check_pauses([monday]):
        return _pauses_page(caseworker, days, _invalid())
    if not monday.rows:
        monday.errors.append(_('Enter Monday’s pauses first.'))
        return _pauses_page(caseworker, days, _invalid())
    result = {0: _rows_to_save(monday)}
    for day in days[1:]:
        day.errors = []
        for row in day.rows:
            row['error'] = ''
        if not day.hours:
            result[day.day] = []
            continue
        found = validate_schedule(WeeklySchedule(hours={day.day: day.hours},
                                                 pauses={day.day: monday.ranges()}))
        if found:
            day.errors.append(_('Monday’s pauses do not fit within this day’s bookable '
                                'hours (%(hours)s). Change the hours or the pauses.',
                                hours=day.hours_text))
        else:
            result[day.day] = list(result[0])
    if any(day.errors for day in days):
        return _pauses_page(caseworker, days, _invalid())
    _save_pauses(caseworker, result)
    _audit('caseworker.pauses', caseworker, 'copied from Monday')
    flash(_('Monday’s pauses were copied to every day with bookable hours.'), 'success')
    return see_other('.pauses', caseworker_id=caseworker.id)


@bp.route('/<int:caseworker_id>/pauses/copy-from', methods=['POST'])
def pauses_copy_from(caseworker_id):
    """Every pause of another caseworker of the organisation, replacing these.
    Days without bookable hours here get none; a day where the pauses fall
    outside the hours stops the copy."""
    caseworker = _caseworker_or_404(caseworker_id)
    source = _caseworker_or_404(request.form.get('source'))
    schedule = _schedule(caseworker)
    days = _days_from_saved(caseworker, schedule)
    if source.id == caseworker.id:
        return _pauses_page(caseworker, days, _invalid(), copy_source=str(source.id),
                            copy_error=_('Choose another caseworker.'))
    source_days = _days_from_saved(source, _schedule(source))
    result, misfits, skipped = {}, [], []
    for here, there in zip(days, source_days):
        if not there.rows:
            result[here.day] = []
        elif not here.hours:
            result[here.day] = []
            skipped.append(here.name)
        elif validate_schedule(WeeklySchedule(hours={here.day: here.hours},
                                              pauses={here.day: there.ranges()})):
            misfits.append(here.name)
        else:
            result[here.day] = _rows_to_save(there)
    if misfits:
        return _pauses_page(
            caseworker, days, _invalid(), copy_source=str(source.id),
            copy_error=_('The pauses of %(name)s fall outside this caseworker’s bookable '
                         'hours on %(days)s. Nothing was copied.',
                         name=source.user.name, days=', '.join(misfits)))
    _save_pauses(caseworker, result)
    _audit('caseworker.pauses', caseworker, f'copied from caseworker {source.id}')
    flash(_('The pauses of %(name)s were copied.', name=source.user.name), 'success')
    if skipped:
        flash(_('Not copied to %(days)s: no bookable hours on those days.',
                days=', '.join(skipped)), 'info')
    return see_other('.pauses', caseworker_id=caseworker.id)


# --- delete --------------------------------------------------------------------

@bp.route('/<int:caseworker_id>/delete', methods=['GET', 'POST'])
def delete(caseworker_id):
    """GET asks for confirmation; POST deletes unless meetings are still booked."""
    caseworker = _caseworker_or_404(caseworker_id)
    if request.method == 'POST':
        name = caseworker.user.name
        try:
            with db.atomic():
                if db.for_update:     # PostgreSQL: hold the row against a booking
                    list(Caseworker.select().where(Caseworker.id == caseworker.id)
                         .for_update())
                active = list(caseworker.active_meetings())
                if not active:
                    # Past and cancelled meetings stay, without their caseworker.
                    Meeting.update(caseworker=None).where(
                        Meeting.caseworker == caseworker).execute()
                    _audit('caseworker.delete', caseworker, name)
                    caseworker.user.delete_instance()
        except IntegrityError:
            # Still referred to by something that forbids it (and rolled back).
            return _delete_page(caseworker, [], _refused(), error=_(
                'The caseworker is still in use elsewhere and cannot be deleted.'))
        if not active:
            flash(_('Caseworker %(name)s deleted.', name=name), 'success')
            return see_other('.index')
        return _delete_page(caseworker, active, _refused())
    return _delete_page(caseworker, list(caseworker.active_meetings()))


def _delete_page(caseworker, active, status=200, error=''):
    past = (Meeting.select().where(Meeting.caseworker == caseworker).count()
            - len(active))
    # Named as in the other admin areas, the first SHOW_MEETINGS of them.
    return _tab('admin/caseworkers/delete.html', caseworker, status,
                active=[meeting_label(m) for m in active[:SHOW_MEETINGS]],
                more=len(active) > SHOW_MEETINGS, past=past, error=error)
