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
from peewee import IntegrityError, fn
from wtforms import (BooleanField, FieldList, FormField, IntegerField, PasswordField,
                     SelectMultipleField, StringField, TextAreaField)
from wtforms.utils import unset_value
from wtforms.validators import (DataRequired, InputRequired, Length, NumberRange, Optional,
                                ValidationError)
from wtforms.widgets import CheckboxInput, ListWidget

from blueprints.admin.home import section
from blueprints.baseform import Form, SubForm
from blueprints.forms import SHOW_MEETINGS, meeting_label, strip
from common.validators import normalise_phone
from models import (AuditEvent, Caseworker, CaseworkerCompetence, CaseworkerTeam, Competence,
                    Meeting, Pause, Team, User, UserSession, WorkingHours, db,
                    text_contains)
from planner import calendar_sync
from planner.loading import weekly_schedules
from scheduling.availability import (HOURS_END_BEFORE_START, HOURS_OVERLAP, MAX_PAUSES_PER_DAY,
                                     PAUSE_END_BEFORE_START, PAUSE_OUTSIDE_HOURS, PAUSES_OVERLAP,
                                     TOO_MANY_PAUSES, WeeklySchedule, validate_schedule)
from web import htmx_status, job_centre_admin, render, see_other

bp = Blueprint('admin_caseworkers', __name__, url_prefix='/admin/caseworkers')
section('admin_caseworkers.index', _l('Caseworkers'), order=20)

WEEKDAYS = range(7)            # 0 = Monday, as WorkingHours and Pause store them
COPY_WORKDAYS = range(1, 5)    # 'Copy Monday': Tuesday to Friday
COPY_WITH_WEEKEND = range(1, 7)
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


class DetailsForm(Form):
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


class SharesForm(Form):
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
        query = query.where(text_contains(User.name, search)
                            | text_contains(Caseworker.initials, search)
                            | text_contains(User.email, search))
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
    syncing = calendar_sync.enabled()
    old_url = calendar_sync.calendar_url(caseworker, caseworker.user.email) if syncing else ''
    caseworker.calendar_url = (form.calendar_url.data or '').strip()
    caseworker.save()
    if syncing and calendar_sync.calendar_url(caseworker, caseworker.user.email) != old_url:
        # The events move with the address (in this transaction, rule 4).
        calendar_sync.queue_caseworker(caseworker, old_url)
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

def _clip(length: int):
    """A filter: the text without surrounding spaces, at most `length` long."""
    def clip(value):
        return (value or '').strip()[:length]
    return clip


def _add_error(field, message) -> None:
    """A message on a field after validation (its errors may still be a tuple)."""
    field.errors = [*field.errors, str(message)]


class TimeRangeForm(SubForm):
    """One from-to row, typed as 8:30, 08:30 or 08.30: a weekday's bookable
    hours or a pause. A blank row is no row. A half-filled row, or a text
    that is not a time, is a message on the field concerned; the row's own
    messages (it does not fit the schedule) are its form_errors."""
    start = StringField(filters=[_clip(10)])
    end = StringField(filters=[_clip(10)])
    missing_message = format_message = ''    # worded by each kind of row

    def is_blank(self) -> bool:
        return not (self.start.data or self.end.data)

    def posted(self) -> bool:
        """Whether the request had any of the row's fields, blank or not."""
        return any(field.raw_data for field in self)

    @property
    def range(self) -> tuple[dt.time, dt.time] | None:
        start, end = _parse_time(self.start.data), _parse_time(self.end.data)
        return (start, end) if start is not None and end is not None else None

    def validate_start(self, field):
        self._check_time(field)

    def validate_end(self, field):
        self._check_time(field)

    def _check_time(self, field):
        if not field.data:
            if not self.is_blank():
                raise ValidationError(str(self.missing_message))
        elif self.start.data and self.end.data and _parse_time(field.data) is None:
            raise ValidationError(str(self.format_message))

    def messages(self) -> list[str]:
        """Every message of the row once: its own, then its fields'."""
        found = [*self.form_errors, *(message for field in self for message in field.errors)]
        return list(dict.fromkeys(str(message) for message in found))


class WeekRows(FieldList):
    """One entry per weekday, Monday first, always all seven: entry i is
    posted as `<name>-<i>-<field>`; a day not posted is blank, any other
    index is no day and ignored."""

    def __init__(self, unbound_field, **kwargs):
        super().__init__(unbound_field, min_entries=len(WEEKDAYS),
                         max_entries=len(WEEKDAYS), **kwargs)

    def _extract_indices(self, prefix, formdata):
        return WEEKDAYS


