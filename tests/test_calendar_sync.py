"""Caseworkers' calendars: CalDAV sync against a real Radicale server, what
happens when the server is down or answers nonsense, and the private ICS feed.
"""
from __future__ import annotations

import datetime as dt
import http.server
import socket
import threading

import pytest
from icalendar import Calendar

import tasks
from integrations import ics
from messaging import queue
from integrations.caldav import CalDAV
from models import (CalendarSync, Caseworker, CaseworkerTeam, Meeting, MeetingCaseworker,
                    MeetingType, Team, User, WorkingHours, db, utcnow)
from planner import booking, calendar_sync
from tests.radicale_server import events, radicale  # noqa: F401

UTC = dt.timezone.utc
CPR = '0101901234'


@pytest.fixture
def app_config(request):
    """CalDAV on for tests that start a server, off for the others."""
    for name in ('radicale', 'junk_server', 'silent_server'):
        if name in request.fixturenames:
            server = request.getfixturevalue(name)
            return {'CALDAV_URL': server.url + '/', 'CALDAV_USERNAME': 'planpool',
                    'CALDAV_PASSWORD': 'secret', 'CALDAV_TIMEOUT': '2'}
    return {}


def _next_monday() -> dt.date:
    """A Monday one to two weeks ahead: bookable whatever today is."""
    today = utcnow().date()
    return today + dt.timedelta(days=14 - today.weekday())


@pytest.fixture
def setup(jobcentre, make_user):
    team = Team.create(organisation=jobcentre, name='Dagpenge', address='Jobvej 1',
                       postcode='8000', city='Aarhus C')

    def caseworker(name, email):
        user = make_user(jobcentre, User.CASEWORKER, name=name, email=email)
        cw = Caseworker.create(user=user, organisation=jobcentre, initials=name[:2])
        CaseworkerTeam.create(caseworker=cw, team=team)
        for weekday in range(5):
            WorkingHours.create(caseworker=cw, weekday=weekday, start=dt.time(8),
                                end=dt.time(16))
        return cw

    karen = caseworker('Karen Vejleder', 'karen@example.test')
    ole = caseworker('Ole Vejleder', 'ole@example.test')
    citizen = make_user(jobcentre, User.CITIZEN, name='Mette Borger', cpr=CPR,
                        language='en')
    other = make_user(jobcentre, User.CITIZEN, name='Jens Hansen', cpr='0202801234')
    admin = make_user(jobcentre, User.ADMIN)
    return dict(org=jobcentre, team=team, karen=karen, ole=ole, citizen=citizen,
                other=other, admin=admin, monday=_next_monday(),
                jobsamtale=MeetingType.get(MeetingType.code == 'jobsamtale'))


def _book(s, *, hour=9, day=0, cw=None, citizen=None, note='Bring the CV'):
    start = dt.datetime.combine(s['monday'] + dt.timedelta(days=day), dt.time(hour),
                                tzinfo=s['org'].zone)
    return booking.book(booking.MeetingRequest(
        organisation=s['org'], team=s['team'], meeting_type=s['jobsamtale'],
        caseworker=cw or s['karen'], starts_at=start, duration_minutes=30,
        citizens=(citizen or s['citizen'],), note=note), send_notifications=False)


def _calendar(server, cw) -> str:
    return f'{server.url}/{cw.user.email.replace("@", "%40")}/planpool/'


def _uid(meeting) -> str:
    return ics.meeting_uid(meeting.id, Meeting.get_by_id(meeting.id).created_at)


def _rows(meeting):
    return list(CalendarSync.select().where(CalendarSync.meeting == meeting.id)
                .order_by(CalendarSync.caseworker))


# --- the real server ------------------------------------------------------------

