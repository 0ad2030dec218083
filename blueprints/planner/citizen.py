"""The citizen's pages on a phone: My appointments, Book a meeting (offer ->
description -> day and time -> confirm -> receipt), add to calendar,
rebook and cancel.

Plain links and form posts (JavaScript off works); htmx only swaps the week
of free times. Every query is scoped to the citizen: another citizen's
meeting id is a 404. All writes go through `booking`.
"""
from __future__ import annotations

import datetime as dt
import functools

from flask import Blueprint, Response, abort, flash, g, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l, ngettext
from flask_login import current_user
from wtforms import BooleanField, HiddenField
from wtforms.validators import DataRequired

from blueprints.baseform import Form
from extensions import limiter, user_or_address
from integrations import ics
from messaging import dates
from models import AuditEvent, Meeting, MeetingParticipant, OnlineOffer, address_line
from planner import booking, privacy
from scheduling import rules
from scheduling.localtime import as_utc
from web import citizen_only, get_in_org, render, see_other

bp = Blueprint('citizen', __name__, url_prefix='/my')

START_FORMAT = '%Y-%m-%dT%H:%MZ'     # a start in URLs and forms: UTC to the minute
TIMES = {'times': 'times'}           # htmx moving to another week swaps only the times
# Book, rebook and cancel share one budget per citizen: ample for a person,
# a wall for a script hammering the booking engine.
write_limit = limiter.shared_limit('10 per minute;60 per hour', scope='citizen_booking',
                                   key_func=user_or_address, methods=['POST'])


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _citizen_only(view):
    """Citizens of a job centre only; every page of theirs is personal data."""
    @functools.wraps(view)
    def personal(*args, **kwargs):
        g.personal_data = True
        return view(*args, **kwargs)
    return citizen_only(personal)


def _ip() -> str:
    return request.remote_addr or ''


def _language() -> str:
    from flask_babel import get_locale
    return str(get_locale())


def _start_param(value: str | None) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(value or '', START_FORMAT).replace(tzinfo=dt.timezone.utc)
    except ValueError:
        return None


def _start_value(start: dt.datetime) -> str:
    return as_utc(start).strftime(START_FORMAT)


def _int_param(value) -> int | None:
    value = (value or '').strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 12 else None


def _day_param(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value or '')
    except ValueError:
        return None


def _hm(moment: dt.datetime, zone) -> str:
    return moment.astimezone(zone).strftime('%H:%M')


# --- My appointments --------------------------------------------------------

def _my_meetings():
    return booking.citizen_meetings(current_user._get_current_object())


def upcoming_rows(limit: int | None = None) -> list[dict]:
    """The citizen's meetings still to come that they take part in."""
    now = _now().replace(tzinfo=None)
    query = (_my_meetings().where(Meeting.status == Meeting.BOOKED, Meeting.ends_at > now,
                                  MeetingParticipant.status == MeetingParticipant.BOOKED)
             .order_by(Meeting.starts_at))
    if limit is not None:
        query = query.limit(limit)
    language = _language()
    return [_row(m, language) for m in query]


def _meeting_or_404(meeting_id: int) -> Meeting:
    meeting = booking.citizen_meeting(meeting_id, current_user._get_current_object())
    if meeting is None:
        abort(404)
    return meeting


def _row(meeting: Meeting, language: str) -> dict:
    return dict(meeting=meeting, title=booking.meeting_title(meeting, language),
                on=booking.is_on(meeting),
                left=meeting.status == Meeting.BOOKED and not booking.is_on(meeting),
                when=booking.local_when(meeting),
                place=meeting.place() or meeting.team.name,
                caseworker=meeting.caseworker.user.name
                if meeting.show_caseworker and meeting.caseworker_id else '')


def home_page():
    """The citizen's home (at /): the next meeting with what they may do
    with it, and the meetings they may book, as big buttons."""
    g.personal_data = True
    now = _now()
    upcoming = upcoming_rows(limit=2)
    following = upcoming[0] if upcoming else None
    if following:
        following = dict(following, may_rebook=booking.may_rebook(following['meeting'], now),
                         may_cancel=booking.may_cancel(following['meeting'], now))
    offers = booking.offers_for_citizen(current_user._get_current_object(), now)
    return render_template('citizen/home.html', following=following,
                           more=len(upcoming) > 1, offers=offers)


