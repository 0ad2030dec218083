"""Summoning citizens: the three-step wizard (frame, citizens, review), each
step a real URL that works without JavaScript; htmx redraws parts of a page.

The data and the one write path are `summons` (beside the models); these
views read forms, call it and render. A draft belongs to the staff member
who made it: anybody else gets a 404.
"""
from __future__ import annotations

import datetime as dt

from flask import (Blueprint, abort, current_app, flash, g, make_response, render_template,
                   request, session, url_for)
from flask_babel import format_date, gettext as _, lazy_gettext as _l, ngettext
from flask_login import current_user
from werkzeug.routing import BuildError
from wtforms import (BooleanField, DateField, IntegerField, RadioField, SelectField,
                     SelectMultipleField, TextAreaField, TimeField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from blueprints.baseform import Form
from extensions import limiter, user_or_address
from models import (AuditEvent, Caseworker, CaseworkerTeam, Meeting, MeetingParticipant,
                    MeetingType, Organisation, PendingSummons, Room, RoomTeam, SummonsDraft,
                    SummonsDraftCitizen, SummonsTemplate, Team, TypeVariant, User, fn, utcnow)
from planner import booking, citizen_import, late_proof, summons
from scheduling import rules
from web import get_in_org, job_centre_staff, render, see_other

bp = Blueprint('summons', __name__, url_prefix='/summons')

RESULT_LIST_LIMIT = 100      # failed citizens named on the result page
LETTER_LINK_LIMIT = 200      # meetings one "Print the letters" link may name


# --- shared helpers ---------------------------------------------------------------

def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _org() -> Organisation:
    return current_user.organisation


def _actor() -> User:
    return current_user._get_current_object()


def _draft_or_404(draft_id: int):
    draft = summons.get_draft(_actor(), draft_id)
    if draft is None:
        abort(404)
    return draft


def optional_url(endpoint: str, **values) -> str | None:
    """A link to a page another part of the app provides, or None while it
    does not exist."""
    if endpoint not in current_app.view_functions:
        return None
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def _local(instant: dt.datetime | None) -> dt.datetime | None:
    """An aware (or naive UTC) instant as the organisation's wall-clock time."""
    if instant is None:
        return None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.timezone.utc)
    return instant.astimezone(_org().zone)


@bp.context_processor
def _helpers():
    return {'format_date': format_date, 'local': _local, 'optional_url': optional_url}


def _set(field, value) -> None:
    """Show `value` in a field even after a POST (WTForms prefers the raw input)."""
    field.data = value
    field.raw_data = None


def _add_error(field, message: str) -> None:
    field.errors = list(field.errors) + [message]


# --- step 1: the frame -------------------------------------------------------------

class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


FORM_LABELS = {summons.INDIVIDUAL: _l('Individual meetings'),
               summons.GROUP: _l('Group meeting')}
SEAT_LABELS = {
    summons.SEATS_FROM_ROOM: _l('From the room size (its overbooking seats are kept for '
                                'rebooking)'),
    summons.SEATS_FIXED: _l('A number of citizens per meeting, plus seats kept for rebooking'),
    summons.SEATS_ALL: _l('Everyone in one meeting'),
}
ATTENDANCE_LABELS = {Meeting.IN_PERSON: _l('In person'), Meeting.LETTER: _l('Letter'),
                     Meeting.OTHER: _l('Other'), Meeting.PHONE: _l('Phone')}
DISTRIBUTION_LABELS = {
    summons.AUTOMATIC: _l('Automatic: spread the citizens over free times'),
    summons.FIXED_TIME: _l('Fixed date and time: one meeting'),
}
OTHER_DURATION = 'other'


class FrameForm(Form):
    meeting_type_id = SelectField(_l('Meeting type'), coerce=int, validate_choice=False)
    team_id = SelectField(_l('Team'), coerce=int, validate_choice=False)
    variant_id = SelectField(_l('Meeting type variant'), coerce=int, validate_choice=False,
                             description=_l('Only variants set up for the chosen team and '
                                            'meeting type.'))
    meeting_form = RadioField(_l('Meeting form'), default=summons.INDIVIDUAL,
                              validate_choice=False,
                              choices=[SelectChoice(k, v) for k, v in FORM_LABELS.items()])
    group_seats = RadioField(_l('Seats in each group meeting'), default=summons.SEATS_FROM_ROOM,
                             validate_choice=False,
                             choices=[SelectChoice(k, v) for k, v in SEAT_LABELS.items()])
    per_meeting = IntegerField(_l('Citizens per meeting'), validators=[Optional()])
    rebooking_seats = IntegerField(_l('Seats kept for rebooking'), default=0,
                                   validators=[Optional(), NumberRange(0, 500)])
    attendance = RadioField(_l('Attendance'), default=Meeting.IN_PERSON, validate_choice=False,
                            choices=[SelectChoice(k, v) for k, v in ATTENDANCE_LABELS.items()])
    room_id = SelectField(_l('Room (optional)'), coerce=int, validate_choice=False)
    caseworker_ids = MultiCheckboxField(_l('Caseworkers'), coerce=int, validate_choice=False)
    duration = RadioField(_l('Duration'), default='45', validate_choice=False)
    duration_other = IntegerField(_l('Other duration (minutes)'), validators=[Optional()])
    reporting_minutes = IntegerField(_l('Reporting time after the meeting (minutes)'),
                                     default=0, validators=[Optional()],
                                     description=_l('0: no reporting time.'))
    distribution = RadioField(_l('Distribution'), default=summons.AUTOMATIC,
                              validate_choice=False,
                              choices=[SelectChoice(k, v) for k, v in
                                       DISTRIBUTION_LABELS.items()])
    earliest_date = DateField(_l('Earliest summons date'), validators=[Optional()],
                              description=_l('No meeting before this date.'))
    fixed_date = DateField(_l('Date'), validators=[Optional()])
    fixed_time = TimeField(_l('Start'), validators=[Optional()],
                           description=_l('On a 5-minute step, e.g. 10:05.'))
    rebooking_allowed = BooleanField(_l('Citizens may rebook'))
    rebooking_days_before = IntegerField(_l('Rebooking allowed until this many days before '
                                            'the meeting'), default=1, validators=[Optional()])
    note = TextAreaField(_l('Note to the caseworker (optional)'),
                         validators=[Length(max=2000)])


