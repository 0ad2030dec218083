"""Faults: what a citizen or a substitute would otherwise pay for.

* The SMS provider is down for a stretch of summons and pool requests: the
  follow-up list and the SMS log show it meanwhile, and after it recovers
  every message is delivered, each exactly once.
* The Huey consumer is killed (SIGKILL) in the middle of a batch: after a
  restart the sweep finishes it; nothing is lost, and only a message caught
  in the act of sending can go out twice (the documented at-most-once gap).
* PostgreSQL restarts under booking traffic: requests caught by it get a
  friendly error page, the app reconnects by itself, no half-written booking.
* The CalDAV server refuses, is slow, answers garbage, hangs up or trickles
  its answer a byte at a time: a summons goes through at once, and the
  follow-up list says, in plain words, which calendars are behind and why.

Every wait is bounded (the whole file takes well under two minutes); the
system tests (a real consumer, gunicorn on a PostgreSQL server of their own)
are marked `system` (`-m "not system"` leaves them out) and skip with a
reason when what they need is missing.
"""
from __future__ import annotations

import datetime as dt
import json
import random
import re
import subprocess
import sys
import threading
import time
from unittest.mock import patch

import pytest
import responses

import tasks
from messaging import outbox, queue
from models import Meeting, MeetingParticipant, Message, db, utcnow
from planner import summons
from pool import staffing
from tests.faults_support import (ROOT, VONAGE, BadCalendarServer, FlakyVonage, PostgresServer,
                                  SlowVonage, app_env, bin_path, followup_count,
                                  followup_count_link, followup_rows, free_port, kill, log_rows,
                                  start, text, wait_until)
from tests.summons_support import NOW as SUMMONS_NOW, draft_with, make_citizens, make_team
from tests.test_pool_support import (TODAY as POOL_TODAY, clock, local as pool_local,  # noqa: F401
                                     make_available, pool, vacancy)


@pytest.fixture(autouse=True)
def empty_schedule():
    """Huey's in-memory schedule (timed retries) starts and ends empty."""
    tasks.huey.flush()
    yield
    tasks.huey.flush()


def make_due() -> int:
    """Time passes: every waiting retry's backoff is over."""
    return (Message.update(next_attempt_at=utcnow() - dt.timedelta(seconds=1))
            .where(Message.status == Message.QUEUED, Message.next_attempt_at.is_null(False))
            .execute())


# --- 1. the SMS provider down for a stretch -------------------------------------------