class HoursRowForm(TimeRangeForm):
    missing_message = _l('Enter both from and to, or leave both blank.')
    format_message = _l('Enter times as hh:mm, for example 08:30.')


class HoursForm(Form):
    """The bookable hours of the week: `hours-<weekday>-start` and `-end`."""
    hours = WeekRows(FormField(HoursRowForm))

    @property
    def rows(self) -> list[HoursRowForm]:
        return [entry.form for entry in self.hours]

    def week(self) -> dict:
        """{weekday: [(start, end)]} of the days with hours that are times."""
        return {day: [row.range] for day, row in zip(WEEKDAYS, self.rows) if row.range}

    def has_errors(self) -> bool:
        return any(row.messages() for row in self.rows)


HOURS_MESSAGES = {
    HOURS_END_BEFORE_START: _l('The end must be after the start.'),
    HOURS_OVERLAP: _l('The ranges overlap.'),
    PAUSE_OUTSIDE_HOURS: _l('A pause on this day falls outside these hours. '
                            'Change the pauses first.'),
}


def _check_hours(form: HoursForm, hours: dict, pauses, copied=()) -> None:
    """Schedule problems of `hours` with the saved pauses, each on its day's
    row unless that has a message already: an end before the start at the
    end, anything else at the row. `copied`: the days Monday's hours were
    copied to, so a problem on one of them is named as that."""
    rows = form.rows
    for problem in validate_schedule(WeeklySchedule(hours=hours, pauses=pauses)):
        if problem.weekday not in WEEKDAYS or rows[problem.weekday].messages():
            continue
        row = rows[problem.weekday]
        if problem.weekday in copied and problem.weekday != 0:
            row.form_errors.append(_('Monday’s hours cannot be copied here: a pause on '
                                     'this day falls outside them. Change the pauses first.'))
        elif problem.code == HOURS_END_BEFORE_START:
            _add_error(row.end, HOURS_MESSAGES[HOURS_END_BEFORE_START])
        else:
            row.form_errors.append(str(HOURS_MESSAGES.get(
                problem.code, _('These hours do not fit the pauses of this day.'))))


def _save_hours(caseworker: Caseworker, hours: dict) -> None:
    with db.atomic():
        WorkingHours.delete().where(WorkingHours.caseworker == caseworker).execute()
        rows = [{'caseworker': caseworker.id, 'weekday': day, 'start': s, 'end': e}
                for day, ranges in sorted(hours.items()) for s, e in ranges]
        if rows:
            WorkingHours.insert_many(rows).execute()


def _saved_hours_form(schedule: WeeklySchedule) -> HoursForm:
    rows = []
    for day in WEEKDAYS:
        start, end = (schedule.hours.get(day) or [(None, None)])[0]
        rows.append({'start': _hhmm(start), 'end': _hhmm(end)})
    return HoursForm(formdata=None, data={'hours': rows})


def _hours_page(caseworker, form, status=200):
    return _tab('admin/caseworkers/hours.html', caseworker, status,
                form=form, day_names=_day_names())


@bp.route('/<int:caseworker_id>/hours', methods=['GET', 'POST'])
def hours(caseworker_id):
    caseworker = _caseworker_or_404(caseworker_id)
    schedule = _schedule(caseworker)
    if request.method == 'GET':
        return _hours_page(caseworker, _saved_hours_form(schedule))
    form = HoursForm()
    valid = form.validate()
    new_hours = form.week()
    _check_hours(form, new_hours, schedule.pauses)
    if not valid or form.has_errors():
        return _hours_page(caseworker, form, _invalid())
    _save_hours(caseworker, new_hours)
    _audit('caseworker.hours', caseworker)
    flash(_('Bookable hours saved.'), 'success')
    return see_other('.hours', caseworker_id=caseworker.id)


def _copy_targets() -> range:
    """The days 'Copy Monday' fills: Tuesday to Friday, the weekend too only
    when asked for explicitly (citizens would otherwise be offered weekend
    times nobody meant to open)."""
    return COPY_WITH_WEEKEND if request.form.get('weekend') == '1' else COPY_WORKDAYS