def test_book_move_cancel_show_in_the_caseworkers_calendar(app, radicale, setup):
    meeting = _book(setup)
    found = events(_calendar(radicale, setup['karen']))
    assert len(found) == 1
    event = found[0]
    assert str(event['UID']) == _uid(meeting)
    # In the caseworker's language (the organisation's: Danish): type and citizen.
    assert str(event['SUMMARY']) == f"{setup['jobsamtale'].label('da')}: Mette Borger"
    assert 'Bring the CV' in str(event['DESCRIPTION'])
    assert str(event['LOCATION']) == 'Jobvej 1, 8000 Aarhus C'
    assert event.decoded('DTSTART') == meeting.starts_at.replace(tzinfo=UTC)
    raw = b''.join(e.to_ical() for e in found)
    assert CPR.encode() not in raw and b'010190' not in raw   # never a CPR number
    (row,) = _rows(meeting)
    assert (row.status, row.synced_revision, row.attempts) == ('synced', 0, 1)
    assert calendar_sync.state_of([meeting.id])[meeting.id].status == 'synced'

    later = dt.datetime.combine(setup['monday'], dt.time(13), tzinfo=setup['org'].zone)
    booking.move(meeting, caseworker=setup['karen'], starts_at=later,
                 send_notifications=False)
    found = events(_calendar(radicale, setup['karen']))
    assert len(found) == 1                                   # updated, not added
    assert str(found[0]['UID']) == _uid(meeting)
    assert found[0].decoded('DTSTART') == later.astimezone(UTC)
    assert int(found[0]['SEQUENCE']) == 1
    assert _rows(meeting)[0].synced_revision == 1

    booking.cancel(meeting, send_notifications=False)
    assert events(_calendar(radicale, setup['karen'])) == []
    (row,) = _rows(meeting)
    assert (row.status, row.wanted_revision, row.synced_revision) == (
        'synced', CalendarSync.REMOVED, CalendarSync.REMOVED)


def test_move_to_another_caseworker_moves_the_event(app, radicale, setup):
    meeting = _book(setup)
    start = dt.datetime.combine(setup['monday'], dt.time(10), tzinfo=setup['org'].zone)
    booking.move(meeting, caseworker=setup['ole'], starts_at=start, send_notifications=False)
    assert events(_calendar(radicale, setup['karen'])) == []
    moved = events(_calendar(radicale, setup['ole']))
    assert [str(e['UID']) for e in moved] == [_uid(meeting)]
    rows = {r.caseworker_id: r for r in _rows(meeting)}
    assert rows[setup['karen'].id].wanted_revision == CalendarSync.REMOVED
    assert rows[setup['ole'].id].synced_revision == 1
    assert all(r.status == 'synced' for r in rows.values())


def test_group_meeting_staff_all_get_the_event(app, radicale, setup):
    url = app.config['CALDAV_URL']
    app.config['CALDAV_URL'] = None          # made in one go, as a summons does
    meeting = _book(setup)
    MeetingCaseworker.create(meeting=meeting, caseworker=setup['ole'])
    app.config['CALDAV_URL'] = url
    assert calendar_sync.queue_meeting(meeting) == 2
    for cw in (setup['karen'], setup['ole']):
        (event,) = events(_calendar(radicale, cw))
        assert str(event['UID']) == _uid(meeting)
        assert 'Karen Vejleder, Ole Vejleder' in str(event['DESCRIPTION'])
    assert calendar_sync.queue_meeting(meeting) == 0        # both in sync already


def test_a_group_meeting_booked_with_two_caseworkers_reaches_both_calendars(
        app, radicale, setup, monkeypatch):
    batches = []
    monkeypatch.setattr(calendar_sync, '_enqueue', batches.append)
    start = dt.datetime.combine(setup['monday'], dt.time(10), tzinfo=setup['org'].zone)
    meeting = booking.book(booking.MeetingRequest(
        organisation=setup['org'], team=setup['team'], meeting_type=setup['jobsamtale'],
        caseworker=setup['karen'], extra_caseworkers=(setup['ole'],), starts_at=start,
        duration_minutes=60, citizens=(setup['citizen'], setup['other']),
        form=Meeting.GROUP, seats=2), send_notifications=False)
    rows = list(CalendarSync.select().where(CalendarSync.meeting == meeting)
                .order_by(CalendarSync.id))
    assert sorted(r.caseworker_id for r in rows) == sorted([setup['karen'].id, setup['ole'].id])
    assert {(r.status, r.wanted_revision, r.attempts) for r in rows} == {('queued', 0, 0)}
    assert batches == [[r.id for r in rows]]          # one task, after the commit
    monkeypatch.undo()
    tasks.sync_calendar_batch(batches[0])
    for cw in (setup['karen'], setup['ole']):
        (event,) = events(_calendar(radicale, cw))
        assert str(event['UID']) == _uid(meeting)
    assert calendar_sync.queue_meeting(meeting) == 0        # both in sync already


