"""No double booking through the HTTP layer: 24 citizens confirm the same time
at once. Exactly one gets it; the others are sent back to fresh times with
"That time was just taken. Please choose another."; nothing half-written.

Two servers: the app in threads in this process, and several gunicorn
processes (each with its own connection pool) on the same database. Runs on
SQLite and, with TEST_DATABASE_URL set, on PostgreSQL.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import socket
import subprocess
import sys
import threading
import time
from html import unescape
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from models import AuditEvent, Meeting, MeetingParticipant, Message, UserSession, db
from tests.test_offers_support import UTC, make_caseworker, make_citizen, make_offer, next_monday

BOOKERS = 24
TAKEN = 'That time was just taken. Please choose another.'
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def app_config():
    return {'WTF_CSRF_ENABLED': True}     # as in production


@pytest.fixture
def contest(jobcentre, make_user):
    """One caseworker, one offer, BOOKERS matching citizens, one time."""
    from models import Team
    team = Team.create(organisation=jobcentre, name='Dagpenge', address='Jobvej 1',
                       postcode='8000', city='Aarhus C')
    karen = make_caseworker(jobcentre, team, make_user, 'Karen Vejleder')
    monday = next_monday(jobcentre)
    offer = make_offer(jobcentre, team, [karen], first_day=monday,
                       end=monday + dt.timedelta(days=4))
    citizens = [make_citizen(jobcentre, make_user, f'Borger {i:02d}',
                             cpr=f'{1 + i % 28:02d}0{1 + i % 9}80{1000 + i:04d}')
                for i in range(BOOKERS)]
    start = dt.datetime.combine(monday + dt.timedelta(days=1), dt.time(10),
                                tzinfo=jobcentre.zone)
    return dict(org=jobcentre, offer=offer, citizens=citizens, start=start)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture
def threaded_server(app):
    server = make_server('127.0.0.1', 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f'http://127.0.0.1:{server.server_port}'
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture
def process_servers(app, database_url, tmp_path):
    """gunicorn: three worker processes with eight threads each."""
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY=app.secret_key,
               PLANPOOL_INSTANCE=str(tmp_path), RATELIMIT_ENABLED='false')
    log = open(tmp_path / 'gunicorn.log', 'w')
    server = subprocess.Popen(
        [sys.executable, '-m', 'gunicorn', '--bind', f'127.0.0.1:{port}', '--workers', '3',
         '--threads', '8', '--worker-class', 'gthread', '--timeout', '60',
         'app:create_app()'], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f'http://127.0.0.1:{port}'
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(base + '/', timeout=10).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((tmp_path / 'gunicorn.log').read_text())
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def _session(app, base: str, user) -> requests.Session:
    """A browser logged in as `user` (a server-side session and its cookie)."""
    token = UserSession.open(user)
    cookie = app.session_interface.get_signing_serializer(app).dumps(
        {'_user_id': token, '_fresh': True})
    browser = requests.Session()
    browser.cookies.set(app.config['SESSION_COOKIE_NAME'], cookie,
                        domain='127.0.0.1', path='/')
    browser.headers['Accept-Language'] = 'en'
    # A fresh connection per request: a kept-alive one may have been closed by
    # the server while the others loaded their pages (a POST is not retried).
    browser.headers['Connection'] = 'close'
    return browser


def _race(app, base: str, contest) -> None:
    offer, start = contest['offer'], contest['start']
    start_value = start.astimezone(UTC).strftime('%Y-%m-%dT%H:%MZ')
    confirm = f'{base}/my/book/{offer.id}/confirm?start={start_value}'
    browsers = [_session(app, base, c) for c in contest['citizens']]
    tokens = []
    for browser in browsers:      # each citizen has the confirm page open
        page = browser.get(confirm, timeout=30)
        assert page.status_code == 200, page.text[-500:]
        tokens.append(re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                                page.text).group(1))
    barrier = threading.Barrier(BOOKERS)
    results: list = [None] * BOOKERS

    def book(i):
        barrier.wait()
        response = browsers[i].post(confirm, data={
            'csrf_token': tokens[i], 'start': start_value, 'accept': 'y'},
            allow_redirects=False, timeout=60)
        results[i] = response

    threads = [threading.Thread(target=book, args=(i,)) for i in range(BOOKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert all(r is not None and r.status_code == 303 for r in results), \
        [getattr(r, 'status_code', None) for r in results]
    winners = [i for i, r in enumerate(results) if '/receipt' in r.headers['Location']]
    assert len(winners) == 1, [r.headers['Location'] for r in results]
    local = start.astimezone(contest['org'].zone)
    for i, r in enumerate(results):
        if i in winners:
            continue
        assert f'/my/book/{offer.id}/time?' in r.headers['Location']
        again = browsers[i].get(base + r.headers['Location'], timeout=30)
        assert TAKEN in again.text
        times = re.findall(r'</span>(\d\d:\d\d)', unescape(again.text.split('time-list')[1]))
        assert f'{local:%H:%M}' not in times and '08:00' in times     # fresh times

    # Exactly one meeting with its one participant; nothing for the others.
    db.connect(reuse_if_open=True)
    winner = contest['citizens'][winners[0]]
    assert Meeting.select().count() == 1
    meeting = Meeting.get()
    assert meeting.starts_at == start.astimezone(UTC).replace(tzinfo=None)
    assert [(p.citizen_id, p.meeting_id) for p in MeetingParticipant.select()] == [
        (winner.id, meeting.id)]
    assert {m.user_id for m in Message.select()} == {winner.id}
    assert AuditEvent.select().where(AuditEvent.action == 'self_booked').count() == 1


def test_threads_race_for_one_time_through_http(app, contest, threaded_server):
    _race(app, threaded_server, contest)


def test_app_processes_race_for_one_time_through_http(app, contest, process_servers):
    _race(app, process_servers, contest)
