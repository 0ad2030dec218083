"""A substitute's own pages, phone first and working without JavaScript: my
availability (a month calendar; a day opens its times), my shifts, requests
with Yes / No, my profile."""
from __future__ import annotations

import calendar
import datetime as dt

from flask import Blueprint, abort, flash, request
from flask_babel import format_date, gettext as _, lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, DateField, TimeField
from wtforms.validators import DataRequired, Optional

from blueprints.baseform import Form
from blueprints.pool.home import POOL_PANEL
from extensions import limiter, user_or_address
from messaging import dates
from models import (Availability, Qualification, ShiftRequest, SubstituteQualification,
                    SubstituteUnit, Unit, User, Vacancy)
from pool import staffing
from scheduling import board, staffing as core
from scheduling.localtime import naive_utc
from web import render, see_other, substitute_only

bp = Blueprint('pool_me', __name__, url_prefix='/my')

PRESET_LABELS = {'day': _l('Day'), 'evening': _l('Evening'), 'night': _l('Night'),
                 'whole_day': _l('Whole day')}
ANSWERED = {
    staffing.WON: _l('You got the shift. It is under My shifts, and an SMS is on its way.'),
    staffing.DECLINED: _l('You said no. Thank you for answering.'),
    staffing.FILLED: _l('The shift is already filled, so you did not get it. Thank you '
                        'for answering.'),
    staffing.UNFIT: _l('You cannot take this shift: it clashes with your other shifts or '
                       'your calendar.'),
    staffing.EXPIRED: _l('The time to answer has passed.'),
    staffing.CANCELLED: _l('The shift is no longer needed.'),
    staffing.ALREADY: _l('You have already answered this request.'),
}


class AvailabilityForm(Form):
    day = DateField(_l('Day'), validators=[DataRequired()])
    start = TimeField(_l('From'), validators=[Optional()])
    end = TimeField(_l('To'), validators=[Optional()])
    next_day = BooleanField(_l('Ends the next day'))
    until = DateField(_l('Repeat every week until'), validators=[Optional()],
                      description=_l('Leave empty for this day only.'))


class WeekForm(Form):
    monday = DateField(validators=[DataRequired()])


@bp.app_context_processor
def _open_requests():
    def open_request_count() -> int:
        if not current_user.is_authenticated or current_user.role != User.SUBSTITUTE:
            return 0
        return ShiftRequest.select().where(
            ShiftRequest.user == current_user.id, ShiftRequest.status == ShiftRequest.OPEN,
            ShiftRequest.deadline > staffing.now()).count()
    return {'open_request_count': open_request_count}


def _me() -> User:
    return current_user._get_current_object()


def _own_or_404(model, row_id: int):
    """A row that is the substitute's own (an availability, a request), else 404."""
    row = model.get_or_none(model.id == row_id, model.user == current_user.id)
    if row is None:
        abort(404)
    return row


def _hm(moment: dt.datetime) -> str:
    return dates.text(moment, 'time')


