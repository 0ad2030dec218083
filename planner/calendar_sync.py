"""Caseworkers' calendars: every meeting they hold, as an event in their own
CalDAV calendar, and a private ICS feed of the same events.

Calendar sync is an outbox (DESIGN rule 4): one CalendarSync row per
(meeting, caseworker) says which revision of the meeting that calendar should
show (`CalendarSync.REMOVED`: none), then a Huey task puts or deletes the
event. Nothing here blocks a booking: a calendar server that is down only
leaves rows queued or failed, with the reason in plain words for staff, and
the sweep tries again. Event UIDs are stable per meeting, so a retried or
repeated sync overwrites the one event instead of adding a second.

With CALDAV_URL unset CalDAV is off: no rows are made and `state_of` says
'off'. The ICS feed works either way.
"""
from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass
from typing import Iterable

from flask import current_app, has_app_context
from flask_babel import force_locale, gettext as _
from icalendar import Calendar
from peewee import EXCLUDED, JOIN, Case, fn

from integrations import DeliveryError, caldav, ics
from messaging import queue
from models import (CalendarSync, Caseworker, Meeting, MeetingCaseworker, MeetingParticipant,
                    MeetingType, Organisation, Room, Team, User, insert_rows, utcnow)

log = logging.getLogger('planpool.calendar_sync')

SYNCED, PENDING, FAILED, OFF = 'synced', 'pending', 'failed', 'off'
CHUNK = 500                 # ids per IN (...) list: far below every driver's limit
BATCH = 200                 # rows per Huey batch task from the sweep
FEED_DAYS_BACK = 30
SUMMARY_NAMES = 3           # citizens named in an event title; the rest counted


@dataclass(frozen=True)
class SyncState:
    """A meeting's calendars at a glance.

    status: 'synced' (every calendar shows the meeting as it is), 'pending'
    (some are being updated or waiting for a retry), 'failed' (some gave up
    after the last attempt; the Sync button tries again) or 'off' (no
    calendar sync for this meeting: CalDAV is not set up, or the meeting was
    booked before it was)."""
    status: str
    last_error: str = ''
    failed_count: int = 0
    pending_count: int = 0


@dataclass(frozen=True)
class SyncCounts:
    """An organisation's meetings whose calendars are not yet updated, and
    of those, the ones that gave up."""
    not_updated: int = 0
    failed: int = 0


# --- configuration -----------------------------------------------------------

def enabled(config=None) -> bool:
    if config is None:
        if not has_app_context():
            return False    # no app, no CALDAV_URL (e.g. a script on the models)
        config = current_app.config
    return bool((config.get('CALDAV_URL') or '').strip())


def calendar_url(caseworker: Caseworker, email: str, config=None) -> str:
    """The caseworker's own calendar collection: Caseworker.calendar_url
    when set, else CALDAV_URL/<quoted e-mail>/planpool/."""
    config = config if config is not None else current_app.config
    own = (caseworker.calendar_url or '').strip()
    if own:
        return own
    return caldav.calendar_url_for(config['CALDAV_URL'].strip(), email or '')


def calendar_url_problem(url: str, config=None) -> str:
    """Why a caseworker's own calendar address cannot be used ('' when it
    can): an http(s) address on the calendar server of CALDAV_URL, so the
    server never sends requests anywhere else."""
    from urllib.parse import urlsplit
    url = (url or '').strip()
    if not url:
        return ''
    config = config if config is not None else current_app.config
    parts = urlsplit(url)
    if parts.scheme not in ('http', 'https') or not parts.hostname:
        return _('Enter an address that starts with https:// or http://.')
    base = (config.get('CALDAV_URL') or '').strip()
    if base:
        server = urlsplit(base)
        if (parts.scheme, parts.hostname, parts.port) != (
                server.scheme, server.hostname, server.port):
            return _('The address must be on the calendar server %(server)s.',
                     server=f'{server.scheme}://{server.netloc}')
    return ''


# --- queueing ------------------------------------------------------------------

def queue_meeting(meeting: Meeting) -> int:
    """In the transaction of a booking, move or cancellation: every calendar
    of the meeting wants its current state (the task starts once it
    commits). Returns the rows queued."""
    return queue_meetings([meeting.id])