class TestSmsProviderDown:
    @pytest.fixture
    def app_config(self):
        return dict(VONAGE)

    @pytest.fixture
    def provider(self):
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            yield FlakyVonage(mock)

    def test_summons_and_pool_requests_are_delivered_once_after_it_recovers(
            self, app, client, login, provider, jobcentre, make_user, pool):
        # A summons of ten citizens while the provider is down.
        centre = make_team(jobcentre, make_user, 3)
        people = make_citizens(jobcentre, make_user, 10)
        draft = draft_with(centre, people)
        assert summons.propose(draft, SUMMONS_NOW).placed == 10
        result = summons.summon(draft, centre.planner, SUMMONS_NOW)
        assert result.meetings == 10 and result.failed == []
        # Pool requests for a short shift today, while it is still down.
        for sub in pool['subs']:
            make_available(sub, POOL_TODAY)
        shift = vacancy(pool['org'], pool['north'], pool_local(POOL_TODAY, 10),
                        pool_local(POOL_TODAY, 13), pool['planner'])
        requests_sent = staffing.send_requests(shift, 5, pool_local(POOL_TODAY, 9, 30),
                                               by=pool['planner'], at=staffing.now())
        assert len(requests_sent) == 3

        sms = list(Message.select().where(Message.channel == Message.SMS,
                                          Message.direction == Message.OUT)
                   .order_by(Message.id))
        assert len(sms) == 13
        assert {m.status for m in sms} == {Message.QUEUED}
        assert all(m.attempts == 1 and m.last_error and m.next_attempt_at > utcnow()
                   for m in sms)
        assert all(provider.accepted(m.id) == 0 for m in sms)
        # The e-mails of the summons went out (the outbox): only SMS are stuck.
        assert {m.status for m in Message.select().where(Message.channel == Message.EMAIL)} \
            == {Message.SENT}

        # The stretch goes on: a retry round fails too.
        assert make_due() == 13
        tasks.sweep()
        assert all(Message.get_by_id(m.id).attempts == 2 for m in sms)
        assert {Message.get_by_id(m.id).status for m in sms} == {Message.QUEUED}

        # Meanwhile staff see it: the follow-up list counts ten summons not
        # delivered, each row "on its way" with the error in plain words ...
        login(centre.planner)
        html = text(client.get('/summons/follow-up/'))
        assert followup_count(html, 'citizen') == 10
        listed = followup_rows(text(client.get(followup_count_link(html, 'citizen'))))
        assert len(listed) == 10
        for row in listed.values():
            assert 'On its way' in row
            assert 'Trying again after an error' in row
            assert ('The SMS could not be sent' in row
                    or 'The SMS provider could not be reached' in row), row
            assert 'Traceback' not in row
        # ... and the SMS logs list every SMS as queued again, with its error.
        for planner, count in ((centre.planner, 10), (pool['planner'], 3)):
            login(planner)
            found = [r for r in log_rows(text(client.get('/messages/?channel=sms')))]
            assert len(found) == count
            assert all('Queued' in r and 'class="error"' in r for r in found), found

        # The provider recovers; the backoff passes; the sweep sends.
        provider.down = False
        make_due()
        tasks.sweep()
        for message in sms:
            row = Message.get_by_id(message.id)
            assert row.status == Message.SENT, (row.id, row.last_error)
            assert row.last_error == '' and row.provider_id == f'0A{row.id:014d}'
            assert provider.accepted(row.id) == 1, provider.calls[str(row.id)]
            # Every failed attempt was one POST, no more: nothing went twice.
            assert provider.failed(row.id) == row.attempts - 1 == 2, \
                provider.calls[str(row.id)]
        # Sweeping again, later, sends nothing more.
        calls = sum(len(v) for v in provider.calls.values())
        make_due()
        tasks.sweep()
        assert sum(len(v) for v in provider.calls.values()) == calls

        login(centre.planner)
        html = text(client.get('/summons/follow-up/'))
        assert followup_count(html, 'citizen') == 0
        for planner in (centre.planner, pool['planner']):
            login(planner)
            found = log_rows(text(client.get('/messages/?channel=sms')))
            assert found and all('Sent' in r and 'class="error"' not in r for r in found)
        # Each substitute got exactly one request, each citizen one summons SMS.
        for sub in pool['subs']:
            assert Message.select().where(Message.user == sub).count() == 1
        for person in people:
            [meeting] = (Meeting.select().join(MeetingParticipant)
                         .where(MeetingParticipant.citizen == person))
            assert Message.select().where(Message.user == person, Message.meeting == meeting,
                                          Message.channel == Message.SMS).count() == 1


# --- 2. the Huey consumer killed in the middle of a batch -------------------------------