@bp.route('/appointments')
@_citizen_only
def appointments():
    now = _now().replace(tzinfo=None)
    language = _language()
    upcoming = upcoming_rows()
    past = [_row(m, language) for m in _my_meetings()
            .where((Meeting.status != Meeting.BOOKED) | (Meeting.ends_at <= now)
                   | (MeetingParticipant.status != MeetingParticipant.BOOKED))
            .order_by(Meeting.starts_at.desc()).limit(20)]
    return render_template('citizen/appointments.html', upcoming=upcoming, past=past)


@bp.route('/appointments/<int:meeting_id>')
@_citizen_only
def meeting(meeting_id):
    meeting = _meeting_or_404(meeting_id)
    now = _now()
    row = _row(meeting, _language())
    upcoming = booking.is_on(meeting) and as_utc(meeting.ends_at) > now
    rebook_passed = (upcoming and meeting.citizen_can_rebook
                     and not booking.may_rebook(meeting, now))
    return render_template(
        'citizen/meeting.html', row=row, upcoming=upcoming,
        facts=booking.receipt_facts(meeting, _language()),
        may_cancel=booking.may_cancel(meeting, now), may_rebook=booking.may_rebook(meeting, now),
        rebook_passed=rebook_passed)


@bp.route('/appointments/<int:meeting_id>/receipt')
@_citizen_only
def receipt(meeting_id):
    meeting = _meeting_or_404(meeting_id)
    language = _language()
    return render_template('citizen/receipt.html', meeting=meeting, on=booking.is_on(meeting),
                           moved=request.args.get('done') == 'moved',
                           title=booking.meeting_title(meeting, language),
                           facts=booking.receipt_facts(meeting, language),
                           rights=booking.rights_and_duties(meeting.organisation))


@bp.route('/appointments/<int:meeting_id>/meeting.ics')
@_citizen_only
def ics_file(meeting_id):
    meeting = _meeting_or_404(meeting_id)
    language = _language()
    org = meeting.organisation
    details = [org.name]
    if meeting.show_caseworker and meeting.caseworker_id:
        details.append(_('Caseworker: %(name)s', name=meeting.caseworker.user.name))
    details.append(_('Booking number: %(n)s', n=meeting.id))
    body = ics.meeting_calendar(
        uid=ics.meeting_uid(meeting.id, meeting.created_at),
        start=meeting.starts_at, end=meeting.ends_at,
        summary=booking.meeting_title(meeting, language),
        location=meeting.place() or meeting.team.name,
        description='\n'.join(details), sequence=meeting.revision or 0,
        cancelled=meeting.status == Meeting.CANCELLED, stamp=meeting.created_at)
    return Response(body, mimetype='text/calendar', headers={
        'Content-Disposition': f'attachment; filename="meeting-{meeting.id}.ics"'})


@bp.route('/data.json')
@_citizen_only
def export():
    """Download my data: everything Planpool holds about the citizen."""
    import json

    citizen = current_user._get_current_object()
    data = privacy.export_citizen(citizen, _now(), _language())
    AuditEvent.record('citizen.exported', actor=citizen, obj=citizen, ip=_ip())
    day = citizen.organisation.local(_now().replace(tzinfo=None)).date().isoformat()
    return Response(json.dumps(data, ensure_ascii=False, indent=2),
                    mimetype='application/json', headers={
                        'Content-Disposition':
                            f'attachment; filename="planpool-my-data-{day}.json"',
                        'Cache-Control': 'no-store'})


class CancelForm(Form):
    pass


@bp.route('/appointments/<int:meeting_id>/cancel', methods=['GET', 'POST'])
@write_limit
@_citizen_only
def cancel(meeting_id):
    meeting = _meeting_or_404(meeting_id)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            booking.cancel_by_citizen(meeting, current_user._get_current_object())
        except booking.BookingError as exc:
            flash(exc.message, 'error')
            return see_other('citizen.meeting', meeting_id=meeting.id)
        AuditEvent.record('self_cancelled', actor=current_user._get_current_object(),
                          obj=meeting, ip=_ip())
        flash(_('Your meeting is cancelled. We have sent you a receipt.'), 'info')
        return see_other('citizen.appointments')
    if not booking.may_cancel(meeting, _now()):
        flash(_('This meeting cannot be cancelled here. Call the job centre if you cannot come.'),
              'error')
        return see_other('citizen.meeting', meeting_id=meeting.id)
    return render_template('citizen/cancel.html', form=form, row=_row(meeting, _language()))