# Where a frame problem is shown: {frame field: form field}.
PROBLEM_FIELDS = {'meeting_type_id': 'meeting_type_id', 'team_id': 'team_id',
                  'variant_id': 'variant_id', 'form': 'meeting_form',
                  'group_seats': 'group_seats', 'per_meeting': 'per_meeting',
                  'rebooking_seats': 'rebooking_seats', 'attendance': 'attendance',
                  'room_id': 'room_id', 'caseworker_ids': 'caseworker_ids',
                  'duration_minutes': 'duration', 'reporting_minutes': 'reporting_minutes',
                  'distribution': 'distribution', 'earliest_date': 'earliest_date',
                  'fixed_start': 'fixed_date', 'rebooking_days_before': 'rebooking_days_before',
                  'note': 'note'}


def _duration_choices(form: FrameForm) -> None:
    form.duration.choices = [
        SelectChoice(str(m), ngettext('%(num)d minute', '%(num)d minutes', m))
        for m in summons.DURATION_PRESETS] + [
        SelectChoice(OTHER_DURATION, _('Other'))]


def _fill_form(form: FrameForm, frame, default_earliest: dt.date) -> None:
    """Show a saved frame."""
    _set(form.meeting_type_id, frame.meeting_type_id or 0)
    _set(form.team_id, frame.team_id or 0)
    _set(form.variant_id, frame.variant_id or 0)
    _set(form.meeting_form, frame.form)
    _set(form.group_seats, frame.group_seats)
    _set(form.per_meeting, frame.per_meeting)
    _set(form.rebooking_seats, frame.rebooking_seats)
    _set(form.attendance, frame.attendance)
    _set(form.room_id, frame.room_id or 0)
    _set(form.caseworker_ids, list(frame.caseworker_ids))
    if frame.duration_minutes in summons.DURATION_PRESETS:
        _set(form.duration, str(frame.duration_minutes))
        _set(form.duration_other, None)
    else:
        _set(form.duration, OTHER_DURATION)
        _set(form.duration_other, frame.duration_minutes)
    _set(form.reporting_minutes, frame.reporting_minutes)
    _set(form.distribution, frame.distribution)
    _set(form.earliest_date, frame.earliest_date or default_earliest)
    start = frame.fixed_start
    _set(form.fixed_date, start.date() if start else None)
    _set(form.fixed_time, start.time() if start else None)
    _set(form.rebooking_allowed, frame.rebooking_allowed)
    _set(form.rebooking_days_before, frame.rebooking_days_before)
    _set(form.note, frame.note)


def _frame_from_form(form: FrameForm, saved):
    """A frame from the posted fields; step 2's deadline settings are kept."""
    frame = summons.SummonsFrame.from_json(saved.to_json())
    frame.meeting_type_id = form.meeting_type_id.data or None
    frame.team_id = form.team_id.data or None
    frame.variant_id = form.variant_id.data or None
    frame.form = form.meeting_form.data or summons.INDIVIDUAL
    frame.group_seats = form.group_seats.data or summons.SEATS_FROM_ROOM
    frame.per_meeting = form.per_meeting.data
    frame.rebooking_seats = form.rebooking_seats.data or 0
    frame.attendance = form.attendance.data or Meeting.IN_PERSON
    frame.room_id = form.room_id.data or None
    frame.caseworker_ids = [int(c) for c in form.caseworker_ids.data or ()]
    if form.duration.data == OTHER_DURATION:
        frame.duration_minutes = form.duration_other.data or 0
    else:
        try:
            frame.duration_minutes = int(form.duration.data)
        except (TypeError, ValueError):
            frame.duration_minutes = 0
    frame.reporting_minutes = form.reporting_minutes.data or 0
    frame.distribution = form.distribution.data or summons.AUTOMATIC
    frame.earliest_date = form.earliest_date.data
    if form.fixed_date.data and form.fixed_time.data:
        frame.fixed_start = dt.datetime.combine(form.fixed_date.data, form.fixed_time.data)
    else:
        frame.fixed_start = None
    frame.rebooking_allowed = bool(form.rebooking_allowed.data)
    frame.rebooking_days_before = (form.rebooking_days_before.data
                                   if form.rebooking_days_before.data is not None else 1)
    frame.note = (form.note.data or '').strip()
    return _own_ids(frame, form)


def _own_ids(frame, form):
    """Only the organisation's own teams, variants, rooms and caseworkers (and
    meeting types that exist): another organisation's id, or a number too large
    for the database, is never stored nor looked up; the field says so."""
    def own(model, name, scoped=True):
        value = getattr(frame, name)
        if not value:
            return None
        query = model.select().where(model.id == value)
        if scoped:
            query = query.where(model.organisation == _org())
        if 0 < value < 2 ** 63 and query.exists():
            return value
        _add_error(form[name], _('Choose one from the list.'))
        return None
    frame.meeting_type_id = own(MeetingType, 'meeting_type_id', scoped=False)
    frame.team_id = own(Team, 'team_id')
    frame.variant_id = own(TypeVariant, 'variant_id')
    frame.room_id = own(Room, 'room_id')
    wanted = [c for c in frame.caseworker_ids if 0 < c < 2 ** 63]
    mine = {c for (c,) in Caseworker.select(Caseworker.id).where(
        Caseworker.id.in_(wanted or [0]), Caseworker.organisation == _org()).tuples()}
    if set(frame.caseworker_ids) - mine:
        _add_error(form.caseworker_ids, _('Choose one from the list.'))
    frame.caseworker_ids = [c for c in wanted if c in mine]
    return frame


