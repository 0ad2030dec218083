"""The one write path for booking, moving and cancelling Planner meetings.

No double booking, ever (DESIGN rule 3): every write re-checks availability
inside one transaction while holding a lock on the caseworker (and room):
SQLite takes the database write lock at BEGIN (IMMEDIATE transactions),
PostgreSQL locks the caseworker's and room's rows with SELECT ... FOR UPDATE.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import force_locale, format_date, format_time, gettext as _

import notify
from models import (Caseworker, Meeting, MeetingParticipant, MeetingType,
                    Organisation, Room, Team, TypeVariant, User, db, utcnow)
from planning import caseworker_inputs, organisation_closing_days, room_bookings
from scheduling.availability import AvailabilityCalendar, room_free_intervals
from scheduling.localtime import as_utc, naive_utc
from scheduling.slots import STAFF_GRID_MINUTES, caseworker_starts


class BookingError(Exception):
    """Why a booking was refused; `code` is stable, the message is for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class MeetingRequest:
    organisation: Organisation
    team: Team
    meeting_type: MeetingType
    caseworker: Caseworker
    starts_at: dt.datetime            # aware, or naive UTC
    duration_minutes: int
    reporting_minutes: int = 0
    citizens: tuple[User, ...] = ()
    room: Room | None = None
    variant: TypeVariant | None = None
    form: str = Meeting.INDIVIDUAL
    attendance: str = Meeting.IN_PERSON
    note: str = ''
    created_by: User | None = None
    grid_minutes: int = STAFF_GRID_MINUTES
    share: str = 'max'                 # 'auto' for automatic distribution


def _lock(model, row_id: int) -> None:
    """Row lock on PostgreSQL; SQLite already holds the write lock (IMMEDIATE)."""
    if db.obj.for_update:
        model.select(model.id).where(model.id == row_id).for_update().execute()


def check_free(request: MeetingRequest, *, now: dt.datetime,
               exclude_meeting_id: int | None = None) -> None:
    """Raise BookingError unless the caseworker (and room) can take the meeting."""
    org = request.organisation
    start = as_utc(request.starts_at)
    if start < as_utc(now):
        raise BookingError('past', _('The time has already passed.'))
    local_day = start.astimezone(org.zone).date()
    inputs = caseworker_inputs(org, [request.caseworker], local_day, local_day,
                               team=request.team, exclude_meeting_id=exclude_meeting_id)
    calendar = AvailabilityCalendar(org.zone, local_day, local_day,
                                    organisation_closing_days(org, local_day, local_day))
    room_free = None
    if request.room is not None:
        end = start + dt.timedelta(minutes=request.duration_minutes)
        window = (start, end)
        bookings = room_bookings(request.room, naive_utc(start), naive_utc(end),
                                 exclude_meeting_id=exclude_meeting_id)
        extra = request.room.extra_seats if request.room.allow_overbooking else 0
        room_free = room_free_intervals(bookings, capacity=request.room.capacity,
                                        overbooking_seats=extra,
                                        seats_needed=max(1, len(request.citizens)),
                                        window=window)
        if not room_free or room_free[0] != window:
            raise BookingError('room_full', _('The room has no free seats at that time.'))
    share = (request.caseworker.max_share if request.share == 'max'
             else request.caseworker.auto_share)
    starts = caseworker_starts(calendar, inputs[0], now=now,
                               duration_minutes=request.duration_minutes,
                               reporting_minutes=request.reporting_minutes,
                               grid_minutes=request.grid_minutes, share_percent=share)
    if start not in starts:
        raise BookingError('taken', _('The caseworker is not free at that time any more. '
                                      'Choose another time.'))