# --- Book a meeting -----------------------------------------------------------

@bp.route('/book')
@_citizen_only
def offers():
    offers = booking.offers_for_citizen(current_user._get_current_object(), _now())
    return render_template('citizen/offers.html', offers=offers)


def _refused(exc: booking.BookingError, *, offer=None, meeting=None, start=None,
             caseworker_id=None):
    """Where a refused booking goes: fresh times for a time that is gone or
    out of bounds, else back to the list it came from. Nothing was written."""
    flash(exc.message, 'error')
    if exc.code in ('taken', 'outside', 'choose_caseworker', 'reserved') and (offer or meeting):
        args = {}
        if start is not None:
            day = start.astimezone(current_user.organisation.zone).date()
            args = dict(week=rules.week_id(day), day=day.isoformat())
        if caseworker_id and caseworker_id > 0:   # -1: whoever is free
            args['caseworker'] = caseworker_id
        if meeting is not None:
            return see_other('citizen.rebook', meeting_id=meeting.id, **args)
        return see_other('citizen.times', offer_id=offer.id, **args)
    if exc.code == 'already_booked':
        return see_other('citizen.appointments')
    if meeting is not None:
        return see_other('citizen.meeting', meeting_id=meeting.id)
    return see_other('citizen.offers')


def _offer_choice_or_redirect(offer, now):
    try:
        return booking.offer_choice(offer, current_user._get_current_object(), now), None
    except booking.BookingError as exc:
        return None, _refused(exc)


@bp.route('/book/<int:offer_id>')
@_citizen_only
def offer(offer_id):
    offer = get_in_org(OnlineOffer, offer_id)
    choice, refused = _offer_choice_or_redirect(offer, _now())
    if refused:
        return refused
    return render_template('citizen/offer.html', offer=offer, choice=choice,
                           minutes=offer.duration_minutes,
                           place=address_line(offer.team) or offer.team.name)


def _week_view(choice: booking.TimeChoice, *, now, week, day, caseworker_id,
               link) -> dict:
    """The week of free times: days (selectable when they have times) and
    the times of the chosen day. `link(**args)` builds this page's URL."""
    org = choice.organisation
    zone = org.zone
    today = booking.local_today(org, now)
    first, last = max(choice.first_day, today), choice.last_day
    monday = rules.clamp_week(week or first, first, last) if first <= last else rules.monday_of(
        today)
    sunday = monday + dt.timedelta(days=6)
    starts = choice.starts(monday, sunday, now=now, caseworker_id=caseworker_id)
    by_day = rules.starts_by_day((s for found in starts.values() for s in found), zone)
    texts = g.get('citizen_texts')
    if texts is None:
        texts = g.citizen_texts = {'one': _('1 free time'), 'many': _('%(n)s free times'),
                                   'none': _('No free times')}
    days = []
    for i in range(7):
        d = monday + dt.timedelta(days=i)
        count = len(by_day.get(d, ()))
        if i >= 5 and not count:
            continue          # weekends only when someone works then
        days.append(dict(day=d, label=dates.text(d, 'weekday_day_month'), count=count,
                         text=texts['none'] if not count else texts['one'] if count == 1
                         else texts['many'] % dict(n=count),
                         url=link(week=rules.week_id(monday), day=d.isoformat(),
                                  caseworker=caseworker_id) if count else None))
    if day not in by_day:
        day = next((d['day'] for d in days if d['count']), None)
    # A name only beside the times of the one caseworker asked for.
    name = ''
    if caseworker_id and choice.show_names:
        name = next((c.name for c in choice.caseworkers if c.id == caseworker_id), '')
    times = [dict(start=_start_value(s), label=_hm(s, zone), caseworker=caseworker_id,
                  name=name) for s in by_day.get(day, ())]
    prev_monday, next_monday = monday - dt.timedelta(days=7), monday + dt.timedelta(days=7)
    return dict(
        monday=monday, week_number=monday.isocalendar()[1],
        week_label=_('Week %(n)s: %(first)s to %(last)s', n=monday.isocalendar()[1],
                     first=dates.text(monday, 'day_month'), last=dates.text(sunday, 'date_long')),
        prev_url=link(week=rules.week_id(prev_monday), caseworker=caseworker_id)
        if prev_monday + dt.timedelta(days=6) >= first else None,
        next_url=link(week=rules.week_id(next_monday), caseworker=caseworker_id)
        if next_monday <= last else None,
        days=days, day=day, day_label=dates.text(day, 'weekday_day_month') if day else '',
        times=times, caseworker_id=caseworker_id,
        week=rules.week_id(monday))