def _frame_choices(form: FrameForm, frame) -> None:
    """The selects of step 1, narrowed by the chosen team and type."""
    offered = summons.choices(_org(), frame)
    language = _language()
    form.meeting_type_id.choices = [SelectChoice(0, _('Choose a meeting type'))] + [
        SelectChoice(t.id, t.label(language)) for t in offered.meeting_types]
    form.team_id.choices = [SelectChoice(0, _('Choose a team'))] + [
        SelectChoice(t.id, t.name) for t in offered.teams]
    form.variant_id.choices = [SelectChoice(0, _('No variant'))] + [
        SelectChoice(v.id, v.name) for v in offered.variants]
    form.room_id.choices = [SelectChoice(0, _('No room'))] + [
        SelectChoice(r.id, _room_label(r)) for r in offered.rooms]
    form.caseworker_ids.choices = [SelectChoice(c.id, c.user.name) for c in offered.caseworkers]
    form.team_chosen = bool(frame.team_id and frame.team_id in {t.id for t in offered.teams})
    form.type_chosen = bool(frame.meeting_type_id)
    _duration_choices(form)


def _room_label(room) -> str:
    if room.capacity is None:
        return _('%(name)s (unlimited seats)', name=room.name)
    extra = room.extra_seats if room.allow_overbooking else 0
    if extra:
        return _('%(name)s (%(seats)s seats + %(extra)s overbooking)', name=room.name,
                 seats=room.capacity, extra=extra)
    return _('%(name)s (%(seats)s seats)', name=room.name, seats=room.capacity)


def _language() -> str:
    from flask_babel import get_locale
    return str(get_locale())


def _free_day(form: FrameForm, frame, today: dt.date) -> dt.date:
    """The day "Show free times" looks at: the fixed date, else the earliest."""
    return form.fixed_date.data or frame.earliest_date or today + dt.timedelta(days=1)


def _free_list(frame, day: dt.date):
    """[(caseworker, [local datetimes])] for the free-times panel."""
    return [(cw, [_local(s) for s in starts])
            for cw, starts in summons.free_times(_org(), frame, day, _now())]


def _parse_pick(value: str | None) -> dt.datetime | None:
    try:
        picked = dt.datetime.fromisoformat(value or '')
    except ValueError:
        return None
    return picked.replace(second=0, microsecond=0, tzinfo=None)


def _fix_start(form, frame, picked: dt.datetime) -> None:
    """A free time was chosen: it becomes the fixed start (nothing saved yet)."""
    frame.distribution, frame.fixed_start = summons.FIXED_TIME, picked
    _set(form.distribution, summons.FIXED_TIME)
    _set(form.fixed_date, picked.date())
    _set(form.fixed_time, picked.time())


STEP1_BLOCKS = {'wizard': 'wizard', 'frame-dependent': 'dependent'}


@bp.route('/<int:draft_id>/frame', methods=['GET', 'POST'])
@job_centre_staff
def step1(draft_id):
    draft = _draft_or_404(draft_id)
    action = url_for('summons.step1', draft_id=draft.id)
    if request.method == 'GET':
        return _step1_form(draft, summons.frame_of(draft), action)
    return _step1_post(draft, summons.frame_of(draft), action)


@bp.route('/new/frame', methods=['GET', 'POST'])
@job_centre_staff
def step1_new():
    """Step 1 filled in from a calendar click, which the query string
    carries: showing it writes nothing (a crawler, a prefetch or the back
    button must not leave drafts); its first POST creates the draft."""
    saved = _calendar_frame(request.args) or summons.SummonsFrame()
    if request.method == 'GET':
        return _step1_form(None, saved, request.full_path.rstrip('?'))
    draft = summons.new_draft(_org(), _actor(), saved)
    action = url_for('summons.step1', draft_id=draft.id)
    response = make_response(_step1_post(draft, saved, action))
    if response.status_code == 200:
        # The page is the draft's from now on (htmx puts it in the address bar).
        response.headers['HX-Push-Url'] = action
    return response


def _step1_context(draft, url: str) -> dict:
    return dict(draft=draft, free=None, free_day=None, top_problems=[], action=url,
                from_list=request.args.get('from_list') == '1',
                prefilled=request.args.get('prefilled') == '1')


def _step1_form(draft, saved, url: str):
    """Step 1's page for a GET: the saved frame, or the selects that depend
    on the team and type redrawn (htmx) from the form's values."""
    if request.htmx.target == 'frame-dependent':
        form = FrameForm(formdata=request.args, meta={'csrf': False})
        frame = _frame_from_form(form, saved)
    else:
        tomorrow = summons.local_today(_org(), _now()) + dt.timedelta(days=1)
        form = FrameForm(formdata=None)
        _fill_form(form, saved, tomorrow)
        frame = saved
    _frame_choices(form, frame)
    return render('summons/step1.html', STEP1_BLOCKS, form=form,
                  **_step1_context(draft, url))


