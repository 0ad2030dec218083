"""No double booking, ever: parallel bookings of one time, one wins.

Runs on SQLite (IMMEDIATE transactions) and, with TEST_DATABASE_URL set, on
PostgreSQL (row locks).
"""
import datetime as dt
import threading

import pytest

from models import (Caseworker, CaseworkerTeam, Meeting, MeetingType, Room, RoomTeam, Team, User,
                    WorkingHours, db)
from planner import booking

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)
THREADS = 8


@pytest.fixture
def setup(jobcentre, make_user):
    team = Team.create(organisation=jobcentre, name='Dagpenge')
    cw = Caseworker.create(user=make_user(jobcentre, User.CASEWORKER), organisation=jobcentre)
    CaseworkerTeam.create(caseworker=cw, team=team)
    WorkingHours.create(caseworker=cw, weekday=2, start=dt.time(8), end=dt.time(16))
    citizens = [make_user(jobcentre, User.CITIZEN) for _ in range(THREADS)]
    return dict(team=team, cw=cw, citizens=citizens, org=jobcentre,
                kind=MeetingType.get(MeetingType.code == 'jobsamtale'))


def _race(app, make_request):
    """Run THREADS bookings at once; return (successes, refusals)."""
    barrier = threading.Barrier(THREADS)
    results = []

    def worker(i):
        with app.app_context():
            db.connect(reuse_if_open=True)
            try:
                barrier.wait()
                booking.book(make_request(i), now=NOW, send_notifications=False)
                results.append('ok')
            except booking.BookingError as exc:
                results.append(exc.code)
            finally:
                db.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results.count('ok'), [r for r in results if r != 'ok']


def test_parallel_bookings_of_one_time_book_once(app, setup):
    start = dt.datetime(2026, 12, 9, 10, tzinfo=setup['org'].zone)

    def request(i):
        # Overlapping but different starts, so the check itself must see the others.
        return booking.MeetingRequest(
            organisation=setup['org'], team=setup['team'], meeting_type=setup['kind'],
            caseworker=setup['cw'], starts_at=start + dt.timedelta(minutes=5 * (i % 3)),
            duration_minutes=30, citizens=(setup['citizens'][i],))

    db.close()
    ok, refused = _race(app, request)
    db.connect(reuse_if_open=True)
    assert ok == 1
    assert set(refused) == {'taken'} and len(refused) == THREADS - 1
    assert Meeting.select().where(Meeting.caseworker == setup['cw']).count() == 1


def test_parallel_bookings_never_overfill_a_room(app, setup, make_user):
    room = Room.create(organisation=setup['org'], name='Lille rum', capacity=2)
    RoomTeam.create(room=room, team=setup['team'])
    caseworkers = [setup['cw']]
    for _ in range(THREADS - 1):
        cw = Caseworker.create(user=make_user(setup['org'], User.CASEWORKER),
                               organisation=setup['org'])
        CaseworkerTeam.create(caseworker=cw, team=setup['team'])
        WorkingHours.create(caseworker=cw, weekday=2, start=dt.time(8), end=dt.time(16))
        caseworkers.append(cw)
    start = dt.datetime(2026, 12, 9, 10, tzinfo=setup['org'].zone)

    def request(i):
        return booking.MeetingRequest(
            organisation=setup['org'], team=setup['team'], meeting_type=setup['kind'],
            caseworker=caseworkers[i], room=room, starts_at=start, duration_minutes=30,
            citizens=(setup['citizens'][i],))

    db.close()
    ok, refused = _race(app, request)
    db.connect(reuse_if_open=True)
    assert ok == 2
    assert set(refused) == {'room_full'}
    assert Meeting.select().where(Meeting.room == room).count() == 2