def _copied_message(targets, what: str) -> str:
    if targets == COPY_WITH_WEEKEND:
        return (_('Monday’s hours were copied to every day of the week.') if what == 'hours'
                else _('Monday’s pauses were copied to every day with bookable hours.'))
    return (_('Monday’s hours were copied to Tuesday to Friday.') if what == 'hours'
            else _('Monday’s pauses were copied to Tuesday to Friday.'))


@bp.route('/<int:caseworker_id>/hours/copy-monday', methods=['POST'])
def hours_copy_monday(caseworker_id):
    """Monday's hours to Tuesday-Friday (and the weekend when asked). Uses
    the week as posted (the button sits in the hours form), else as saved;
    the days not copied to keep what the form shows."""
    caseworker = _caseworker_or_404(caseworker_id)
    schedule = _schedule(caseworker)
    targets = _copy_targets()
    form = HoursForm()
    if not form.rows[0].posted():
        form = _saved_hours_form(schedule)
    monday = form.rows[0]
    if monday.validate() and monday.range is None:
        monday.form_errors.append(_('Enter Monday’s hours first.'))
    kept = [day for day in WEEKDAYS if day != 0 and day not in targets]
    for day in kept:
        form.rows[day].validate()
    # A kept day the request did not post keeps its saved hours.
    new_hours = {day: [form.rows[day].range] if form.rows[day].posted()
                 else list(schedule.hours.get(day) or ()) for day in kept}
    new_hours = {day: ranges for day, ranges in new_hours.items() if ranges and ranges[0]}
    new_hours.update({day: [monday.range] for day in (0, *targets)})
    if not form.has_errors():
        _check_hours(form, new_hours, schedule.pauses, copied=targets)
    if form.has_errors():
        return _hours_page(caseworker, form, _invalid())
    _save_hours(caseworker, new_hours)
    _audit('caseworker.hours', caseworker, 'copied from Monday')
    flash(_copied_message(targets, 'hours'), 'success')
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


class PostedRows(FieldList):
    """Rows as posted, `<name>-<index>-<field>` with any index below
    max_entries, in index order and numbered afresh; rows left blank are
    dropped. `posted`: whether the request had any rows, blank or not. A
    higher or malformed index is no form of ours: 400 (dropping its row
    silently would lose a pause)."""
    posted = False

    def process(self, formdata, data=unset_value, extra_filters=None):
        super().process(formdata, data, extra_filters)
        self.posted = bool(formdata) and bool(self.entries)
        for index in reversed(range(len(self.entries))):
            if self.entries[index].form.is_blank():
                self.pop_entry(index)

    def _extract_indices(self, prefix, formdata):
        start = prefix + '-'
        for key in formdata:
            index = key[len(start):].split('-', 1)[0] if key.startswith(start) else ''
            if not index.isdigit():
                continue
            if not index.isascii() or len(index) > 3 or int(index) >= self.max_entries:
                abort(400)
            yield int(index)


class PauseRowForm(TimeRangeForm):
    label = StringField(filters=[_clip(60)])
    missing_message = _l('Enter both from and to.')
    format_message = _l('Enter times as hh:mm, for example 12:00.')

    def is_blank(self) -> bool:
        return super().is_blank() and not self.label.data


class DayPausesForm(SubForm):
    """The pauses of one weekday. `weekday`, `name` and `hours` (its bookable
    hours) come from PausesForm.for_week; a message about the whole day (a
    fifth pause) is one of its form_errors."""
    rows = PostedRows(FormField(PauseRowForm), max_entries=MAX_PAUSE_ROWS)
    weekday, name, hours = 0, '', ()

    def filled(self) -> list[PauseRowForm]:
        return [entry.form for entry in self.rows if not entry.form.is_blank()]

    def ranges(self) -> list[tuple[dt.time, dt.time]]:
        return [row.range for row in self.filled() if row.range]

    def to_save(self) -> list:
        return [(*row.range, row.label.data)
                for row in sorted(self.filled(), key=lambda row: row.range)]

    @property
    def hours_text(self) -> str:
        return _hours_text(self.hours)

    def has_errors(self) -> bool:
        return bool(self.form_errors or any(row.messages() for row in self.filled()))

    def clear_errors(self) -> None:
        self.form_errors = []
        for row in self.filled():
            row.form_errors = []
            for field in row:
                field.errors = []

    def pad(self) -> None:
        """Empty rows to fill in, up to four, on a day with bookable hours."""
        while self.hours and len(self.rows) < MAX_PAUSES_PER_DAY:
            self.rows.append_entry()