def sync_now(meeting: Meeting) -> int:
    """The follow-up list's Sync button: every calendar of the meeting that
    is not up to date (failed, or waiting for a retry) is tried again now,
    attempts from zero. Returns the rows queued (0: all in sync, or off)."""
    return queue_meetings([meeting.id])


def queue_meetings(meeting_ids: Iterable[int]) -> int:
    """`queue_meeting` for many meetings (a summons of thousands): a fixed
    number of queries per 500 meetings and one Huey task for the batch.

    Call it in the transaction that changed the meetings: the rows are
    written with the change and the task starts once it commits."""
    ids = sorted({int(i) for i in meeting_ids})
    if not ids or not enabled():
        return 0
    queued: list[int] = []
    for chunk in _chunks(ids):
        queued += _queue_chunk(chunk)
    _enqueue(queued)
    return len(queued)


def queue_new_meetings(meetings: Iterable[tuple[int, int, Iterable[int | None]]]) -> int:
    """`queue_meetings` for meetings this transaction has just written, each
    as (id, revision, its caseworkers' ids): no calendar can hold them yet,
    so their rows are written straight away, without reading what is there."""
    if not enabled():
        return 0
    now = utcnow()
    rows = [_queued_row(meeting_id, caseworker_id, revision, now)
            for meeting_id, revision, holders in meetings
            for caseworker_id in sorted({c for c in holders if c})]
    queued = insert_rows(CalendarSync, rows)
    _enqueue(queued)
    return len(queued)


def _queued_row(meeting_id: int, caseworker_id: int, revision: int, now: dt.datetime) -> dict:
    """A calendar row waiting to be sent, attempts from zero."""
    return dict(meeting=meeting_id, caseworker=caseworker_id, wanted_revision=revision,
                status=CalendarSync.QUEUED, attempts=0, next_attempt_at=None, last_error='',
                updated_at=now)


def _queue_chunk(ids: list[int]) -> list[int]:
    wanted: dict[int, int] = {}
    holders: dict[int, set[int]] = {}
    for meeting_id, status, revision, caseworker_id in (
            Meeting.select(Meeting.id, Meeting.status, Meeting.revision, Meeting.caseworker)
            .where(Meeting.id.in_(ids)).tuples()):
        wanted[meeting_id] = (revision or 0) if status == Meeting.BOOKED \
            else CalendarSync.REMOVED
        holders[meeting_id] = {caseworker_id} if caseworker_id else set()
    for meeting_id, caseworker_id in (
            MeetingCaseworker.select(MeetingCaseworker.meeting, MeetingCaseworker.caseworker)
            .where(MeetingCaseworker.meeting.in_(ids)).tuples()):
        holders[meeting_id].add(caseworker_id)
    existing = set(CalendarSync.select(CalendarSync.meeting, CalendarSync.caseworker)
                   .where(CalendarSync.meeting.in_(ids)).tuples())
    now = utcnow()
    rows = []
    for meeting_id, revision in wanted.items():
        for caseworker_id in holders[meeting_id]:
            if revision == CalendarSync.REMOVED and (meeting_id, caseworker_id) not in existing:
                continue    # never put in that calendar: nothing to take out
            rows.append((meeting_id, caseworker_id, revision))
    for meeting_id, caseworker_id in existing:
        if caseworker_id not in holders.get(meeting_id, ()):   # moved away from them
            rows.append((meeting_id, caseworker_id, CalendarSync.REMOVED))
    if not rows:
        return []
    sending = CalendarSync.status == CalendarSync.SENDING
    for start in range(0, len(rows), CHUNK):
        part = rows[start:start + CHUNK]
        (CalendarSync.insert_many([_queued_row(m, c, w, now) for m, c, w in part])
         .on_conflict(
             conflict_target=[CalendarSync.meeting, CalendarSync.caseworker],
             # A row being sent keeps its claim: the sender sees the new
             # revision when it finishes and queues the row again.
             update={CalendarSync.wanted_revision: EXCLUDED.wanted_revision,
                     CalendarSync.status: Case(None, [(sending, CalendarSync.SENDING)],
                                               CalendarSync.QUEUED),
                     CalendarSync.attempts: Case(None, [(sending, CalendarSync.attempts)], 0),
                     CalendarSync.next_attempt_at: Case(
                         None, [(sending, CalendarSync.next_attempt_at)], None),
                     CalendarSync.updated_at: Case(None, [(sending, CalendarSync.updated_at)],
                                                   now)},
             # Already showing exactly this: nothing to do.
             where=~((CalendarSync.status == CalendarSync.SYNCED)
                     & (fn.COALESCE(CalendarSync.synced_revision, -2)
                        == EXCLUDED.wanted_revision)))
         .execute())
    return [row_id for (row_id,) in
            CalendarSync.select(CalendarSync.id)
            .where(CalendarSync.meeting.in_(ids), CalendarSync.status == CalendarSync.QUEUED,
                   CalendarSync.next_attempt_at.is_null())
            .order_by(CalendarSync.id).tuples()]