def test_syncing_again_and_again_never_makes_a_duplicate(app, radicale, setup):
    meeting = _book(setup)
    (row,) = _rows(meeting)
    for _ in range(2):
        CalendarSync.update(status='queued').where(CalendarSync.id == row.id).execute()
        assert calendar_sync.sync_one(row.id) == 'synced'
    CalendarSync.update(status='queued').where(CalendarSync.id == row.id).execute()
    calendar_sync.sync_batch([row.id, row.id])
    assert calendar_sync.sync_now(meeting) == 0                # already in sync
    # The same event put by a second, separate connection: still one.
    body = calendar_sync.event_calendar([Meeting.get_by_id(meeting.id)], 'en')
    CalDAV(timeout=2).put_event(_calendar(radicale, setup['karen']), _uid(meeting), body)
    assert len(events(_calendar(radicale, setup['karen']))) == 1


def test_outage_then_sync_now_and_sweep_catch_up(app, radicale, setup):
    radicale.stop()
    meetings = [_book(setup, hour=h) for h in (9, 10, 11)]   # bookings go through
    assert Meeting.select().where(Meeting.status == 'booked').count() == 3
    for meeting in meetings:
        (row,) = _rows(meeting)
        assert row.status == 'queued' and row.attempts == 1
        assert 'Could not connect to the calendar server' in row.last_error
        assert 'connection refused' in row.last_error
        assert row.next_attempt_at > utcnow()                # backoff
        state = calendar_sync.state_of([meeting.id])[meeting.id]
        assert state.status == 'pending' and 'connection refused' in state.last_error
    assert calendar_sync.counts_for(setup['org']) == calendar_sync.SyncCounts(3, 0)

    radicale.start()
    tasks.sweep()                                            # nothing due yet
    assert events(_calendar(radicale, setup['karen'])) == []
    assert calendar_sync.sync_now(meetings[0]) == 1          # the Sync button
    assert [str(e['UID']) for e in events(_calendar(radicale, setup['karen']))] == [
        _uid(meetings[0])]
    # Time passes: the retries fall due and the sweep sends them.
    CalendarSync.update(next_attempt_at=utcnow() - dt.timedelta(seconds=1)).where(
        CalendarSync.status == 'queued').execute()
    tasks.sweep()
    uids = sorted(str(e['UID']) for e in events(_calendar(radicale, setup['karen'])))
    assert uids == sorted(_uid(m) for m in meetings)         # exactly one each
    states = calendar_sync.state_of([m.id for m in meetings])
    assert {s.status for s in states.values()} == {'synced'}
    assert calendar_sync.counts_for(setup['org']) == calendar_sync.SyncCounts(0, 0)


def test_gives_up_after_the_last_attempt_until_sync_now(app, radicale, setup):
    radicale.stop()
    meeting = _book(setup)
    (row,) = _rows(meeting)
    for _ in range(CalendarSync.MAX_ATTEMPTS - 1):
        CalendarSync.update(next_attempt_at=None).where(CalendarSync.id == row.id).execute()
        calendar_sync.sync_one(row.id)
    row = CalendarSync.get_by_id(row.id)
    assert (row.status, row.attempts) == ('failed', CalendarSync.MAX_ATTEMPTS)
    assert calendar_sync.due(utcnow() + dt.timedelta(days=1)) == []   # left alone
    state = calendar_sync.state_of([meeting.id])[meeting.id]
    assert (state.status, state.failed_count) == ('failed', 1)
    assert 'connection refused' in state.last_error
    assert calendar_sync.counts_for(setup['org']) == calendar_sync.SyncCounts(1, 1)

    radicale.start()
    assert calendar_sync.sync_now(meeting) == 1
    row = CalendarSync.get_by_id(row.id)
    assert (row.status, row.attempts, row.last_error) == ('synced', 1, '')
    assert len(events(_calendar(radicale, setup['karen']))) == 1