def _step1_post(draft, saved, url: str):
    """Step 1's POST: save and go on, show free times, or show the problems
    (the form posts to `url`)."""
    org, now = _org(), _now()
    today = summons.local_today(org, now)
    context = _step1_context(draft, url)
    form = FrameForm()
    form.validate()
    frame = _frame_from_form(form, saved)
    _frame_choices(form, frame)
    action = request.form.get('action', 'next')
    picked = _parse_pick(request.form.get('pick'))
    if picked is not None:
        _fix_start(form, frame, picked)
        action = 'free_times'
        context['picked'] = picked
    if action == 'save':
        # "Save for later": keep what is filled in, checked on "Next".
        summons.save_frame(draft, frame)
        flash(_('The summons is saved as a draft.'), 'info')
        # The form swaps only #wizard: leave it for the whole start page.
        return see_other('summons.index', whole_page=True)
    if action == 'free_times':
        day = _free_day(form, frame, today)
        context.update(free=_free_list(frame, day), free_day=day)
    elif action == 'next' and not form.errors:
        problems = summons.frame_problems(org, frame, now)
        if not problems:
            summons.save_frame(draft, frame)
            return see_other('summons.step2', draft_id=draft.id)
        for key, message in problems.items():
            name = PROBLEM_FIELDS.get(key)
            if name:
                _add_error(form[name], message)
            else:
                context['top_problems'].append(message)
    if action == 'next' and form.errors:
        context['has_errors'] = True
    return render('summons/step1.html', STEP1_BLOCKS, form=form, **context)


def _frame_ready(draft) -> bool:
    """Step 1 is complete: otherwise steps 2 and 3 send the user back there."""
    problems = summons.frame_problems(_org(), summons.frame_of(draft), _now())
    if problems:
        flash(_('Complete step 1 first: %(problem)s', problem=next(iter(problems.values()))),
              'error')
        return False
    return True


# --- step 2: the citizens -------------------------------------------------------------

SORT_LABELS = {'selected': _l('Summon'), 'name': _l('Name'), 'cpr': _l('CPR number'),
               'appointments': _l('Appointments'), 'absences': _l('Absences'),
               'earliest': _l('Earliest summons date'), 'deadline': _l('Deadline')}
SORT_KEYS = tuple(SORT_LABELS)
FILTER_ARGS = ('show', 'week', 'appointments', 'absence')


class DeadlineForm(Form):
    deadline_mode = RadioField(_l('Deadline for holding the meeting'), validate_choice=False,
                               default=summons.DEADLINE_DUE, choices=[
        SelectChoice(summons.DEADLINE_DUE, _l('The due date of each citizen')),
        SelectChoice(summons.DEADLINE_DAYS_BEFORE, _l('A number of days before the due date')),
        SelectChoice(summons.DEADLINE_FIXED, _l('One date for everyone'))])
    deadline_days_before = IntegerField(_l('Days before the due date'), default=0,
                                        validators=[Optional(), NumberRange(0, 365)])
    deadline_fixed = DateField(_l('Date for everyone'), validators=[Optional()],
                               description=_l('Overrides the due dates.'))


class RowForm(Form):
    earliest = DateField(_l('Earliest summons date'), validators=[Optional()])
    deadline = DateField(_l('Deadline'), validators=[Optional()])


def _week_of(day: dt.date | None) -> str:
    return 'none' if day is None else rules.week_id(day)


def _table_args() -> dict[str, str]:
    """The table's sort and filters from the URL (unknown values dropped)."""
    args = {}
    sort = request.args.get('sort', '')
    if sort in SORT_KEYS:
        args['sort'] = sort
        args['dir'] = 'desc' if request.args.get('dir') == 'desc' else 'asc'
    if request.args.get('show') in ('selected', 'not_selected'):
        args['show'] = request.args['show']
    week = request.args.get('week', '')
    if week == 'none' or (len(week) == 8 and week[4:6] == '-W' and week[:4].isdigit()
                          and week[6:].isdigit()):
        args['week'] = week
    for name in ('appointments', 'absence'):
        if request.args.get(name) in ('yes', 'no'):
            args[name] = request.args[name]
    return args


def _sorted_filtered(rows, args):
    shown = rows
    if args.get('show') == 'selected':
        shown = [r for r in shown if r.selected]
    elif args.get('show') == 'not_selected':
        shown = [r for r in shown if not r.selected]
    if 'week' in args:
        shown = [r for r in shown if _week_of(r.deadline) == args['week']]
    if 'appointments' in args:
        want = args['appointments'] == 'yes'
        shown = [r for r in shown if bool(r.appointments) == want]
    if 'absence' in args:
        want = args['absence'] == 'yes'
        shown = [r for r in shown if bool(r.absences) == want]
    sort = args.get('sort')
    if sort:
        far = dt.date.max

        def key(r):
            return {'selected': (not r.selected,),
                    'name': (r.name.casefold(),),
                    'cpr': (r.masked_cpr[4:6], r.masked_cpr[2:4], r.masked_cpr[:2]),
                    'appointments': (r.appointments,),
                    'absences': (r.absences[0][0] if r.absences else far,),
                    'earliest': (r.earliest or far,),
                    'deadline': (r.deadline or far,)}[sort] + (r.name.casefold(),)
        shown = sorted(shown, key=key, reverse=args.get('dir') == 'desc')
    return shown