def queue_caseworker(caseworker: Caseworker, old_url: str) -> int:
    """In the transaction that changed the caseworker's calendar address
    from `old_url`: every event put in the old calendar moves to the new one
    (`_deliver` takes it out of the old). Returns the rows queued."""
    if not enabled():
        return 0
    url = calendar_url(caseworker, caseworker.user.email)
    # Events synced before the calendar was recorded on the row: the old one.
    (CalendarSync.update(synced_url=old_url)
     .where(CalendarSync.caseworker == caseworker.id, CalendarSync.synced_url == '',
            CalendarSync.synced_revision.is_null(False),
            CalendarSync.synced_revision != CalendarSync.REMOVED).execute())
    moved = CalendarSync.select(CalendarSync.id).where(
        CalendarSync.caseworker == caseworker.id, CalendarSync.synced_url != '',
        CalendarSync.synced_url != url, CalendarSync.status != CalendarSync.SENDING)
    ids = [row_id for (row_id,) in moved.order_by(CalendarSync.id).tuples()]
    if ids:
        (CalendarSync.update(status=CalendarSync.QUEUED, attempts=0, next_attempt_at=None,
                             last_error='', updated_at=utcnow())
         .where(CalendarSync.id.in_(ids)).execute())
    _enqueue(ids)
    return len(ids)


def _enqueue(row_ids: list[int]) -> None:
    if len(row_ids) == 1:
        queue.enqueue('sync_calendar', row_ids[0])
    elif row_ids:
        queue.enqueue('sync_calendar_batch', row_ids)


def _chunks(values: list, size: int = CHUNK):
    for start in range(0, len(values), size):
        yield values[start:start + size]


# --- sending -------------------------------------------------------------------
# Claim, backoff and the stall reset are the outbox's (models.OutboxMixin);
# what is the calendars' own is the revision a send was for.

def _finish(row: CalendarSync, revision: int, error: str | None, synced_url: str = '') -> None:
    """sending -> synced (the event now in `synced_url`, '' when removed), or
    a failed attempt (queued with backoff; failed after the last). A row whose
    wanted revision changed while it was being sent goes back to the queue at
    once instead."""
    now = utcnow()
    unchanged = CalendarSync.wanted_revision == revision
    if error is None:
        done = row.finish_sending(dict(status=CalendarSync.SYNCED, synced_revision=revision,
                                       synced_url=synced_url, next_attempt_at=None,
                                       last_error='', updated_at=now),
                                  unchanged)
    else:
        done = row.finish_sending(row.failed_attempt(error, now), unchanged)
    if not done:
        # The meeting changed meanwhile: what was sent is already stale.
        fields = dict(status=CalendarSync.QUEUED, next_attempt_at=None, updated_at=now)
        if error is not None:
            fields['last_error'] = error[:CalendarSync.ERROR_LENGTH]
        row.finish_sending(fields)
    fresh = CalendarSync.get_by_id(row.id)
    for name in ('status', 'synced_revision', 'synced_url', 'wanted_revision', 'attempts',
                 'next_attempt_at', 'last_error', 'updated_at'):
        setattr(row, name, getattr(fresh, name))


