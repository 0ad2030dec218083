"""A citizen's rights over their data: everything Planpool holds about them
as one export, and the erasure of their personal data once their meetings
have passed (the meetings stay, anonymised, for statistics).

Both work on the models only (no request, no clock read: `now` is passed),
so the views, the command line and the tests share one implementation.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from peewee import JOIN

from models import (AuditEvent, Caseworker, CitizenAbsence, CitizenProfile, Meeting,
                    MeetingParticipant, MeetingType, Message, OneTimeCode, PendingSummons,
                    SummonsDraftCitizen, Team, TrustedDevice, User, UserSession, db, lock_row)
from planner import booking, calendar_sync

ERASED = '[erased]'
EXPORT_FORMAT = 1   # bump when the shape of the export changes


def erased_name(user_id: int) -> str:
    """The neutral label an erased citizen keeps (stored, so not translated)."""
    return f'Erased citizen #{user_id}'


def mask_identifier(value: str | None) -> str:
    """A login name as typed, for the audit log of a failed login: the first
    two characters and, for an email address, its domain. Never enough to
    hold a CPR number, whatever was typed."""
    value = (value or '').strip()
    if not value:
        return ''
    local, at, domain = value.rpartition('@')
    if at and local:
        return f'{local[:2]}•••@{domain[:60]}'
    return f'{value[:2]}•••'


def _iso(instant: dt.datetime | None) -> str | None:
    """A stored (naive UTC) instant as ISO 8601 with its zone."""
    if instant is None:
        return None
    return instant.replace(tzinfo=dt.timezone.utc).isoformat().replace('+00:00', 'Z')


def _local_iso(organisation, instant: dt.datetime | None) -> str | None:
    return organisation.local(instant).isoformat() if instant is not None else None


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


# --- the export ------------------------------------------------------------------

def citizen_meetings(user: User):
    """Every meeting the citizen takes (or took) part in, with the part."""
    return (MeetingParticipant
            .select(MeetingParticipant, Meeting, MeetingType, Team)
            .join(Meeting).join(MeetingType).switch(Meeting).join(Team)
            .where(MeetingParticipant.citizen == user.id)
            .order_by(Meeting.starts_at, Meeting.id))


def _meeting(link: MeetingParticipant, language: str) -> dict:
    meeting = link.meeting
    org = meeting.organisation
    caseworker = None
    if meeting.show_caseworker and meeting.caseworker_id:
        caseworker = meeting.caseworker.user.name
    return {
        'booking_number': meeting.id,
        'meeting': booking.meeting_title(meeting, language),
        'meeting_type': meeting.meeting_type.code,
        'form': meeting.form,
        'attendance': meeting.attendance,
        'starts_at': _iso(meeting.starts_at),
        'ends_at': _iso(meeting.ends_at),
        'starts_at_local': _local_iso(org, meeting.starts_at),
        'place': meeting.place() or meeting.team.name,
        'team': meeting.team.name,
        'caseworker': caseworker,
        'status': meeting.status,
        'your_participation': link.status,
        'booked_at': _iso(link.created_at),
        'summoned_at': _iso(meeting.summoned_at),
        'hold_by': _day(meeting.hold_by),
        'letter_printed_at': _iso(link.letter_printed_at),
    }


def _own_messages(user: User):
    """Messages to and from the citizen. Login codes are secrets, not data
    to keep: they are left out."""
    return (Message.select()
            .where(Message.user == user.id, Message.kind != Message.CODE)
            .order_by(Message.created_at, Message.id))


def _message(message: Message) -> dict:
    return {
        'channel': message.channel,
        'direction': message.direction,
        'kind': message.kind,
        'to': message.recipient,
        'from': message.sender,
        'subject': message.subject,
        'text': message.body,
        'status': message.status,
        'created_at': _iso(message.created_at),
        'updated_at': _iso(message.updated_at),
        'booking_number': message.meeting_id,
    }


def _meeting_ids(user: User) -> list[int]:
    """The ids of every meeting the citizen takes (or took) part in."""
    return [link.meeting_id for link in MeetingParticipant
            .select(MeetingParticipant.meeting)
            .where(MeetingParticipant.citizen == user.id)]


def events_about(user: User, meeting_ids: list[int] | None = None):
    """Audit events about the citizen: their own actions, reads and changes
    of their record, and of their meetings."""
    if meeting_ids is None:
        meeting_ids = _meeting_ids(user)
    about = ((AuditEvent.actor == user.id)
             | ((AuditEvent.object_type == 'User') & (AuditEvent.object_id == user.id)))
    if meeting_ids:
        about |= ((AuditEvent.object_type == 'Meeting')
                  & AuditEvent.object_id.in_(meeting_ids))
    Actor = User.alias()
    return (AuditEvent.select(AuditEvent, Actor.id, Actor.role)
            .join(Actor, JOIN.LEFT_OUTER, on=(AuditEvent.actor == Actor.id))
            .where(about)
            .order_by(AuditEvent.at, AuditEvent.id))


def export_citizen(user: User, now: dt.datetime, language: str | None = None) -> dict:
    """Everything Planpool holds about a citizen, as plain JSON-ready data.

    Their own CPR number is in it in full: it is their data. Login codes,
    session tokens and password hashes are not (secrets, not information)."""
    org = user.organisation
    language = language or user.language or org.language
    citizen_profile = _citizen_profile(user)
    meetings = list(citizen_meetings(user))
    meeting_ids = [link.meeting_id for link in meetings]
    return {
        'format': EXPORT_FORMAT,
        'exported_at': _iso(_naive(now)),
        'organisation': org.name,
        'times': 'Instants in UTC (Z); *_local in the organisation\'s time zone '
                 f'({org.timezone}).',
        'profile': _profile(user),
        'citizen_profile': citizen_profile,
        'absences': _absences(user),
        'meetings': [_meeting(link, language) for link in meetings],
        'pending_summons': _pending_summons(user, language),
        'summons_in_preparation': _summons_drafts(user),
        'messages': [_message(m) for m in _own_messages(user)],
        'audit_events': [_audit_event(event, user)
                         for event in events_about(user, meeting_ids)],
    }


def _profile(user: User) -> dict:
    return {
        'reference': user.id,
        'name': user.name,
        'cpr': user.cpr,
        'phone': user.phone,
        'email': user.email,
        'language': user.language,
        'active': user.active,
        'created_at': _iso(user.created_at),
        'last_login_at': _iso(user.last_login_at),
    }


def _citizen_profile(user: User) -> dict | None:
    """The citizen profile with the assigned caseworker's name (one query)."""
    profile = (CitizenProfile.select(CitizenProfile, Caseworker, User)
               .join(Caseworker, JOIN.LEFT_OUTER).join(User, JOIN.LEFT_OUTER)
               .where(CitizenProfile.user == user.id).first())
    if profile is None:
        return None
    return {
        'contact_group': profile.contact_group,
        'markings': [line.strip() for line in profile.markings.splitlines() if line.strip()],
        'due_date': _day(profile.due_date),
        'cpr_inactive_reason': profile.cpr_inactive_reason,
        'assigned_caseworker': profile.caseworker.user.name if profile.caseworker_id else None,
    }