def _enqueue_in(env: dict, call: str) -> None:
    """Put a task on the queue the way the app does (another process, the
    queue of env's PLANPOOL_INSTANCE): e.g. call='send_messages([1, 2])'."""
    subprocess.run([sys.executable, '-c', f'import tasks; tasks.{call}'], env=env,
                   cwd=ROOT, check=True, timeout=30,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.mark.system
def test_system_consumer_killed_mid_batch_the_sweep_finishes_it(
        app, database_url, jobcentre, tmp_path):
    """A real consumer (`flask worker`, two threads) sends a batch of 50 SMS
    through the Vonage SDK to a stand-in provider on 127.0.0.1, and is
    SIGKILLed while the provider holds the eleventh request."""
    provider = SlowVonage(tmp_path, delay=0.05, hold_at=11)
    env = app_env(tmp_path / 'instance', database_url, VONAGE_API_KEY='key123',
                  VONAGE_API_SECRET='secret456', **provider.env())
    worker = [bin_path('flask'), '--app', 'app', 'worker', '--workers', '2']
    consumer = None
    try:
        # A summons-sized batch: 50 SMS rows, committed, then ONE task, in
        # the consumer's queue (this process hands nothing to its own).
        with patch.dict(queue.jobs, clear=True):
            with db.atomic():
                ids = outbox.queue_many(jobcentre, [
                    dict(channel=Message.SMS, to=f'+4520{i:06d}', body=f'Indkaldelse {i}')
                    for i in range(50)])
        assert Message.select().where(Message.status == Message.QUEUED).count() == 50
        _enqueue_in(env, f'send_messages({json.dumps(ids)})')
        consumer = start(worker, env, tmp_path / 'worker-1.log')

        wait_until(lambda: provider.held, 60, 0.01, 'the consumer to send ten SMS')
        kill(consumer)
        assert consumer.returncode == -9
        provider.release()
        seen_at_kill = provider.counts()
        status = {m.id: m.status for m in Message.select().where(Message.id.in_(ids))}
        sending = {i for i, s in status.items() if s == Message.SENDING}
        # The held one was claimed and never finished; whatever the DB calls
        # sent went to the provider once; the queued ones never went at all.
        assert int(provider.held) in sending
        assert all(seen_at_kill[str(i)] == 1 for i, s in status.items() if s == Message.SENT)
        assert all(str(i) not in seen_at_kill for i, s in status.items()
                   if s == Message.QUEUED)
        assert sum(s == Message.QUEUED for s in status.values()) >= 30

        # A stalled send waits out the stall timeout (it may or may not have
        # gone out), then the sweep's first step puts it back in the queue,
        # saying so.
        Message.update(updated_at=utcnow() - dt.timedelta(minutes=11)).where(
            Message.id.in_(sending)).execute()
        Message.due(utcnow()).count()
        for message in Message.select().where(Message.id.in_(sending)):
            assert message.status == Message.QUEUED
            assert message.last_error == Message.STALLED + '; queued again'
        # Restarted, the consumer does not know the lost batch: the sweep does.
        consumer = start(worker, env, tmp_path / 'worker-2.log')
        _enqueue_in(env, 'sweep()')

        def all_sent():
            return Message.select().where(Message.id.in_(ids),
                                          Message.status == Message.SENT).count() == len(ids)
        wait_until(all_sent, 60, 0.1, 'the sweep to finish the batch')
        time.sleep(0.5)       # anything sent twice would arrive now
        kill(consumer)

        seen = provider.counts()
        assert set(seen) == {str(i) for i in ids}                   # nothing lost
        for message_id in ids:
            ref = str(message_id)
            if message_id in sending:     # the at-most-once gap: at most twice
                assert 1 <= seen[ref] <= 2 and seen[ref] == seen_at_kill[ref] + 1, ref
            else:                         # everything else exactly once
                assert seen[ref] == 1, (ref, status[message_id])
        assert sum(seen.values()) == len(ids) + len(
            [i for i in sending if str(i) in seen_at_kill])
        rows = list(Message.select().where(Message.id.in_(ids)))
        assert {(m.status, m.provider, m.last_error) for m in rows} == {
            (Message.SENT, 'vonage', '')}
        assert len({m.provider_id for m in rows}) == len(ids)
    finally:
        kill(consumer)
        provider.close()


# --- 3. PostgreSQL restarted under booking traffic ---------------------------------------

PG_PASSWORD = 'correct horse battery'
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                  r'name="csrf_token" value="([^"]+)"')


def _csrf(html: str) -> str:
    match = CSRF.search(html)
    assert match, html[:500]
    return match.group(1) or match.group(2)