def sync_one(sync_id: int, *, dav: caldav.CalDAV | None = None,
             unreachable: dict[str, str] | None = None) -> str:
    """Put or delete one calendar's event; the outcome is written on the row
    (never raised). Returns the row's status afterwards.

    `dav` shares one connection setup across a batch; `unreachable`
    ({server: error}) lets a batch stop knocking on a server that is down:
    rows for it wait for the next round without an attempt counted."""
    own = dav is None
    if own:
        dav = caldav.from_config(current_app.config)
    try:
        for _round in range(3):
            row = CalendarSync.get_or_none(CalendarSync.id == sync_id)
            if row is None:
                return 'gone'
            if not enabled():
                return row.status      # switched off: rows wait as they are
            target = _target(row)
            server = _server(target[0]) if target else ''
            if unreachable is not None and server in unreachable:
                _defer(row, unreachable[server])
                return row.status
            if not row.claim():
                return row.status
            revision = row.wanted_revision
            error, put_in = _deliver(row, target, dav)
            if error is not None and unreachable is not None \
                    and isinstance(error, caldav.ServerUnreachable):
                unreachable[server] = caldav.error_note(error)
            _finish(row, revision, None if error is None else caldav.error_note(error), put_in)
            if not (row.status == CalendarSync.QUEUED and row.next_attempt_at is None):
                return row.status
            # queued again at once: the meeting changed while we were sending
        return row.status
    finally:
        if own:
            dav.close()


def sync_batch(sync_ids: Iterable[int]) -> dict[str, int]:
    """`sync_one` for many rows with one connection setup; {status: count}."""
    counts: dict[str, int] = {}
    unreachable: dict[str, str] = {}
    with caldav.from_config(current_app.config) as dav:
        for sync_id in sync_ids:
            status = sync_one(sync_id, dav=dav, unreachable=unreachable)
            counts[status] = counts.get(status, 0) + 1
    return counts


def _target(row: CalendarSync) -> tuple[str, Caseworker] | None:
    caseworker = (Caseworker.select(Caseworker, User).join(User)
                  .where(Caseworker.id == row.caseworker_id).first())
    if caseworker is None:
        return None
    return calendar_url(caseworker, caseworker.user.email), caseworker


def _server(url: str) -> str:
    from urllib.parse import urlsplit
    return urlsplit(url).netloc


def _defer(row: CalendarSync, error: str) -> None:
    """Not tried in this round: its server just failed for another row."""
    now = utcnow()
    later = now + CalendarSync.retry_delay(row.attempts)
    error = error[:CalendarSync.ERROR_LENGTH]
    (CalendarSync.update(next_attempt_at=later, last_error=error, updated_at=now)
     .where(CalendarSync.id == row.id, CalendarSync.status == CalendarSync.QUEUED)
     .execute())
    row.next_attempt_at, row.last_error = later, error


def _deliver(row: CalendarSync, target, dav: caldav.CalDAV) -> tuple[Exception | None, str]:
    """Send the meeting's current state to one calendar: (the error, if any;
    the calendar the event is now in, '' when it is in none)."""
    try:
        if target is None:
            raise DeliveryError('The caseworker no longer exists.', kind='caseworker_gone')
        url, caseworker = target
        if caseworker.calendar_url.strip():
            with force_locale('en'):
                problem = calendar_url_problem(url)
            if problem:
                raise DeliveryError(f"The caseworker's calendar address cannot be used: "
                                    f'{problem}', kind='bad_address')
        meeting = _meetings().where(Meeting.id == row.meeting_id).first()
        if meeting is None:
            raise DeliveryError('The meeting no longer exists.', kind='meeting_gone')
        uid = ics.meeting_uid(meeting.id, meeting.created_at)
        if row.synced_url and row.synced_url != url:
            # The caseworker's calendar moved: out of the old one first.
            dav.delete_event(row.synced_url, uid)
        holders = meeting.caseworker_ids()
        if meeting.status != Meeting.BOOKED or caseworker.id not in holders:
            dav.delete_event(url, uid)
            return None, ''
        language = caseworker.user.language or meeting.organisation.language
        event = event_calendar([meeting], language, caseworker_ids={meeting.id: holders})
        dav.put_event(url, uid, event)
        return None, url
    except DeliveryError as exc:
        log.warning('calendar sync %s attempt %s failed: %s', row.id, row.attempts, exc)
        return exc, row.synced_url
    except Exception as exc:   # a bug or a database hiccup: recorded all the same
        log.exception('calendar sync %s attempt %s failed', row.id, row.attempts)
        return DeliveryError(f'{type(exc).__name__}: {exc}', kind='internal',
                             name=type(exc).__name__), row.synced_url