def _absences(user: User) -> list[dict]:
    return [{'first_day': _day(a.first_day), 'last_day': _day(a.last_day),
             'reason': a.reason}
            for a in CitizenAbsence.select()
            .where(CitizenAbsence.citizen == user.id)
            .order_by(CitizenAbsence.first_day, CitizenAbsence.id)]


def _pending_summons(user: User, language: str) -> list[dict]:
    pending = (PendingSummons.select(PendingSummons, Team, MeetingType)
               .join(Team, JOIN.LEFT_OUTER, on=(PendingSummons.team == Team.id))
               .switch(PendingSummons)
               .join(MeetingType, JOIN.LEFT_OUTER,
                     on=(PendingSummons.meeting_type == MeetingType.id))
               .where(PendingSummons.citizen == user.id)
               .order_by(PendingSummons.created_at, PendingSummons.id))
    return [{
        'team': p.team.name if p.team_id else None,
        'meeting_type': p.meeting_type.label(language) if p.meeting_type_id else None,
        'earliest': _day(p.earliest), 'deadline': _day(p.deadline),
        'reason': p.reason, 'error': p.error, 'created_at': _iso(p.created_at),
    } for p in pending]


def _summons_drafts(user: User) -> list[dict]:
    """Summons in preparation that name the citizen."""
    drafts = (SummonsDraftCitizen.select()
              .where(SummonsDraftCitizen.citizen == user.id)
              .order_by(SummonsDraftCitizen.id))
    return [{
        'earliest': _day(d.earliest), 'due_date': _day(d.due_date),
        'deadline': _day(d.deadline), 'proposed_start': _iso(d.proposed_start),
    } for d in drafts]


