"""The one write path for booking, moving and cancelling Planner meetings.

No double booking, ever (DESIGN rule 3): every write re-checks availability
inside one transaction while holding a lock on the caseworker (and room):
SQLite takes the database write lock at BEGIN (IMMEDIATE transactions),
PostgreSQL locks the caseworker's and room's rows with SELECT ... FOR UPDATE.

Meetings are made only by `create_meetings` (one booking or a whole
summons: `book` and `planner.summons.summon` call it with their locks held),
re-checked only by `recheck` (`scheduling.slots.BookingCheck`), which also
serves `move` and a summons' changed proposal; `announce` writes the
calendar syncs and the citizens' notices in the same transaction (their tasks
start once it commits, DESIGN rule 4).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable, Sequence

from flask_babel import force_locale, gettext as _, ngettext
from peewee import fn

from messaging import dates, outbox
from models import (Caseworker, CitizenProfile, Meeting, MeetingCaseworker, MeetingParticipant,
                    MeetingType, Message, OnlineOffer, Organisation, Room, Team, TypeVariant, User,
                    db, insert_rows, lock_row, prepared, transaction, utcnow)
from planner import calendar_sync
from planner.loading import (CaseworkerChoice, citizen_facts, fixed_inputs, free_starts,
                             offer_caseworkers, organisation_closing_days, reservations_of,
                             room_bookings, utc_window, with_meetings)
from scheduling import reserved, rules
from scheduling.availability import AvailabilityCalendar, room_free_intervals
from scheduling.localtime import as_utc, naive_utc
from scheduling.slots import PAST, ROOM_FULL, STAFF_GRID_MINUTES, BookingCheck, NewMeeting


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
    # What the citizen may do later, kept on the meeting.
    offer: OnlineOffer | None = None
    citizen_can_cancel: bool = False
    citizen_can_rebook: bool = False
    rebook_days_before: int = 1
    show_caseworker: bool = True
    hold_by: dt.date | None = None
    # A group meeting (a summons): its other caseworkers, the seats offered
    # and those kept for rebooking (they take room seats too).
    extra_caseworkers: tuple[Caseworker, ...] = ()
    seats: int | None = None
    rebooking_seats: int = 0
    overbooking: bool = True           # may fill the room's overbooking seats
    summoned: bool = False             # made by a summons (summoned_at)
    late: bool = False                 # summoned after its hold-by date
    # What the time is used for (reserved.SUMMONS or SELF_BOOKING): time
    # reserved for the other purpose is refused. None: staff booking by
    # hand, who may use reserved time on purpose (the reservation only
    # keeps the automatic offers and summons apart).
    purpose: str | None = None


def _staff(request: MeetingRequest) -> tuple[Caseworker, ...]:
    """Everyone holding the meeting, the lead caseworker first."""
    return (request.caseworker, *request.extra_caseworkers)


def room_seats(room: Room, overbooking: bool = True) -> int | None:
    """Seats a meeting may fill in the room (None: unlimited): its capacity,
    and its overbooking seats when the room has them and `overbooking`."""
    if room.capacity is None:
        return None
    return room.capacity + (room.extra_seats if overbooking and room.allow_overbooking else 0)


def _new_meeting(request: MeetingRequest) -> NewMeeting:
    return NewMeeting(
        caseworker_ids=tuple(c.id for c in _staff(request)), start=as_utc(request.starts_at),
        duration_minutes=request.duration_minutes, reporting_minutes=request.reporting_minutes,
        grid_minutes=request.grid_minutes, share='max' if request.share == 'max' else 'auto',
        # A group meeting holds its offered seats in the room, filled or not.
        seats=max(1, len(request.citizens), request.seats or 0) + request.rebooking_seats,
        room_seats=(room_seats(request.room, request.overbooking)
                    if request.room is not None else None))


@dataclass
class PreparedCheck:
    """What a re-check reads that no booking writes (the calendar of the
    requests' dates, the caseworkers' hours, pauses, absences and closing
    days): read before the writer takes its locks, so that under them only
    the meetings and the room's seats are read (`recheck`)."""
    requests: Sequence[MeetingRequest]
    calendar: AvailabilityCalendar
    inputs: list = field(default_factory=list)
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    # Per caseworker id the instants reserved for another purpose than the requests'.
    reserved: dict = field(default_factory=dict)


def prepare_check(requests: Sequence[MeetingRequest]) -> PreparedCheck:
    """The fixed part of the re-check of these requests (which share
    organisation, team and room), over their local dates."""
    org, team = requests[0].organisation, requests[0].team
    if len({(r.organisation.id, r.team.id, r.room.id if r.room is not None else None,
             r.purpose) for r in requests}) > 1:
        raise ValueError('requests checked together share organisation, team, room, purpose')
    days = {as_utc(r.starts_at).astimezone(org.zone).date() for r in requests}
    first_day, last_day = min(days), max(days)
    staff = {c.id: c for r in requests for c in _staff(r)}
    calendar = AvailabilityCalendar(org.zone, first_day, last_day,
                                    organisation_closing_days(org, first_day, last_day))
    inputs = fixed_inputs(org, staff.values(), first_day, last_day, team=team)
    purpose, windows = requests[0].purpose, {}
    if purpose is not None:
        applying = reservations_of(org, calendar, list(staff), team=team)
        windows = {cid: found for cid, items in applying.items()
                   if (found := reserved.other_purpose_windows(calendar, items, purpose))}
        inputs = reserved.for_purpose(calendar, inputs, applying, purpose)
    return PreparedCheck(requests, calendar, inputs, first_day, last_day, windows)


def _reserved_refusal(request: MeetingRequest, prepared: PreparedCheck) -> BookingError | None:
    """Refused when the meeting falls in time one of its caseworkers keeps
    for the other purpose (a clearer reason than "not free")."""
    start = as_utc(request.starts_at)
    end = start + dt.timedelta(minutes=request.duration_minutes)
    if not any(begin < end and start < finish for c in _staff(request)
               for begin, finish in prepared.reserved.get(c.id, ())):
        return None
    if request.purpose == reserved.SUMMONS:
        return BookingError('reserved', _('That time is reserved for self-booking only. '
                                          'Choose another time.'))
    return BookingError('reserved', _('That time is reserved for summons only. '
                                      'Please choose another time.'))


def _booking_check(prepared: PreparedCheck, now: dt.datetime,
                   exclude_meeting_id: int | None) -> BookingCheck:
    """The prepared check with the caseworkers' meetings and the room's
    seats as stored now."""
    org, room = prepared.requests[0].organisation, prepared.requests[0].room
    inputs = with_meetings(org, prepared.inputs, prepared.first_day, prepared.last_day,
                           exclude_meeting_id=exclude_meeting_id)
    bookings = None
    if room is not None:
        bookings = room_bookings(room, *utc_window(org, prepared.first_day, prepared.last_day),
                                 exclude_meeting_id=exclude_meeting_id)
    return BookingCheck(prepared.calendar, inputs, now=now, room_bookings=bookings)


