"""The follow-up list (opfølgningsliste): did each summoned citizen get the
summons, and does each caseworker's calendar show the meeting?

One row per citizen of a summoned meeting. The citizen's state comes from
the notices (Message rows about the meeting) or, for letters, from
`MeetingParticipant.letter_printed_at`; the calendar's state from
`calendar_sync.state_of`. A page is loaded with a fixed number of queries,
whatever the number of rows. `resend_notices` is the one way to send a
notice again (the same row, never a second message); `sync` adds the
calendar side. Letters to print are built here too.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable

from flask_babel import force_locale, gettext as _
from peewee import JOIN, SQL, fn

from common.validators import normalise_phone
from messaging import dates, outbox, queue
from messaging.errors import plain_error  # noqa: F401 (the pages and tests use it here too)
from models import (CalendarSync, Caseworker, CitizenProfile, Meeting, MeetingCaseworker,
                    MeetingParticipant, MeetingType, Message, Organisation, Room, Team, User, db,
                    lock_row, utcnow)
from planner import booking, calendar_sync, late_proof
from planner.loading import utc_window

PAGE_SIZE = 50
DEFAULT_DAYS = 28                 # the search's default range: from today, four weeks
MEETING_DATE, SUMMONS_DATE = 'meeting', 'summons'
DATE_KINDS = (MEETING_DATE, SUMMONS_DATE)
NOT_DELIVERED, NOT_SYNCED = 'not_delivered', 'not_synced'
STATUSES = (NOT_DELIVERED, NOT_SYNCED)
MAX_LETTER_MEETINGS = 500         # one print run

# The citizen's state of one row.
DELIVERED, FAILED, PENDING, NONE, LETTER = 'delivered', 'failed', 'pending', 'none', 'letter'
NOTICE_CHANNELS = (Message.SMS, Message.EMAIL)
UNFINISHED = (Message.QUEUED, Message.SENDING)
DONE = (Message.SENT, Message.DELIVERED)
SHOWN_PARTICIPANTS = (MeetingParticipant.BOOKED, MeetingParticipant.CANCELLED)


# --- the citizen's state ----------------------------------------------------

@dataclass
class CitizenState:
    status: str                    # delivered | failed | pending | none | letter
    error: str = ''                # what went wrong, in plain words
    printed_at: dt.datetime | None = None   # letter: printed (naive UTC)
    has_contact: bool = True       # a phone number or an e-mail address

    @property
    def delivered(self) -> bool:
        return self.status == DELIVERED or (self.status == LETTER
                                            and self.printed_at is not None)

    @property
    def needs_letter(self) -> bool:
        """A letter is the way to reach the citizen (or another way to)."""
        return self.status in (LETTER, NONE, FAILED) and not self.delivered


def citizen_state(meeting: Meeting, participant: MeetingParticipant, citizen: User,
                  notices: list[Message]) -> CitizenState:
    """The state of one citizen of one meeting from the notices about it.

    A printed letter counts as delivered. Letter attendance: the letter
    decides. Otherwise: delivered when every notice is sent or delivered;
    failed when any failed; pending while any is queued or sending; none
    when there is no notice at all."""
    has_contact = bool(citizen.phone or citizen.email)
    printed = participant.letter_printed_at
    if printed is not None or meeting.attendance == Meeting.LETTER:
        return CitizenState(LETTER, printed_at=printed, has_contact=has_contact)
    if not notices:
        error = (_('No phone or e-mail: send a letter.') if not has_contact
                 else _('No notice has been sent to the citizen.'))
        return CitizenState(NONE, error=error, has_contact=has_contact)
    latest_first = sorted(notices, key=lambda m: (m.updated_at or m.created_at, m.id),
                          reverse=True)
    failed = [m for m in latest_first if m.status == Message.FAILED]
    if failed:
        return CitizenState(FAILED, error=plain_error(failed[0]) or _('Sending failed.'),
                            has_contact=has_contact)
    waiting = [m for m in latest_first if m.status in UNFINISHED]
    if waiting:
        retrying = next((m for m in waiting if m.last_error), None)
        error = ''
        if retrying is not None:
            error = _('Trying again after an error: %(error)s', error=plain_error(retrying))
        return CitizenState(PENDING, error=error, has_contact=has_contact)
    return CitizenState(DELIVERED, has_contact=has_contact)


def _notice_rows():
    """Outbound SMS and e-mails about a meeting (the notices)."""
    return Message.select().where(Message.direction == Message.OUT,
                                  Message.channel.in_(NOTICE_CHANNELS))


def not_delivered_condition():
    """SQL for `not citizen_state(...).delivered` on a participant row
    (MeetingParticipant joined to Meeting)."""
    def notices(*statuses):
        query = (Message.select(SQL('1'))
                 .where(Message.meeting == Meeting.id,
                        Message.user == MeetingParticipant.citizen,
                        Message.direction == Message.OUT,
                        Message.channel.in_(NOTICE_CHANNELS)))
        if statuses:
            query = query.where(Message.status.in_(statuses))
        return fn.EXISTS(query)
    return (MeetingParticipant.letter_printed_at.is_null()
            & ((Meeting.attendance == Meeting.LETTER)
               | ~notices()
               | notices(Message.FAILED, *UNFINISHED)))


def not_synced_condition():
    """SQL: the meeting has a caseworker calendar that does not show it yet
    (nothing while calendar sync is off: calendar_sync.state_of says 'off')."""
    if not calendar_sync.enabled():
        return Meeting.id.is_null()
    return Meeting.id.in_(CalendarSync.select(CalendarSync.meeting)
                          .where(CalendarSync.status != CalendarSync.SYNCED))


# --- the search ---------------------------------------------------------------

@dataclass
class Search:
    date_kind: str = MEETING_DATE
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    team_ids: list[int] | None = None      # the team and its sub-teams; None: all
    caseworker_ids: list[int] = field(default_factory=list)
    meeting_type_id: int | None = None
    status: str = ''                       # '' (all), not_delivered, not_synced
    page: int = 1


def _summoned(organisation):
    return (MeetingParticipant.select()
            .join(Meeting, on=(MeetingParticipant.meeting == Meeting.id))
            .where(Meeting.organisation == organisation, Meeting.summoned_at.is_null(False),
                   MeetingParticipant.status.in_(SHOWN_PARTICIPANTS)))


def search_query(organisation: Organisation, search: Search):
    """Participant rows (joined to Meeting) matching the search, unordered."""
    query = _summoned(organisation)
    column = Meeting.summoned_at if search.date_kind == SUMMONS_DATE else Meeting.starts_at
    if search.date_from is not None:
        query = query.where(column >= utc_window(organisation, search.date_from,
                                                 search.date_from)[0])
    if search.date_to is not None:
        query = query.where(column < utc_window(organisation, search.date_to,
                                                search.date_to)[1])
    if search.team_ids is not None:
        query = query.where(Meeting.team.in_(search.team_ids or [0]))
    if search.caseworker_ids:
        ids = list(search.caseworker_ids)
        query = query.where(Meeting.caseworker.in_(ids) | Meeting.id.in_(
            MeetingCaseworker.select(MeetingCaseworker.meeting)
            .where(MeetingCaseworker.caseworker.in_(ids))))
    if search.meeting_type_id:
        query = query.where(Meeting.meeting_type == search.meeting_type_id)
    if search.status == NOT_DELIVERED:
        query = query.where(not_delivered_condition())
    elif search.status == NOT_SYNCED:
        query = query.where(not_synced_condition())
    return query


@dataclass
class Row:
    participant: MeetingParticipant
    meeting: Meeting
    citizen: User
    starts_local: dt.datetime
    summoned_local: dt.datetime | None
    caseworker_names: list[str]
    citizen_state: CitizenState
    calendar: object                  # calendar_sync.SyncState
    late_reason: str = ''             # placed after the deadline: why (late_proof)

    @property
    def calendar_pending(self) -> bool:
        return self.calendar.status in ('pending', 'failed')

    @property
    def can_sync(self) -> bool:
        return (self.citizen_state.status in (FAILED, PENDING)
                or needs_first_notice(self.meeting, self.participant, self.citizen_state)
                or self.calendar.status in ('pending', 'failed'))


@dataclass
class Page:
    rows: list[Row]
    total: int
    page: int
    pages: int

    def groups(self) -> list[tuple[Meeting, list[Row]]]:
        """Rows of the same meeting together (they sit next to each other)."""
        out: list[tuple[Meeting, list[Row]]] = []
        for row in self.rows:
            if out and out[-1][0].id == row.meeting.id:
                out[-1][1].append(row)
            else:
                out.append((row.meeting, [row]))
        return out


def _ordered(query):
    return query.order_by(Meeting.starts_at, Meeting.id, MeetingParticipant.id)


def _caseworker_names(meetings: Iterable[Meeting]) -> dict[int, list[str]]:
    """{meeting id: names of its caseworkers}, the meeting's own caseworker
    first, then the others in the order they were added (two queries)."""
    staff: dict[int, list[int]] = {m.id: ([m.caseworker_id] if m.caseworker_id else [])
                                   for m in meetings}
    for meeting_id, caseworker_id in (MeetingCaseworker
                                      .select(MeetingCaseworker.meeting,
                                              MeetingCaseworker.caseworker)
                                      .where(MeetingCaseworker.meeting.in_(list(staff)))
                                      .order_by(MeetingCaseworker.id).tuples()):
        if caseworker_id not in staff[meeting_id]:
            staff[meeting_id].append(caseworker_id)
    caseworker_ids = {cw for ids in staff.values() for cw in ids}
    names = dict(Caseworker.select(Caseworker.id, User.name).join(User)
                 .where(Caseworker.id.in_(list(caseworker_ids) or [0])).tuples())
    return {meeting_id: [names[cw] for cw in ids if cw in names]
            for meeting_id, ids in staff.items()}


def load_rows(organisation: Organisation, query) -> list[Row]:
    """Rows for participant rows selected by `query` (already limited):
    five queries plus calendar_sync.state_of, whatever the number of rows."""
    participants = list(
        query.select(MeetingParticipant, Meeting, User, Team, MeetingType)
        .switch(MeetingParticipant).join(User, on=(MeetingParticipant.citizen == User.id))
        .switch(Meeting).join(Team, on=(Meeting.team == Team.id))
        .switch(Meeting).join(MeetingType, on=(Meeting.meeting_type == MeetingType.id)))
    if not participants:
        return []
    meetings: dict[int, Meeting] = {}
    for p in participants:
        meeting = meetings.setdefault(p.meeting.id, p.meeting)
        meeting.organisation = organisation
        p.meeting = meeting
    meeting_ids = list(meetings)
    caseworker_names = _caseworker_names(meetings.values())
    notices: dict[tuple[int, int], list[Message]] = defaultdict(list)
    for message in _notice_rows().where(Message.meeting.in_(meeting_ids)):
        notices[(message.meeting_id, message.user_id)].append(message)
    states = calendar_sync.state_of(meeting_ids)
    rows = []
    for p in participants:
        meeting, citizen = p.meeting, p.citizen
        rows.append(Row(
            participant=p, meeting=meeting, citizen=citizen,
            starts_local=organisation.local(meeting.starts_at),
            summoned_local=organisation.local(meeting.summoned_at) if meeting.summoned_at
            else None,
            caseworker_names=list(caseworker_names[meeting.id]),
            citizen_state=citizen_state(meeting, p, citizen,
                                        notices.get((meeting.id, citizen.id), [])),
            calendar=states.get(meeting.id) or calendar_sync.SyncState(calendar_sync.OFF),
            late_reason=late_proof.explain(organisation, p.late_evidence)
            if p.late_evidence else ''))
    return rows


def page_of(organisation: Organisation, search: Search) -> Page:
    query = search_query(organisation, search)
    total = query.count()
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(max(search.page, 1), pages)
    rows = load_rows(organisation, _ordered(query).paginate(page, PAGE_SIZE))
    return Page(rows=rows, total=total, page=page, pages=pages)


def rows_of(organisation: Organisation, meeting: Meeting,
            participant_ids: Iterable[int]) -> list[Row]:
    """The rows of these participants of one meeting (after a Sync)."""
    ids = [i for i in participant_ids if isinstance(i, int) and 0 < i < 2 ** 63]
    query = _summoned(organisation).where(Meeting.id == meeting.id,
                                          MeetingParticipant.id.in_(ids or [0]))
    return load_rows(organisation, _ordered(query))


@dataclass
class Counts:
    not_delivered: int     # citizens of coming meetings who have not got the summons
    not_synced: int        # caseworker calendars of coming meetings not updated
    since: dt.date         # from this local date on
    calendars_on: bool     # calendar sync is set up (CALDAV_URL)


def counts(organisation: Organisation, now: dt.datetime) -> Counts:
    """The two numbers at the top of the list, for meetings from today on."""
    today = booking.local_today(organisation, now)
    start = utc_window(organisation, today, today)[0]
    not_delivered = (_summoned(organisation)
                     .where(Meeting.starts_at >= start, not_delivered_condition()).count())
    calendars_on = calendar_sync.enabled()
    not_synced = 0
    if calendars_on:
        not_synced = (CalendarSync.select()
                      .join(Meeting, on=(CalendarSync.meeting == Meeting.id))
                      .where(Meeting.organisation == organisation,
                             Meeting.summoned_at.is_null(False), Meeting.starts_at >= start,
                             CalendarSync.status != CalendarSync.SYNCED).count())
    return Counts(not_delivered=not_delivered, not_synced=not_synced, since=today,
                  calendars_on=calendars_on)


# --- sending again --------------------------------------------------------------

def _current_recipient(message: Message, citizen: User | None, country: str) -> str:
    """The citizen's number or address as it is now (it may have been
    corrected since the notice failed), else the one the notice had."""
    if citizen is not None:
        if message.channel == Message.SMS and citizen.phone:
            return normalise_phone(citizen.phone, country or 'DK') or citizen.phone.strip()
        if message.channel == Message.EMAIL and citizen.email:
            return citizen.email.strip()
    return (message.recipient or '').strip()


def resend_notices(meeting: Meeting, citizen_ids: Iterable[int] | None = None) -> int:
    """Send the meeting's undelivered notices again; returns how many went
    (back) to the queue.

    Failed notices go back to the queue with a fresh count of attempts (to
    the citizen's current number or address); notices waiting for a retry
    are due at once. A notice is never sent as a second Message: a notice
    that was sent stays as it is, so pressing Sync twice sends nothing twice
    (the claim in tasks.send_message keeps two workers off the same row).
    Only a citizen who has no notice at all yet gets one (`_first_notices`)."""
    now = utcnow()
    country = (Organisation.select(Organisation.country)
               .where(Organisation.id == meeting.organisation_id).scalar()) or 'DK'
    query = (_notice_rows().where(Message.meeting == meeting.id,
                                  Message.status.in_((Message.FAILED, Message.QUEUED))))
    if citizen_ids is not None:
        query = query.where(Message.user.in_(list(citizen_ids) or [0]))
    messages = list(query)
    citizens = {u.id: u for u in User.select().where(
        User.id.in_([m.user_id for m in messages if m.user_id] or [0]))}
    queued = []
    with db.atomic():
        for message in messages:
            if message.status == Message.FAILED:
                recipient = _current_recipient(message, citizens.get(message.user_id), country)
                if not recipient:
                    continue     # still nobody to send to: a letter is the way
                n = (Message.update(status=Message.QUEUED, attempts=0, next_attempt_at=now,
                                    recipient=recipient, updated_at=now)
                     .where(Message.id == message.id, Message.status == Message.FAILED)
                     .execute())
            else:
                n = (Message.update(next_attempt_at=now, updated_at=now)
                     .where(Message.id == message.id, Message.status == Message.QUEUED)
                     .execute())
            if n:
                queued.append(message.id)
        _enqueue(queued)    # once this commits
    # New notices are queued by the outbox as they are written.
    return len(queued) + len(_first_notices(meeting, citizen_ids))


def needs_first_notice(meeting: Meeting, participant: MeetingParticipant,
                       state: CitizenState) -> bool:
    """A summoned citizen the summons never told (no notice at all, e.g. no
    phone or e-mail then, or the summons stopped before its notices were
    written) who can be told now."""
    return (state.status == NONE and state.has_contact
            and meeting.summoned_at is not None and meeting.status == Meeting.BOOKED
            and meeting.attendance != Meeting.LETTER
            and participant.status == MeetingParticipant.BOOKED
            and participant.letter_printed_at is None)


def _first_notices(meeting: Meeting, citizen_ids: Iterable[int] | None) -> list[int]:
    """The summons notice (booking.staff_notice) for each citizen of the
    meeting who has a phone or e-mail but no notice about it at all. Checked
    and written under a lock on the participant row, so two Syncs at once
    write it once. Returns the new queued message ids (each handed to the
    queue as its transaction commits)."""
    if meeting.summoned_at is None or meeting.status != Meeting.BOOKED \
            or meeting.attendance == Meeting.LETTER:
        return []
    query = (MeetingParticipant.select(MeetingParticipant, User)
             .join(User, on=(MeetingParticipant.citizen == User.id))
             .where(MeetingParticipant.meeting == meeting.id,
                    MeetingParticipant.status == MeetingParticipant.BOOKED,
                    MeetingParticipant.letter_printed_at.is_null(),
                    (User.phone.is_null(False) & (User.phone != ''))
                    | (User.email.is_null(False) & (User.email != '')),
                    ~fn.EXISTS(_notice_rows().select(SQL('1')).where(
                        Message.meeting == meeting.id,
                        Message.user == MeetingParticipant.citizen))))
    if citizen_ids is not None:
        query = query.where(User.id.in_(list(citizen_ids) or [0]))
    participants = list(query)
    if not participants:
        return []
    full = (Meeting.select(Meeting, Organisation, Team, MeetingType)
            .join(Organisation, on=(Meeting.organisation == Organisation.id))
            .switch(Meeting).join(Team, on=(Meeting.team == Team.id))
            .switch(Meeting).join(MeetingType, on=(Meeting.meeting_type == MeetingType.id))
            .where(Meeting.id == meeting.id).get())
    org = full.organisation
    created = []
    for participant in participants:
        citizen = participant.citizen
        with db.atomic():
            lock_row(MeetingParticipant, participant.id)
            if _notice_rows().where(Message.meeting == meeting.id,
                                    Message.user == citizen.id).exists():
                continue
            text, subject, body = booking.staff_notice(full, citizen, 'summoned')
            if citizen.phone:
                created.append(outbox.queue_sms(org, citizen.phone, text, user=citizen,
                                                meeting=full))
            if citizen.email:
                created.append(outbox.queue_email(org, citizen.email, subject, body,
                                                  user=citizen, meeting=full))
    return [m.id for m in created if m.status == Message.QUEUED]


def _enqueue(message_ids: list[int]) -> None:
    for message_id in message_ids:
        queue.enqueue('send_message', message_id)


@dataclass
class SyncResult:
    notices: int      # notices sent again
    calendars: int    # caseworker calendars queued again (0: up to date, or sync is off)


def sync(meeting: Meeting) -> SyncResult:
    """The Sync button: every citizen's undelivered notices of the meeting
    (all participants of a group meeting) and every caseworker calendar."""
    notices = resend_notices(meeting)
    return SyncResult(notices=notices, calendars=calendar_sync.sync_now(meeting))


# --- letters ------------------------------------------------------------------

@dataclass
class Letter:
    """One summons letter as posted: sender, the recipient's address (in
    the envelope's window), date, subject, the meeting, rights and duties
    of a summons, contact."""
    participant_id: int
    meeting_id: int
    language: str
    organisation_name: str
    sender: list[str]               # team, address, phone, e-mail
    citizen_name: str
    recipient: list[str]            # name, street, postcode and town
    has_address: bool
    date_line: str
    title: str
    intro: str
    facts: list[tuple[str, str]]
    rights_heading: str
    rights: str
    contact: str
    closing: str                       # "Kind regards", in the letter's language
    printed_at: dt.datetime | None     # local


def summons_rights_and_duties() -> str:
    """What a summoned citizen must and may do. Not the organisation's
    booking text: that one speaks of a time the citizen booked."""
    return _('You are summoned to this meeting and must attend at the time stated in this '
             'letter. If you cannot come, contact us before the meeting. If you stay away '
             'without a valid reason, your benefits may be affected. You may bring someone '
             'with you to the meeting. You have the right to see what the job centre has '
             'registered about you and to have it corrected.')


def _attendance(meeting: Meeting) -> str:
    """How the meeting is held, when the letter should say so."""
    if meeting.attendance == Meeting.PHONE:
        return _('By phone: we call you at the time above.')
    if meeting.attendance == Meeting.IN_PERSON:
        return _('In person, at the place above.')
    return ''


def letters(organisation: Organisation, meeting_ids: Iterable[int], now: dt.datetime, *,
            citizen_ids: Iterable[int] | None = None, everyone: bool = False
            ) -> tuple[list[Letter], list[Meeting]]:
    """One letter per booked citizen of the organisation's meetings: those
    with letter attendance or no phone and no e-mail; the named citizens,
    or everyone, when asked. Returns (letters, the meetings found)."""
    ids = sorted({i for i in meeting_ids if 0 < i < 2 ** 63})[:MAX_LETTER_MEETINGS]
    if not ids:
        return [], []
    meetings = _letter_meetings(organisation, ids)
    if not meetings:
        return [], []
    participants = _booked_participants(meetings, citizen_ids)
    caseworker_names = _caseworker_names(meetings.values())
    out = []
    for p in sorted(participants, key=lambda p: (meetings[p.meeting_id].starts_at,
                                                 p.meeting_id, p.citizen.name, p.id)):
        meeting = meetings[p.meeting_id]
        wanted = (everyone or citizen_ids is not None
                  or meeting.attendance == Meeting.LETTER
                  or not (p.citizen.phone or p.citizen.email))
        if wanted:
            out.append(_letter(organisation, meeting, p, caseworker_names[meeting.id], now))
    return out, sorted(meetings.values(), key=lambda m: (m.starts_at, m.id))


def _letter_meetings(organisation: Organisation, ids: list[int]) -> dict[int, Meeting]:
    """{id: meeting} of these meetings of the organisation, with team,
    meeting type and room (one query)."""
    meetings = {m.id: m for m in (
        Meeting.select(Meeting, Team, MeetingType, Room)
        .join(Team, on=(Meeting.team == Team.id))
        .switch(Meeting).join(MeetingType, on=(Meeting.meeting_type == MeetingType.id))
        .switch(Meeting).join(Room, JOIN.LEFT_OUTER, on=(Meeting.room == Room.id))
        .where(Meeting.organisation == organisation, Meeting.id.in_(ids)))}
    for meeting in meetings.values():
        meeting.organisation = organisation
    return meetings


def _booked_participants(meetings: dict[int, Meeting],
                         citizen_ids: Iterable[int] | None) -> list[MeetingParticipant]:
    """The booked participants of the meetings (or of them the named
    citizens), each with their User and its postal address (`profile`,
    None without a profile)."""
    query = (MeetingParticipant.select(MeetingParticipant, User, CitizenProfile)
             .join(User, on=(MeetingParticipant.citizen == User.id))
             .join(CitizenProfile, JOIN.LEFT_OUTER, on=(CitizenProfile.user == User.id),
                   attr='profile')
             .where(MeetingParticipant.meeting.in_(list(meetings)),
                    MeetingParticipant.status == MeetingParticipant.BOOKED))
    if citizen_ids is not None:
        query = query.where(User.id.in_([i for i in citizen_ids if 0 < i < 2 ** 63] or [0]))
    return list(query.order_by(MeetingParticipant.meeting, User.name, MeetingParticipant.id))


def _recipient(citizen: User) -> list[str]:
    """The address window: name, street, postcode and town (what is known)."""
    profile = getattr(citizen, 'profile', None)
    lines = [citizen.name]
    if profile is not None:
        town = ' '.join(p for p in (profile.postcode, profile.city) if p)
        lines += [line for line in (profile.address, town) if line]
    return lines


def _sender(organisation: Organisation, team: Team) -> list[str]:
    town = ' '.join(p for p in (team.postcode, team.city) if p)
    lines = [team.name, team.address, town]
    phone = team.phone or organisation.phone
    if phone:
        lines.append(_('Phone %(phone)s', phone=phone))
    lines.append(team.email)
    return [line for line in lines if line]


def _letter(organisation: Organisation, meeting: Meeting, participant: MeetingParticipant,
            caseworker_names: list[str], now: dt.datetime) -> Letter:
    """The letter to one participant, in the citizen's language."""
    citizen = participant.citizen
    language = citizen.language or organisation.language
    with force_locale(language):
        kind = meeting.meeting_type.label(language)
        facts = _letter_facts(meeting, kind, caseworker_names)
        contact = ''
        phone = meeting.team.phone or organisation.phone
        if phone:
            contact = _('If you cannot come, contact us before the meeting: %(phone)s.',
                        phone=phone)
        recipient = _recipient(citizen)
        return Letter(
            participant_id=participant.id, meeting_id=meeting.id, language=language,
            organisation_name=organisation.name, sender=_sender(organisation, meeting.team),
            citizen_name=citizen.name, recipient=recipient, has_address=len(recipient) > 2,
            date_line=dates.text(booking.local_today(organisation, now), 'date_long'),
            title=_('Summons to a meeting: %(kind)s', kind=kind),
            intro=_('You are summoned to a meeting (%(kind)s) with %(org)s.',
                    kind=kind, org=organisation.name),
            facts=facts, rights_heading=_('Your rights and duties'),
            rights=summons_rights_and_duties(), contact=contact, closing=_('Kind regards'),
            printed_at=organisation.local(participant.letter_printed_at)
            if participant.letter_printed_at else None)


def _letter_facts(meeting: Meeting, kind: str,
                  caseworker_names: list[str]) -> list[tuple[str, str]]:
    """The letter's (label, value) lines about the meeting, in the current
    language; the place names the room."""
    room = meeting.room.name if meeting.room_id else ''
    place = ', '.join(p for p in (room, meeting.place() or meeting.team.name) if p)
    facts = [(_('Meeting'), kind),
             (_('Time'), booking.local_when(meeting)),
             (_('Place'), place)]
    how = _attendance(meeting)
    if how:
        facts.append((_('How'), how))
    if meeting.form == Meeting.GROUP:
        facts.append((_('Form'), _('Group meeting')))
    if meeting.show_caseworker and caseworker_names:
        facts.append((_('Caseworker'), ', '.join(caseworker_names)))
    return facts


def mark_printed(organisation: Organisation, participant_ids: Iterable[int],
                 now: dt.datetime | None = None) -> int:
    """Mark these letters printed (the first time counts); other
    organisations' rows are left alone. Returns how many were marked."""
    ids = [i for i in participant_ids if 0 < i < 2 ** 63]
    if not ids:
        return 0
    own = (MeetingParticipant.select(MeetingParticipant.id)
           .join(Meeting, on=(MeetingParticipant.meeting == Meeting.id))
           .where(Meeting.organisation == organisation, MeetingParticipant.id.in_(ids)))
    return (MeetingParticipant.update(letter_printed_at=now or utcnow())
            .where(MeetingParticipant.id.in_(own),
                   MeetingParticipant.letter_printed_at.is_null())
            .execute())