def _job_centre_in(url: str) -> dict:
    """Migrate a fresh database and give it a job centre: a team, three
    caseworkers (Mon-Fri 08:00-16:00), an admin and 30 citizens."""
    from migrations import upgrade
    from models import (Caseworker, CaseworkerTeam, MeetingType, Organisation, Team, User,
                        WorkingHours, make_database)
    from tests.summons_support import cpr_number
    db.initialize(make_database(url))
    db.connect(reuse_if_open=True)
    upgrade()
    org = Organisation.create(name='Jobcenter Genstart', slug='genstart', kind='planner',
                              country='DK', timezone='Europe/Copenhagen', language='da',
                              sms_sender='Jobcenter')
    team = Team.create(organisation=org, name='Dagpenge', address='Jobvej 1', postcode='8000',
                       city='Aarhus C')
    caseworkers = []
    for n in range(3):
        user = User.create(organisation=org, role=User.CASEWORKER, name=f'Vejleder {n}',
                           email=f'cw{n}@example.test')
        cw = Caseworker.create(user=user, organisation=org, initials=f'V{n}')
        CaseworkerTeam.create(caseworker=cw, team=team)
        for weekday in range(5):
            WorkingHours.create(caseworker=cw, weekday=weekday, start=dt.time(8),
                                end=dt.time(16))
        caseworkers.append(cw.id)
    admin = User(organisation=org, role=User.ADMIN, name='Admin', email='admin@example.test')
    admin.set_password(PG_PASSWORD)
    admin.save()
    cprs = []
    for n in range(30):
        cpr = cpr_number(9000 + n)
        User.create(organisation=org, role=User.CITIZEN, name=f'Borger {n}', cpr=cpr,
                    phone=f'+4521{n:06d}', language='en')
        cprs.append(cpr)
    today = dt.datetime.now(dt.timezone.utc).astimezone(org.zone).date()
    monday = today + dt.timedelta(days=14 - today.weekday())
    days = [monday + dt.timedelta(days=d) for d in range(12) if (monday + dt.timedelta(
        days=d)).weekday() < 5]
    data = dict(team=team.id, caseworkers=caseworkers, cprs=cprs, days=days,
                meeting_type=MeetingType.get(MeetingType.code == 'jobsamtale').id)
    db.close()
    return data


class _Staff:
    """A staff member's browser: logs in, books through /calendar/new."""

    def __init__(self, base: str, data: dict, seed: int):
        import requests
        self.base, self.data = base, data
        self.random = random.Random(seed)
        self.session = requests.Session()
        self.session.trust_env = False        # 127.0.0.1 only, never a proxy
        self.session.headers['Accept-Language'] = 'en'
        self.token = None

    def request(self, method: str, path: str, **kwargs):
        return self.session.request(method, self.base + path, timeout=30,
                                    allow_redirects=False, **kwargs)

    def log_in(self):
        page = self.request('GET', '/login')
        if page.status_code != 200:
            return page
        answer = self.request('POST', '/login', data={
            'csrf_token': _csrf(page.text), 'email': 'admin@example.test',
            'password': PG_PASSWORD})
        if answer.status_code == 303:
            form = self.request('GET', '/calendar/new')
            if form.status_code == 200:
                self.token = _csrf(form.text)
            return form
        return answer

    def book(self, day=None, hour=None, minute=None, caseworker=None):
        pick = self.random.choice
        return self.request('POST', '/calendar/new', data={
            'csrf_token': self.token, 'team': self.data['team'],
            'caseworker': caseworker or pick(self.data['caseworkers']), 'room': 0,
            'meeting_type': self.data['meeting_type'], 'attendance': 'in_person',
            'date': (day or pick(self.data['days'])).isoformat(),
            'start': f'{hour or pick(range(8, 15)):02d}:{minute or pick((0, 15, 30, 45)):02d}',
            'duration': 30, 'reporting': 0, 'cpr': pick(self.data['cprs']), 'note': ''})


def _friendly(response) -> bool:
    """An error page a person can read: our layout and words, no traceback,
    no SQL (the server's bare "Internal Server Error" is not one)."""
    body = response.text
    return ('/static/css/app.css' in body and 'Please try again' in body
            and 'Traceback' not in body and 'psycopg2' not in body
            and 'OperationalError' not in body and 'InterfaceError' not in body)