def _refusal(code: str) -> BookingError | None:
    if not code:
        return None
    if code == PAST:
        return BookingError(code, _('The time has already passed.'))
    if code == ROOM_FULL:
        return BookingError(code, _('The room has no free seats at that time.'))
    return BookingError(code, _('The caseworker is not free at that time any more. '
                                'Choose another time.'))


def recheck(requests: Sequence[MeetingRequest], *, now: dt.datetime,
            exclude_meeting_id: int | None = None,
            prepared: PreparedCheck | None = None) -> list[BookingError | None]:
    """The one re-check before meetings are written (DESIGN rule 3): each
    request in turn against the caseworkers' calendars and the room's seats
    as stored and the requests accepted before it (`BookingCheck`). Run it
    inside the writer's transaction with its locks held. None: free.

    `exclude_meeting_id` leaves out a meeting being moved. `prepared`
    (`prepare_check` of the same requests, made before the locks were
    taken) keeps the work under the locks to the meetings and seats."""
    if not requests:
        return []
    if prepared is None or len(prepared.requests) != len(requests) or any(
            mine is not theirs for mine, theirs in zip(requests, prepared.requests)):
        prepared = prepare_check(requests)
    check = _booking_check(prepared, now, exclude_meeting_id)
    return [_reserved_refusal(request, prepared) or _refusal(check.place(_new_meeting(request)))
            for request in requests]


def check_free(request: MeetingRequest, *, now: dt.datetime,
               exclude_meeting_id: int | None = None,
               prepared: PreparedCheck | None = None) -> None:
    """Raise BookingError unless the caseworker (and room) can take the meeting."""
    [refusal] = recheck([request], now=now, exclude_meeting_id=exclude_meeting_id,
                        prepared=prepared)
    if refusal is not None:
        raise refusal


def _meeting_row(request: MeetingRequest, stamp: dt.datetime) -> dict:
    """The meeting's columns; related rows as the request's own objects (the
    insert stores their ids, the meeting built in memory keeps them)."""
    start = naive_utc(as_utc(request.starts_at))
    return dict(
        organisation=request.organisation, team=request.team,
        meeting_type=request.meeting_type, variant=request.variant,
        caseworker=request.caseworker, room=request.room, form=request.form,
        attendance=request.attendance, starts_at=start,
        ends_at=start + dt.timedelta(minutes=request.duration_minutes),
        reporting_minutes=request.reporting_minutes, status=Meeting.BOOKED, note=request.note,
        created_by=request.created_by, created_at=stamp, offer=request.offer,
        citizen_can_cancel=request.citizen_can_cancel,
        citizen_can_rebook=request.citizen_can_rebook,
        rebook_days_before=request.rebook_days_before,
        show_caseworker=request.show_caseworker, hold_by=request.hold_by, revision=0,
        summoned_at=stamp if request.summoned else None, late=request.late,
        seats=request.seats, rebooking_seats=request.rebooking_seats)


def _write_meetings(requests: Sequence[MeetingRequest]) -> list[Meeting]:
    """Meetings, their participants and extra caseworkers in a few inserts;
    each meeting returned built in memory with the request's rows attached."""
    if not requests:
        return []
    stamp = utcnow()
    rows = [_meeting_row(request, stamp) for request in requests]
    ids = insert_rows(Meeting, rows)
    participants, staff = [], []
    for meeting_id, request in zip(ids, requests):
        participants += [dict(meeting=meeting_id, citizen=citizen.id, created_at=stamp)
                         for citizen in request.citizens]
        staff += [dict(meeting=meeting_id, caseworker=caseworker.id)
                  for caseworker in request.extra_caseworkers]
    insert_rows(MeetingParticipant, participants, returning=False)
    insert_rows(MeetingCaseworker, staff, returning=False)
    return [Meeting(id=meeting_id, **row) for meeting_id, row in zip(ids, rows)]


def create_meetings(requests: Sequence[MeetingRequest], *, now: dt.datetime,
                    prepared: PreparedCheck | None = None) -> list[Meeting | BookingError]:
    """The one write path that makes meetings: one booking or a whole
    summons. Inside the caller's transaction, with its locks held, each
    request is re-checked (`recheck`, with `prepared` when the caller
    prepared it before the locks) and the free ones are written in bulk.
    Returns per request its Meeting or the BookingError refusing it; the
    caller then `announce`s the meetings in the same transaction."""
    with transaction():
        refusals = recheck(requests, now=now, prepared=prepared)
        made = iter(_write_meetings([request for request, refusal in zip(requests, refusals)
                                     if refusal is None]))
        return [refusal if refusal is not None else next(made) for refusal in refusals]


def announce(made: Sequence[tuple[Meeting, MeetingRequest]], *, event: str = 'booked',
             notify: bool = True) -> None:
    """Inside the transaction that made the meetings: every calendar of
    them, and unless `notify` is off their citizens ('booked', 'summoned' by
    a summons, 'self_booked' by the citizen)."""
    if not made:
        return
    calendar_sync.queue_new_meetings(
        (meeting.id, meeting.revision,
         [meeting.caseworker_id, *(c.id for c in request.extra_caseworkers)])
        for meeting, request in made)
    if not notify:
        return
    if event in SELF_SERVICE_EVENTS:
        for meeting, request in made:
            for citizen in request.citizens:
                _notify_self_service(meeting, citizen, event)
        return
    _queue_staff_notices(made[0][0].organisation,
                         [(meeting, citizen) for meeting, request in made
                          for citizen in request.citizens], event)


def book(request: MeetingRequest, *, now: dt.datetime | None = None,
         send_notifications: bool = True, event: str = 'booked',
         guard: Callable[[], None] | None = None) -> Meeting:
    """Create the meeting after re-checking inside the transaction.

    `guard` runs inside the transaction once the locks are held and raises
    BookingError to refuse (the caller's own rules, checked race-free).
    What no booking changes is read before the locks (`prepare_check`): under
    them only the chosen start is re-checked against the meetings."""
    now = now or dt.datetime.now(dt.timezone.utc)
    requests = [request]
    prepared = prepare_check(requests)
    with db.atomic():
        for caseworker in sorted(_staff(request), key=lambda c: c.id):
            lock_row(Caseworker, caseworker.id)
        if request.room is not None:
            lock_row(Room, request.room.id)
        if guard is not None:
            guard()
        [meeting] = create_meetings(requests, now=now, prepared=prepared)
        if isinstance(meeting, BookingError):
            raise meeting
        announce([(meeting, request)], event=event, notify=send_notifications)
    return meeting


def _locked_status(meeting: Meeting) -> str:
    """The meeting's status as stored, its row locked (PostgreSQL)."""
    lock_row(Meeting, meeting.id)
    return Meeting.select(Meeting.status).where(Meeting.id == meeting.id).scalar()


def cancel(meeting: Meeting, *, send_notifications: bool = True,
           guard: Callable[[], None] | None = None, event: str = 'cancelled') -> None:
    """Cancel a booked meeting. Cancelling it twice tells nobody twice; with a
    `guard` (run inside the transaction) the second time is an error."""
    with db.atomic():
        if _locked_status(meeting) != Meeting.BOOKED:
            if guard is not None:
                raise BookingError('gone', _('This meeting is already cancelled.'))
            meeting.status = Meeting.CANCELLED
            return
        if guard is not None:
            guard()
        Meeting.update(status=Meeting.CANCELLED).where(Meeting.id == meeting.id).execute()
        meeting.status = Meeting.CANCELLED
        _report_change(meeting, event if send_notifications else None)