def test_a_change_while_sending_is_sent_too(app, radicale, setup, monkeypatch):
    meeting = _book(setup)
    later = dt.datetime.combine(setup['monday'], dt.time(14), tzinfo=setup['org'].zone)
    real_put = CalDAV.put_event
    calls = []

    def put_then_move(self, url, uid, body):
        calls.append(Calendar.from_ical(body).walk('VEVENT')[0].decoded('DTSTART'))
        real_put(self, url, uid, body)
        if len(calls) == 1:   # the meeting moves while the first put is under way
            Meeting.update(starts_at=later.astimezone(UTC).replace(tzinfo=None),
                           ends_at=(later + dt.timedelta(minutes=30)).astimezone(UTC)
                           .replace(tzinfo=None), revision=Meeting.revision + 1
                           ).where(Meeting.id == meeting.id).execute()
            calendar_sync.queue_meeting(Meeting.get_by_id(meeting.id))

    monkeypatch.setattr(CalDAV, 'put_event', put_then_move)
    (row,) = _rows(meeting)
    CalendarSync.update(status='queued', synced_revision=None).where(
        CalendarSync.id == row.id).execute()
    assert calendar_sync.sync_one(row.id) == 'synced'
    assert calls[-1] == later.astimezone(UTC) and len(calls) == 2
    row = CalendarSync.get_by_id(row.id)
    assert row.synced_revision == row.wanted_revision == 1
    (event,) = events(_calendar(radicale, setup['karen']))
    assert event.decoded('DTSTART') == later.astimezone(UTC)


def test_stalled_send_goes_back_to_the_queue(app, radicale, setup):
    meeting = _book(setup)
    (row,) = _rows(meeting)
    CalendarSync.update(status='sending', attempts=2,
                        updated_at=utcnow() - dt.timedelta(minutes=30)).where(
        CalendarSync.id == row.id).execute()
    assert calendar_sync.due(utcnow()) == [row.id]
    row = CalendarSync.get_by_id(row.id)
    assert row.status == 'queued' and 'Stalled' in row.last_error


def test_a_summons_sized_batch_is_one_task_and_few_queries(app, radicale, setup,
                                                           monkeypatch):
    app.config['CALDAV_URL'] = None                    # booked while CalDAV was off
    meetings = [_book(setup, day=d, hour=h, cw=cw)
                for d in range(5) for h in range(9, 13) for cw in (setup['karen'],
                                                                    setup['ole'])]
    assert CalendarSync.select().count() == 0
    app.config['CALDAV_URL'] = radicale.url

    statements = []
    real_execute = db.obj.execute_sql
    monkeypatch.setattr(db.obj, 'execute_sql',
                        lambda sql, *a, **k: statements.append(sql) or real_execute(sql, *a, **k))
    monkeypatch.setattr(calendar_sync, '_enqueue', lambda ids: None)
    assert calendar_sync.queue_meetings([m.id for m in meetings[:4]]) == 4
    few = len(statements)
    statements.clear()
    assert calendar_sync.queue_meetings([m.id for m in meetings]) == len(meetings)
    assert len(statements) == few                      # independent of the count
    monkeypatch.undo()

    batches = []
    real_batch = tasks.sync_calendar_batch
    monkeypatch.setitem(queue.jobs, 'sync_calendar_batch',
                        lambda ids: batches.append(list(ids)) or real_batch(ids))
    CalendarSync.update(status='queued', next_attempt_at=None).execute()
    calendar_sync.queue_meetings([m.id for m in meetings])
    assert len(batches) == 1 and len(batches[0]) == len(meetings)
    assert len(events(_calendar(radicale, setup['karen']))) == len(meetings) // 2
    assert len(events(_calendar(radicale, setup['ole']))) == len(meetings) // 2
    assert CalendarSync.select().where(CalendarSync.status != 'synced').count() == 0


# --- servers that do not answer like a calendar -------------------------------------