def _parse_day(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


# --- availability ---------------------------------------------------------------

def _month_view(user: User, first: dt.date, today: dt.date):
    """Weeks of the month (Monday first) with each day's ranges and shifts."""
    org = user.organisation
    weeks = calendar.Calendar().monthdatescalendar(first.year, first.month)
    start = core.wall_range(weeks[0][0], dt.time(0), dt.time(0), False, org.zone)[0]
    end = core.wall_range(weeks[-1][-1] + dt.timedelta(days=1), dt.time(0), dt.time(0), False,
                          org.zone)[0]
    ranges: dict[dt.date, list] = {}
    for row in (Availability.select()
                .where(Availability.user == user, Availability.starts_at < naive_utc(end),
                       Availability.ends_at > naive_utc(start))
                .order_by(Availability.starts_at)):
        for day in core.local_days_of(row.starts_at, row.ends_at, org.zone):
            ranges.setdefault(day, []).append(row)
    shifts: dict[dt.date, list] = {}
    for vacancy in (Vacancy.select(Vacancy, Unit).join(Unit)
                    .where(Vacancy.substitute == user, Vacancy.status == Vacancy.BOOKED,
                           Vacancy.starts_at < naive_utc(end),
                           Vacancy.ends_at > naive_utc(start))
                    .order_by(Vacancy.starts_at)):
        for day in core.local_days_of(vacancy.starts_at, vacancy.ends_at, org.zone):
            shifts.setdefault(day, []).append(vacancy)
    return weeks, ranges, shifts


def _range_text(org, row, day: dt.date) -> str:
    start, end = org.local(row.starts_at), org.local(row.ends_at)
    text = f'{_hm(start)}–{staffing.end_clock(start, end)}'
    if start.date() < day:
        return _('%(range)s (from the day before)', range=text)
    if end.date() > day and end.time() != dt.time():
        return _('%(range)s (ends the next day)', range=text)
    return text


def _availability_page(form=None, day: dt.date | None = None):
    """The month and a day's panel. A form with errors comes back with
    status 200, as everywhere in the app (htmx swaps only 2xx answers)."""
    user = _me()
    org = user.organisation
    at = staffing.now()
    today = staffing.local_today(org, at)
    day = day or _parse_day(request.args.get('day'))
    first = board.parse_month(request.args.get('month'), day or today)
    if day is None and first.year == today.year and first.month == today.month:
        day = today
    weeks, ranges, shifts = _month_view(user, first, today)
    if day is not None and not (weeks[0][0] <= day <= weeks[-1][-1]):
        ranges_day, shifts_day = _month_view(user, day.replace(day=1), today)[1:]
        ranges.setdefault(day, ranges_day.get(day, []))
        shifts.setdefault(day, shifts_day.get(day, []))
    if form is None:
        form = AvailabilityForm(formdata=None, day=day)
    remove = None
    if day is not None and request.args.get('remove', '').isdigit():
        remove = next((r for r in ranges.get(day, [])
                       if r.id == int(request.args['remove'])), None)
    prev_month = (first - dt.timedelta(days=1)).replace(day=1)
    next_month = (first + dt.timedelta(days=32)).replace(day=1)
    monday = day - dt.timedelta(days=day.weekday()) if day else None
    return render(
        'pool/me/availability.html', {'day-panel': 'day', 'month-grid': 'month'},
        panel=POOL_PANEL,
        form=form, week_form=WeekForm(formdata=None), first=first, weeks=weeks, ranges=ranges,
        shifts=shifts, day=day, today=today, remove=remove, monday=monday,
        prev_month=prev_month, next_month=next_month, presets=core.PRESETS,
        preset_labels=PRESET_LABELS, range_text=lambda row, d: _range_text(org, row, d),
        shift_text=lambda v: f'{v.unit.name} {staffing.vacancy_when(v)}',
        format_date=format_date, timedelta=dt.timedelta,
        upper_first=lambda text: text[:1].upper() + text[1:])


@bp.route('/availability', methods=['GET'])
@substitute_only
def availability():
    return _availability_page()


def _back_to(day: dt.date):
    return see_other('.availability', month=f'{day:%Y-%m}', day=day.isoformat())


@bp.route('/availability', methods=['POST'])
@substitute_only
def add_availability():
    form = AvailabilityForm()
    if not form.validate():
        return _availability_page(form, form.day.data)
    preset = request.form.get('preset', '')
    if preset:
        if preset not in core.PRESETS:
            abort(400)
        start, end, next_day = core.PRESETS[preset]
    else:
        start, end, next_day = form.start.data, form.end.data, form.next_day.data
        if start is None or end is None:
            if start is None:
                form.start.errors = [_('Enter when you can start, or tap a preset.')]
            if end is None:
                form.end.errors = [_('Enter when you must stop.')]
            return _availability_page(form, form.day.data)
    try:
        result = staffing.add_availability(_me(), form.day.data, start, end, next_day,
                                           until=form.until.data, at=staffing.now())
    except staffing.StaffingError as exc:
        target = form.until if exc.code == 'too_far' else form.end if exc.code in (
            core.END_BEFORE_START, core.TOO_LONG) else form.day
        target.errors = list(target.errors) + [exc.message]
        return _availability_page(form, form.day.data)
    _flash_added(result)
    return _back_to(form.day.data)


def _flash_added(result: staffing.Added) -> None:
    org = _me().organisation
    if result.added:
        flash(_('Saved: %(n)s times added.', n=len(result.added)) if len(result.added) > 1
              else _('Saved.'), 'success')
    if result.skipped:
        days = ', '.join(dates.text(org.local(naive_utc(s)), 'weekday_day_month_short')
                         for s, _e in result.skipped)
        flash(_('Not added, because you already have a time then or the day has passed: '
                '%(days)s.', days=days), 'error')
    if not result.added and not result.skipped:
        flash(_('Nothing to copy in that week.'), 'error')


@bp.route('/availability/<int:availability_id>/remove', methods=['POST'])
@substitute_only
def remove_availability(availability_id):
    row = _own_or_404(Availability, availability_id)
    org = current_user.organisation
    day = _parse_day(request.form.get('day')) or org.local(row.starts_at).date()
    try:
        staffing.remove_availability(_me(), row, at=staffing.now())
    except staffing.StaffingError as exc:
        flash(exc.message, 'error')
    else:
        flash(_('Removed.'), 'success')
    return _back_to(day)


@bp.route('/availability/copy-week', methods=['POST'])
@substitute_only
def copy_week():
    form = WeekForm()
    if not form.validate() or form.monday.data.weekday() != 0:
        abort(400)
    result = staffing.copy_week(_me(), form.monday.data, at=staffing.now())
    _flash_added(result)
    return _back_to(form.monday.data + dt.timedelta(days=7))


# --- shifts, requests, profile -------------------------------------------------------

@bp.route('/shifts')
@substitute_only
def shifts():
    at = staffing.now()
    booked = (Vacancy.select(Vacancy, Unit).join(Unit)
              .where(Vacancy.substitute == current_user.id, Vacancy.status == Vacancy.BOOKED))
    coming = list(booked.where(Vacancy.ends_at > at).order_by(Vacancy.starts_at))
    past = list(booked.where(Vacancy.ends_at <= at).order_by(Vacancy.starts_at.desc())
                .limit(50))
    return render('pool/me/shifts.html', panel=POOL_PANEL, coming=coming, past=past,
                  when=staffing.vacancy_when)


@bp.route('/requests')
@substitute_only
def requests():
    at = staffing.now()
    staffing.expire(current_user.organisation, at)
    rows = list(ShiftRequest.select(ShiftRequest, Vacancy, Unit)
                .join(Vacancy).join(Unit)
                .where(ShiftRequest.user == current_user.id)
                .order_by(ShiftRequest.sent_at.desc(), ShiftRequest.id.desc()).limit(100))
    waiting = [r for r in rows if r.status == ShiftRequest.OPEN]
    answered = [r for r in rows if r.status != ShiftRequest.OPEN]
    return render('pool/me/requests.html', panel=POOL_PANEL, waiting=waiting[::-1],
                  answered=answered, when=staffing.vacancy_when)


@bp.route('/requests/<int:request_id>', methods=['POST'])
@limiter.limit('30 per minute;300 per hour', key_func=user_or_address)
@substitute_only
def answer(request_id):
    row = _own_or_404(ShiftRequest, request_id)
    choice = request.form.get('answer')
    if choice not in ('yes', 'no'):
        abort(400)
    outcome = staffing.answer(row, choice == 'yes', via='web', at=staffing.now())
    flash(str(ANSWERED[outcome]), 'success' if outcome in (staffing.WON, staffing.DECLINED)
          else 'error')
    if outcome == staffing.WON:
        return see_other('.shifts')
    return see_other('.requests')


@bp.route('/profile')
@substitute_only
def profile():
    units = [link.unit for link in SubstituteUnit.select(SubstituteUnit, Unit).join(Unit)
             .where(SubstituteUnit.user == current_user.id).order_by(Unit.name)]
    quals = [link.qualification for link in SubstituteQualification.select(
        SubstituteQualification, Qualification).join(Qualification)
        .where(SubstituteQualification.user == current_user.id).order_by(Qualification.name)]
    return render('pool/me/profile.html', panel=POOL_PANEL, units=units, quals=quals)