# --- sweep ----------------------------------------------------------------------

def due(now: dt.datetime, stuck_after: dt.timedelta | None = None) -> list[int]:
    """Row ids a sweep should (re)enqueue, in order, after resetting stalled
    sends (CalendarSync.due); none while CalDAV is off."""
    if not enabled():
        return []
    return [row_id for (row_id,) in
            CalendarSync.due(now, stuck_after).order_by(CalendarSync.id).tuples()]


def batches(row_ids: list[int], size: int = BATCH):
    return list(_chunks(row_ids, size))


# --- state for staff ------------------------------------------------------------

def state_of(meeting_ids: Iterable[int]) -> dict[int, SyncState]:
    """{meeting id: SyncState} for every id asked about (one query per 500)."""
    ids = sorted({int(i) for i in meeting_ids})
    if not enabled():
        return {i: SyncState(OFF) for i in ids}
    rows: dict[int, list[tuple[str, str]]] = {i: [] for i in ids}
    for chunk in _chunks(ids):
        for meeting_id, status, error in (
                CalendarSync.select(CalendarSync.meeting, CalendarSync.status,
                                    CalendarSync.last_error)
                .where(CalendarSync.meeting.in_(chunk))
                .order_by(CalendarSync.updated_at.desc(), CalendarSync.id.desc()).tuples()):
            rows[meeting_id].append((status, error or ''))
    return {meeting_id: _aggregate(found) for meeting_id, found in rows.items()}


def _aggregate(rows: list[tuple[str, str]]) -> SyncState:
    if not rows:
        return SyncState(OFF)
    failed = [error for status, error in rows if status == CalendarSync.FAILED]
    pending = [error for status, error in rows
               if status in (CalendarSync.QUEUED, CalendarSync.SENDING)]
    if failed:
        status, error = FAILED, next((e for e in failed if e), '')
    elif pending:
        status, error = PENDING, next((e for e in pending if e), '')
    else:
        status, error = SYNCED, ''
    return SyncState(status, error, len(failed), len(pending))


def counts_for(organisation, *, since: dt.datetime | None = None) -> SyncCounts:
    """How many of the organisation's meetings have a calendar not yet
    updated (and how many of those gave up); `since`: meetings ending then
    or later only."""
    if not enabled():
        return SyncCounts()
    where = [Meeting.organisation == organisation,
             CalendarSync.status != CalendarSync.SYNCED]
    if since is not None:
        where.append(Meeting.ends_at >= since)
    failed_flag = fn.MAX(Case(None, [(CalendarSync.status == CalendarSync.FAILED, 1)], 0))
    per_meeting = (CalendarSync.select(CalendarSync.meeting, failed_flag.alias('failed'))
                   .join(Meeting).where(*where).group_by(CalendarSync.meeting))
    not_updated = failed = 0
    for _meeting_id, flag in per_meeting.tuples():
        not_updated += 1
        failed += 1 if flag else 0
    return SyncCounts(not_updated, failed)


# --- events and the feed -----------------------------------------------------------

def _meetings():
    """Meetings with what an event shows of them, in one query."""
    return (Meeting.select(Meeting, Organisation, MeetingType, Team, Room)
            .join(Organisation).switch(Meeting).join(MeetingType).switch(Meeting)
            .join(Team).switch(Meeting).join(Room, JOIN.LEFT_OUTER))


def _people(meeting_ids: list[int]) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """({meeting: citizens' names}, {meeting: other caseworkers' names})."""
    citizens: dict[int, list[str]] = {i: [] for i in meeting_ids}
    staff: dict[int, list[str]] = {i: [] for i in meeting_ids}
    for chunk in _chunks(meeting_ids):
        for meeting_id, name in (
                MeetingParticipant.select(MeetingParticipant.meeting, User.name).join(User)
                .where(MeetingParticipant.meeting.in_(chunk),
                       MeetingParticipant.status == MeetingParticipant.BOOKED)
                .order_by(User.name, MeetingParticipant.id).tuples()):
            citizens[meeting_id].append(name)
        for meeting_id, name in (
                MeetingCaseworker.select(MeetingCaseworker.meeting, User.name)
                .join(Caseworker).join(User)
                .where(MeetingCaseworker.meeting.in_(chunk))
                .order_by(MeetingCaseworker.id).tuples()):
            staff[meeting_id].append(name)
    return citizens, staff


