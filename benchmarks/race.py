"""RACE: 50 citizens book the same time of one caseworker at once, on
PostgreSQL: how long the slowest of them waits for the answer.

How long a booking holds its locks decides this figure: one citizen gets
the time, and the other 49 queue on the caseworker's row lock before each
is told that the time was taken. A short lock (the candidate worked out
before it, only the chosen start re-checked under it) keeps the last answer
near one lock-hold times 50 instead of a whole day's search times 50.

Each race is 50 threads in this process, released together by a barrier,
each taking a connection from the app's pool (32: waiting for one counts)
and calling
`planner.booking.book_offer` (the path of the citizen's Confirm button)
for the same start; then the winner's meeting is cancelled and the next
race takes the next day. `median_ms` is the median over the races of the
slowest answer; `answer_ms` the median of all answers.

The database: a throwaway one created on the server of BENCH_POSTGRES_URL
(for instance postgresql://postgres@127.0.0.1:5432/postgres) when set, else
a throwaway PostgreSQL server like the LOAD test's. Without either the line
says why it was skipped.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import tempfile
import threading
import time
import uuid
from urllib.parse import urlparse, urlunparse

from . import DEFAULT_REPEAT, report
from .w2_citizen_week import RULES

RACERS = 50
DURATION, REPORTING = 45, 15


def _throwaway_database(server_url: str) -> tuple[str, callable]:
    """A new database on the server of `server_url`: (its URL, drop it)."""
    import psycopg2
    name = f'planpool_race_{uuid.uuid4().hex[:12]}'

    def execute(sql: str) -> None:
        connection = psycopg2.connect(server_url)
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
        finally:
            connection.close()

    execute(f'CREATE DATABASE {name}')
    url = urlunparse(urlparse(server_url)._replace(path=f'/{name}'))
    return url, lambda: execute(f'DROP DATABASE IF EXISTS {name} WITH (FORCE)')


def _contest(days: int) -> tuple[int, list[int], list[dt.datetime]]:
    """One caseworker on an online offer, RACERS matching citizens and one
    start (10:00 local) on each of `days` working days from next Monday."""
    from models import (Caseworker, CaseworkerTeam, CitizenProfile, MeetingType, OfferCaseworker,
                        OnlineOffer, Organisation, Pause, Team, User, WorkingHours, db)
    with db.atomic():
        org = Organisation.create(name='Jobcenter Race', slug='race', kind='planner',
                                  country='DK', timezone='Europe/Copenhagen', language='da',
                                  sms_sender='Jobcenter')
        team = Team.create(organisation=org, name='Dagpenge', address='Jobvej 1')
        user = User.create(organisation=org, role=User.CASEWORKER, name='Karen Vejleder',
                           email='karen@race.test')
        karen = Caseworker.create(user=user, organisation=org, initials='KV')
        CaseworkerTeam.create(caseworker=karen, team=team)
        for weekday in range(5):
            WorkingHours.create(caseworker=karen, weekday=weekday, start=dt.time(8),
                                end=dt.time(16))
            Pause.create(caseworker=karen, weekday=weekday, start=dt.time(12),
                         end=dt.time(12, 30), label='Frokost')
        today = dt.date.today()
        monday = today + dt.timedelta(days=7 - today.weekday())
        workdays = [monday + dt.timedelta(days=i) for i in range(days * 2)
                    if (monday + dt.timedelta(days=i)).weekday() < 5][:days]
        offer = OnlineOffer.create(
            organisation=org, number=1, team=team,
            meeting_type=MeetingType.get(MeetingType.code == 'jobsamtale'),
            duration_minutes=DURATION, reporting_minutes=REPORTING, model='team',
            title='Jobsamtale', active=True, description='Book din jobsamtale.',
            bookable_from=today, earliest_meeting=monday, end_date=workdays[-1],
            rules=json.dumps(RULES), allow_cancel=True)
        OfferCaseworker.create(offer=offer, caseworker=karen)
        citizens = []
        for i in range(RACERS):
            citizen = User.create(organisation=org, role=User.CITIZEN, name=f'Borger {i:02d}',
                                  cpr=f'{1 + i % 28:02d}{1 + i % 12:02d}80{1000 + i:04d}',
                                  phone=f'+45{20000000 + i}')
            CitizenProfile.create(user=citizen, organisation=org, contact_group='dagpenge')
            citizens.append(citizen.id)
    starts = [dt.datetime.combine(day, dt.time(10), tzinfo=org.zone) for day in workdays]
    return offer.id, citizens, starts


def _race(app, offer_id: int, citizen_ids: list[int], start: dt.datetime) -> list[tuple]:
    """Every racer's (answer, milliseconds) for one start."""
    from models import OnlineOffer, User, db
    from planner import booking
    barrier = threading.Barrier(len(citizen_ids))
    answers: list[tuple] = [None] * len(citizen_ids)

    def racer(index: int, citizen_id: int) -> None:
        with app.app_context():
            barrier.wait(timeout=60)
            # The pool has fewer connections than there are racers: waiting
            # for one is part of the answer, as it is behind a server.
            started = time.perf_counter()
            db.connect(reuse_if_open=True)
            try:
                offer, citizen = OnlineOffer.get_by_id(offer_id), User.get_by_id(citizen_id)
                try:
                    booking.book_offer(offer, citizen, start)
                    answer = 'booked'
                except booking.BookingError as exc:
                    answer = exc.code
                answers[index] = (answer, (time.perf_counter() - started) * 1000)
            finally:
                db.close()

    threads = [threading.Thread(target=racer, args=(i, cid)) for i, cid in enumerate(citizen_ids)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def _cancel_all(offer_id: int) -> None:
    """The winner's meeting cancelled: every citizen may book again."""
    from models import Meeting
    from planner import booking
    for meeting in Meeting.select().where(Meeting.offer == offer_id,
                                          Meeting.status == Meeting.BOOKED):
        booking.cancel(meeting, send_notifications=False)


def _run_on(url: str, races: int) -> str:
    folder = tempfile.mkdtemp(prefix='planpool-bench-')
    os.environ.setdefault('PLANPOOL_INSTANCE', folder)
    from app import create_app
    from migrations import upgrade
    from models import db

    app = create_app({'DATABASE_URL': url, 'RATELIMIT_ENABLED': False})
    with app.app_context():
        db.connect(reuse_if_open=True)
        upgrade()
        offer_id, citizens, starts = _contest(races + 1)
        db.close()
    slowest, everyone, outcomes = [], [], []
    for attempt, start in enumerate(starts):      # the first race warms up
        answers = _race(app, offer_id, citizens, start)
        if attempt:
            slowest.append(max(ms for _answer, ms in answers))
            everyone += [ms for _answer, ms in answers]
            outcomes.append(sorted(answer for answer, _ms in answers))
        with app.app_context():
            db.connect(reuse_if_open=True)
            _cancel_all(offer_id)
            db.close()
    db.close_all()       # the pool's connections: the database is dropped next
    booked = [o.count('booked') for o in outcomes]
    taken = [o.count('taken') for o in outcomes]
    assert booked == [1] * races, f'each race books the time exactly once: {booked}'
    return report('RACE', statistics.median(slowest), db='postgresql', racers=RACERS,
                  races=races, booked=min(booked), taken=min(taken),
                  answer_ms=f'{statistics.median(everyone):.2f}',
                  slowest_of_all_ms=f'{max(slowest):.2f}')


def run(repeat: int = DEFAULT_REPEAT) -> str:
    races = max(3, min(repeat, 5))
    server_url = os.environ.get('BENCH_POSTGRES_URL')
    if server_url:
        url, drop = _throwaway_database(server_url)
        try:
            return _run_on(url, races)
        finally:
            drop()
    from .load import Postgres, _pg_bin
    bin_dir = _pg_bin()
    if bin_dir is None:
        return report('RACE skipped: no BENCH_POSTGRES_URL and no PostgreSQL binaries in '
                      '/usr/lib/postgresql/*/bin', 0.0)
    postgres = Postgres(bin_dir)
    try:
        postgres.start()
        url, drop = _throwaway_database(postgres.url)
        return _run_on(url, races)
    finally:
        postgres.stop()