def _chosen_caseworker(choice: booking.TimeChoice) -> int | None:
    """The caseworker asked for in the URL, when the offer lets the citizen choose."""
    wanted = _int_param(request.args.get('caseworker'))
    if choice.may_choose and wanted in {c.id for c in choice.caseworkers}:
        return wanted
    return None


def _times_view(choice: booking.TimeChoice, now, link):
    """(caseworker id, the week of free times) as the URL asks: the times of
    the caseworker chosen (or the only one), none while one must be chosen
    first. `link(**args)` builds the page's URL."""
    caseworker_id = _chosen_caseworker(choice)
    if not choice.may_choose and len(choice.caseworkers) == 1:
        caseworker_id = choice.caseworkers[0].id
    view = None
    if caseworker_id or not choice.must_choose:
        view = _week_view(choice, now=now, week=rules.parse_week(request.args.get('week'), None),
                          day=_day_param(request.args.get('day')), caseworker_id=caseworker_id,
                          link=link)
    return caseworker_id, view


@bp.route('/book/<int:offer_id>/time')
@_citizen_only
def times(offer_id):
    offer = get_in_org(OnlineOffer, offer_id)
    now = _now()
    choice, refused = _offer_choice_or_redirect(offer, now)
    if refused:
        return refused
    caseworker_id, view = _times_view(
        choice, now, lambda **a: url_for('citizen.times', offer_id=offer.id, **a))
    return render(
        'citizen/times.html', TIMES, offer=offer, choice=choice, view=view,
        title=offer.title, caseworker_id=caseworker_id,
        form_action=url_for('citizen.times', offer_id=offer.id),
        confirm_endpoint='citizen.confirm', confirm_args=dict(offer_id=offer.id),
        back_url=url_for('citizen.offer', offer_id=offer.id), rebooking=False)


class ConfirmForm(Form):
    start = HiddenField()
    caseworker = HiddenField()
    accept = BooleanField(_l('I have read my rights and duties'), validators=[DataRequired(
        message=_l('Tick the box to confirm that you have read your rights and duties.'))])


class RebookForm(Form):
    start = HiddenField()
    caseworker = HiddenField()


def _chosen_time(choice, form_start, form_caseworker):
    """(start, caseworker id) from the request, or (None, None)."""
    start = _start_param(form_start)
    caseworker_id = _int_param(form_caseworker)
    if caseworker_id is not None and caseworker_id not in {c.id for c in choice.caseworkers}:
        caseworker_id = -1     # refused by booking as not offered
    return start, caseworker_id


@bp.route('/book/<int:offer_id>/confirm', methods=['GET', 'POST'])
@write_limit
@_citizen_only
def confirm(offer_id):
    offer = get_in_org(OnlineOffer, offer_id)
    citizen = current_user._get_current_object()
    now = _now()
    choice, refused = _offer_choice_or_redirect(offer, now)
    if refused:
        return refused
    form = ConfirmForm(start=request.args.get('start'), caseworker=request.args.get('caseworker'))
    start, caseworker_id, answer = _confirmable(
        choice, form, now, url_for('citizen.times', offer_id=offer.id), offer=offer)
    if answer is not None:
        return answer
    if form.validate_on_submit():
        try:
            meeting = booking.book_offer(offer, citizen, start, caseworker_id=caseworker_id,
                                         now=now)
        except booking.BookingError as exc:
            return _refused(exc, offer=offer, start=start, caseworker_id=caseworker_id)
        AuditEvent.record('self_booked', actor=citizen, obj=meeting, ip=_ip())
        return see_other('citizen.receipt', meeting_id=meeting.id)
    return render_template(
        'citizen/confirm.html', form=form, title=offer.title, rebooking=False,
        facts=_planned_facts(choice, start, caseworker_id, offer.title),
        rights=booking.rights_and_duties(choice.organisation),
        back_url=url_for('citizen.times', offer_id=offer.id, **_week_args(start, caseworker_id)))