def event_calendar(meetings: list[Meeting], language: str, *, name: str = '',
                   caseworker_ids: dict[int, list[int]] | None = None) -> bytes:
    """A VCALENDAR with one VEVENT per meeting (the stable UIDs of
    integrations.ics). No METHOD: CalDAV resources and feeds carry none.

    The title names the meeting type and the citizens (never a CPR number);
    the description adds the note to the caseworker, team, room and others."""
    ids = [m.id for m in meetings]
    citizens, staff = _people(ids)
    calendar = Calendar()
    calendar.add('prodid', ics.PRODID)
    calendar.add('version', '2.0')
    calendar.add('calscale', 'GREGORIAN')
    if name:
        calendar.add('x-wr-calname', name)
    with force_locale(language):
        for meeting in meetings:
            names = citizens.get(meeting.id, [])
            label = meeting.meeting_type.label(language)
            shown = ', '.join(names[:SUMMARY_NAMES])
            if len(names) > SUMMARY_NAMES:
                shown += ' ' + _('+%(n)s more', n=len(names) - SUMMARY_NAMES)
            summary = f'{label}: {shown}' if shown else label
            details = []
            if names:
                details.append(_('Citizens: %(names)s', names=', '.join(names)))
            if meeting.note:
                details.append(_('Note: %(note)s', note=meeting.note))
            details.append(_('Team: %(name)s', name=meeting.team.name))
            if meeting.room_id:
                details.append(_('Room: %(name)s', name=meeting.room.name))
            others = staff.get(meeting.id, [])
            if others:
                details.append(_('Caseworkers: %(names)s', names=', '.join(
                    [meeting.caseworker.user.name] + others if meeting.caseworker_id
                    else others)))
            details.append(_('Booking number: %(n)s', n=meeting.id))
            single = Calendar.from_ical(ics.meeting_calendar(
                uid=ics.meeting_uid(meeting.id, meeting.created_at),
                start=meeting.starts_at, end=meeting.ends_at, summary=summary,
                location=meeting.place() or meeting.team.name,
                description='\n'.join(details), sequence=meeting.revision or 0,
                stamp=meeting.created_at))
            for event in single.walk('VEVENT'):
                calendar.add_component(event)
    return calendar.to_ical()


def feed_meetings(caseworker: Caseworker, now: dt.datetime) -> list[Meeting]:
    """The caseworker's booked meetings that ended at most FEED_DAYS_BACK
    days ago, earliest first (their own and group meetings they staff)."""
    since = now - dt.timedelta(days=FEED_DAYS_BACK)
    staffed = (MeetingCaseworker.select(MeetingCaseworker.meeting)
               .where(MeetingCaseworker.caseworker == caseworker))
    return list(_meetings()
                .where((Meeting.caseworker == caseworker) | Meeting.id.in_(staffed),
                       Meeting.status == Meeting.BOOKED, Meeting.ends_at >= since)
                .order_by(Meeting.starts_at, Meeting.id))


def feed(caseworker: Caseworker, now: dt.datetime | None = None) -> bytes:
    now = now or utcnow()
    user = caseworker.user
    language = user.language or caseworker.organisation.language
    with force_locale(language):
        name = _('Planpool: %(name)s', name=user.name)
    return event_calendar(feed_meetings(caseworker, now), language, name=name)


def caseworker_by_token(token: str) -> Caseworker | None:
    """The active caseworker whose private feed this is, or None."""
    if not token or len(token) > 64:
        return None
    return (Caseworker.select(Caseworker, User).join(User)
            .where(Caseworker.feed_token == token, User.active == True)  # noqa: E712
            .first())


def new_feed_token(caseworker: Caseworker) -> str:
    """A fresh secret for the feed URL; the old URL stops working."""
    token = secrets.token_urlsafe(32)
    Caseworker.update(feed_token=token).where(Caseworker.id == caseworker.id).execute()
    caseworker.feed_token = token
    return token