@pytest.mark.system
@pytest.mark.skipif(bool(PostgresServer.why_not()), reason=PostgresServer.why_not() or 'ok')
def test_system_postgresql_restart_under_booking_traffic(tmp_path):
    """Gunicorn (one worker, four threads) on a PostgreSQL server of this
    test's own; four staff book for ~8 s while the server restarts."""
    from models import Meeting, MeetingParticipant
    pg = PostgresServer()
    server = None
    try:
        pg.start()
        pg.execute('CREATE DATABASE planpool')
        url = pg.url('planpool')
        data = _job_centre_in(url)
        port = free_port()
        base = f'http://127.0.0.1:{port}'
        env = app_env(tmp_path / 'instance', url, RATELIMIT_ENABLED='false')
        server = start([bin_path('gunicorn'), '--bind', f'127.0.0.1:{port}', '--workers', '1',
                        '--threads', '4', '--timeout', '60', 'app:create_app()'],
                       env, tmp_path / 'gunicorn.log')

        def up():
            try:
                return _Staff(base, data, 0).request('GET', '/login').status_code == 200
            except Exception:
                return False
        wait_until(up, 60, 0.2, 'gunicorn to answer')

        results, lock = [], threading.Lock()
        restarted = {}
        stop_at = [time.monotonic() + 60]

        def staff(seed):
            browser = _Staff(base, data, seed)
            while time.monotonic() < stop_at[0]:
                began = time.monotonic()
                kind = 'book' if browser.token else 'login'
                try:
                    response = browser.book() if browser.token else browser.log_in()
                except Exception as exc:   # no answer at all: counted, never hidden
                    response = exc
                with lock:
                    results.append((began, time.monotonic(), kind, response))
                if not isinstance(response, Exception) and response.status_code >= 500:
                    browser.token = None if kind == 'login' else browser.token

        threads = [threading.Thread(target=staff, args=(seed,), daemon=True)
                   for seed in range(1, 5)]
        for thread in threads:
            thread.start()

        def booked_before():
            with lock:
                return sum(1 for r in results if r[2] == 'book'
                           and not isinstance(r[3], Exception) and r[3].status_code == 303)
        wait_until(lambda: booked_before() >= 8, 60, 0.05, 'bookings before the restart')
        restarted['from'] = time.monotonic()
        pg.restart(down_for=1.0)
        restarted['to'] = time.monotonic()

        def booked_after():
            with lock:
                return sum(1 for r in results if r[2] == 'book' and r[0] > restarted['to'] + 1
                           and not isinstance(r[3], Exception) and r[3].status_code == 303)
        wait_until(lambda: booked_after() >= 5, 30, 0.05, 'bookings after the restart')
        stop_at[0] = time.monotonic()
        for thread in threads:
            thread.join(timeout=45)
        assert not any(thread.is_alive() for thread in threads)

        # Every request got an answer: a page, a redirect, or a readable error.
        no_answer = [r for r in results if isinstance(r[3], Exception)]
        assert no_answer == []
        errors = [r for r in results if r[3].status_code >= 500]
        assert all(_friendly(r[3]) for r in errors), [r[3].text[:300] for r in errors]
        assert all(r[3].status_code in (200, 303, 503) for r in results), \
            {r[3].status_code for r in results}
        # While the server was away (a second), people got the page saying so.
        down = [r for r in errors if restarted['from'] < r[1] < restarted['to']]
        assert down and all(r[3].headers.get('Retry-After') == '5' for r in down)
        assert all('Temporarily unavailable' in r[3].text for r in down)
        before = [r for r in results if r[1] < restarted['from']]
        after = [r for r in results if r[0] > restarted['to'] + 1]
        assert sum(r[3].status_code == 303 for r in before if r[2] == 'book') >= 5, \
            [(round(r[0] - restarted['from'], 2), round(r[1] - r[0], 2), r[2], r[3].status_code)
             for r in results]
        # Reconnected by itself: bookings after the restart go through.
        assert after and all(r[3].status_code < 500 for r in after), \
            [(r[2], r[3].status_code) for r in after if r[3].status_code >= 500]
        assert sum(r[3].status_code == 303 for r in after if r[2] == 'book') >= 5
        # ... and a new visitor is served as ever, by the same server process.
        browser = _Staff(base, data, 99)
        assert browser.log_in().status_code == 200
        answer = browser.book(day=data['days'][-1], hour=15, minute=30,
                              caseworker=data['caseworkers'][0])
        assert answer.status_code == 303, answer.text[:500]
        assert browser.request('GET', answer.headers['Location']).status_code == 200
        assert server.poll() is None
        log = (tmp_path / 'gunicorn.log').read_text()
        assert log.count('Booting worker') == 1, log[-2000:]
        booked = sum(r[3].status_code == 303 for r in results if r[2] == 'book') + 1
        kill(server)
        server = None

        # No half-written booking: each meeting has its citizen, nobody's
        # calendar holds two meetings at once, and every 303 is a meeting.
        db.connect(reuse_if_open=True)
        meetings = list(Meeting.select().order_by(Meeting.caseworker, Meeting.starts_at))
        assert {m.status for m in meetings} == {Meeting.BOOKED}
        failed = sum(1 for r in results if r[2] == 'book' and r[3].status_code >= 500)
        assert booked <= len(meetings) <= booked + failed
        participants = {}
        for p in MeetingParticipant.select():
            participants.setdefault(p.meeting_id, []).append(p.citizen_id)
        assert all(len(participants.get(m.id, [])) == 1 for m in meetings)
        for first, second in zip(meetings, meetings[1:]):
            if first.caseworker_id == second.caseworker_id:
                assert second.starts_at >= first.ends_at, (first.id, second.id)
    finally:
        kill(server)
        if not db.is_closed():
            db.close()
        if hasattr(db.obj, 'close_all'):
            db.obj.close_all()
        pg.stop(keep_log=tmp_path / 'postgresql.log')


