"""LOAD: 200 simulated people against the production topology on one machine:
two app servers, two Huey consumers, one Redis, one PostgreSQL
(`topology=2app+2worker+redis+pg`).

A bounded load test on 127.0.0.1 only (`make bench` runs it last; `python -m
benchmarks LOAD` alone). It starts everything it needs and removes it again:

* its own PostgreSQL (initdb into a temporary folder, a free 127.0.0.1 port,
  fsync off as in CI: this measures the app, not the disk);
* its own Redis (Debian's /usr/bin/redis-server, a free 127.0.0.1 port,
  nothing saved to disk): REDIS_URL for the Huey queue (RedisHuey) and the
  rate-limit counters (Flask-Limiter) of both app servers;
* the schema (`flask db upgrade`) and seed data (`python -m benchmarks.load
  seed`, in its own process so that the app's database and queue are the
  test's): a job centre with a team of 20 caseworkers (Mon-Fri 08:00-16:00,
  lunch 12:00-12:30), 600 meetings already in their calendars, an online
  offer (45 + 15 minutes, team model, the next three weeks), 500 citizens
  (380 who book online, 100 for the planners' lists, 20 holding the existing
  meetings) and 10 planners; a substitute pool with 40 substitutes and 24
  short shifts (some at the same time) whose SMS requests are out;
* two gunicorn instances on two ports, each with two worker processes
  (gthread, 4 threads each), and two Huey consumers (`flask worker`, two
  threads each), all with DATABASE_URL and REDIS_URL pointing at those
  servers, TRUST_PROXY on (as behind the proxy), SMS into the outbox, and
  the Vonage webhook signature secret configured;
* locust, headless, one process (`benchmarks/load_locustfile.py`), each
  simulated person staying with one of the two app servers, in turn (as a
  proxy with keep-alive connections spreads them), for
  LOAD_SECONDS (60) with LOAD_USERS (200) people, who read each page for 2-6
  seconds before the next click: citizens browsing, booking, rebooking and
  cancelling (75 %), caseworkers opening team and own weeks (10 %), planners
  summoning lists through the wizard (5 %: new summons, step 1, paste 5
  citizens, propose, review, Summon now) and Vonage posting signed SMS
  replies (Ja / Nej with a request's code, other texts, retries of the same
  message) and delivery receipts (10 %). The servers are warmed up and the
  seed's SMS sent before the clock starts.

Rate limits stay ON, counted in Redis for both servers together: the mix
keeps every person under them (a citizen books at most twice a minute, a
planner summons at most twice, the webhook gets well under 600 a minute);
a 429 would be counted. Each person sends its own address in
X-Forwarded-For, as the proxy would, so the login limits (per address)
count per person.

About a third of the citizens who arrive log in themselves: the CPR number,
then the code from the SMS (locust reads it from the outbox row; the SMS
goes nowhere), on their app server. The other people's sessions are
prepared: the seed opens a `UserSession` for each (what a login does after
the CPR + SMS code, or the password) and signs a Flask session cookie
holding its token (`_user_id`, as Flask-Login stores it) with the run's
SECRET_KEY.

Afterwards, with the app stopped, the database is checked: no two booked
meetings of one caseworker overlap (reporting time included, group meetings'
other caseworkers too), no citizen holds two booked meetings of one offer, no
booked meeting without its citizen; in the pool no shift with two accepted
requests or a substitute other than the one accepted, and no substitute on
two overlapping shifts. Printed: one line per page (`LOAD page=... n=...
p50_ms=... p95_ms=... fails=...`, times as locust's people saw them, queueing
included), the checks, what the run did, the CPU cores used by each part (app
servers, database, queue consumers, Redis, locust) and by other processes on
the machine, the p95 of the goal's pages against 500 ms (`LOAD goal ...
met=yes|no`), and a summary `LOAD topology=... users=... seconds=...
requests=... rps=... 5xx=... double_bookings=... median_ms=...`. A 5xx
response (counted in both access logs and by locust) or a double booking
fails the run; LOAD_KEEP=1 keeps its logs.

Without PostgreSQL binaries (/usr/lib/postgresql/*/bin) or redis-server it
prints why it was skipped and succeeds.
"""
from __future__ import annotations

import datetime as dt
import glob
import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from zoneinfo import ZoneInfo

from scheduling.rules import week_id

from . import DEFAULT_REPEAT

ROOT = Path(__file__).resolve().parent.parent
LOCUSTFILE = Path(__file__).resolve().parent / 'load_locustfile.py'

SECONDS = 60
USERS = 200
SPAWN_RATE = 50