def _audit_event(event: AuditEvent, user: User) -> dict:
    """An audit event as the citizen sees it: who acted by role only."""
    return {
        'action': event.action,
        'at': _iso(event.at),
        'actor_role': ('you' if event.actor_id == user.id
                       else event.actor.role if event.actor_id else 'system'),
        'about': (f'{event.object_type} {event.object_id}'
                  if event.object_type and event.object_id else ''),
    }


# --- erasure ---------------------------------------------------------------------

class ErasureRefused(Exception):
    """The citizen still has meetings ahead (or is not a citizen)."""

    def __init__(self, future_meetings: int = 0, reason: str = 'future_meetings'):
        super().__init__(reason)
        self.future_meetings = future_meetings
        self.reason = reason


@dataclass(frozen=True)
class Erasure:
    user_id: int
    meetings_kept: int
    messages_erased: int


def future_meetings(user: User, now: dt.datetime):
    """Booked meetings of the citizen that have not ended yet."""
    now = _naive(now)
    return (Meeting.select().join(MeetingParticipant)
            .where(MeetingParticipant.citizen == user.id,
                   MeetingParticipant.status == MeetingParticipant.BOOKED,
                   Meeting.status == Meeting.BOOKED, Meeting.ends_at > now))


def _naive(now: dt.datetime) -> dt.datetime:
    if now.tzinfo is not None:
        now = now.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return now


def _cpr_forms(cpr: str | None) -> list[str]:
    if not cpr:
        return []
    digits = ''.join(c for c in cpr if c.isdigit())
    forms = {cpr, digits}
    if len(digits) == 10:
        forms.add(f'{digits[:6]}-{digits[6:]}')
    elif len(digits) == 12:
        forms |= {f'{digits[:8]}-{digits[8:]}', f'{digits[2:8]}-{digits[8:]}', digits[2:]}
    return sorted(forms, key=len, reverse=True)


def _scrub(model, column, words: list[str], *where) -> None:
    """Replace every occurrence of `words` in a text column (any case)."""
    if not words:
        return
    pattern = re.compile('|'.join(re.escape(w) for w in words), re.IGNORECASE)
    match = None
    for word in words:
        term = column.contains(word)
        match = term if match is None else match | term
    query = model.select(model.id, column).where(match, *where)
    for row_id, text in query.tuples():
        cleaned = pattern.sub(ERASED, text or '')
        if cleaned != text:
            model.update({column: cleaned}).where(model.id == row_id).execute()