def _confirmable(choice, form, now, back: str, **where):
    """(start, caseworker id, None) for the time chosen in the URL; or
    (None, None, the answer): back to `back` when no time is chosen, fresh
    times when the page is shown for a time no longer free. `where`: the
    offer= or meeting= it is booked for."""
    start, caseworker_id = _chosen_time(choice, form.start.data, form.caseworker.data)
    if start is None:
        flash(_('Choose a day and a time first.'), 'error')
        return None, None, see_other(url=back)
    if request.method == 'GET':
        try:
            booking.ensure_free(choice, start, caseworker_id, now)
        except booking.BookingError as exc:
            return None, None, _refused(exc, start=start, caseworker_id=caseworker_id, **where)
    return start, caseworker_id, None


def _week_args(start: dt.datetime, caseworker_id: int | None) -> dict:
    day = start.astimezone(current_user.organisation.zone).date()
    args = dict(week=rules.week_id(day), day=day.isoformat())
    if caseworker_id and caseworker_id > 0:
        args['caseworker'] = caseworker_id
    return args


def _planned_facts(choice, start, caseworker_id, title) -> list[tuple[str, str]]:
    zone = choice.organisation.zone
    local = start.astimezone(zone)
    facts = [(_('Meeting'), title),
             (_('Date and time'), dates.text(local, 'datetime_full')),
             (_('Duration'), ngettext('%(num)d minute', '%(num)d minutes',
                                      choice.duration_minutes))]
    facts.append((_('Place'), address_line(choice.team) or choice.team.name))
    if choice.show_names:
        names = {c.id: c.name for c in choice.caseworkers}
        facts.append((_('Caseworker'), names.get(caseworker_id)
                      or _('The first free caseworker')))
    return facts


# --- rebooking --------------------------------------------------------------------

def _rebook_choice_or_redirect(meeting, now):
    try:
        return booking.rebook_choice(meeting, current_user._get_current_object(), now), None
    except booking.BookingError as exc:
        return None, _refused(exc, meeting=meeting)


@bp.route('/appointments/<int:meeting_id>/rebook')
@_citizen_only
def rebook(meeting_id):
    meeting = _meeting_or_404(meeting_id)
    now = _now()
    if meeting.form == Meeting.GROUP:
        return _seats_page(meeting, now)
    choice, refused = _rebook_choice_or_redirect(meeting, now)
    if refused:
        return refused
    caseworker_id, view = _times_view(
        choice, now, lambda **a: url_for('citizen.rebook', meeting_id=meeting.id, **a))
    language = _language()
    return render(
        'citizen/times.html', TIMES,
        offer=meeting.offer if meeting.offer_id else None, choice=choice,
        view=view, title=booking.meeting_title(meeting, language), caseworker_id=caseworker_id,
        form_action=url_for('citizen.rebook', meeting_id=meeting.id),
        confirm_endpoint='citizen.rebook_confirm', confirm_args=dict(meeting_id=meeting.id),
        back_url=url_for('citizen.meeting', meeting_id=meeting.id), rebooking=True,
        current=_row(meeting, language))