def _step2_context(draft, rows, args, **extra):
    frame = summons.frame_of(draft)
    deadline_form = extra.pop('deadline_form', None) or DeadlineForm(formdata=None)
    if extra.get('fill_deadlines', True):
        _set(deadline_form.deadline_mode, frame.deadline_mode)
        _set(deadline_form.deadline_days_before, frame.deadline_days_before)
        _set(deadline_form.deadline_fixed, frame.deadline_fixed)
    extra.pop('fill_deadlines', None)
    weeks = sorted({_week_of(r.deadline) for r in rows}, key=lambda w: (w == 'none', w))
    shown = _sorted_filtered(rows, args)
    remove = None
    value = request.args.get('remove', '') if request.method == 'GET' else ''
    if value == 'unselected':
        remove = 'unselected'
    elif value.isdigit():
        remove = next((r for r in rows if r.id == int(value)), None)
    context = dict(draft=draft, frame=frame, rows=rows, shown=shown, args=args, weeks=weeks,
                   objects=summons.frame_objects(_org(), frame), labels=_labels(),
                   sort_labels=SORT_LABELS, reads_addresses=_reads_addresses(),
                   deadline_form=deadline_form, remove=remove, report=None,
                   selected_count=sum(1 for r in rows if r.selected),
                   filtered=any(k in args for k in FILTER_ARGS),
                   today=summons.local_today(_org(), _now()))
    context.update(extra)
    _audit('summons_citizens_read', draft, f'{len(rows)} citizens')
    return context


def _labels() -> dict:
    return dict(form=FORM_LABELS, attendance=ATTENDANCE_LABELS, language=_language())


def _back_to_step2(draft, args=None):
    return see_other('summons.step2', draft_id=draft.id, **(args or {}))


def _report(result) -> dict:
    """What an import found wrong, for the top of the page."""
    return dict(error=result.error, problems=result.problems, inactive=result.inactive)


def _added_message(added: int, duplicates: list) -> str:
    text = ngettext('%(num)d citizen added to the list.', '%(num)d citizens added to the list.',
                    added)
    if duplicates:
        text += ' ' + ngettext('%(num)d was already on the list.',
                               '%(num)d were already on the list.', len(duplicates))
    return text


def _audit(action: str, draft, detail: str = '') -> None:
    AuditEvent.record(action, actor=_actor(), obj=draft, detail=detail,
                      ip=request.remote_addr or '')


@bp.route('/<int:draft_id>/citizens', methods=['GET', 'POST'])
@job_centre_staff
def step2(draft_id):
    draft = _draft_or_404(draft_id)
    g.personal_data = True
    if not _frame_ready(draft):
        return see_other('summons.step1', draft_id=draft.id)
    args = _table_args()
    if request.method == 'GET':
        return _step2_page(draft, args, _now())
    handle = STEP2_ACTIONS.get(request.form.get('action', ''))
    if handle is None:
        abort(400)
    return handle(draft, args, _now())


def _step2_page(draft, args, now, **extra):
    rows = summons.citizen_rows(draft, now)
    return render('summons/step2.html', {'wizard': 'wizard'},
                  **_step2_context(draft, rows, args, **extra))


def _add_one(draft, args, now):
    """The citizen with the CPR number typed in."""
    citizen, message = citizen_import.lookup_one(_org(), request.form.get('cpr', ''))
    if citizen is None:
        return _step2_page(draft, args, now, one_error=message)
    added, duplicates = summons.add_citizens(draft, [(citizen, None)], now=now)
    _audit('summons_citizens_added', draft, f'{added} added by CPR')
    if duplicates:
        flash(_('%(name)s is already on the list.', name=citizen.name), 'info')
    else:
        flash(_('%(name)s added to the list.', name=citizen.name), 'info')
    return _back_to_step2(draft, args)


def _reads_addresses() -> bool:
    """Only an administrator's list changes postal addresses (as only they
    may on the address page)."""
    return current_user.role == User.ADMIN


def _posted_list(pasted: bool):
    """The pasted text or the uploaded file, parsed; None when no file was chosen."""
    if pasted:
        return citizen_import.parse_citizen_list(_org(), text=request.form.get('text', ''),
                                                 read_addresses=_reads_addresses())
    upload = request.files.get('file')
    if upload is None or not upload.filename:
        return None
    data = upload.read(citizen_import.MAX_BYTES + 1)
    return citizen_import.parse_citizen_list(_org(), filename=upload.filename, data=data,
                                             read_addresses=_reads_addresses())


def _address_message(result) -> str:
    """The list's postal addresses saved, or why they were not."""
    if result.addresses_not_read:
        return _('The postal addresses in the list are not saved: only an administrator can '
                 'change a postal address.')
    changed = citizen_import.save_addresses(result, _actor(), ip=request.remote_addr or '')
    if not changed:
        return ''
    return ngettext('%(num)d postal address updated.', '%(num)d postal addresses updated.',
                    changed)


def _add_list(draft, args, now):
    """The citizens of a pasted or uploaded list."""
    pasted = request.form.get('action') == 'paste'
    result = _posted_list(pasted)
    if result is None:
        return _step2_page(draft, args, now, upload_error=_('Choose a .csv or .xlsx file.'))
    added, duplicates = 0, []
    if result.entries:
        added, duplicates = summons.add_citizens(
            draft, [(e.user, e.due_date) for e in result.entries], now=now)
        _audit('summons_citizens_added', draft, f'{added} added from a list')
    message = ' '.join(m for m in (_added_message(added, duplicates) if result.entries else '',
                                   _address_message(result)) if m)
    if result.error or result.problems or result.inactive:
        # Stay on the page: the report is what the user needs to read.
        return _step2_page(draft, args, now, report=_report(result), added_message=message,
                           pasted=request.form.get('text', '') if pasted and not added else '')
    flash(message or _added_message(added, duplicates), 'info')
    return _back_to_step2(draft, args)


def _deadlines_valid(form: DeadlineForm) -> bool:
    valid = form.validate()
    if form.deadline_mode.data == summons.DEADLINE_FIXED and not form.deadline_fixed.data:
        _add_error(form.deadline_fixed, _('Enter the date for everyone.'))
        valid = False
    if form.deadline_mode.data not in (summons.DEADLINE_DUE, summons.DEADLINE_DAYS_BEFORE,
                                       summons.DEADLINE_FIXED):
        _add_error(form.deadline_mode, _('Choose how the deadlines are set.'))
        valid = False
    return valid