class _JunkHandler(http.server.BaseHTTPRequestHandler):
    status = 200

    def _answer(self):
        length = int(self.headers.get('Content-Length') or 0)
        if length:
            self.rfile.read(length)
        body = b'<html>Hello, this is not a calendar</html>'
        self.send_response(self.server.status)
        self.send_header('Content-Type', 'text/html')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = do_DELETE = do_PROPFIND = do_MKCALENDAR = do_MKCOL = do_OPTIONS = \
        do_REPORT = _answer

    def log_message(self, *args):
        pass


class _Junk:
    def __init__(self):
        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _JunkHandler)
        self.server.status = 200
        self.url = f'http://127.0.0.1:{self.server.server_address[1]}'
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def junk_server():
    server = _Junk()
    yield server
    server.close()


def test_a_server_answering_junk_or_500_is_a_recorded_failure(app, client, login, setup,
                                                              junk_server):
    login(setup['admin'])
    response = client.post('/calendar/new', data={
        'team': setup['team'].id, 'caseworker': setup['karen'].id, 'room': 0,
        'meeting_type': setup['jobsamtale'].id, 'attendance': 'in_person',
        'date': setup['monday'].isoformat(), 'start': '10:00', 'duration': 30,
        'reporting': 0, 'cpr': CPR, 'note': ''})
    assert response.status_code == 303                       # the booking went through
    meeting = Meeting.get()
    (row,) = _rows(meeting)
    assert row.status == 'queued' and row.attempts == 1
    assert 'did not answer like a CalDAV calendar server' in row.last_error

    junk_server.server.status = 500
    assert calendar_sync.sync_now(meeting) == 1
    row = CalendarSync.get_by_id(row.id)
    assert row.status == 'queued'
    assert 'HTTP 500' in row.last_error and '127.0.0.1' in row.last_error
    assert calendar_sync.state_of([meeting.id])[meeting.id].status == 'pending'