def _report_change(meeting: Meeting, event: str | None) -> None:
    """Inside the transaction that moved or cancelled `meeting`: its calendars
    and (unless `event` is None) its booked citizens are told once it commits."""
    calendar_sync.queue_meeting(meeting)
    if event is None:
        return
    for participant in meeting.participants.where(
            MeetingParticipant.status == MeetingParticipant.BOOKED):
        notify_citizen(meeting, participant.citizen, event)


def move(meeting: Meeting, *, caseworker: Caseworker, starts_at: dt.datetime,
         now: dt.datetime | None = None, send_notifications: bool = True,
         grid_minutes: int = STAFF_GRID_MINUTES,
         guard: Callable[[], None] | None = None, event: str = 'moved',
         purpose: str | None = None) -> Meeting:
    """Give a meeting another caseworker and/or time (same length, team, room).

    Refused ('gone') when the meeting was cancelled meanwhile; `guard` runs
    inside the transaction with the locks held, as for `book`. `purpose`:
    as `MeetingRequest.purpose` (a citizen's rebooking: self-booking)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    duration = int((meeting.ends_at - meeting.starts_at).total_seconds() // 60)
    participants = [p.citizen for p in meeting.participants
                    .where(MeetingParticipant.status == MeetingParticipant.BOOKED)]
    request = MeetingRequest(
        organisation=meeting.organisation, team=meeting.team,
        meeting_type=meeting.meeting_type, caseworker=caseworker, starts_at=starts_at,
        duration_minutes=duration, reporting_minutes=meeting.reporting_minutes,
        citizens=tuple(participants), room=meeting.room, grid_minutes=grid_minutes,
        purpose=purpose)
    prepared = prepare_check([request])      # before the locks: see `book`
    with db.atomic():
        lock_row(Caseworker, caseworker.id)
        if meeting.room_id:
            lock_row(Room, meeting.room_id)
        if _locked_status(meeting) != Meeting.BOOKED:
            raise BookingError('gone', _('This meeting has been cancelled.'))
        if guard is not None:
            guard()
        check_free(request, now=now, exclude_meeting_id=meeting.id, prepared=prepared)
        start = naive_utc(as_utc(starts_at))
        end = start + dt.timedelta(minutes=duration)
        # Only these columns: a stale copy must not undo other changes.
        Meeting.update(caseworker=caseworker, starts_at=start, ends_at=end,
                       revision=Meeting.revision + 1).where(Meeting.id == meeting.id).execute()
        meeting.caseworker = caseworker
        meeting.starts_at, meeting.ends_at = start, end
        meeting.revision = (meeting.revision or 0) + 1
        _report_change(meeting, event if send_notifications else None)
    return meeting


def add_caseworker(meeting: Meeting, caseworker: Caseworker, *,
                   now: dt.datetime | None = None) -> Meeting:
    """One more caseworker on a booked meeting (a group meeting's staff),
    free at that time as any booking re-checks. Every calendar of the
    meeting is brought up to date: theirs gets the event, the others the
    new list of staff."""
    now = now or dt.datetime.now(dt.timezone.utc)
    duration = int((meeting.ends_at - meeting.starts_at).total_seconds() // 60)
    request = MeetingRequest(
        organisation=meeting.organisation, team=meeting.team,
        meeting_type=meeting.meeting_type, caseworker=caseworker,
        starts_at=as_utc(meeting.starts_at), duration_minutes=duration,
        reporting_minutes=meeting.reporting_minutes)
    with db.atomic():
        lock_row(Caseworker, caseworker.id)
        if _locked_status(meeting) != Meeting.BOOKED:
            raise BookingError('gone', _('This meeting has been cancelled.'))
        if caseworker.organisation_id != meeting.organisation_id:
            raise BookingError('not_allowed', _('The caseworker is not of this job centre.'))
        if caseworker.id in meeting.caseworker_ids():
            raise BookingError('already', _('The caseworker already holds this meeting.'))
        check_free(request, now=now)
        MeetingCaseworker.create(meeting=meeting, caseworker=caseworker)
        _staff_changed(meeting)
    return meeting


def remove_caseworker(meeting: Meeting, caseworker: Caseworker) -> Meeting:
    """Take one of a group meeting's other caseworkers off it (never the
    lead): the event leaves their calendar, the others show the new staff."""
    with db.atomic():
        _locked_status(meeting)
        removed = (MeetingCaseworker.delete()
                   .where(MeetingCaseworker.meeting == meeting.id,
                          MeetingCaseworker.caseworker == caseworker.id).execute())
        if removed:
            _staff_changed(meeting)
    return meeting


def _staff_changed(meeting: Meeting) -> None:
    """A new revision (every event lists the staff) and the calendars
    queued, in the transaction of the change."""
    Meeting.update(revision=Meeting.revision + 1).where(Meeting.id == meeting.id).execute()
    meeting.revision = (meeting.revision or 0) + 1
    calendar_sync.queue_meeting(meeting)


def notify_citizen(meeting: Meeting, citizen: User, event: str) -> None:
    """Tell a citizen by SMS (and email when known) in their own language.

    Events: booked, moved, cancelled (by staff); self_booked, self_rebooked,
    self_cancelled (by the citizen: a short SMS and a receipt by email)."""
    if event in SELF_SERVICE_EVENTS:
        _notify_self_service(meeting, citizen, event)
        return
    _queue_staff_notices(meeting.organisation, [(meeting, citizen)], event)


def _queue_staff_notices(organisation: Organisation, pairs: Sequence[tuple[Meeting, User]],
                         event: str) -> None:
    """`staff_notice` to each (meeting, citizen) by SMS and e-mail where
    known: the rows in a few inserts, then one task (a summons of thousands)."""
    notices = []
    shared: dict[str, _NoticeTexts] = {}     # per language
    for meeting, citizen in pairs:
        if not citizen.phone and not citizen.email:
            continue
        text, subject, body = staff_notice(meeting, citizen, event, shared=shared)
        if citizen.phone:
            notices.append(dict(channel=Message.SMS, to=citizen.phone, body=text,
                                user=citizen.id, meeting=meeting.id))
        if citizen.email:
            notices.append(dict(channel=Message.EMAIL, to=citizen.email, subject=subject,
                                body=body, user=citizen.id, meeting=meeting.id))
    if notices:
        outbox.queue_many(organisation, notices)


def staff_notice(meeting: Meeting, citizen: User, event: str, *,
                 shared: dict[str, '_NoticeTexts'] | None = None) -> tuple[str, str, str]:
    """(SMS text, e-mail subject, e-mail body) telling a citizen, in their own
    language, that staff booked ('booked', or 'summoned' by a summons),
    moved or cancelled their meeting. `shared` ({language: texts}) keeps
    what the notices of many meetings of one event have in common."""
    org = meeting.organisation
    language = citizen.language or org.language
    texts = shared.get(language) if shared is not None else None
    if texts is None:
        texts = _NoticeTexts(org, language, event)
        if shared is not None:
            shared[language] = texts
    return texts.notice(meeting)


class _NoticeTexts:
    """The texts of one event in one language, translated once, and each
    date and time of day formatted once (a summons of thousands)."""

    def __init__(self, org: Organisation, language: str, event: str):
        self.org, self.language, self.event = org, language, event
        self.whens: dict[dt.datetime, str] = {}
        self.kinds: dict[int, str] = {}
        with force_locale(language):
            # Untranslated placeholders stay: filled per meeting in `notice`.
            if event == 'summoned':
                self.text = _('You are summoned to a meeting (%(kind)s) with %(org)s on '
                              '%(when)s at %(place)s.')
            elif event == 'booked':
                self.text = _('You have a meeting (%(kind)s) with %(org)s on %(when)s at '
                              '%(place)s.')
            elif event == 'moved':
                self.text = _('Your meeting (%(kind)s) with %(org)s has been moved to '
                              '%(when)s at %(place)s.')
            else:
                self.text = _('Your meeting (%(kind)s) with %(org)s on %(when)s has been '
                              'cancelled.')
            self.subject = _('Your meeting with %(org)s', org=org.name)
            self.footer = ['', _('Your rights and duties'), rights_and_duties(org), '',
                           _('See and change your appointments under My appointments.'),
                           '', org.name]

    def when(self, local: dt.datetime) -> str:
        """`local_when` of a local datetime (cached: a summons has few starts)."""
        text = self.whens.get(local)
        if text is None:
            with force_locale(self.language):
                text = self.whens[local] = dates.text(local, 'datetime_full')
        return text

    def notice(self, meeting: Meeting) -> tuple[str, str, str]:
        kind = self.kinds.get(meeting.meeting_type_id)
        if kind is None:
            kind = self.kinds[meeting.meeting_type_id] = meeting.meeting_type.label(
                self.language)
        text = self.text % dict(kind=kind, org=self.org.name,
                                when=self.when(self.org.local(meeting.starts_at)),
                                place=meeting.place() or meeting.team.name)
        body = '\n'.join([text, *self.footer]) if self.event == 'summoned' else text
        return text, self.subject, body


def local_when(meeting: Meeting) -> str:
    """'torsdag den 5. februar 2026 14:00' in the organisation's zone and the
    current language."""
    local = meeting.organisation.local(meeting.starts_at)
    return dates.text(local, 'datetime_full')


def local_when_short(meeting: Meeting) -> str:
    """'5. feb. 2026 14:00': for SMS (plain spaces keep it in the GSM alphabet)."""
    local = meeting.organisation.local(meeting.starts_at)
    text = dates.text(local, 'datetime')
    return text.replace('\u202f', ' ').replace('\xa0', ' ')


# --- citizens' self-service: online offers, rebooking, cancelling -------------

SELF_SERVICE_EVENTS = ('self_booked', 'self_rebooked', 'self_cancelled')


def taken_message() -> str:
    return _('That time was just taken. Please choose another.')


def local_today(organisation: Organisation, now: dt.datetime) -> dt.date:
    return as_utc(now).astimezone(organisation.zone).date()


def offer_period(offer: OnlineOffer) -> rules.OfferPeriod | None:
    if None in (offer.bookable_from, offer.earliest_meeting, offer.end_date):
        return None
    return rules.OfferPeriod(offer.bookable_from, offer.earliest_meeting, offer.end_date)


def offer_rules(offer: OnlineOffer) -> rules.RuleSet:
    return rules.RuleSet.from_json(offer.rules)


def meeting_title(meeting: Meeting, language: str) -> str:
    """What the citizen booked: the offer's title, else the meeting type."""
    if meeting.offer_id and meeting.offer.title:
        return meeting.offer.title
    return meeting.meeting_type.label(language)