class PausesForm(Form):
    """The fixed pauses of the week: `pauses-<weekday>-rows-<n>-start`,
    `-end` and `-label`."""
    pauses = WeekRows(FormField(DayPausesForm))

    def for_week(self, schedule: WeeklySchedule) -> PausesForm:
        names = _day_names()
        for day, entry in zip(WEEKDAYS, self.pauses):
            entry.form.weekday, entry.form.name = day, names[day]
            entry.form.hours = list(schedule.hours.get(day) or ())
        return self

    @property
    def days(self) -> list[DayPausesForm]:
        return [entry.form for entry in self.pauses]

    def posted(self) -> bool:
        return any(day.rows.posted for day in self.days)

    def is_empty(self) -> bool:
        return not any(day.filled() for day in self.days)


def _saved_pauses(caseworker: Caseworker) -> dict[int, list]:
    """{weekday: [(start, end, label)]} of the caseworker, in time order."""
    saved = defaultdict(list)
    for pause in (Pause.select().where(Pause.caseworker == caseworker)
                  .order_by(Pause.weekday, Pause.start, Pause.id)):
        saved[pause.weekday].append((pause.start, pause.end, pause.label))
    return saved


def _saved_pauses_form(caseworker: Caseworker, schedule: WeeklySchedule) -> PausesForm:
    saved = _saved_pauses(caseworker)
    days = [{'rows': [{'start': _hhmm(start), 'end': _hhmm(end), 'label': label}
                      for start, end, label in saved.get(day, ())]} for day in WEEKDAYS]
    return PausesForm(formdata=None, data={'pauses': days}).for_week(schedule)


def _codes(day: DayPausesForm, ranges) -> set[str]:
    """What the scheduling rules find wrong with these pauses on the day."""
    schedule = WeeklySchedule(hours={day.weekday: day.hours}, pauses={day.weekday: ranges})
    return {problem.code for problem in validate_schedule(schedule)}


def _check_pauses(days: list[DayPausesForm]) -> bool:
    """Schedule problems placed where they are: on the pause row (end before
    start at the end, outside the hours, overlap) or on the day (a fifth
    pause). The rules themselves are the scheduling package's; this only
    locates them."""
    messages = _pause_messages()
    for day in days:
        _place_row_problems(day, messages)
        # The whole day once more: a fifth pause, and anything not placed above.
        rows = day.filled()
        for code in _codes(day, day.ranges()):
            if code == TOO_MANY_PAUSES:
                day.form_errors.append(messages[TOO_MANY_PAUSES])
            elif not any(row.messages() for row in rows):
                day.form_errors.append(messages.get(code) or _outside_message(day.hours))
        if len(rows) > MAX_PAUSES_PER_DAY and messages[TOO_MANY_PAUSES] not in day.form_errors:
            day.form_errors.append(messages[TOO_MANY_PAUSES])
    return not any(day.has_errors() for day in days)


def _place_row_problems(day: DayPausesForm, messages: dict) -> None:
    with_range = [row for row in day.filled() if row.range and not row.messages()]
    for row in with_range:
        found = _codes(day, [row.range])
        if PAUSE_END_BEFORE_START in found:
            _add_error(row.end, messages[PAUSE_END_BEFORE_START])
        elif PAUSE_OUTSIDE_HOURS in found:
            row.form_errors.append(_outside_message(day.hours))
    clean = [row for row in with_range if not row.messages()]
    for first, second in combinations(clean, 2):
        if PAUSES_OVERLAP in _codes(day, [first.range, second.range]):
            for row in (first, second):
                if not row.messages():
                    row.form_errors.append(messages[PAUSES_OVERLAP])


def _save_pauses(caseworker: Caseworker, pauses: dict[int, list]) -> None:
    """Replace every fixed pause of the caseworker: {weekday: [(start, end, label)]}."""
    with db.atomic():
        Pause.delete().where(Pause.caseworker == caseworker).execute()
        rows = [{'caseworker': caseworker.id, 'weekday': day, 'start': s, 'end': e,
                 'label': label}
                for day, items in sorted(pauses.items()) for s, e, label in items]
        if rows:
            Pause.insert_many(rows).execute()