def _set_deadlines(draft, args, now):
    """Every citizen's deadline from one rule (those changed by hand kept)."""
    form = DeadlineForm()
    if not _deadlines_valid(form):
        return _step2_page(draft, args, now, deadline_form=form, fill_deadlines=False)
    frame = summons.frame_of(draft)
    frame.deadline_mode = form.deadline_mode.data
    frame.deadline_days_before = form.deadline_days_before.data or 0
    frame.deadline_fixed = form.deadline_fixed.data \
        if form.deadline_mode.data == summons.DEADLINE_FIXED else None
    summons.save_frame(draft, frame)
    summons.apply_deadlines(draft)
    flash(_('The deadlines are updated. Deadlines changed by hand are kept.'), 'info')
    return _back_to_step2(draft, args)


def _select_all_or_none(draft, args, now):
    rows = summons.citizen_rows(draft, now)
    everyone = request.form.get('action') == 'select_all'
    summons.set_selected(draft, {r.id for r in rows} if everyone else set())
    return _back_to_step2(draft, args)


def _remove_citizens(draft, args, now):
    """The rows posted, or every row not selected."""
    ids = {int(v) for v in request.form.getlist('row_id') if v.isdigit()}
    if request.form.get('which') == 'unselected':
        ids = {r.id for r in summons.citizen_rows(draft, now) if not r.selected}
    removed = summons.remove_rows(draft, ids)
    flash(ngettext('%(num)d citizen removed from the list.',
                   '%(num)d citizens removed from the list.', removed), 'info')
    return _back_to_step2(draft, args)


def _propose(draft, args, now):
    """On to the review: times proposed for the selected citizens."""
    rows = summons.citizen_rows(draft, now)
    if not any(r.selected for r in rows):
        flash(_('Select at least one citizen to summon.') if rows else
              _('Add at least one citizen to the list.'), 'error')
        return _back_to_step2(draft, args)
    try:
        summons.propose(draft, now)
    except booking.BookingError as exc:
        flash(exc.message, 'error')
        return see_other('summons.step1', draft_id=draft.id)
    return see_other('summons.step3', draft_id=draft.id)


# The buttons of step 2 (the posted `action`) and what each does.
STEP2_ACTIONS = {
    'add_one': _add_one, 'paste': _add_list, 'upload': _add_list,
    'deadlines': _set_deadlines, 'select_all': _select_all_or_none,
    'select_none': _select_all_or_none, 'remove': _remove_citizens, 'next': _propose,
}


@bp.route('/<int:draft_id>/citizens/<int:row_id>', methods=['POST'])
@job_centre_staff
def row(draft_id, row_id):
    """One row of step 2's table: selected, earliest date, deadline. htmx
    swaps just the row; without it the table comes back."""
    draft = _draft_or_404(draft_id)
    now = _now()
    args = _table_args()
    form = RowForm()
    form.validate()
    today = summons.local_today(_org(), now)
    error = ''
    if form.errors:
        error = _('Enter dates as YYYY-MM-DD.')
    elif form.earliest.data and form.earliest.data < today:
        error = _('The earliest summons date has passed.')
    changes = {}
    if not error:
        changes['selected'] = 'selected' in request.form
        if form.earliest.data and request.form.get('earliest_was') != form.earliest.data.isoformat():
            changes['earliest'] = form.earliest.data
        was = request.form.get('deadline_was', '')
        now_value = form.deadline.data.isoformat() if form.deadline.data else ''
        if 'deadline' in request.form and was != now_value:
            if form.deadline.data:
                changes['deadline'] = form.deadline.data
            else:
                changes['clear_deadline'] = True
        if not summons.update_row(draft, row_id, **changes):
            abort(404)
    if request.htmx.target == f'row-{row_id}':
        found = next((r for r in summons.citizen_rows(draft, now) if r.id == row_id), None)
        if found is None:
            abort(404)
        return render_template('summons/_citizen_row.html', r=found, draft=draft, args=args,
                               row_error=error)
    if error:
        flash(error, 'error')
    return _back_to_step2(draft, args)


# --- step 3: review and summon --------------------------------------------------------

class ChangeForm(Form):
    date = DateField(_l('Date'), validators=[Optional()])
    time = TimeField(_l('Start'), validators=[Optional()])
    caseworker = SelectField(_l('Caseworker'), coerce=int, validate_choice=False)


def _counts(rows) -> dict:
    return dict(placed=sum(1 for r in rows if r.start is not None),
                late=sum(1 for r in rows if r.start is not None and r.late),
                no_time=sum(1 for r in rows if r.start is None),
                ticked=sum(1 for r in rows if r.ticked))


def _step3_page(draft, **extra):
    g.personal_data = True
    frame = summons.frame_of(draft)
    objects = summons.frame_objects(_org(), frame)
    rows = summons.review_rows(draft)
    delete = None
    value = request.args.get('delete', '') if request.method == 'GET' else ''
    if value.isdigit():
        delete = next((r for r in rows if r.id == int(value)), None)
    context = dict(draft=draft, frame=frame, objects=objects, labels=_labels(), rows=rows,
                   counts=_counts(rows), delete=delete, change_errors={}, open_row=None,
                   caseworkers=objects.caseworkers if objects else [])
    opened = request.args.get('change', '')
    if opened.isdigit():
        context['open_row'] = int(opened)
    context.update(extra)
    _audit('summons_review_read', draft, f'{len(rows)} citizens')
    return render('summons/step3.html', {'wizard': 'wizard'}, **context)