def default_rights_and_duties() -> str:
    return _('You must attend the meeting at the time you have booked. If you cannot '
             'come, cancel or rebook the meeting before it starts, or call the job centre. '
             'If you stay away without a valid reason, your benefits may be affected. '
             'You may bring someone with you to the meeting. You have the right to see '
             'what the job centre has registered about you and to have it corrected.')


def rights_and_duties(organisation: Organisation) -> str:
    """The organisation's text; a general one until it has written its own."""
    return (organisation.rights_and_duties or '').strip() or default_rights_and_duties()


def offers_for_citizen(citizen: User, now: dt.datetime) -> list[OnlineOffer]:
    """Offers the citizen may book now: completed, active, open today, and
    the citizen in the target group (rules evaluated here, on the server)."""
    org = citizen.organisation
    today = local_today(org, now)
    facts = citizen_facts(org, [citizen.id]).get(citizen.id)
    if facts is None:
        return []
    offers = (OnlineOffer.select(OnlineOffer, Team).join(Team)
              .where(OnlineOffer.organisation == org, OnlineOffer.number.is_null(False),
                     OnlineOffer.active == True,  # noqa: E712
                     OnlineOffer.bookable_from <= today, OnlineOffer.end_date >= today)
              .order_by(OnlineOffer.title, OnlineOffer.number))
    assigned = (CitizenProfile.select(CitizenProfile.caseworker)
                .where(CitizenProfile.user == citizen).scalar())
    found = [o for o in offers if rules.matches(offer_rules(o), facts, today)]
    if any(o.model == OnlineOffer.CONTROL_MODEL for o in found):
        # Control model: only when the citizen's own caseworker takes part.
        links = offer_caseworkers([o.id for o in found])
        found = [o for o in found if o.model != OnlineOffer.CONTROL_MODEL
                 or any(c.id == assigned for c in links.get(o.id, ()))]
    booked = {m.offer_id for m in Meeting.select(Meeting.offer).join(MeetingParticipant).where(
        Meeting.offer.in_([o.id for o in found]), Meeting.status == Meeting.BOOKED,
        Meeting.starts_at > naive_utc(as_utc(now)), MeetingParticipant.citizen == citizen,
        MeetingParticipant.status == MeetingParticipant.BOOKED)} if found else set()
    # One booking per offer: a booked offer is under My appointments instead.
    return [o for o in found if o.id not in booked]


def has_upcoming_meeting(offer: OnlineOffer, citizen: User, now: dt.datetime) -> bool:
    """Whether the citizen holds a booked meeting of this offer that has not
    started yet (one booking per offer)."""
    return bool(_upcoming_meeting.rows(offer=offer.id, citizen=citizen.id,
                                       now=naive_utc(as_utc(now))))


@prepared
def _upcoming_meeting(p):
    return (Meeting.select(Meeting.id).join(MeetingParticipant)
            .where(Meeting.offer == p.offer, Meeting.status == Meeting.BOOKED,
                   Meeting.starts_at > p.now, MeetingParticipant.citizen == p.citizen,
                   MeetingParticipant.status == MeetingParticipant.BOOKED)
            .limit(1))