def book(request: MeetingRequest, *, now: dt.datetime | None = None,
         send_notifications: bool = True) -> Meeting:
    """Create the meeting after re-checking inside the transaction."""
    now = now or dt.datetime.now(dt.timezone.utc)
    with db.atomic():
        _lock(Caseworker, request.caseworker.id)
        if request.room is not None:
            _lock(Room, request.room.id)
        check_free(request, now=now)
        start = naive_utc(as_utc(request.starts_at))
        meeting = Meeting.create(
            organisation=request.organisation, team=request.team,
            meeting_type=request.meeting_type, variant=request.variant,
            caseworker=request.caseworker, room=request.room, form=request.form,
            attendance=request.attendance, starts_at=start,
            ends_at=start + dt.timedelta(minutes=request.duration_minutes),
            reporting_minutes=request.reporting_minutes, note=request.note,
            created_by=request.created_by, created_at=utcnow())
        for citizen in request.citizens:
            MeetingParticipant.create(meeting=meeting, citizen=citizen)
    if send_notifications:
        for citizen in request.citizens:
            notify_citizen(meeting, citizen, 'booked')
    return meeting


def cancel(meeting: Meeting, *, send_notifications: bool = True) -> None:
    with db.atomic():
        Meeting.update(status=Meeting.CANCELLED).where(Meeting.id == meeting.id).execute()
        citizens = [p.citizen for p in meeting.participants
                    .where(MeetingParticipant.status == MeetingParticipant.BOOKED)]
    meeting.status = Meeting.CANCELLED
    if send_notifications:
        for citizen in citizens:
            notify_citizen(meeting, citizen, 'cancelled')


def move(meeting: Meeting, *, caseworker: Caseworker, starts_at: dt.datetime,
         now: dt.datetime | None = None, send_notifications: bool = True) -> Meeting:
    """Give a meeting another caseworker and/or time (same length, team, room)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    duration = int((meeting.ends_at - meeting.starts_at).total_seconds() // 60)
    participants = [p.citizen for p in meeting.participants
                    .where(MeetingParticipant.status == MeetingParticipant.BOOKED)]
    request = MeetingRequest(
        organisation=meeting.organisation, team=meeting.team,
        meeting_type=meeting.meeting_type, caseworker=caseworker, starts_at=starts_at,
        duration_minutes=duration, reporting_minutes=meeting.reporting_minutes,
        citizens=tuple(participants), room=meeting.room)
    with db.atomic():
        _lock(Caseworker, caseworker.id)
        if meeting.room_id:
            _lock(Room, meeting.room_id)
        check_free(request, now=now, exclude_meeting_id=meeting.id)
        start = naive_utc(as_utc(starts_at))
        meeting.caseworker = caseworker
        meeting.starts_at = start
        meeting.ends_at = start + dt.timedelta(minutes=duration)
        meeting.save()
    if send_notifications:
        for citizen in participants:
            notify_citizen(meeting, citizen, 'moved')
    return meeting


def meeting_place(meeting: Meeting) -> str:
    """The room's address when it has one, else the team's (as the deck says)."""
    source = meeting.room if meeting.room_id and meeting.room.address else meeting.team
    parts = [source.address, ' '.join(p for p in (source.postcode, source.city) if p)]
    return ', '.join(p for p in parts if p)


def notify_citizen(meeting: Meeting, citizen: User, event: str) -> None:
    """Tell a citizen by SMS (and email when known) in their own language."""
    org = meeting.organisation
    language = citizen.language or org.language
    with force_locale(language):
        when = local_when(meeting)
        kind = meeting.meeting_type.label(language)
        place = meeting_place(meeting)
        if event == 'booked':
            text = _('You have a meeting (%(kind)s) with %(org)s on %(when)s at %(place)s.',
                     kind=kind, org=org.name, when=when, place=place)
        elif event == 'moved':
            text = _('Your meeting (%(kind)s) with %(org)s has been moved to %(when)s '
                     'at %(place)s.', kind=kind, org=org.name, when=when, place=place)
        else:
            text = _('Your meeting (%(kind)s) with %(org)s on %(when)s has been cancelled.',
                     kind=kind, org=org.name, when=when)
        subject = _('Your meeting with %(org)s', org=org.name)
    if citizen.phone:
        notify.queue_sms(org, citizen.phone, text, user=citizen)
    if citizen.email:
        notify.queue_email(org, citizen.email, subject, text, user=citizen)


def local_when(meeting: Meeting) -> str:
    """'torsdag den 5. februar 2026 14.00' in the organisation's zone and the
    current language."""
    local = meeting.organisation.local(meeting.starts_at)
    return f"{format_date(local.date(), 'full')} {format_time(local, 'short', rebase=False)}"
