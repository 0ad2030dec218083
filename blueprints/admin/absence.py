"""Caseworker absence: register it, then move or cancel the meetings it hits."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, render_template, request
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from wtforms import DateField, SelectField, StringField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from blueprints.admin.home import section
from blueprints.baseform import Form
from models import (Absence, AuditEvent, Caseworker, CaseworkerTeam, Meeting, MeetingParticipant,
                    MeetingType, User, utcnow)
from planner import booking
from planner.loading import caseworker_inputs, organisation_closing_days
from scheduling.localtime import naive_utc
from scheduling.slots import bookable_starts
from web import get_in_org, job_centre_planners, see_other

bp = Blueprint('absence', __name__, url_prefix='/admin/absences')
section('absence.index', _l('Absence'), 25)

SUGGESTIONS = 8          # other free times offered per meeting
SEARCH_DAYS = 21         # how far ahead to look for them


class AbsenceForm(Form):
    caseworker = SelectField(_l('Caseworker'), coerce=int, validators=[DataRequired()])
    first_day = DateField(_l('From date'), validators=[DataRequired()])
    first_time = TimeField(_l('From time'), validators=[Optional()],
                           description=_l('Leave empty for the whole day'))
    last_day = DateField(_l('To date (included)'), validators=[DataRequired()])
    last_time = TimeField(_l('To time'), validators=[Optional()],
                          description=_l('Leave empty for the whole day'))
    reason = StringField(_l('Reason'), validators=[Length(max=200)],
                         description=_l('Shown in the calendar, e.g. "Course" or "Ill"'))

    def validate_last_day(self, field):
        if self.first_day.data and field.data and field.data < self.first_day.data:
            raise ValidationError(_('The end must be after the start.'))

    def validate_last_time(self, field):
        if (self.first_day.data and self.last_day.data and self.first_day.data == self.last_day.data
                and self.first_time.data and field.data and field.data <= self.first_time.data):
            raise ValidationError(_('The end must be after the start.'))

    def instants(self, zone) -> tuple[dt.datetime, dt.datetime]:
        start = dt.datetime.combine(self.first_day.data, self.first_time.data or dt.time(),
                                    tzinfo=zone)
        if self.last_time.data:
            end = dt.datetime.combine(self.last_day.data, self.last_time.data, tzinfo=zone)
        else:
            end = dt.datetime.combine(self.last_day.data + dt.timedelta(days=1), dt.time(),
                                      tzinfo=zone)
        return naive_utc(start), naive_utc(end)


def _caseworker_choices():
    return [SelectChoice(c.id, c.user.name) for c in
            Caseworker.select(Caseworker, User).join(User)
            .where(Caseworker.organisation == current_user.organisation_id)
            .order_by(User.name)]


@bp.route('/')
@job_centre_planners
def index():
    absences = list(Absence.select(Absence, Caseworker, User)
                    .join(Caseworker).join(User)
                    .where(Caseworker.organisation == current_user.organisation_id,
                           Absence.ends_at > utcnow())
                    .order_by(Absence.starts_at))
    return render_template('absence/index.html', absences=absences,
                           org=current_user.organisation)


@bp.route('/new', methods=['GET', 'POST'])
@job_centre_planners
def new():
    form = AbsenceForm()
    form.caseworker.choices = _caseworker_choices()
    if request.method == 'GET' and request.args.get('caseworker', type=int):
        form.caseworker.data = request.args.get('caseworker', type=int)
    if form.validate_on_submit():
        caseworker = get_in_org(Caseworker, form.caseworker.data)
        starts_at, ends_at = form.instants(current_user.organisation.zone)
        absence = Absence.create(caseworker=caseworker, starts_at=starts_at,
                                 ends_at=ends_at, reason=form.reason.data or '')
        AuditEvent.record('absence_created', actor=current_user, obj=absence,
                          ip=request.remote_addr)
        return see_other('absence.show', absence_id=absence.id)
    return render_template('absence/new.html', form=form)


def _absence_in_org(absence_id: int) -> Absence:
    absence = (Absence.select(Absence, Caseworker).join(Caseworker)
               .where(Absence.id == absence_id,
                      Caseworker.organisation == current_user.organisation_id).first())
    if absence is None:
        abort(404)
    return absence


def _hit_meetings(absence: Absence) -> list[Meeting]:
    """Booked meetings of the absent caseworker that overlap the absence."""
    return list(Meeting.select(Meeting, MeetingType).join(MeetingType)
                .where(Meeting.caseworker == absence.caseworker_id,
                       Meeting.status == Meeting.BOOKED,
                       Meeting.starts_at < absence.ends_at,
                       Meeting.ends_at > absence.starts_at)
                .order_by(Meeting.starts_at))


def _options(meeting: Meeting, absent: Caseworker):
    """Colleagues free at the same time, and other free times in the team."""
    org = meeting.organisation
    duration = int((meeting.ends_at - meeting.starts_at).total_seconds() // 60)
    colleagues = list(Caseworker.select(Caseworker, User).join(User)
                      .switch(Caseworker).join(CaseworkerTeam)
                      .where(CaseworkerTeam.team == meeting.team_id,
                             Caseworker.id != absent.id))
    day = org.local(meeting.starts_at).date()
    now = dt.datetime.now(dt.timezone.utc)
    closed = organisation_closing_days(org, day, day + dt.timedelta(days=SEARCH_DAYS))
    same_day = bookable_starts(
        caseworker_inputs(org, colleagues, day, day, team=meeting.team),
        zone=org.zone, first_day=day, last_day=day, now=now, duration_minutes=duration,
        reporting_minutes=meeting.reporting_minutes, organisation_closing_days=closed)
    start = meeting.starts_at.replace(tzinfo=dt.timezone.utc)
    free_colleagues = [c for c in colleagues if start in same_day[c.id]]

    # Any team member, the absent one included (after the absence), soonest first.
    everyone = colleagues + [absent]
    first = max(day, org.local(utcnow()).date())
    later = bookable_starts(
        caseworker_inputs(org, everyone, first, first + dt.timedelta(days=SEARCH_DAYS),
                          team=meeting.team),
        zone=org.zone, first_day=first, last_day=first + dt.timedelta(days=SEARCH_DAYS),
        now=now, duration_minutes=duration, reporting_minutes=meeting.reporting_minutes,
        grid_minutes=org.display_grid_minutes, organisation_closing_days=closed)
    names = {c.id: c.user.name for c in everyone}
    times = sorted((s, cid) for cid, starts in later.items() for s in starts
                   if s != start or cid != absent.id)[:SUGGESTIONS]
    return free_colleagues, [(s, cid, names[cid]) for s, cid in times]


@bp.route('/<int:absence_id>')
@job_centre_planners
def show(absence_id):
    absence = _absence_in_org(absence_id)
    org = current_user.organisation
    rows = []
    for meeting in _hit_meetings(absence):
        citizens = [p.citizen for p in meeting.participants
                    .where(MeetingParticipant.status == MeetingParticipant.BOOKED)]
        free_colleagues, later = _options(meeting, absence.caseworker)
        rows.append(dict(meeting=meeting, citizens=citizens, when=booking.local_when(meeting),
                         colleagues=free_colleagues,
                         later=[(s, cid, name, org.local(s)) for s, cid, name in later]))
    confirm = request.args.get('confirm', type=int)  # a meeting id to cancel
    return render_template('absence/show.html', absence=absence, rows=rows, org=org,
                           confirm=confirm)


@bp.route('/<int:absence_id>/meetings/<int:meeting_id>', methods=['POST'])
@job_centre_planners
def resolve(absence_id, meeting_id):
    absence = _absence_in_org(absence_id)
    meeting = get_in_org(Meeting, meeting_id)
    if meeting not in _hit_meetings(absence):
        abort(404)
    action = request.form.get('action')
    try:
        if action == 'cancel':
            booking.cancel(meeting)
            flash(_('The meeting is cancelled and the citizen has been notified.'), 'info')
        elif action in ('colleague', 'later'):
            value = request.form.get('choice', '')
            if action == 'colleague':
                caseworker_id, starts_at = int(value or 0), meeting.starts_at
            else:
                cid, _sep, iso = value.partition('@')
                caseworker_id, starts_at = int(cid or 0), dt.datetime.fromisoformat(iso)
            caseworker = get_in_org(Caseworker, caseworker_id)
            booking.move(meeting, caseworker=caseworker, starts_at=starts_at)
            flash(_('The meeting is moved and the citizen has been notified.'), 'info')
        else:
            abort(400)
    except (ValueError, TypeError):
        flash(_('Choose one of the options.'), 'error')
    except booking.BookingError as exc:
        flash(exc.message, 'error')
    return see_other('absence.show', absence_id=absence.id)


@bp.route('/<int:absence_id>/delete', methods=['POST'])
@job_centre_planners
def delete(absence_id):
    absence = _absence_in_org(absence_id)
    absence.delete_instance()
    flash(_('The absence is removed.'), 'info')
    return see_other('absence.index')
