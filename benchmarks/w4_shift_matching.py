"""W4 shift matching: the eligible list for one vacancy among 5,000
substitutes with 60 days of availability, and the dispatch of 200 requests.

Engine: `scheduling.staffing.eligible` on plain data (seeded): 50 units, each
substitute trained at 1-4 of them and holding some of 4 qualifications, with
one to two availability blocks on about 60 % of 60 days (day / evening /
night / whole day, as the presets), about ten booked shifts from four weeks
back to two months ahead (fairness hours, overlaps and the 11-hour rest
rule) and a last-offered time. The vacancy: tomorrow 07:00-15:00 at one unit,
one qualification required. Timed: the eligible list in fair order
(`median_ms`); also reported: everyone with reasons (`all_ms`).

Dispatch: a fresh SQLite database holds 200 eligible substitutes; one wave of
200 requests goes out through `staffing.send_requests` (eligibility from the
database, request rows, Message rows), each SMS through the Vonage SDK with
its HTTPS answered by `responses`, Huey in immediate mode. Reported as
`sms_per_s` (the median of a few waves).
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import random
import statistics
import tempfile
import time
from zoneinfo import ZoneInfo

from scheduling.staffing import (PRESETS, Booking, Candidate, Shift, assess_all, eligible,
                                 wall_range)

from . import DEFAULT_REPEAT, measure, report

ZONE = ZoneInfo('Europe/Stockholm')
SUBSTITUTES = 5000
DAYS = 60
UNITS = 50
QUALIFICATIONS = 4
FIRST_DAY = dt.date(2026, 3, 2)                   # a Monday; the range spans the DST change
NOW = dt.datetime(2026, 3, 10, 7, 0, tzinfo=dt.timezone.utc)
VACANCY_DAY = FIRST_DAY + dt.timedelta(days=9)   # tomorrow, local
REQUESTS = 200
WAVES = 3


def _naive(moment: dt.datetime) -> dt.datetime:
    """Instants as they come out of the database: naive UTC."""
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)


def build_workload(seed: int = 4) -> dict:
    rng = random.Random(seed)
    presets = list(PRESETS.values())
    candidates = []
    ranges = 0
    for sid in range(1, SUBSTITUTES + 1):
        availability = []
        for d in range(DAYS):
            if rng.random() < 0.6:
                day = FIRST_DAY + dt.timedelta(days=d)
                for start, end, next_day in rng.sample(presets, rng.choice((1, 1, 2))):
                    s, e = wall_range(day, start, end, next_day, ZONE)
                    availability.append((_naive(s), _naive(e)))
        ranges += len(availability)
        bookings = []
        for _ in range(rng.randint(5, 15)):
            day = FIRST_DAY + dt.timedelta(days=rng.randrange(-28, DAYS))
            start, end, next_day = rng.choice(presets[:3])
            s, e = wall_range(day, start, end, next_day, ZONE)
            bookings.append(Booking(_naive(s), _naive(e), rng.randrange(10**6)))
        offered = (None if rng.random() < 0.2
                   else _naive(NOW - dt.timedelta(minutes=rng.randrange(60 * 24 * 60))))
        candidates.append(Candidate(
            sid, frozenset(rng.sample(range(UNITS), rng.randint(1, 4))),
            frozenset(q for q in range(QUALIFICATIONS) if rng.random() < 0.5),
            availability, bookings, offered, rng.random() > 0.01))
    start, end = wall_range(VACANCY_DAY, dt.time(7), dt.time(15), False, ZONE)
    shift = Shift(_naive(start), _naive(end), unit_id=7, qualification_ids=frozenset({1}))
    return dict(candidates=candidates, shift=shift, now=NOW, ranges=ranges)


def run(repeat: int = DEFAULT_REPEAT) -> str:
    workload = build_workload()
    candidates, shift, now = workload['candidates'], workload['shift'], workload['now']
    median_ms, result = measure(lambda: eligible(candidates, shift, now), repeat=repeat)
    all_ms, _everyone = measure(lambda: assess_all(candidates, shift, now),
                                repeat=max(3, repeat // 3))
    rate = dispatch_rate()
    return report('W4', median_ms, substitutes=len(candidates), days=DAYS,
                  ranges=workload['ranges'], eligible=len(result), all_ms=f'{all_ms:.2f}',
                  sms=REQUESTS, sms_per_s=f'{rate:.0f}')


# --- dispatch of one wave of requests ---------------------------------------------

def dispatch_rate() -> float:
    """SMS per second for a wave of REQUESTS requests (median of WAVES)."""
    folder = tempfile.mkdtemp(prefix='planpool-bench-')
    os.environ.setdefault('PLANPOOL_INSTANCE', folder)
    import responses

    import tasks
    from app import create_app
    from migrations import upgrade
    from models import Message, db
    from pool import staffing

    was_immediate = tasks.huey.immediate
    tasks.huey.immediate = True
    logging.getLogger('huey').setLevel(logging.WARNING)   # a line per task otherwise
    app = create_app({'DATABASE_URL': f'sqlite:///{folder}/w4.sqlite3',
                      'RATELIMIT_ENABLED': False, 'VONAGE_API_KEY': 'bench-key',
                      'VONAGE_API_SECRET': 'bench-secret'})
    rates = []
    with app.app_context():
        db.connect(reuse_if_open=True)
        upgrade()
        org, unit, planner = _populate()
        at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        day = org.local(at).date() + dt.timedelta(days=1)
        with responses.RequestsMock() as api:
            api.add_callback('POST', 'https://rest.nexmo.com/sms/json', callback=_vonage_ok,
                             content_type='application/json')
            for wave in range(WAVES):
                vacancy = staffing.create_vacancy(
                    org, unit, day, dt.time(8 + 4 * wave), dt.time(10 + 4 * wave), (), '',
                    by=planner, at=at)
                deadline = vacancy.starts_at - dt.timedelta(minutes=30)
                before = len(api.calls)
                started = time.perf_counter()
                sent = staffing.send_requests(vacancy, REQUESTS, deadline, by=planner, at=at)
                seconds = time.perf_counter() - started
                assert len(sent) == REQUESTS and len(api.calls) - before == REQUESTS
                rates.append(REQUESTS / seconds)
        assert not Message.select().where(Message.status != Message.SENT).exists()
        db.close()
    tasks.huey.immediate = was_immediate
    return statistics.median(rates)


def _vonage_ok(request):
    """Vonage's answer to one SMS, with a message id of its own."""
    import json
    from urllib.parse import parse_qsl
    sent = dict(parse_qsl(request.body))
    return 200, {}, json.dumps({'message-count': '1', 'messages': [{
        'to': sent['to'], 'status': '0', 'message-id': f'bench-{sent["client-ref"]}',
        'client-ref': sent['client-ref']}]})


def _populate():
    from models import Organisation, SubstituteUnit, Unit, User, db
    from pool import staffing
    with db.atomic():
        org = Organisation.create(name='Bench kommun', slug='bench-pool', kind='pool',
                                  country='SE', timezone=str(ZONE), language='sv',
                                  sms_sender='46769436000', phone='+46812345678')
        unit = Unit.create(organisation=org, name='Hemtjänst Bench', address='Storgatan 1',
                           postcode='681 30', city='Kristinehamn')
        planner = User.create(organisation=org, role=User.PLANNER, name='Planner',
                              email='planner@bench-pool.test')
        User.insert_many([dict(organisation=org.id, role=User.SUBSTITUTE, name=f'Vikarie {i}',
                               username=f'bench{i}', phone=f'+4670{i:07d}', language='sv')
                          for i in range(REQUESTS)]).execute()
        subs = list(User.select().where(User.role == User.SUBSTITUTE))
        SubstituteUnit.insert_many([dict(user=s.id, unit=unit.id) for s in subs]).execute()
    at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    tomorrow = org.local(at).date() + dt.timedelta(days=1)
    for sub in subs:
        staffing.add_availability(sub, tomorrow, dt.time(0), dt.time(0), True, at=at)
    return org, unit, planner