@dataclass
class TimeChoice:
    """Where a citizen may book (or move a meeting to): which caseworkers on
    which local dates, for a meeting of one team and length."""
    organisation: Organisation
    team: Team
    duration_minutes: int
    reporting_minutes: int
    caseworkers: list[CaseworkerChoice]           # ordered by name
    windows: dict[int, list[tuple[dt.date, dt.date]]] = field(default_factory=dict)
    may_choose: bool = False        # the citizen may pick a caseworker
    must_choose: bool = False       # ... and has to (trust model)
    show_names: bool = True
    exclude_meeting_id: int | None = None

    @property
    def first_day(self) -> dt.date:
        return min(first for spans in self.windows.values() for first, _last in spans)

    @property
    def last_day(self) -> dt.date:
        return max(last for spans in self.windows.values() for _first, last in spans)

    def allows(self, caseworker_id: int, day: dt.date) -> bool:
        return any(first <= day <= last for first, last in self.windows.get(caseworker_id, ()))

    def starts(self, first_day: dt.date, last_day: dt.date, *, now: dt.datetime,
               caseworker_id: int | None = None) -> dict[int, list[dt.datetime]]:
        """{caseworker id: bookable starts} on the dates given (clipped to the
        choice), only for caseworkers and dates the choice allows."""
        first_day, last_day = max(first_day, self.first_day), min(last_day, self.last_day)
        wanted = [c for c in self.caseworkers if c.id in self.windows
                  and (caseworker_id is None or c.id == caseworker_id)]
        if first_day > last_day or not wanted:
            return {}
        starts, _calendar, _inputs = free_starts(
            self.organisation, self.team, wanted, first_day, last_day, now=now,
            duration_minutes=self.duration_minutes, reporting_minutes=self.reporting_minutes,
            exclude_meeting_id=self.exclude_meeting_id)
        zone = self.organisation.zone
        local_dates: dict[dt.datetime, dt.date] = {}   # starts are shared between caseworkers

        def allowed(cid: int, start: dt.datetime) -> bool:
            day = local_dates.get(start)
            if day is None:
                day = local_dates[start] = start.astimezone(zone).date()
            return self.allows(cid, day)

        # A caseworker whose window holds all the dates asked keeps every start.
        return {cid: found if any(first <= first_day and last_day <= last
                                  for first, last in self.windows[cid])
                else [s for s in found if allowed(cid, s)]
                for cid, found in starts.items()}


def _not_offered() -> BookingError:
    return BookingError('not_offered', _('This meeting is not offered to you. '
                                         'Choose one of the meetings you can book.'))


def _model_caseworkers(offer: OnlineOffer, citizen: User,
                       caseworkers: list[CaseworkerChoice]) -> list[CaseworkerChoice]:
    """Control model: only the citizen's own caseworker; else all of the offer's."""
    if offer.model != OnlineOffer.CONTROL_MODEL:
        return caseworkers
    assigned = (CitizenProfile.select(CitizenProfile.caseworker)
                .where(CitizenProfile.user == citizen).scalar())
    return [c for c in caseworkers if c.id == assigned]


def offer_choice(offer: OnlineOffer, citizen: User, now: dt.datetime, *,
                 rebooking: bool = False) -> TimeChoice:
    """Where the citizen may book this offer, or BookingError saying why not
    (not offered to them, no dates left, already booked)."""
    org = citizen.organisation
    today = local_today(org, now)
    period = offer_period(offer)
    if (offer.organisation_id != org.id or offer.is_draft or period is None
            or not (offer.active or rebooking)):
        raise _not_offered()
    days = rules.meeting_days(period, today)
    facts = citizen_facts(org, [citizen.id]).get(citizen.id)
    if not rebooking and (facts is None or not rules.is_open(period, today)
                          or not rules.matches(offer_rules(offer), facts, today)):
        raise _not_offered()
    if not rebooking and has_upcoming_meeting(offer, citizen, now):
        raise BookingError('already_booked', _('You have already booked this meeting. '
                                               'You find it under My appointments.'))
    caseworkers = _model_caseworkers(offer, citizen,
                                     offer_caseworkers([offer.id]).get(offer.id, []))
    if days is None or not caseworkers:
        raise BookingError('no_dates', _('There are no free times left in this offer.'))
    return TimeChoice(
        organisation=org, team=offer.team, duration_minutes=offer.duration_minutes,
        reporting_minutes=offer.reporting_minutes, caseworkers=caseworkers,
        windows={c.id: [days] for c in caseworkers},
        may_choose=offer.model in (OnlineOffer.TEAM_MODEL, OnlineOffer.TRUST_MODEL)
        and len(caseworkers) > 1,
        must_choose=offer.model == OnlineOffer.TRUST_MODEL and len(caseworkers) > 1,
        show_names=offer.show_caseworker)


def citizen_meetings(citizen: User):
    """The citizen's meetings (query), each with `participation`: whether
    the citizen still takes part (a group meeting goes on when one leaves)."""
    return (Meeting.select(Meeting, MeetingParticipant.status.alias('participation'))
            .join(MeetingParticipant)
            .where(MeetingParticipant.citizen == citizen,
                   Meeting.organisation == citizen.organisation_id)
            .objects())


def citizen_meeting(meeting_id: int, citizen: User) -> Meeting | None:
    """A meeting of this citizen (in their organisation), or None: another
    citizen's meeting id finds nothing."""
    return citizen_meetings(citizen).where(Meeting.id == meeting_id).first()


def is_on(meeting: Meeting) -> bool:
    """The meeting is booked, and for the citizen it was loaded for
    (`citizen_meetings`), they still take part in it."""
    # Loaded for staff: no participation, the meeting's status alone.
    return meeting.status == Meeting.BOOKED and getattr(
        meeting, 'participation', MeetingParticipant.BOOKED) == MeetingParticipant.BOOKED


def may_cancel(meeting: Meeting, now: dt.datetime) -> bool:
    return is_on(meeting) and rules.may_cancel(
        meeting.citizen_can_cancel, as_utc(now), as_utc(meeting.starts_at))


def rebook_deadline(meeting: Meeting) -> dt.date:
    day = meeting.organisation.local(meeting.starts_at).date()
    return rules.rebook_deadline(day, meeting.rebook_days_before)


def _rebook_last_day(meeting: Meeting) -> dt.date | None:
    """The live end date of the meeting's offer (edits bound existing
    bookings) and the meeting's hold-by date, whichever comes first."""
    bounds = [d for d in (meeting.offer.end_date if meeting.offer_id else None,
                          meeting.hold_by) if d is not None]
    return min(bounds) if bounds else None


def may_rebook(meeting: Meeting, now: dt.datetime) -> bool:
    if not is_on(meeting) or not meeting.citizen_can_rebook:
        return False
    last = _rebook_last_day(meeting)
    if last is None and meeting.form != Meeting.GROUP:
        # A group meeting's seats to move to are meetings that exist: no bound needed.
        return False
    org = meeting.organisation
    return rules.may_rebook(True, meeting.rebook_days_before,
                            org.local(meeting.starts_at).date(), local_today(org, now),
                            as_utc(now), as_utc(meeting.starts_at), last)