@bp.route('/<int:draft_id>/review', methods=['GET', 'POST'])
# Summon now books a whole list: a few per minute per person is plenty.
@limiter.limit('5 per minute;60 per hour', key_func=user_or_address, methods=['POST'],
               exempt_when=lambda: request.form.get('action') != 'summon')
@job_centre_staff
def step3(draft_id):
    draft = _draft_or_404(draft_id)
    if request.method == 'GET':
        return _step3_page(draft)
    handle = STEP3_ACTIONS.get(request.form.get('action', ''))
    row_ids = {r.id for r in summons.review_rows(draft)}
    ticked = {int(v) for v in request.form.getlist('ticked') if v.isdigit()} & row_ids
    if handle is None:
        abort(400)
    return handle(draft, row_ids, ticked)


def _delete_row(draft, row_ids, ticked):
    value = request.form.get('row_id', '')
    removed = summons.remove_rows(draft, [int(value)] if value.isdigit() else [])
    flash(ngettext('%(num)d citizen removed from the summons.',
                   '%(num)d citizens removed from the summons.', removed), 'info')
    return see_other('summons.step3', draft_id=draft.id)


def _change_time(draft, row_ids, ticked):
    """Another time or caseworker for one citizen."""
    value = request.form.get('row_id', '')
    row_id = int(value) if value.isdigit() else 0
    if row_id not in row_ids:
        abort(404)
    form = ChangeForm()
    form.validate()
    error = ''
    if not form.date.data or not form.time.data:
        error = _('Enter a date and a start time.')
    elif not form.caseworker.data:
        error = _('Choose a caseworker.')
    else:
        start = dt.datetime.combine(form.date.data, form.time.data, tzinfo=_org().zone)
        try:
            summons.change_proposal(draft, row_id, start=start,
                                    caseworker_id=form.caseworker.data)
        except booking.BookingError as exc:
            error = exc.message
    if error:
        return _step3_page(draft, change_errors={row_id: error}, open_row=row_id)
    flash(_('The time is changed.'), 'info')
    return see_other('summons.step3', draft_id=draft.id)


def _save_ticks(draft, row_ids, ticked):
    summons.set_ticked(draft, ticked)
    flash(_('Your choices are saved.'), 'info')
    return see_other('summons.step3', draft_id=draft.id)


def _summon_now(draft, row_ids, ticked):
    """Book the ticked citizens and send their summons; the result page
    tells what happened."""
    summons.set_ticked(draft, ticked)
    frame = summons.frame_of(draft)
    before = utcnow()
    try:
        result = summons.summon(draft, _actor(), _now())
    except booking.BookingError as exc:
        flash(exc.message, 'error')
        if exc.code == 'gone':
            # Made already (a second click): show what the first one did.
            made = session.get('summons_result', {}).get('draft_id') == draft.id
            return see_other('summons.result' if made else 'summons.index')
        # Step 1 no longer holds (e.g. the fixed time was taken meanwhile).
        return see_other('summons.step1', draft_id=draft.id)
    _keep_result(draft, result, frame.attendance == Meeting.LETTER, before)
    return see_other('summons.result')


def _keep_result(draft, result, letters: bool, before: dt.datetime) -> None:
    """What "Summon now" did, for the result page. Only numbers go into the
    (cookie) session: names are read back from the pending list, where
    every failed citizen is put."""
    failed_ids = [p.id for p in PendingSummons.select(PendingSummons.id).where(
        PendingSummons.organisation == draft.organisation_id,
        PendingSummons.created_by == current_user.id,
        PendingSummons.reason == PendingSummons.FAILED,
        PendingSummons.created_at >= before).limit(RESULT_LIST_LIMIT)]
    session['summons_result'] = dict(
        draft_id=draft.id, meetings=result.meetings, pending=result.pending,
        remaining=result.remaining, failed_ids=failed_ids,
        failed_total=len(result.failed),
        letter_meetings=list(result.meeting_ids)
        if letters and len(result.meeting_ids) <= LETTER_LINK_LIMIT else [],
        letters_elsewhere=letters and len(result.meeting_ids) > LETTER_LINK_LIMIT,
        late_ids=list(result.late_ids[:RESULT_LIST_LIMIT]), late_total=len(result.late_ids))


# The buttons of step 3 (the posted `action`) and what each does.
STEP3_ACTIONS = {'delete': _delete_row, 'change': _change_time, 'save_ticks': _save_ticks,
                 'summon': _summon_now}


@bp.route('/result')
@job_centre_staff
def result():
    """What "Summon now" did (kept in the session: the draft may be gone)."""
    data = session.get('summons_result')
    if not data:
        return see_other('summons.index')
    g.personal_data = True
    draft = summons.get_draft(_actor(), data['draft_id']) if data.get('remaining') else None
    failed = []
    if data.get('failed_ids'):
        failed = list(PendingSummons.select(PendingSummons, User)
                      .join(User, on=(PendingSummons.citizen == User.id))
                      .where(PendingSummons.id.in_(data['failed_ids']),
                             PendingSummons.organisation == current_user.organisation_id)
                      .order_by(User.name))
    late = _late_reasons(data.get('late_ids'))
    letters_url = letters_pdf_url = None
    if data.get('letter_meetings'):
        letters_url = optional_url('followup.letters', meeting=data['letter_meetings'])
        letters_pdf_url = optional_url('followup.letters_pdf', meeting=data['letter_meetings'])
    return render_template('summons/result.html', result=data, draft=draft, failed=failed,
                           late=late,
                           pending_url=optional_url('pending.index'),
                           followup_url=optional_url('followup.index'),
                           letters_url=letters_url, letters_pdf_url=letters_pdf_url)


