"""W5 (pool staff): the staffing board for a month of four weeks, a full HTTP
request.

A fresh SQLite database holds a municipality (Europe/Stockholm) with 40
units (8 areas with 4 units under each), 5,000 substitutes, each with availability
on about half of the days around the month (a day, evening or night preset,
or the whole day), and at most two vacancies per unit and day in every
state, half of them booked. A pool admin then asks for the month through
the Flask test client: routing, session, queries, counting and template.
"""
from __future__ import annotations

import datetime as dt
import os
import random
from zoneinfo import ZoneInfo

from scheduling.staffing import PRESETS, wall_range

from . import DEFAULT_REPEAT, fresh_app, measure, report

ZONE = ZoneInfo('Europe/Stockholm')
AREAS, UNITS_PER_AREA = 8, 4
SUBSTITUTES = 5000
MONTH = dt.date(2027, 2, 1)       # a Monday; February 2027 is four whole weeks
WEEKS = 4
SEED = 5
STATES = ('open', 'requested', 'booked', 'booked', 'unfilled', 'cancelled')


def _naive(instant: dt.datetime) -> dt.datetime:
    return instant.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _insert(model, rows: list[dict]) -> None:
    for i in range(0, len(rows), 500):
        model.insert_many(rows[i:i + 500]).execute()


def _availability(rng: random.Random, user_ids: list[int]) -> list[dict]:
    days = [MONTH + dt.timedelta(days=i) for i in range(-1, WEEKS * 7 + 1)]
    rows = []
    for user_id in user_ids:
        for day in days:
            if rng.random() < 0.5:
                start, end = wall_range(day, *PRESETS[rng.choice(list(PRESETS))], ZONE)
                rows.append(dict(user=user_id, starts_at=_naive(start), ends_at=_naive(end)))
    return rows


def _vacancies(rng: random.Random, org_id: int, unit_ids: list[int],
               user_ids: list[int]) -> list[dict]:
    rows = []
    for unit_id in unit_ids:
        for i in range(WEEKS * 7):
            day = MONTH + dt.timedelta(days=i)
            for _ in range(rng.choice((0, 0, 1, 1, 1, 2))):
                preset = rng.choice(('day', 'evening', 'night'))
                start, end = wall_range(day, *PRESETS[preset], ZONE)
                status = rng.choice(STATES)
                rows.append(dict(organisation=org_id, unit=unit_id, starts_at=_naive(start),
                                 ends_at=_naive(end), status=status,
                                 substitute=rng.choice(user_ids) if status == 'booked' else None))
    return rows


def _populate() -> str:
    """Write the pool; return the admin's session token."""
    from models import Availability, Organisation, Unit, User, UserSession, Vacancy, db
    rng = random.Random(SEED)
    with db.atomic():
        org = Organisation.create(name='Bench kommun', slug='bench-pool', kind='pool',
                                  country='SE', timezone=str(ZONE), language='sv',
                                  sms_sender='Bemanning')
        admin = User.create(organisation=org, role=User.ADMIN, name='Pia Poolchef',
                            email='admin@bench.test')
        unit_ids = []
        for a in range(AREAS):
            area = Unit.create(organisation=org, name=f'Område {a + 1}', position=a)
            unit_ids += [Unit.create(organisation=org, parent=area, position=u,
                                     name=f'Enhet {a + 1}.{u + 1}').id
                         for u in range(UNITS_PER_AREA)]
            unit_ids.append(area.id)
        _insert(User, [dict(organisation=org.id, role=User.SUBSTITUTE, name=f'Vikarie {i:04d}',
                            username=f'vikarie{i}', phone=f'+4670{i:07d}', language='sv')
                       for i in range(SUBSTITUTES)])
        user_ids = [u.id for u in User.select(User.id).where(User.role == User.SUBSTITUTE)]
        _insert(Availability, _availability(rng, user_ids))
        _insert(Vacancy, _vacancies(rng, org.id, unit_ids, user_ids))
        token = UserSession.open(admin)
    return token


def run(repeat: int = DEFAULT_REPEAT) -> str:
    app = fresh_app()
    from models import Availability, Unit, Vacancy, db

    with app.app_context():
        db.connect(reuse_if_open=True)
        token = _populate()
        units, vacancies = Unit.select().count(), Vacancy.select().count()
        ranges = Availability.select().count()
        db.close()
    client = app.test_client()
    with client.session_transaction() as session:
        session['_user_id'] = token
    url = f'/pool/board/?month={MONTH:%Y-%m}'

    def request():
        response = client.get(url, headers={'Accept-Language': 'sv'})
        assert response.status_code == 200, response.status_code
        return response

    if os.environ.get('PROFILE'):
        import cProfile
        cProfile.runctx('for _ in range(5): request()', globals(), locals(),
                        sort=os.environ.get('PROFILE_SORT', 'cumulative'))
    median_ms, response = measure(request, repeat=repeat)
    return report('W5', median_ms, page='pool_board', units=units, substitutes=SUBSTITUTES,
                  weeks=WEEKS, vacancies=vacancies, availability=ranges,
                  bytes=len(response.data))