def _ensure_may_rebook(meeting: Meeting, now: dt.datetime) -> None:
    """BookingError saying why the citizen may not rebook the meeting now."""
    if may_rebook(meeting, now):
        return
    if is_on(meeting) and meeting.citizen_can_rebook and as_utc(now) < as_utc(meeting.starts_at):
        raise BookingError('deadline', _('The deadline for rebooking this meeting has '
                                         'passed. Call the job centre if you cannot come.'))
    raise BookingError('not_allowed', _('This meeting cannot be rebooked here.'))


def rebook_choice(meeting: Meeting, citizen: User, now: dt.datetime) -> TimeChoice:
    """Where the citizen may move their meeting: the caseworkers of its own
    offer and of the other offers of the same team + meeting type + variant
    that the citizen may book, up to the end date and the hold-by date."""
    _ensure_may_rebook(meeting, now)
    if meeting.form == Meeting.GROUP:
        # Its time is everyone's: a citizen moves only their own seat (`move_seat`).
        raise BookingError('group', _('This is a group meeting: choose a seat in another '
                                      'meeting instead.'))
    org = meeting.organisation
    today = local_today(org, now)
    last = _rebook_last_day(meeting)
    windows: dict[int, list[tuple[dt.date, dt.date]]] = {}
    caseworkers: dict[int, CaseworkerChoice] = {}
    sources = []
    if meeting.offer_id:
        sources.append((meeting.offer, True))
    siblings = (OnlineOffer.select().where(
        OnlineOffer.organisation == org, OnlineOffer.team == meeting.team_id,
        OnlineOffer.meeting_type == meeting.meeting_type_id,
        (OnlineOffer.variant.is_null() if meeting.variant_id is None
         else OnlineOffer.variant == meeting.variant_id),
        OnlineOffer.id != (meeting.offer_id or 0)))
    facts = citizen_facts(org, [citizen.id]).get(citizen.id)
    for offer in siblings:
        period = offer_period(offer)
        if (offer.active and not offer.is_draft and period is not None and facts is not None
                and rules.is_open(period, today)
                and rules.matches(offer_rules(offer), facts, today)):
            sources.append((offer, False))
    for offer, own in sources:
        span = rules.rebook_days(today, earliest=offer.earliest_meeting,
                                 end=offer.end_date if own else min(offer.end_date, last),
                                 hold_by=meeting.hold_by)
        if span is None:
            continue
        for cw in _model_caseworkers(offer, citizen,
                                     offer_caseworkers([offer.id]).get(offer.id, [])):
            caseworkers[cw.id] = cw
            windows.setdefault(cw.id, []).append(span)
    if not meeting.offer_id and meeting.hold_by and meeting.caseworker_id:
        # Booked by staff with rebooking allowed: the same caseworker until the hold-by date.
        span = rules.rebook_days(today, earliest=None, end=None, hold_by=meeting.hold_by)
        if span is not None:
            caseworkers[meeting.caseworker_id] = CaseworkerChoice.of(meeting.caseworker)
            windows.setdefault(meeting.caseworker_id, []).append(span)
    if not windows:
        raise BookingError('no_dates', _('There are no free times left to move this '
                                         'meeting to.'))
    ordered = sorted(caseworkers.values(), key=lambda c: (c.name, c.id))
    own = meeting.offer if meeting.offer_id else None
    return TimeChoice(
        organisation=org, team=meeting.team,
        duration_minutes=int((meeting.ends_at - meeting.starts_at).total_seconds() // 60),
        reporting_minutes=meeting.reporting_minutes, caseworkers=ordered, windows=windows,
        may_choose=(own is None or own.model != OnlineOffer.CONTROL_MODEL) and len(ordered) > 1,
        must_choose=own is not None and own.model == OnlineOffer.TRUST_MODEL
        and len(ordered) > 1,
        show_names=meeting.show_caseworker, exclude_meeting_id=meeting.id)


def _candidates(choice: TimeChoice, start: dt.datetime, caseworker_id: int | None,
                now: dt.datetime) -> list[CaseworkerChoice]:
    """Who to try for a start: the chosen caseworker, or for "first free"
    those free then, the least booked that day first."""
    day = start.astimezone(choice.organisation.zone).date()
    by_id = {c.id: c for c in choice.caseworkers}
    if caseworker_id is not None:
        if caseworker_id not in by_id:
            raise _not_offered()
        if not choice.allows(caseworker_id, day):
            raise _outside()
        return [by_id[caseworker_id]]
    if choice.must_choose:
        raise BookingError('choose_caseworker', _('Choose your caseworker first.'))
    if not any(choice.allows(c.id, day) for c in choice.caseworkers):
        raise _outside()
    free = [cid for cid, starts in choice.starts(day, day, now=now).items() if start in starts]
    if not free:
        raise BookingError('taken', taken_message())
    booked: dict[int, int] = {}
    for row in (Meeting.select(Meeting.caseworker, Meeting.starts_at, Meeting.ends_at)
                .where(Meeting.caseworker.in_(free), Meeting.status == Meeting.BOOKED,
                       Meeting.starts_at >= naive_utc(start) - dt.timedelta(days=1),
                       Meeting.starts_at < naive_utc(start) + dt.timedelta(days=1))):
        if choice.organisation.local(row.starts_at).date() == day:
            minutes = int((row.ends_at - row.starts_at).total_seconds() // 60)
            booked[row.caseworker_id] = booked.get(row.caseworker_id, 0) + minutes
    return [by_id[cid] for cid in rules.first_free_order(free, booked)]


def first_free_caseworker(choice: TimeChoice, start: dt.datetime,
                          now: dt.datetime) -> CaseworkerChoice:
    """Who "the first free caseworker" is at `start` now, for the confirm page
    to name (BookingError when nobody is free)."""
    return _candidates(choice, as_utc(start), None, now)[0]


def ensure_free(choice: TimeChoice, start: dt.datetime, caseworker_id: int | None,
                now: dt.datetime) -> None:
    """BookingError unless `start` can be booked now (for the confirm page;
    the booking itself checks again under the lock)."""
    start = as_utc(start)
    _candidates(choice, start, caseworker_id, now)
    if caseworker_id is not None:
        day = start.astimezone(choice.organisation.zone).date()
        free = choice.starts(day, day, now=now, caseworker_id=caseworker_id)
        if start not in free.get(caseworker_id, ()):
            raise BookingError('taken', taken_message())


def _outside() -> BookingError:
    return BookingError('outside', _('That time is outside the period you can book in. '
                                     'Please choose another.'))


def _lock_citizen(citizen: User) -> None:
    """One self-service write per citizen at a time (PostgreSQL row lock;
    SQLite holds the database write lock already)."""
    lock_row(User, citizen.id)


def _first_free(choice: TimeChoice, citizen: User, start: dt.datetime,
                caseworker_id: int | None, now: dt.datetime,
                fresh_choice: Callable[[], TimeChoice],
                write: Callable[[Caseworker, Callable[[], None]], Meeting]) -> Meeting:
    """`write(caseworker, guard)` with the chosen caseworker, or for "first
    free" with the next caseworker free at that time while the time is taken
    meanwhile. The guard, run under the locks, locks the citizen and asks
    `fresh_choice` again whether the caseworker may be had that day."""
    day = start.astimezone(choice.organisation.zone).date()
    for candidate in _candidates(choice, start, caseworker_id, now):
        def guard(cw=candidate):
            _lock_citizen(citizen)
            if not fresh_choice().allows(cw.id, day):
                raise _outside()
        caseworker = Caseworker.get_or_none(Caseworker.id == candidate.id)
        if caseworker is None:      # deleted meanwhile: the next one free, if any
            continue
        try:
            return write(caseworker, guard)
        except BookingError as exc:
            if exc.code != 'taken':
                raise
    raise BookingError('taken', taken_message())


def book_offer(offer: OnlineOffer, citizen: User, starts_at: dt.datetime, *,
               caseworker_id: int | None = None, now: dt.datetime | None = None) -> Meeting:
    """A citizen books a time of an online offer. Everything the pages
    checked is checked again inside the transaction; the meeting keeps the
    offer's cancel / rebook permissions of this moment."""
    now = now or dt.datetime.now(dt.timezone.utc)
    start = as_utc(starts_at)
    choice = offer_choice(offer, citizen, now)

    def write(caseworker, guard):
        request = MeetingRequest(
            organisation=choice.organisation, team=offer.team,
            meeting_type=offer.meeting_type, caseworker=caseworker, starts_at=start,
            duration_minutes=offer.duration_minutes, reporting_minutes=offer.reporting_minutes,
            citizens=(citizen,), variant=offer.variant, note=offer.note, created_by=citizen,
            grid_minutes=choice.organisation.display_grid_minutes, offer=offer,
            citizen_can_cancel=offer.allow_cancel, citizen_can_rebook=offer.allow_rebook,
            rebook_days_before=offer.rebook_days_before,
            show_caseworker=offer.show_caseworker, purpose=reserved.SELF_BOOKING)
        return book(request, now=now, event='self_booked', guard=guard)

    def fresh_choice():
        # The offer as stored now, its team in the same query.
        fresh = (OnlineOffer.select(OnlineOffer, Team).join(Team)
                 .where(OnlineOffer.id == offer.id).get())
        return offer_choice(fresh, citizen, now)

    return _first_free(choice, citizen, start, caseworker_id, now, fresh_choice, write)


def rebook(meeting: Meeting, citizen: User, starts_at: dt.datetime, *,
           caseworker_id: int | None = None, now: dt.datetime | None = None) -> Meeting:
    """A citizen moves their meeting within the rules it was booked under."""
    now = now or dt.datetime.now(dt.timezone.utc)
    start = as_utc(starts_at)
    choice = rebook_choice(meeting, citizen, now)

    def fresh_choice():
        fresh = citizen_meeting(meeting.id, citizen)
        if fresh is None:
            raise BookingError('gone', _('This meeting has been cancelled.'))
        return rebook_choice(fresh, citizen, now)

    def write(caseworker, guard):
        return move(meeting, caseworker=caseworker, starts_at=start, now=now,
                    event='self_rebooked', purpose=reserved.SELF_BOOKING,
                    grid_minutes=choice.organisation.display_grid_minutes, guard=guard)

    return _first_free(choice, citizen, start, caseworker_id, now, fresh_choice, write)


def cancel_by_citizen(meeting: Meeting, citizen: User, *,
                      now: dt.datetime | None = None) -> None:
    now = now or dt.datetime.now(dt.timezone.utc)

    def guard():
        _lock_citizen(citizen)
        fresh = citizen_meeting(meeting.id, citizen)
        if fresh is None or not may_cancel(fresh, now):
            raise BookingError('not_allowed', _('This meeting cannot be cancelled here. '
                                                'Call the job centre if you cannot come.'))
    if meeting.form == Meeting.GROUP:
        _leave_group(meeting, citizen, guard)
        return
    cancel(meeting, guard=guard, event='self_cancelled')


# --- group meetings: a citizen's own seat ----------------------------------------
#
# A group meeting's time is everyone's: a citizen cancels or rebooks only
# their own participation, and the others are not touched (nor told: nothing
# changed for them). Seats: `Meeting.seats` for the citizens summoned (None:
# no limit) plus `rebooking_seats` kept free for rebooking, which the room
# holds as taken (`loading.room_bookings`). Taking a seat uses a rebooking
# seat while there is one (the room keeps the same seats taken), else a free
# seat of the meeting if the room has one more.

SEAT_CHOICES = 50       # the soonest meetings with a free seat offered


@dataclass
class Seat:
    """A group meeting the citizen may move to, and its free seats (None: no limit)."""
    meeting: Meeting
    free: int | None


def _set_participation(meeting_id: int, citizen: User, status: str) -> None:
    """The citizen's row on the meeting (a row left earlier is taken again)."""
    updated = (MeetingParticipant.update(status=status, created_at=utcnow(),
                                         letter_printed_at=None)
               .where(MeetingParticipant.meeting == meeting_id,
                      MeetingParticipant.citizen == citizen.id).execute())
    if not updated:
        MeetingParticipant.create(meeting=meeting_id, citizen=citizen.id, status=status)


def _leave_group(meeting: Meeting, citizen: User, guard: Callable[[], None]) -> None:
    """The citizen gives up their seat; the meeting goes on for the others."""
    with db.atomic():
        if _locked_status(meeting) != Meeting.BOOKED:
            raise BookingError('gone', _('This meeting is already cancelled.'))
        guard()
        _set_participation(meeting.id, citizen, MeetingParticipant.CANCELLED)
        meeting.participation = MeetingParticipant.CANCELLED
        calendar_sync.queue_meeting(meeting)         # reported in the same transaction
        notify_citizen(meeting, citizen, 'self_cancelled')


def _booked_counts(meeting_ids: Sequence[int]) -> dict[int, int]:
    query = (MeetingParticipant.select(MeetingParticipant.meeting, fn.COUNT(MeetingParticipant.id))
             .where(MeetingParticipant.meeting.in_(list(meeting_ids) or [0]),
                    MeetingParticipant.status == MeetingParticipant.BOOKED)
             .group_by(MeetingParticipant.meeting))
    return dict(query.tuples())


def _free_seat(meeting: Meeting, booked: int) -> Seat | None:
    """The Seat the meeting still has for one more citizen, or None."""
    rebooking = meeting.rebooking_seats or 0
    free = None if meeting.seats is None else meeting.seats + rebooking - booked
    if free is not None and free <= 0:
        return None
    if rebooking > 0 or meeting.room_id is None:
        return Seat(meeting, free)
    start, end = as_utc(meeting.starts_at), as_utc(meeting.ends_at)
    others = room_bookings(meeting.room, start, end, exclude_meeting_id=meeting.id)
    window = room_free_intervals(others, capacity=room_seats(meeting.room),
                                 seats_needed=booked + 1, window=(start, end))
    return Seat(meeting, free) if window and window[0] == (start, end) else None


def _seat_query(meeting: Meeting, citizen: User, now: dt.datetime):
    """The other group meetings like this one (team, type, variant) open
    for rebooking, from now up to the hold-by date, without the citizen."""
    mine = (MeetingParticipant.select(MeetingParticipant.meeting)
            .where(MeetingParticipant.citizen == citizen.id,
                   MeetingParticipant.status == MeetingParticipant.BOOKED))
    query = Meeting.select().where(
        Meeting.organisation == meeting.organisation_id, Meeting.team == meeting.team_id,
        Meeting.meeting_type == meeting.meeting_type_id,
        (Meeting.variant.is_null() if meeting.variant_id is None
         else Meeting.variant == meeting.variant_id),
        Meeting.form == Meeting.GROUP, Meeting.status == Meeting.BOOKED,
        Meeting.citizen_can_rebook == True,  # noqa: E712
        Meeting.id != meeting.id, Meeting.id.not_in(mine),
        Meeting.starts_at > naive_utc(as_utc(now)))
    if meeting.hold_by is not None:
        after = dt.datetime.combine(meeting.hold_by + dt.timedelta(days=1), dt.time(),
                                    tzinfo=meeting.organisation.zone)
        query = query.where(Meeting.starts_at < naive_utc(as_utc(after)))
    return query.order_by(Meeting.starts_at, Meeting.id)


def seat_choice(meeting: Meeting, citizen: User, now: dt.datetime) -> list[Seat]:
    """Where the citizen may move their seat of a group meeting: the soonest
    meetings of `_seat_query` with a free seat. BookingError when the
    citizen may not rebook this meeting."""
    _ensure_may_rebook(meeting, now)
    if meeting.form != Meeting.GROUP:
        raise BookingError('not_allowed', _('This meeting cannot be rebooked here.'))
    found, offset = [], 0
    while len(found) < SEAT_CHOICES:
        batch = list(_seat_query(meeting, citizen, now).offset(offset).limit(SEAT_CHOICES))
        booked = _booked_counts([m.id for m in batch])
        found += [seat for seat in (_free_seat(m, booked.get(m.id, 0)) for m in batch) if seat]
        if len(batch) < SEAT_CHOICES:
            break
        offset += len(batch)
    return found[:SEAT_CHOICES]


def _take_seat(target: Meeting, citizen: User) -> None:
    """Seat the citizen in `target` (locked, its seat checked): a rebooking
    seat becomes theirs while there is one."""
    if (target.rebooking_seats or 0) > 0:
        Meeting.update(seats=Meeting.seats + 1 if target.seats is not None else None,
                       rebooking_seats=Meeting.rebooking_seats - 1).where(
            Meeting.id == target.id).execute()
    _set_participation(target.id, citizen, MeetingParticipant.BOOKED)


def move_seat(meeting: Meeting, citizen: User, target_id: int, *,
              now: dt.datetime | None = None) -> Meeting:
    """The citizen leaves their seat of a group meeting for a seat in
    another (`seat_choice`), all re-checked under the locks of both
    meetings, their rooms and the citizen. Nobody else's meeting changes.
    Returns the meeting the citizen is now in."""
    now = now or dt.datetime.now(dt.timezone.utc)
    with db.atomic():
        target = Meeting.get_or_none(Meeting.id == target_id,
                                     Meeting.organisation == citizen.organisation_id)
        if target is None:
            raise BookingError('taken', taken_message())
        for room_id in sorted({m.room_id for m in (meeting, target) if m.room_id}):
            lock_row(Room, room_id)
        for meeting_id in sorted({meeting.id, target.id}):
            lock_row(Meeting, meeting_id)
        _lock_citizen(citizen)
        fresh = citizen_meeting(meeting.id, citizen)
        if fresh is None:
            raise BookingError('gone', _('This meeting has been cancelled.'))
        seat = next((s for s in seat_choice(fresh, citizen, now)
                     if s.meeting.id == target_id), None)
        if seat is None:
            raise BookingError('taken', _('That seat was just taken. Please choose another.'))
        _set_participation(meeting.id, citizen, MeetingParticipant.CANCELLED)
        _take_seat(seat.meeting, citizen)
        # Reported in the same transaction: the receipt and the calendars'
        # sync rows exist exactly when the move does.
        calendar_sync.queue_meetings([meeting.id, target_id])
        moved = citizen_meeting(target_id, citizen)
        notify_citizen(moved, citizen, 'self_rebooked')
    return moved


def receipt_facts(meeting: Meeting, language: str,
                  now: dt.datetime | None = None) -> list[tuple[str, str]]:
    """(label, value) lines of a booking receipt: the page and the email."""
    minutes = int((meeting.ends_at - meeting.starts_at).total_seconds() // 60)
    facts = [(_('Meeting'), meeting_title(meeting, language)),
             (_('Date and time'), local_when(meeting)),
             (_('Duration'), ngettext('%(num)d minute', '%(num)d minutes', minutes)),
             (_('Place'), meeting.place() or meeting.team.name)]
    if meeting.show_caseworker and meeting.caseworker_id:
        facts.append((_('Caseworker'), meeting.caseworker.user.name))
    facts.append((_('Booking number'), str(meeting.id)))
    if not is_on(meeting):
        facts.append((_('Status'), _('Cancelled')))
        return facts
    facts.append((_('Cancelling'), _('You can cancel the meeting here until it starts.')
                  if meeting.citizen_can_cancel
                  else _('Call the job centre if you cannot come.')))
    if meeting.citizen_can_rebook and (_rebook_last_day(meeting)
                                       or meeting.form == Meeting.GROUP):
        facts.append((_('Rebooking'), _('You can rebook the meeting here until %(day)s.',
                                        day=dates.text(rebook_deadline(meeting), 'date_long'))))
    else:
        facts.append((_('Rebooking'), _('This meeting cannot be rebooked here.')))
    return facts


def _notify_self_service(meeting: Meeting, citizen: User, event: str) -> None:
    org = meeting.organisation
    language = citizen.language or org.language
    with force_locale(language):
        title = meeting_title(meeting, language)
        short = local_when_short(meeting)
        if event == 'self_cancelled':
            sms = _('Cancelled: %(title)s %(when)s. %(org)s', title=title, when=short,
                    org=org.name)
            subject = _('Receipt: your meeting with %(org)s is cancelled', org=org.name)
            intro = _('You have cancelled this meeting:')
        else:
            place = meeting.place() or meeting.team.name
            if event == 'self_booked':
                sms = _('Booked: %(title)s %(when)s, %(place)s. %(org)s', title=title,
                        when=short, place=place, org=org.name)
                subject = _('Receipt for your booking with %(org)s', org=org.name)
                intro = _('You have booked this meeting:')
            else:
                sms = _('Moved: %(title)s is now %(when)s, %(place)s. %(org)s', title=title,
                        when=short, place=place, org=org.name)
                subject = _('Receipt: your meeting with %(org)s is moved', org=org.name)
                intro = _('You have moved your meeting. The new time:')
        lines = [intro, ''] + [f'{label}: {value}' for label, value
                               in receipt_facts(meeting, language)]
        if event != 'self_cancelled':
            lines += ['', _('Your rights and duties'), rights_and_duties(org)]
        lines += ['', _('See and change your appointments under My appointments.'),
                  '', org.name]
        body = '\n'.join(lines)
    if citizen.phone:
        outbox.queue_sms(org, citizen.phone, sms, user=citizen, meeting=meeting)
    if citizen.email:
        outbox.queue_email(org, citizen.email, subject, body, user=citizen, meeting=meeting)