class _Silent:
    """Accepts connections and never answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(16)
        self.url = f'http://127.0.0.1:{self.sock.getsockname()[1]}'

    def close(self):
        self.sock.close()


@pytest.fixture
def silent_server():
    server = _Silent()
    yield server
    server.close()


def test_a_server_that_never_answers_times_out(app, setup, silent_server):
    started = dt.datetime.now()
    meeting = _book(setup)
    assert dt.datetime.now() - started < dt.timedelta(seconds=15)   # bounded wait
    (row,) = _rows(meeting)
    assert row.status == 'queued'
    assert 'did not answer within 2 seconds' in row.last_error


# --- CalDAV off --------------------------------------------------------------------------

def test_without_caldav_url_there_are_no_rows_and_the_state_says_off(app, setup):
    assert not app.config.get('CALDAV_URL')
    meeting = _book(setup)
    booking.cancel(meeting, send_notifications=False)
    assert CalendarSync.select().count() == 0
    assert calendar_sync.state_of([meeting.id]) == {meeting.id: calendar_sync.SyncState('off')}
    assert calendar_sync.counts_for(setup['org']) == calendar_sync.SyncCounts(0, 0)
    assert calendar_sync.sync_now(meeting) == 0


# --- the private ICS feed ------------------------------------------------------------------

def _feed_events(response):
    return Calendar.from_ical(response.data).walk('VEVENT')


def test_feed_link_shows_own_meetings_only_and_a_new_link_replaces_it(app, client, login,
                                                                      setup):
    mine = _book(setup)
    gone = _book(setup, hour=11)
    booking.cancel(gone, send_notifications=False)
    theirs = _book(setup, cw=setup['ole'], citizen=setup['other'])
    now = utcnow().replace(microsecond=0)
    recent = Meeting.create(
        organisation=setup['org'], team=setup['team'], meeting_type=setup['jobsamtale'],
        caseworker=setup['karen'], starts_at=now - dt.timedelta(days=10),
        ends_at=now - dt.timedelta(days=10) + dt.timedelta(minutes=30))
    old = Meeting.create(
        organisation=setup['org'], team=setup['team'], meeting_type=setup['jobsamtale'],
        caseworker=setup['karen'], starts_at=now - dt.timedelta(days=40),
        ends_at=now - dt.timedelta(days=40) + dt.timedelta(minutes=30))

    login(setup['karen'].user)
    assert client.get('/calendar/feed').headers['Location'].endswith(
        f"/calendar/caseworker/{setup['karen'].id}/feed")
    page = client.get(f"/calendar/caseworker/{setup['karen'].id}/feed")
    assert 'There is no link yet' in page.get_data(as_text=True)
    assert client.post(f"/calendar/caseworker/{setup['karen'].id}/feed").status_code == 303
    token = Caseworker.get_by_id(setup['karen'].id).feed_token
    assert token and len(token) >= 40
    page = client.get(f"/calendar/caseworker/{setup['karen'].id}/feed")
    html = page.get_data(as_text=True)
    assert f'/calendar/feed/{token}.ics' in html and page.headers['Cache-Control'] == 'no-store'
    assert 'Make a new link' in html

    anonymous = app.test_client()
    feed = anonymous.get(f'/calendar/feed/{token}.ics')
    assert feed.status_code == 200
    assert feed.mimetype == 'text/calendar'
    assert feed.headers['Cache-Control'] == 'no-store'
    uids = {str(e['UID']) for e in _feed_events(feed)}
    assert uids == {_uid(mine), _uid(recent)}        # not cancelled, old or Ole's
    assert _uid(theirs) not in uids and _uid(gone) not in uids and _uid(old) not in uids
    assert b'Mette Borger' in feed.data and CPR.encode() not in feed.data
    assert b'Jens Hansen' not in feed.data
    assert anonymous.get('/calendar/feed/not-a-real-token.ics').status_code == 404

    # A new link, after confirming: the old one stops working.
    confirm = client.get(f"/calendar/caseworker/{setup['karen'].id}/feed?confirm=new")
    assert 'Yes, make a new link' in confirm.get_data(as_text=True)
    assert Caseworker.get_by_id(setup['karen'].id).feed_token == token
    client.post(f"/calendar/caseworker/{setup['karen'].id}/feed")
    new_token = Caseworker.get_by_id(setup['karen'].id).feed_token
    assert new_token != token
    assert anonymous.get(f'/calendar/feed/{token}.ics').status_code == 404
    assert anonymous.get(f'/calendar/feed/{new_token}.ics').status_code == 200


def test_feed_page_is_for_the_caseworker_and_their_organisations_planners(
        app, client, login, setup, make_user, make_org):
    url = f"/calendar/caseworker/{setup['karen'].id}/feed"
    login(setup['ole'].user)                       # another caseworker
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    login(setup['admin'])
    assert 'There is no link yet' in client.get(url).get_data(as_text=True)
    login(make_user(setup['org'], User.PLANNER))
    assert client.get(url).status_code == 200
    login(make_user(make_org('planner'), User.ADMIN))   # another organisation
    assert client.get(url).status_code == 404
    login(setup['citizen'])
    assert client.get(url).status_code == 403
    # The calendar links to it.
    login(setup['karen'].user)
    week = client.get(f"/calendar/caseworker/{setup['karen'].id}").get_data(as_text=True)
    assert f'href="{url}"' in week


def test_feed_of_a_deactivated_caseworker_is_gone(app, client, setup):
    token = calendar_sync.new_feed_token(setup['karen'])
    assert client.get(f'/calendar/feed/{token}.ics').status_code == 200
    User.update(active=False).where(User.id == setup['karen'].user_id).execute()
    assert client.get(f'/calendar/feed/{token}.ics').status_code == 404


# --- a caseworker's own calendar address ------------------------------------------------

def test_own_calendar_address_on_the_server_is_used_and_others_refused(app, client, login,
                                                                       radicale, setup):
    login(setup['admin'])
    url = f"/admin/caseworkers/{setup['karen'].id}"
    form = {'initials': 'KV', 'teams': [str(setup['team'].id)]}
    elsewhere = client.post(url, data={**form, 'calendar_url': 'http://10.0.0.1/dav/cal/'})
    assert elsewhere.status_code == 422
    assert 'must be on the calendar server' in elsewhere.get_data(as_text=True)
    not_http = client.post(url, data={**form, 'calendar_url': 'file:///etc/passwd'})
    assert 'starts with https:// or http://' in not_http.get_data(as_text=True)
    assert Caseworker.get_by_id(setup['karen'].id).calendar_url == ''

    own = f'{radicale.url}/team-dagpenge/karen/'
    assert client.post(url, data={**form, 'calendar_url': own}).status_code == 303
    assert Caseworker.get_by_id(setup['karen'].id).calendar_url == own
    meeting = _book(setup)
    assert [str(e['UID']) for e in events(own)] == [_uid(meeting)]
    assert events(_calendar(radicale, setup['karen'])) == []

    # An address stored before the server moved is not followed elsewhere.
    Caseworker.update(calendar_url='http://127.0.0.1:9/x/').where(
        Caseworker.id == setup['karen'].id).execute()
    other = _book(setup, hour=13)
    (row,) = _rows(other)
    assert row.status == 'queued'
    assert 'must be on the calendar server' in row.last_error


# --- staff added later, a calendar address changed --------------------------------------

def test_a_caseworker_added_to_a_meeting_later_gets_it_in_their_calendar(
        app, client, login, radicale, setup):
    meeting = _book(setup)
    assert events(_calendar(radicale, setup['ole'])) == []
    login(setup['admin'])
    page = client.get(f'/calendar/meeting/{meeting.id}').get_data(as_text=True)
    assert 'Add a caseworker to the meeting' in page
    response = client.post(f'/calendar/meeting/{meeting.id}/staff',
                           data={'caseworker': setup['ole'].id})
    assert response.status_code == 303
    page = client.get(response.headers['Location']).get_data(as_text=True)
    assert 'Ole Vejleder now holds the meeting too.' in page
    for cw in (setup['karen'], setup['ole']):   # Karen's event lists Ole now too
        (event,) = events(_calendar(radicale, cw))
        assert str(event['UID']) == _uid(meeting)
        assert 'Karen Vejleder, Ole Vejleder' in str(event['DESCRIPTION'])
    assert {r.status for r in _rows(meeting)} == {'synced'}
    # Twice: refused, nothing changes.
    client.post(f'/calendar/meeting/{meeting.id}/staff', data={'caseworker': setup['ole'].id})
    assert MeetingCaseworker.select().count() == 1
    # Off the meeting again: out of Ole's calendar.
    booking.remove_caseworker(Meeting.get_by_id(meeting.id), setup['ole'])
    assert events(_calendar(radicale, setup['ole'])) == []
    (event,) = events(_calendar(radicale, setup['karen']))
    assert 'Ole Vejleder' not in str(event['DESCRIPTION'])


def test_a_caseworker_busy_then_is_not_added(app, radicale, setup):
    meeting = _book(setup)
    _book(setup, cw=setup['ole'], citizen=setup['other'])   # Ole's 09:00 is taken
    with pytest.raises(booking.BookingError):
        booking.add_caseworker(Meeting.get_by_id(meeting.id), setup['ole'])
    assert MeetingCaseworker.select().count() == 0
    assert [str(e['UID']) for e in events(_calendar(radicale, setup['ole']))] != [
        _uid(meeting)]


def test_a_new_calendar_address_takes_the_events_out_of_the_old_one(
        app, client, login, radicale, setup):
    meeting = _book(setup)
    old = _calendar(radicale, setup['karen'])
    assert [str(e['UID']) for e in events(old)] == [_uid(meeting)]
    login(setup['admin'])
    own = f'{radicale.url}/team-dagpenge/karen/'
    response = client.post(f"/admin/caseworkers/{setup['karen'].id}", data={
        'initials': 'KV', 'teams': [str(setup['team'].id)], 'calendar_url': own})
    assert response.status_code == 303
    assert events(old) == []
    assert [str(e['UID']) for e in events(own)] == [_uid(meeting)]
    (row,) = _rows(meeting)
    assert (row.status, row.synced_url) == ('synced', own)
    # And back to the default address: the event follows again.
    response = client.post(f"/admin/caseworkers/{setup['karen'].id}", data={
        'initials': 'KV', 'teams': [str(setup['team'].id)], 'calendar_url': ''})
    assert events(own) == []
    assert [str(e['UID']) for e in events(old)] == [_uid(meeting)]
