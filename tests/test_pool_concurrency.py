"""One shift, many answers at the same moment: web Yes and SMS Ja never book
twice. Runs on SQLite (IMMEDIATE transactions) and, with TEST_DATABASE_URL
set, on PostgreSQL (row locks and a conditional update).

Each thread holds its own connection and waits at a barrier, so the answers
really are decided at the same moment; nothing here sleeps.
"""
from __future__ import annotations

import threading

import pytest

from messaging import outbox
from models import ShiftRequest, Vacancy, db
from pool import staffing
from tests.test_pool_support import (TODAY, _empty_schedule, clock, local,  # noqa: F401
                                     make_available, pool, texts_to, vacancy)


def race(app, jobs):
    """Run every job in its own thread at once; return their results."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(i, job):
        with app.app_context():
            db.connect(reuse_if_open=True)
            try:
                barrier.wait()
                results[i] = job()
            except Exception as exc:   # the assertion below names it
                results[i] = exc
            finally:
                db.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    db.close()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    db.connect(reuse_if_open=True)
    return results


@pytest.fixture
def requested(pool, make_user):
    """A 3-hour shift today with open requests to six substitutes."""
    from models import SubstituteUnit, User
    subs = list(pool['subs'])
    for i in range(3):
        sub = make_user(pool['org'], User.SUBSTITUTE, name=f'Extra {i}',
                        phone=f'+4670200000{i}', language='en')
        SubstituteUnit.create(user=sub, unit=pool['north'])
        subs.append(sub)
    for sub in subs:
        make_available(sub, TODAY)
    shift = vacancy(pool['org'], pool['north'], local(TODAY, 10), local(TODAY, 13),
                    pool['planner'])
    requests = staffing.send_requests(shift, 10, local(TODAY, 9, 30), by=pool['planner'],
                                      at=staffing.now())
    assert len(requests) == 6
    return shift, subs, {r.user_id: r for r in requests}


def web_yes(request):
    return lambda: staffing.answer(request, True, via='web', at=staffing.now())


def sms_ja(user, n):
    return lambda: outbox.receive_sms(provider_id=f'race-{user.id}-{n}', sender=user.phone,
                                      recipient='46769436000', text='Ja')


def test_web_yes_and_sms_ja_from_many_at_once_book_one(app, requested):
    shift, subs, requests = requested
    jobs = [web_yes(requests[s.id]) if i % 2 else sms_ja(s, i) for i, s in enumerate(subs)]
    results = race(app, jobs)
    assert not [r for r in results if isinstance(r, Exception)], results
    shift = Vacancy.get_by_id(shift.id)
    statuses = sorted(r.status for r in ShiftRequest.select())
    assert shift.status == Vacancy.BOOKED
    # Each other request was closed by the winner (and its answer found it
    # filled) or lost when it was decided first: never a second acceptance.
    assert statuses[0] == ShiftRequest.ACCEPTED
    assert set(statuses[1:]) <= {ShiftRequest.WITHDRAWN, ShiftRequest.LOST}
    winner = ShiftRequest.get(ShiftRequest.status == ShiftRequest.ACCEPTED)
    assert shift.substitute_id == winner.user_id
    got = [s for s in subs if any(t.startswith('You got the shift') for t in texts_to(s))]
    assert [s.id for s in got] == [winner.user_id]
    for sub in subs:
        if sub.id != winner.user_id:
            # The request, then one SMS saying they did not get it.
            [_request, told] = texts_to(sub)
            assert 'did not get' in told
            # Their Ja is on record, with its time.
            mine = ShiftRequest.get(ShiftRequest.user == sub)
            assert mine.status == ShiftRequest.LOST and mine.answered_at is not None


def test_the_same_substitute_on_the_web_and_by_sms_at_once_is_decided_once(app, requested):
    shift, subs, requests = requested
    anna = subs[0]
    results = race(app, [web_yes(requests[anna.id]), sms_ja(anna, 1)])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Vacancy.get_by_id(shift.id).substitute_id == anna.id
    assert ShiftRequest.get_by_id(requests[anna.id].id).status == ShiftRequest.ACCEPTED
    replies = texts_to(anna)[1:]
    assert sorted(r.split(' ')[0] for r in replies) == ['You', 'You']
    assert sum(r.startswith('You got the shift') for r in replies) == 1
    assert sum(r.startswith('You have already answered') for r in replies) == 1


def test_a_direct_booking_and_a_yes_at_once_book_one(app, pool, requested):
    shift, subs, requests = requested
    planner = pool['planner']
    results = race(app, [
        lambda: staffing.record_call(shift, subs[1], 'accepted', by=planner,
                                     at=staffing.now()),
        web_yes(requests[subs[0].id]),
        sms_ja(subs[2], 1),
    ])
    errors = [r for r in results if isinstance(r, staffing.StaffingError)]
    assert all(e.code == 'booked' for e in errors)
    shift = Vacancy.get_by_id(shift.id)
    assert shift.status == Vacancy.BOOKED
    accepted = ShiftRequest.select().where(ShiftRequest.status == ShiftRequest.ACCEPTED).count()
    assert accepted + (shift.booked_via == Vacancy.CALL) == 1


def test_one_substitute_is_never_booked_on_two_overlapping_shifts_at_once(app, pool):
    anna = pool['subs'][0]
    make_available(anna, TODAY)
    shifts = [vacancy(pool['org'], pool['north'], local(TODAY, 10 + i), local(TODAY, 13 + i),
                      pool['planner']) for i in range(4)]
    results = race(app, [lambda s=s: staffing.record_call(s, anna, 'accepted', by=pool['planner'],
                                                          at=staffing.now())
                         for s in shifts])
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert {r.code for r in results if isinstance(r, Exception)} == {'not_eligible'}
    assert Vacancy.select().where(Vacancy.substitute == anna).count() == 1