def erase_citizen(user: User, actor: User | None, now: dt.datetime, *,
                  ip: str = '') -> Erasure:
    """Erase a citizen's personal data once none of their meetings lies ahead.

    Name, CPR, phone and email go; logins, codes and devices, the citizen
    profile, absences, pending and draft summons rows are deleted; their
    messages keep channel, status and times but lose text and addresses.
    Meetings and participations stay (now naming 'Erased citizen #id') so
    statistics still count them. Raises ErasureRefused while meetings are
    booked ahead."""
    if user.role != User.CITIZEN:
        raise ErasureRefused(reason='not_a_citizen')
    with db.atomic():
        user = _locked(user)
        ahead = future_meetings(user, now).count()
        if ahead:
            raise ErasureRefused(ahead)
        words = [w for w in [user.name, user.email, user.phone, *_cpr_forms(user.cpr)]
                 if w and len(w) >= 3]
        org_id = user.organisation_id
        message_ids = _erase_messages(user)
        # Anything else that happens to name them (text written by staff).
        _scrub(Message, Message.body, words, Message.organisation == org_id)
        _scrub(Message, Message.subject, words, Message.organisation == org_id)
        _scrub(Message, Message.last_error, words, Message.organisation == org_id)
        _scrub(AuditEvent, AuditEvent.detail, words, AuditEvent.organisation == org_id)
        meeting_ids = _meeting_ids(user)
        if meeting_ids:
            _scrub(Meeting, Meeting.note, words, Meeting.id.in_(meeting_ids))
            # A new revision: calendars that show the meeting take the new
            # (anonymous) title when they are updated below.
            Meeting.update(revision=Meeting.revision + 1).where(
                Meeting.id.in_(meeting_ids)).execute()
        # Where they logged in from is theirs too.
        AuditEvent.update(ip='').where(AuditEvent.actor == user.id).execute()
        _delete_personal_rows(user)
        User.update(name=erased_name(user.id), cpr=None, phone=None, email=None,
                    username=None, password_hash=None, language=None, active=False,
                    last_login_at=None).where(User.id == user.id).execute()
        AuditEvent.record('citizen.erased', actor=actor, organisation=org_id, obj=user,
                          detail=f'{len(meeting_ids)} meetings kept, '
                                 f'{len(message_ids)} messages erased', ip=ip)
        if meeting_ids:
            calendar_sync.queue_meetings(meeting_ids)
    return Erasure(user.id, len(meeting_ids), len(message_ids))


def _locked(user: User) -> User:
    """The citizen's row, locked and read again: a self-booking racing the
    erasure waits for it (PostgreSQL row lock; SQLite holds the write lock
    already)."""
    lock_row(User, user.id)
    return User.get_by_id(user.id)


def _erase_messages(user: User) -> list[int]:
    """Blank text and addresses of the citizen's messages, and of the
    organisation's messages to or from their phone or email. Returns the
    ids of the messages erased."""
    theirs = Message.user == user.id
    contacts = [c for c in (user.phone, user.email) if c]
    if contacts:
        theirs |= ((Message.organisation == user.organisation_id)
                   & (Message.recipient.in_(contacts) | Message.sender.in_(contacts)))
    message_ids = [m.id for m in Message.select(Message.id).where(theirs)]
    for start in range(0, len(message_ids), 500):
        part = Message.id.in_(message_ids[start:start + 500])
        Message.update(body=ERASED, recipient=ERASED).where(part).execute()
        Message.update(subject=ERASED).where(part, Message.subject != '').execute()
        Message.update(last_error=ERASED).where(part, Message.last_error != '').execute()
        Message.update(sender=ERASED).where(part, Message.direction == Message.IN).execute()
    return message_ids


def _delete_personal_rows(user: User) -> None:
    """Logins, codes, devices, the citizen profile, absences and pending and
    draft summons rows."""
    for model, column in ((UserSession, UserSession.user), (OneTimeCode, OneTimeCode.user),
                          (TrustedDevice, TrustedDevice.user),
                          (CitizenProfile, CitizenProfile.user),
                          (CitizenAbsence, CitizenAbsence.citizen),
                          (PendingSummons, PendingSummons.citizen),
                          (SummonsDraftCitizen, SummonsDraftCitizen.citizen)):
        model.delete().where(column == user.id).execute()