@bp.route('/appointments/<int:meeting_id>/rebook/confirm', methods=['GET', 'POST'])
@write_limit
@_citizen_only
def rebook_confirm(meeting_id):
    meeting = _meeting_or_404(meeting_id)
    citizen = current_user._get_current_object()
    now = _now()
    if meeting.form == Meeting.GROUP:
        return _seat_confirm(meeting, citizen, now)
    choice, refused = _rebook_choice_or_redirect(meeting, now)
    if refused:
        return refused
    form = RebookForm(start=request.args.get('start'), caseworker=request.args.get('caseworker'))
    start, caseworker_id, answer = _confirmable(
        choice, form, now, url_for('citizen.rebook', meeting_id=meeting.id), meeting=meeting)
    if answer is not None:
        return answer
    notice = ''
    if caseworker_id is None and request.method == 'GET':
        caseworker_id, notice = _pin_first_free(meeting, choice, start, now)
        form.caseworker.data = str(caseworker_id)
    language = _language()
    if form.validate_on_submit():
        try:
            booking.rebook(meeting, citizen, start, caseworker_id=caseworker_id, now=now)
        except booking.BookingError as exc:
            return _refused(exc, meeting=meeting, start=start, caseworker_id=caseworker_id)
        AuditEvent.record('self_rebooked', actor=citizen, obj=meeting, ip=_ip())
        return see_other('citizen.receipt', meeting_id=meeting.id, done='moved')
    title = booking.meeting_title(meeting, language)
    return render_template(
        'citizen/confirm.html', form=form, title=title, rebooking=True, notice=notice,
        current=_row(meeting, language),
        facts=_planned_facts(choice, start, caseworker_id, title), rights=None,
        back_url=url_for('citizen.rebook', meeting_id=meeting.id,
                         **_week_args(start, caseworker_id)))


def _pin_first_free(meeting, choice, start, now) -> tuple[int, str]:
    """(caseworker id, notice) for "the first free caseworker": the confirm
    page names who it is and says so when it is not the caseworker of the
    meeting now, and the form books exactly that caseworker."""
    caseworker = booking.first_free_caseworker(choice, start, now)
    notice = ''
    if caseworker.id != meeting.caseworker_id:
        notice = (_('You will meet another caseworker: %(name)s.', name=caseworker.name)
                  if choice.show_names else _('You will meet another caseworker than now.'))
    return caseworker.id, notice


# --- rebooking a seat of a group meeting ---------------------------------------------

class SeatForm(Form):
    seat = HiddenField()


def _seat_row(meeting, seat: booking.Seat, language: str) -> dict:
    return dict(_row(seat.meeting, language), free=seat.free,
                url=url_for('citizen.rebook_confirm', meeting_id=meeting.id,
                            seat=seat.meeting.id))


def _seats_page(meeting, now):
    """The other meetings of the group meeting's kind with a free seat."""
    try:
        seats = booking.seat_choice(meeting, current_user._get_current_object(), now)
    except booking.BookingError as exc:
        return _refused(exc, meeting=meeting)
    language = _language()
    return render_template('citizen/seats.html', current=_row(meeting, language),
                           seats=[_seat_row(meeting, seat, language) for seat in seats],
                           back_url=url_for('citizen.meeting', meeting_id=meeting.id))


def _seat_confirm(meeting, citizen, now):
    """Confirm, then move the citizen's own seat; the meeting stays for the others."""
    try:
        seats = booking.seat_choice(meeting, citizen, now)
    except booking.BookingError as exc:
        return _refused(exc, meeting=meeting)
    form = SeatForm(seat=request.args.get('seat'))
    seat_id = _int_param(form.seat.data)
    seat = next((s for s in seats if s.meeting.id == seat_id), None)
    if seat is None:
        flash(_('That seat was just taken. Please choose another.') if seat_id
              else _('Choose a meeting first.'), 'error')
        return see_other('citizen.rebook', meeting_id=meeting.id)
    if form.validate_on_submit():
        try:
            moved = booking.move_seat(meeting, citizen, seat.meeting.id, now=now)
        except booking.BookingError as exc:
            return _refused(exc, meeting=meeting)
        AuditEvent.record('self_rebooked', actor=citizen, obj=moved, ip=_ip())
        return see_other('citizen.receipt', meeting_id=moved.id, done='moved')
    language = _language()
    row = _row(seat.meeting, language)
    facts = [(_('Meeting'), row['title']), (_('Date and time'), row['when']),
             (_('Place'), row['place'])]
    if row['caseworker']:
        facts.append((_('Caseworker'), row['caseworker']))
    return render_template(
        'citizen/confirm.html', form=form, title=row['title'], rebooking=True, notice='',
        current=_row(meeting, language), facts=facts, rights=None,
        back_url=url_for('citizen.rebook', meeting_id=meeting.id))