# --- 4. the CalDAV server down, slow or answering garbage ---------------------------------

# What staff read on the follow-up list for each kind of calendar server.
CALENDAR_WORDS = {
    'refused': 'Could not connect to the calendar server at 127.0.0.1:{port} '
               '(connection refused).',
    'slow': 'The calendar server at 127.0.0.1:{port} did not answer within 1 second.',
    'garbage': 'The calendar server at 127.0.0.1:{port} answered with something that is '
               'not HTTP',
    'hangup': 'The calendar server at 127.0.0.1:{port} closed the connection without '
              'answering.',
    # A byte every 0.3 s for 20 s: no single read ever times out.
    'trickle': 'The calendar server at 127.0.0.1:{port} did not finish answering within '
               '3 seconds.',
}


class TestCalendarServerMisbehaving:
    @pytest.fixture(params=sorted(CALENDAR_WORDS))
    def calendar_server(self, request):
        server = BadCalendarServer(request.param, delay=0.3 if request.param == 'trickle'
                                   else 3, duration=20)
        yield server
        server.close()

    @pytest.fixture
    def app_config(self, calendar_server):
        return {'CALDAV_URL': calendar_server.url + '/dav/', 'CALDAV_TIMEOUT': '1'}

    def test_a_summons_goes_through_and_the_followup_list_says_which_calendars_wait(
            self, app, client, login, calendar_server, jobcentre, make_user):
        from models import CalendarSync
        centre = make_team(jobcentre, make_user, 3)
        people = make_citizens(jobcentre, make_user, 6)
        draft = draft_with(centre, people)
        assert summons.propose(draft, SUMMONS_NOW).placed == 6
        began = time.monotonic()
        result = summons.summon(draft, centre.planner, SUMMONS_NOW)
        took = time.monotonic() - began
        # The summons is made and the citizens told, whatever the calendars do;
        # the server is tried once per batch (here even inline: the test
        # queue runs tasks at once), not once per meeting.
        assert (result.meetings, result.failed) == (6, [])
        assert took < 1 + 4, took
        assert Meeting.select().where(Meeting.status == Meeting.BOOKED).count() == 6
        assert {m.status for m in Message.select()} == {Message.SENT}
        assert Message.select().count() == 12                   # SMS + e-mail each
        words = CALENDAR_WORDS[calendar_server.kind].format(
            port=calendar_server.url.rsplit(':', 1)[1])
        rows = list(CalendarSync.select())
        assert len(rows) == 6
        assert all(r.status == CalendarSync.QUEUED and r.next_attempt_at > utcnow()
                   for r in rows)
        assert all(words in r.last_error for r in rows), \
            [r.last_error for r in rows]
        assert sum(r.attempts for r in rows) == 1
        assert calendar_server.requests <= 1

        login(centre.planner)
        html = text(client.get('/summons/follow-up/'))
        assert followup_count(html, 'citizen') == 0
        assert followup_count(html, 'calendar') == 6
        listed = followup_rows(text(client.get(followup_count_link(html, 'calendar'))))
        assert len(listed) == 6
        for row in listed.values():
            assert 'Waiting to be updated' in row
            assert words in row.replace('&#39;', "'")
            assert 'Traceback' not in row