def _late_reasons(participant_ids) -> list[tuple[User, str]]:
    """(citizen, why) of the citizens the summons placed after their deadline."""
    if not participant_ids:
        return []
    org = _org()
    lines = (MeetingParticipant.select(MeetingParticipant, User)
             .join(User, on=(MeetingParticipant.citizen == User.id))
             .switch(MeetingParticipant).join(Meeting)
             .where(MeetingParticipant.id.in_(participant_ids),
                    Meeting.organisation == org)
             .order_by(User.name))
    return [(line.citizen, late_proof.explain(org, line.late_evidence)) for line in lines]


# --- the start page ----------------------------------------------------------------------

PREFILL_KEYS = ('team', 'date', 'time', 'caseworker', 'room', 'duration')


def _prefill_args() -> dict[str, str]:
    return {k: request.args[k] for k in PREFILL_KEYS if request.args.get(k)}


def _calendar_frame(args):
    """A frame from a click in a calendar (team, date, time, caseworker or
    room, duration in `args`), or None when they carry none of them."""
    if not any(args.get(k) for k in PREFILL_KEYS):
        return None
    frame = summons.SummonsFrame()
    team_id = args.get('team', type=int)
    if team_id:
        frame.team_id = get_in_org(Team, team_id).id
    caseworker_id = args.get('caseworker', type=int)
    if caseworker_id:
        cw = get_in_org(Caseworker, caseworker_id)
        frame.caseworker_ids = [cw.id]
        if frame.team_id is None:
            link = (CaseworkerTeam.select(CaseworkerTeam.team).join(Team)
                    .where(CaseworkerTeam.caseworker == cw).order_by(Team.name).first())
            frame.team_id = link.team_id if link else None
    room_id = args.get('room', type=int)
    if room_id:
        room = get_in_org(Room, room_id)
        frame.room_id = room.id
        if frame.team_id is None:
            link = (RoomTeam.select(RoomTeam.team).join(Team)
                    .where(RoomTeam.room == room).order_by(Team.name).first())
            frame.team_id = link.team_id if link else None
    try:
        day = dt.date.fromisoformat(args.get('date', ''))
    except ValueError:
        day = None
    try:
        at = dt.time.fromisoformat(args.get('time', ''))
    except ValueError:
        at = None
    if day and at:
        frame.distribution = summons.FIXED_TIME
        frame.fixed_start = dt.datetime.combine(day, at.replace(second=0, microsecond=0))
    elif day and day > summons.local_today(_org(), _now()):
        frame.earliest_date = day
    duration = args.get('duration', type=int)
    if duration and 5 <= duration <= 480:
        frame.duration_minutes = duration
    return frame


def _my_drafts():
    drafts = list(SummonsDraft.select()
                  .where(SummonsDraft.created_by == current_user.id,
                         SummonsDraft.organisation == current_user.organisation_id)
                  .order_by(SummonsDraft.updated_at.desc(), SummonsDraft.id.desc()))
    counts = {}
    if drafts:
        counts = dict(SummonsDraftCitizen.select(SummonsDraftCitizen.draft,
                                                 fn.COUNT(SummonsDraftCitizen.id))
                      .where(SummonsDraftCitizen.draft.in_([d.id for d in drafts]))
                      .group_by(SummonsDraftCitizen.draft).tuples())
    teams = {t.id: t.name for t in Team.select(Team.id, Team.name)
             .where(Team.organisation == current_user.organisation_id)}
    language = _language()
    kinds = {t.id: t.label(language) for t in MeetingType.select()}
    result = []
    for draft in drafts:
        frame = summons.frame_of(draft)
        result.append(dict(draft=draft, frame=frame, team=teams.get(frame.team_id, ''),
                           kind=kinds.get(frame.meeting_type_id, ''),
                           citizens=counts.get(draft.id, 0),
                           updated=_local(draft.updated_at)))
    return result


def _templates():
    return list(SummonsTemplate.select()
                .where(SummonsTemplate.organisation == current_user.organisation_id,
                       SummonsTemplate.for_online_offer == False)  # noqa: E712
                .order_by(SummonsTemplate.name))


@bp.route('/', methods=['GET', 'POST'])
@job_centre_staff
def index():
    org, actor = _org(), _actor()
    if request.method == 'POST':
        action = request.form.get('action', '')
        if action == 'new':
            draft = summons.new_draft(org, actor)
            from_list = request.form.get('from_list') == '1'
            return see_other('summons.step1', draft_id=draft.id,
                             from_list=1 if from_list else None)
        if action == 'template':
            template_id = request.form.get('template', type=int) or 0
            template = next((t for t in _templates() if t.id == template_id), None)
            if template is None:
                abort(404)
            draft = summons.new_draft(org, actor,
                                      summons.SummonsFrame.from_template(template.preset))
            return see_other('summons.step1', draft_id=draft.id)
        if action == 'discard':
            draft = _draft_or_404(request.form.get('draft', type=int) or 0)
            draft.delete_instance(recursive=True)
            flash(_('The draft is discarded.'), 'info')
            return see_other('summons.index')
        abort(400)

    if _calendar_frame(request.args) is not None:   # theirs: 404
        # Only a POST creates the draft: step 1 shows the prefill first.
        return see_other('summons.step1_new', prefilled=1, **_prefill_args())
    drafts = _my_drafts()
    discard = None
    value = request.args.get('discard', '')
    if value.isdigit():
        discard = next((d for d in drafts if d['draft'].id == int(value)), None)
    return render_template(
        'summons/index.html', drafts=drafts, templates=_templates(), discard=discard,
        pending_count=summons.pending_count(org),
        pending_url=optional_url('pending.index'), followup_url=optional_url('followup.index'))