CPH = ZoneInfo('Europe/Copenhagen')
STOCKHOLM = ZoneInfo('Europe/Stockholm')
CASEWORKERS = 20
PLANNERS = 10
OFFER_CITIZENS = 380
SUMMONS_CITIZENS = 100
BACKGROUND_CITIZENS = 20
OFFER_WEEKS = 3
SUBSTITUTES = 40
SIGNATURE_SECRET = 'load-test-signature-secret'


class LoadFailure(RuntimeError):
    """The load run found 5xx responses or double bookings."""


# --- the seed (runs in its own process: `python -m benchmarks.load seed OUT`) -------------

def cpr_number(n: int) -> str:
    """A valid Danish CPR number (a real date, 1960-1999), unique per n < 13,440."""
    day, month, year = 1 + n % 28, 1 + (n // 28) % 12, 60 + (n // 336) % 40
    return f'{day:02d}{month:02d}{year:02d}{n % 4000:04d}'


def _utc(day: dt.date, at: dt.time, zone: ZoneInfo) -> dt.datetime:
    """Local wall-clock time as naive UTC (the storage convention)."""
    return (dt.datetime.combine(day, at, tzinfo=zone)
            .astimezone(dt.timezone.utc).replace(tzinfo=None))


def seed(out_path: str) -> None:
    """Write the test data into DATABASE_URL and the people's cookies to `out_path`."""
    from app import create_app
    from models import (Availability, Caseworker, CaseworkerTeam, CitizenProfile, Meeting,
                        MeetingParticipant, MeetingType, OfferCaseworker, OnlineOffer,
                        Organisation, Pause, PoolSettings, ShiftRequest, SubstituteUnit, Team,
                        Unit, User, UserSession, WorkingHours, db, utcnow)
    from pool import staffing

    app = create_app()
    serializer = app.session_interface.get_signing_serializer(app)

    def cookie(user) -> str:
        return serializer.dumps({'_user_id': UserSession.open(user), '_fresh': True})

    now = utcnow()
    today = now.replace(tzinfo=dt.timezone.utc).astimezone(CPH).date()
    tomorrow = today + dt.timedelta(days=1)
    last_day = today + dt.timedelta(weeks=OFFER_WEEKS)
    rules = json.dumps({'join': 'all', 'groups': [{'join': 'all', 'rules': [
        {'type': 'contact_group', 'condition': 'eq', 'values': ['dagpenge']},
        {'type': 'age', 'condition': 'ge', 'values': ['18']}]}]})

    with app.app_context():
        db.connect(reuse_if_open=True)
        with db.atomic():
            org = Organisation.create(
                name='Jobcenter Load', slug='jobcenter-load', kind=Organisation.PLANNER,
                country='DK', timezone=str(CPH), language='da', sms_sender='Jobcenter',
                phone='+4570100100',
                rights_and_duties='Du skal møde op til samtalen.')
            team = Team.create(organisation=org, name='Dagpenge', address='Jobvej 1',
                               postcode='8000', city='Aarhus C')
            kind = MeetingType.get(MeetingType.code == 'jobsamtale')
            caseworkers = []
            for i in range(CASEWORKERS):
                user = User.create(organisation=org, role=User.CASEWORKER, language='en',
                                   name=f'Vejleder {i + 1:02d}', email=f'cw{i}@load.test')
                cw = Caseworker.create(user=user, organisation=org, initials=f'V{i + 1:02d}')
                CaseworkerTeam.create(caseworker=cw, team=team)
                for weekday in range(5):
                    WorkingHours.create(caseworker=cw, weekday=weekday, start=dt.time(8),
                                        end=dt.time(16))
                    Pause.create(caseworker=cw, weekday=weekday, start=dt.time(12),
                                 end=dt.time(12, 30), label='Frokost')
                caseworkers.append(cw)
            planners = [User.create(organisation=org, role=User.PLANNER, language='en',
                                    name=f'Planlægger {i + 1:02d}', email=f'pl{i}@load.test')
                        for i in range(PLANNERS)]
            citizens = []
            for n in range(OFFER_CITIZENS + SUMMONS_CITIZENS + BACKGROUND_CITIZENS):
                user = User.create(organisation=org, role=User.CITIZEN, language='en',
                                   name=f'Borger {n + 1:03d}', cpr=cpr_number(n + 1),
                                   phone=f'+4520{n + 1:06d}')
                CitizenProfile.create(user=user, organisation=org, contact_group='dagpenge')
                citizens.append(user)
            offer = OnlineOffer.create(
                organisation=org, number=1, team=team, meeting_type=kind,
                duration_minutes=45, reporting_minutes=15, model=OnlineOffer.TEAM_MODEL,
                title='Jobsamtale', active=True, description='Book your job interview.',
                bookable_from=today, earliest_meeting=tomorrow, end_date=last_day,
                allow_cancel=True, allow_rebook=True, rebook_days_before=1, rules=rules)
            for cw in caseworkers:
                OfferCaseworker.create(offer=offer, caseworker=cw)
            # What the calendars held already: 08:00 and 14:00 every working day.
            background = citizens[OFFER_CITIZENS + SUMMONS_CITIZENS:]
            rows, k = [], 0
            day = tomorrow
            while day <= last_day:
                if day.weekday() < 5:
                    for cw in caseworkers:
                        for hour in (8, 14):
                            start = _utc(day, dt.time(hour), CPH)
                            rows.append(dict(
                                organisation=org.id, team=team.id, meeting_type=kind.id,
                                caseworker=cw.id, starts_at=start,
                                ends_at=start + dt.timedelta(minutes=45),
                                reporting_minutes=15, created_at=now))
                day += dt.timedelta(days=1)
            for i in range(0, len(rows), 200):
                Meeting.insert_many(rows[i:i + 200]).execute()
            meeting_ids = [m.id for m in Meeting.select(Meeting.id).order_by(Meeting.id)]
            participants = []
            for meeting_id in meeting_ids:
                participants.append(dict(meeting=meeting_id,
                                         citizen=background[k % len(background)].id))
                k += 1
            for i in range(0, len(participants), 200):
                MeetingParticipant.insert_many(participants[i:i + 200]).execute()

            # The substitute pool: short shifts go out as SMS requests.
            pool = Organisation.create(
                name='Kommun Load', slug='kommun-load', kind=Organisation.POOL, country='SE',
                timezone=str(STOCKHOLM), language='sv', sms_sender='Bemanning',
                phone='+46101234567')
            PoolSettings.create(organisation=pool, requests_per_wave=10, answer_minutes=180)
            unit = Unit.create(organisation=pool, name='Hemtjänst Norr')
            pool_planner = User.create(organisation=pool, role=User.PLANNER, language='en',
                                       name='Lars Planerare', email='pool@load.test')
            substitutes = []
            for i in range(SUBSTITUTES):
                sub = User.create(organisation=pool, role=User.SUBSTITUTE, language='sv',
                                  name=f'Vikarie {i + 1:02d}', username=f'vikarie{i + 1}',
                                  phone=f'+46701{i + 1:06d}')
                SubstituteUnit.create(user=sub, unit=unit)
                Availability.create(user=sub, starts_at=now.replace(second=0, microsecond=0),
                                    ends_at=now + dt.timedelta(days=9))
                substitutes.append(sub)

        # Requests go through the real write path (rows, codes, queued SMS).
        pool_today = now.replace(tzinfo=dt.timezone.utc).astimezone(STOCKHOLM).date()
        deadline = now + dt.timedelta(hours=3)
        answers, request_messages = [], []
        for d in range(1, 7):
            day = pool_today + dt.timedelta(days=d)
            for start, end in ((7, 10), (7, 10), (9, 12), (15, 18)):
                vacancy = staffing.create_vacancy(pool, unit, day, dt.time(start),
                                                  dt.time(end), [], '', by=pool_planner,
                                                  at=now)
                for request in staffing.send_requests(vacancy, 10, deadline, by=pool_planner,
                                                      at=now):
                    answers.append(dict(msisdn=request.user.phone.lstrip('+'),
                                        code=request.code))
                    if request.message_id:
                        request_messages.append(request.message_id)

        data = dict(
            offer_id=offer.id, team_id=team.id, meeting_type_id=kind.id,
            caseworker_ids=[c.id for c in caseworkers],
            weeks=[week_id(today + dt.timedelta(weeks=w)) for w in range(OFFER_WEEKS + 1)],
            summons_days=[(tomorrow + dt.timedelta(days=d)).isoformat()
                          for d in range(14) if (tomorrow + dt.timedelta(days=d)).weekday() < 5],
            citizens=[cookie(c) for c in citizens[:OFFER_CITIZENS]],
            # The same citizens, for those who log in themselves (CPR + code).
            citizen_logins=[dict(cpr=c.cpr, phone=c.phone) for c in citizens[:OFFER_CITIZENS]],
            caseworkers=[dict(cookie=cookie(c.user), caseworker_id=c.id) for c in caseworkers],
            planners=[dict(cookie=cookie(p), citizens=[
                dict(name=c.name, cpr=c.cpr) for c in
                citizens[OFFER_CITIZENS + i:OFFER_CITIZENS + SUMMONS_CITIZENS:PLANNERS]])
                for i, p in enumerate(planners)],
            sms=dict(secret=SIGNATURE_SECRET, answers=answers,
                     citizen_phones=[c.phone.lstrip('+') for c in citizens[:OFFER_CITIZENS]],
                     request_messages=request_messages),
            seeded=dict(meetings=len(meeting_ids), citizens=len(citizens),
                        vacancies=24, requests=len(answers)))
        db.close()
    with open(out_path, 'w') as fh:
        json.dump(data, fh)


# --- the run ----------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _pg_bin() -> str | None:
    def version(path: str):
        name = Path(path).parent.name
        return tuple(int(p) for p in name.split('.') if p.isdigit())
    found = [d for d in glob.glob('/usr/lib/postgresql/*/bin')
             if os.path.exists(os.path.join(d, 'initdb'))]
    return sorted(found, key=version)[-1] if found else None


class Postgres:
    """A throwaway PostgreSQL server on 127.0.0.1 (as `postgres` when root:
    initdb refuses to run as root)."""

    def __init__(self, bin_dir: str):
        self.bin = bin_dir
        self.dir = tempfile.mkdtemp(prefix='planpool-load-pg-')
        self.port = _free_port()
        self.started = False
        self.as_pg: list[str] = []
        if os.geteuid() == 0:
            if subprocess.run(['id', 'postgres'], capture_output=True).returncode:
                subprocess.run(['useradd', '--system', '--no-create-home', 'postgres'],
                               check=True)
            shutil.chown(self.dir, user='postgres')
            self.as_pg = ['runuser', '-u', 'postgres', '--']

    @property
    def url(self) -> str:
        return f'postgresql://postgres@127.0.0.1:{self.port}/postgres'

    def start(self) -> None:
        data = os.path.join(self.dir, 'data')
        subprocess.run(self.as_pg + [f'{self.bin}/initdb', '-D', data, '-U', 'postgres',
                                     '--auth=trust', '-E', 'UTF8'],
                       check=True, capture_output=True)
        options = (f'-h 127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off '
                   '-c full_page_writes=off -c synchronous_commit=off -c max_connections=120 '
                   '-c log_lock_waits=on')
        subprocess.run(self.as_pg + [f'{self.bin}/pg_ctl', '-D', data, '-l',
                                     os.path.join(self.dir, 'log'), '-w', '-o', options, 'start'],
                       check=True, capture_output=True)
        self.started = True

    def stop(self) -> None:
        if self.started:
            subprocess.run(self.as_pg + [f'{self.bin}/pg_ctl', '-D',
                                         os.path.join(self.dir, 'data'), '-m', 'fast', 'stop'],
                           capture_output=True)
            self.started = False
        shutil.rmtree(self.dir, ignore_errors=True)


REDIS_SERVER = '/usr/bin/redis-server'


class Redis:
    """A throwaway Redis on 127.0.0.1 (Debian's redis-server): the Huey queue
    and the rate-limit counters of both app servers, nothing written to disk."""

    def __init__(self, work: str):
        self.dir = os.path.join(work, 'redis')
        os.makedirs(self.dir)
        self.port = _free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f'redis://127.0.0.1:{self.port}/0'

    def start(self, log) -> None:
        self.process = subprocess.Popen(
            [REDIS_SERVER, '--bind', '127.0.0.1', '--port', str(self.port), '--dir', self.dir,
             '--save', '', '--appendonly', 'no'],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        import redis
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if redis.Redis(port=self.port, socket_timeout=2).ping():
                    return
            except redis.RedisError:
                time.sleep(0.1)
        raise RuntimeError(f'redis-server did not answer on port {self.port}')

    def peak_mb(self) -> float:
        """The most memory Redis held since it started, in MB."""
        import redis
        info = redis.Redis(port=self.port, socket_timeout=5).info('memory')
        return round(info['used_memory_peak'] / 1048576, 1)


def _stop(process: subprocess.Popen | None, timeout: float = 30) -> None:
    """SIGTERM (gunicorn and Huey finish what they are doing), then SIGKILL."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_http(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f'the app server exited with {process.returncode}')
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # nosec B310: 127.0.0.1
                if response.status < 500:
                    return
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f'the app server did not answer {url} in {timeout:.0f} s')


def _percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


def _server_statuses(access_log: str) -> dict[int, int]:
    counts: dict[int, int] = {}
    with open(access_log) as fh:
        for line in fh:
            head = line.split(' ', 1)[0]
            if head.isdigit():
                counts[int(head)] = counts.get(int(head), 0) + 1
    return counts


CHECKS = {
    'caseworker_overlaps': """
        WITH busy AS (
            SELECT m.id, m.caseworker_id AS cw, m.starts_at AS s,
                   m.ends_at + make_interval(mins => m.reporting_minutes) AS e
            FROM meeting m WHERE m.status = 'booked' AND m.caseworker_id IS NOT NULL
            UNION ALL
            SELECT m.id, mc.caseworker_id, m.starts_at,
                   m.ends_at + make_interval(mins => m.reporting_minutes)
            FROM meeting m JOIN meeting_caseworker mc ON mc.meeting_id = m.id
            WHERE m.status = 'booked')
        SELECT count(*) FROM busy a JOIN busy b
          ON a.cw = b.cw AND a.id < b.id AND a.s < b.e AND b.s < a.e""",
    'citizen_twice_on_offer': """
        SELECT count(*) FROM (
            SELECT mp.citizen_id, m.offer_id FROM meeting m
            JOIN meeting_participant mp ON mp.meeting_id = m.id
            WHERE m.status = 'booked' AND mp.status = 'booked' AND m.offer_id IS NOT NULL
              AND m.starts_at > now() AT TIME ZONE 'UTC'
            GROUP BY 1, 2 HAVING count(*) > 1) twice""",
    'shift_accepted_twice': """
        SELECT count(*) FROM (
            SELECT vacancy_id FROM shift_request WHERE status = 'accepted'
            GROUP BY 1 HAVING count(*) > 1) twice""",
    'shift_holder_mismatch': """
        SELECT count(*) FROM shift_request r JOIN vacancy v ON v.id = r.vacancy_id
        WHERE r.status = 'accepted'
          AND (v.status <> 'booked' OR v.substitute_id IS DISTINCT FROM r.user_id)""",
    'substitute_overlaps': """
        SELECT count(*) FROM vacancy a JOIN vacancy b
          ON a.substitute_id = b.substitute_id AND a.id < b.id
         AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at
        WHERE a.status = 'booked' AND b.status = 'booked'""",
}
# Whole, not double: a booked meeting without its citizen would be half written.
INTEGRITY = {
    'meetings_without_citizen': """
        SELECT count(*) FROM meeting m WHERE m.status = 'booked' AND m.form = 'individual'
          AND NOT EXISTS (SELECT 1 FROM meeting_participant mp WHERE mp.meeting_id = m.id)""",
}
FACTS = {
    'online_bookings': "SELECT count(*) FROM meeting WHERE offer_id IS NOT NULL "
                       "AND status = 'booked'",
    'summoned': "SELECT count(*) FROM meeting WHERE summoned_at IS NOT NULL "
                "AND status = 'booked'",
    'cancelled': "SELECT count(*) FROM meeting WHERE status = 'cancelled'",
    'sms_in': "SELECT count(*) FROM message WHERE direction = 'in'",
    'sms_in_handled': "SELECT count(*) FROM message WHERE direction = 'in' "
                      "AND handled_at IS NOT NULL",
    'shifts_booked': "SELECT count(*) FROM vacancy WHERE status = 'booked'",
    'pending_time_taken': "SELECT count(*) FROM pending_summons WHERE reason = 'failed'",
    'pending_no_time': "SELECT count(*) FROM pending_summons WHERE reason = 'no_time'",
    # The sizes the servers needed (for the README's production section).
    'db_size_mb': "SELECT pg_database_size(current_database()) / 1048576",
}


def _query(url: str, queries: dict[str, str]) -> dict[str, int]:
    import psycopg2
    connection = psycopg2.connect(url)
    try:
        with connection.cursor() as cursor:
            found = {}
            for name, sql in queries.items():
                cursor.execute(sql)
                found[name] = cursor.fetchone()[0]
            return found
    finally:
        connection.close()


def _drain(url: str, worker: subprocess.Popen, left_sql: str, timeout: float = 20) -> None:
    """Give the Huey consumer a moment to finish its queue (`left_sql` counts
    what is left)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and worker.poll() is None:
        if not _query(url, {'left': left_sql})['left']:
            return
        time.sleep(0.5)


def _warm_up(hosts: list[str], fixtures: str) -> None:
    """A few requests per page kind before the clock starts, several at a
    time so that every worker process of every app server loads its
    templates, connections and libraries (the webhook's signature check
    imports the Vonage SDK: a wrong signature, refused, writes nothing), as
    a server in service has."""
    import concurrent.futures
    with open(fixtures) as fh:
        data = json.load(fh)
    citizen, caseworker = data['citizens'][-1], data['caseworkers'][-1]['cookie']
    pages = [(citizen, '/my/appointments'), (citizen, '/my/book'),
             (citizen, f"/my/book/{data['offer_id']}/time"),
             (caseworker, f"/calendar/team/{data['team_id']}?week={data['weeks'][0]}"),
             (data['planners'][-1]['cookie'], '/summons/'),
             ('', '/webhooks/vonage/inbound?sig=0&timestamp=0&msisdn=0&text=warm-up')]

    def visit(host: str) -> None:
        for cookie, path in pages:
            request = urllib.request.Request(host + path,
                                             headers={'Cookie': f'planpool_session={cookie}'})
            try:
                with urllib.request.urlopen(request, timeout=60):  # nosec B310: 127.0.0.1
                    pass
            except urllib.error.HTTPError:
                pass

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(visit, [host for host in hosts for _ in range(6)]))


def _postmaster(postgres: Postgres) -> int | None:
    try:
        with open(os.path.join(postgres.dir, 'data', 'postmaster.pid')) as fh:
            return int(fh.readline())
    except (OSError, ValueError):
        return None


def _cpu_seconds(groups: dict[str, list[int | None]]) -> dict[str, float]:
    """CPU seconds (user + system) spent so far by each group of processes
    and their children."""
    try:
        import psutil
    except ImportError:
        return {}
    machine = psutil.cpu_times()
    spent = {'machine': sum(machine) - machine.idle - getattr(machine, 'iowait', 0.0)}
    for name, pids in groups.items():
        total = 0.0
        for pid in pids:
            try:
                root = psutil.Process(pid)
                processes = [root] + root.children(recursive=True)
            except (psutil.Error, TypeError, ValueError):
                continue
            for process in processes:
                try:
                    times = process.cpu_times()
                    total += times.user + times.system
                except psutil.Error:
                    pass
        spent[name] = total
    return spent


APP_SERVERS = 2          # gunicorn instances, each on its own port
APP_WORKERS = 2          # worker processes per instance (gthread, 4 threads each)
CONSUMERS = 2            # Huey consumers (`flask worker`, 2 threads each)
TOPOLOGY = f'{APP_SERVERS}app+{CONSUMERS}worker+redis+pg'
# Pages whose p95 the goal names: the citizen's, and the staff weeks.
GOAL_PAGES = ('my_offers', 'my_times', 'my_book', 'caseworker_week', 'team_week')
GOAL_P95_MS = 500


def _app_server(venv_bin: Path, port: int, access_log: str, env: dict, log) -> subprocess.Popen:
    return subprocess.Popen(
        [str(venv_bin / 'gunicorn'), '--workers', str(APP_WORKERS), '--threads', '4',
         '--bind', f'127.0.0.1:{port}', '--timeout', '120', '--graceful-timeout', '30',
         # Idle connections stay open longer than people pause between clicks:
         # with gunicorn's 2 s the server may close one just as the next
         # request goes out on it (a browser retries that on a new
         # connection; locust counts it as a failure without an answer).
         '--keep-alive', '75',
         '--access-logfile', access_log, '--access-logformat', '%(s)s %(m)s %(U)s %(M)s',
         'app:create_app()'],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def _environment(postgres: Postgres, redis_url: str, work: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(('VONAGE_', 'SMTP_', 'CALDAV_', 'RATELIMIT_'))
           and k not in ('REDIS_URL', 'HUEY_URL', 'DATABASE_URL', 'SECRET_KEY',
                         'PLANPOOL_INSTANCE', 'TRUST_PROXY', 'PREFERRED_URL_SCHEME')}
    # Behind a proxy, as in production: people's own addresses (locust sends
    # each person's in X-Forwarded-For) key the login limits.
    env.update(DATABASE_URL=postgres.url, REDIS_URL=redis_url, TRUST_PROXY='1',
               PLANPOOL_INSTANCE=os.path.join(work, 'instance'),
               SECRET_KEY=os.urandom(24).hex(), VONAGE_SIGNATURE_SECRET=SIGNATURE_SECRET,
               PYTHONUNBUFFERED='1')
    os.makedirs(env['PLANPOOL_INSTANCE'])
    return env


def _why_not(venv_bin: Path) -> str:
    if _pg_bin() is None:
        return 'no PostgreSQL binaries in /usr/lib/postgresql/*/bin'
    if not os.path.exists(REDIS_SERVER):
        return f'no {REDIS_SERVER} (Debian package redis-server)'
    if not (venv_bin / 'locust').exists() or not (venv_bin / 'gunicorn').exists():
        return f'locust or gunicorn is not installed beside {sys.executable}'
    return ''


def run(repeat: int = DEFAULT_REPEAT) -> str:
    """The load test (`repeat` does not apply: one bounded run)."""
    seconds = int(os.environ.get('LOAD_SECONDS', SECONDS))
    users = int(os.environ.get('LOAD_USERS', USERS))
    venv_bin = Path(sys.executable).parent
    why_not = _why_not(venv_bin)
    if why_not:
        line = f'LOAD skipped: {why_not}'
        print(line, flush=True)
        return line

    work = tempfile.mkdtemp(prefix='planpool-load-')
    postgres = Postgres(_pg_bin())
    redis = Redis(work)
    servers: list[subprocess.Popen] = []
    workers: list[subprocess.Popen] = []
    load = None
    try:
        postgres.start()
        logs = {name: open(os.path.join(work, f'{name}.log'), 'w')
                for name in ('setup', 'redis', 'server', 'worker', 'locust')}
        redis.start(logs['redis'])
        env = _environment(postgres, redis.url, work)
        python = str(venv_bin / 'python')

        def setup(*args):
            subprocess.run([python, *args], cwd=ROOT, env=env, check=True,
                           stdout=logs['setup'], stderr=subprocess.STDOUT)

        setup('-m', 'flask', '--app', 'app', 'db', 'upgrade')
        fixtures = os.path.join(work, 'fixtures.json')
        setup('-m', 'benchmarks.load', 'seed', fixtures)
        with open(fixtures) as fh:
            seeded = json.load(fh)['seeded']

        ports = [_free_port() for _ in range(APP_SERVERS)]
        access_logs = [os.path.join(work, f'access-{n}.log') for n in range(APP_SERVERS)]
        servers = [_app_server(venv_bin, port, access_log, env, logs['server'])
                   for port, access_log in zip(ports, access_logs)]
        workers = [subprocess.Popen([python, '-m', 'flask', '--app', 'app', 'worker',
                                     '--workers', '2'],
                                    cwd=ROOT, env=env, stdout=logs['worker'],
                                    stderr=subprocess.STDOUT)
                   for _ in range(CONSUMERS)]
        hosts = [f'http://127.0.0.1:{port}' for port in ports]
        for host, server in zip(hosts, servers):
            _wait_http(host + '/login', server)
        _warm_up(hosts, fixtures)
        # The seed's SMS requests go out before the clock starts.
        _drain(postgres.url, workers[0], "SELECT count(*) FROM message WHERE direction = 'out' "
                                         "AND status = 'queued'", timeout=60)

        results = os.path.join(work, 'results.json')
        locust_env = dict(env, LOAD_FIXTURES=fixtures, LOAD_RESULTS=results,
                          LOAD_USERS=str(users), LOAD_HOSTS=' '.join(hosts),
                          LOAD_DATABASE_URL=postgres.url)
        groups = {'app': [s.pid for s in servers], 'db': [_postmaster(postgres)],
                  'queue': [w.pid for w in workers], 'redis': [redis.process.pid]}
        started = time.monotonic()
        load = subprocess.Popen(
            [str(venv_bin / 'locust'), '-f', str(LOCUSTFILE), '--headless',
             '-u', str(users), '-r', str(min(SPAWN_RATE, users)), '-t', f'{seconds}s',
             '--stop-timeout', '15', '--host', hosts[0], '--only-summary',
             '--csv', os.path.join(work, 'locust'), '--loglevel', 'WARNING'],
            cwd=ROOT, env=locust_env, stdout=logs['locust'], stderr=subprocess.STDOUT)
        groups['locust'] = [load.pid]
        cpu_before = _cpu_seconds(groups)
        try:
            load.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            pass
        cpu_during = {name: (spent - cpu_before.get(name, 0)) / seconds
                      for name, spent in _cpu_seconds(groups).items()}
        load.wait()
        elapsed = time.monotonic() - started
        if not os.path.exists(results):
            raise RuntimeError('locust wrote no results (see its log)')
        with open(results) as fh:
            measured = json.load(fh)

        for server in servers:
            _stop(server, timeout=45)         # lets requests in flight finish
        _drain(postgres.url, workers[0], "SELECT count(*) FROM message WHERE direction = 'in' "
                                         "AND handled_at IS NULL")
        for worker in workers:
            _stop(worker)
        statuses: dict[int, int] = {}
        for access_log in access_logs:
            for code, n in _server_statuses(access_log).items():
                statuses[code] = statuses.get(code, 0) + n
        problems = _query(postgres.url, CHECKS)
        integrity = _query(postgres.url, INTEGRITY)
        facts = _query(postgres.url, FACTS)
        facts['redis_peak_mb'] = redis.peak_mb()
        return _report(measured, statuses, problems, integrity, facts, seeded, cpu_during,
                       users=users, seconds=seconds, elapsed=elapsed, work=work,
                       pg_log=os.path.join(postgres.dir, 'log'))
    except LoadFailure:
        raise
    except BaseException:
        _print_logs(work, os.path.join(postgres.dir, 'log'))
        raise
    finally:
        _stop(load, timeout=10)
        for process in servers + workers + [redis.process]:
            _stop(process, timeout=10)
        if os.path.exists(os.path.join(postgres.dir, 'log')):
            shutil.copy(os.path.join(postgres.dir, 'log'), os.path.join(work, 'postgres.log'))
        postgres.stop()
        if os.environ.get('LOAD_KEEP'):
            print(f'LOAD logs kept in {work}', file=sys.stderr, flush=True)
        else:
            shutil.rmtree(work, ignore_errors=True)


def _print_logs(work: str, pg_log: str | None = None) -> None:
    """What explains a broken run: the app's and PostgreSQL's errors, and the
    end of each log (the folder is removed afterwards unless LOAD_KEEP is set)."""
    for name in ('setup', 'redis', 'server', 'worker', 'locust', 'postgres'):
        path = pg_log if name == 'postgres' else os.path.join(work, f'{name}.log')
        if not path or not os.path.exists(path):
            continue
        with open(path, errors='replace') as fh:
            text = fh.read()
        if name == 'postgres':
            lines = text.splitlines()
            errors = ['\n'.join(lines[i:i + 8]) for i, line in enumerate(lines)
                      if 'ERROR:' in line]
        else:
            errors = ['ERROR' + block for block in text.split('\nERROR')[1:]
                      if 'Traceback' in block]
        for block in errors[:3]:
            print(f'--- {name} log: error ---\n{block[:4000]}', file=sys.stderr, flush=True)
        if text.strip():
            print(f'--- {name} log (tail) ---\n{text[-1500:]}', file=sys.stderr, flush=True)


def _report(measured, statuses, problems, integrity, facts, seeded, cpu, *, users, seconds,
            elapsed, work, pg_log) -> str:
    pages = measured['pages']
    every = [t for page in pages.values() for t in page['times']]
    for name in sorted(pages):
        page = pages[name]
        times = page['times']
        print(f"LOAD page={name} n={len(times)} "
              f"p50_ms={statistics.median(times):.1f} p95_ms={_percentile(times, 0.95):.1f} "
              f"fails={page['fails']}", flush=True)
    server_5xx = sum(n for code, n in statuses.items() if code >= 500)
    client_5xx = sum(n for code, n in measured['statuses'].items() if int(code) >= 500)
    too_many = statuses.get(429, 0)
    doubles = sum(problems.values())
    broken = sum(integrity.values())
    outcomes = ' '.join(f'{k}={v}' for k, v in sorted(measured['outcomes'].items()))
    print(f"LOAD checks {' '.join(f'{k}={v}' for k, v in {**problems, **integrity}.items())}",
          flush=True)
    print(f"LOAD data {' '.join(f'{k}={v}' for k, v in {**seeded, **facts}.items())} "
          f"{outcomes}", flush=True)
    # Cores busy on average while the people were active: ours, and whatever
    # else ran on the machine meanwhile (it shares the cores).
    if cpu:
        ours = {k: v for k, v in cpu.items() if k != 'machine'}
        others = max(cpu.get('machine', 0.0) - sum(ours.values()), 0.0)
        print('LOAD cpu_cores ' + ' '.join(f'{k}={v:.2f}' for k, v in ours.items())
              + f' other_processes={others:.2f} cores={os.cpu_count()}', flush=True)
    goal = {name: _percentile(pages[name]['times'], 0.95) if name in pages else None
            for name in GOAL_PAGES}
    met = all(p95 is not None and p95 < GOAL_P95_MS for p95 in goal.values())
    print(f'LOAD goal p95_ms<{GOAL_P95_MS} '
          + ' '.join(f'{k}=' + ('none' if v is None else f'{v:.1f}') for k, v in goal.items())
          + f" met={'yes' if met else 'no'}", flush=True)
    line = (f'LOAD topology={TOPOLOGY} users={users} seconds={seconds} requests={len(every)} '
            f'rps={len(every) / max(elapsed, 1):.1f} 5xx={max(server_5xx, client_5xx)} '
            f'429={too_many} ratelimits=redis double_bookings={doubles} '
            f'half_written={broken} median_ms={statistics.median(every):.1f}')
    print(line, flush=True)
    if server_5xx or client_5xx or doubles or broken:
        _print_logs(work, pg_log)
        raise LoadFailure(f'load test failed: {server_5xx} 5xx in the access log, '
                          f'{client_5xx} seen by locust, {doubles} double bookings, '
                          f'{broken} half-written meetings')
    return line


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == 'seed':
        seed(argv[1])
        return 0
    run()
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