def _pauses_page(caseworker, form, status=200, copy_error='', copy_source=''):
    others = (Caseworker.select(Caseworker, User).join(User)
              .where(Caseworker.organisation == current_user.organisation_id,
                     Caseworker.id != caseworker.id)
              .order_by(fn.LOWER(User.name)))
    for day in form.days:
        day.pad()
    return _tab('admin/caseworkers/pauses.html', caseworker, status, form=form,
                others=list(others), copy_error=copy_error, copy_source=copy_source,
                max_pauses=MAX_PAUSES_PER_DAY)


@bp.route('/<int:caseworker_id>/pauses', methods=['GET', 'POST'])
def pauses(caseworker_id):
    caseworker = _caseworker_or_404(caseworker_id)
    schedule = _schedule(caseworker)
    if request.method == 'GET':
        return _pauses_page(caseworker, _saved_pauses_form(caseworker, schedule))
    form = PausesForm().for_week(schedule)
    valid = form.validate()
    if not _check_pauses(form.days) or not valid:
        return _pauses_page(caseworker, form, _invalid())
    _save_pauses(caseworker, {day.weekday: day.to_save() for day in form.days})
    _audit('caseworker.pauses', caseworker)
    flash(_('Pauses saved.'), 'success')
    return see_other('.pauses', caseworker_id=caseworker.id)


@bp.route('/<int:caseworker_id>/pauses/copy-monday', methods=['POST'])
def pauses_copy_monday(caseworker_id):
    """Monday's pauses (as posted, else as saved) to Tuesday-Friday (and the
    weekend when asked) where the day has bookable hours; a day they do not
    fit stops the copy and is named. The other days keep their pauses."""
    caseworker = _caseworker_or_404(caseworker_id)
    schedule = _schedule(caseworker)
    form = PausesForm().for_week(schedule)
    if form.posted():
        form.validate()
    else:
        form = _saved_pauses_form(caseworker, schedule)
    monday = form.days[0]
    if not _check_pauses([monday]):
        return _pauses_page(caseworker, form, _invalid())
    if not monday.filled():
        monday.form_errors.append(_('Enter Monday’s pauses first.'))
        return _pauses_page(caseworker, form, _invalid())
    targets = _copy_targets()
    result = {0: monday.to_save()}
    kept = [day for day in form.days[1:] if day.weekday not in targets]
    if not _check_pauses(kept):
        return _pauses_page(caseworker, form, _invalid())
    saved = _saved_pauses(caseworker)   # for a kept day the request did not post
    result.update({day.weekday: day.to_save() if day.rows.posted else saved.get(day.weekday, [])
                   for day in kept})
    for day in form.days[1:]:
        if day.weekday not in targets:
            continue
        day.clear_errors()
        if not day.hours:
            result[day.weekday] = []
        elif _codes(day, monday.ranges()):
            day.form_errors.append(_('Monday’s pauses do not fit within this day’s bookable '
                                     'hours (%(hours)s). Change the hours or the pauses.',
                                     hours=day.hours_text))
        else:
            result[day.weekday] = list(result[0])
    if any(day.form_errors for day in form.days):
        return _pauses_page(caseworker, form, _invalid())
    _save_pauses(caseworker, result)
    _audit('caseworker.pauses', caseworker, 'copied from Monday')
    flash(_copied_message(targets, 'pauses'), 'success')
    return see_other('.pauses', caseworker_id=caseworker.id)


@bp.route('/<int:caseworker_id>/pauses/copy-from', methods=['POST'])
def pauses_copy_from(caseworker_id):
    """Every pause of another caseworker of the organisation, replacing these.
    Days without bookable hours here get none; a day where the pauses fall
    outside the hours stops the copy."""
    caseworker = _caseworker_or_404(caseworker_id)
    source = _caseworker_or_404(request.form.get('source'))
    schedule = _schedule(caseworker)
    form = _saved_pauses_form(caseworker, schedule)
    if source.id == caseworker.id:
        return _pauses_page(caseworker, form, _invalid(), copy_source=str(source.id),
                            copy_error=_('Choose another caseworker.'))
    source_pauses = _saved_pauses(source)
    result, misfits, skipped = {}, [], []
    for here in form.days:
        there = sorted(source_pauses.get(here.weekday, ()), key=lambda pause: pause[:2])
        if not there:
            result[here.weekday] = []
        elif not here.hours:
            result[here.weekday] = []
            skipped.append(here.name)
        elif _codes(here, [pause[:2] for pause in there]):
            misfits.append(here.name)
        else:
            result[here.weekday] = there
    if misfits:
        return _pauses_page(
            caseworker, form, _invalid(), copy_source=str(source.id),
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
