"""One login code at a time: parallel requests for a code send one SMS.

Runs on SQLite (IMMEDIATE transactions) and, with TEST_DATABASE_URL set, on
PostgreSQL (a row lock on the user).
"""
import datetime as dt
import threading

import pytest

from models import Message, OneTimeCode, User, db

THREADS = 6


@pytest.fixture
def citizen(jobcentre, make_user):
    return make_user(jobcentre, User.CITIZEN, name='Mette Borger')


def _at_once(app, post):
    """Each of THREADS browsers sends `post(client)` at the same moment."""
    clients = [app.test_client() for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    failures = []

    def worker(client):
        try:
            barrier.wait()
            response = post(client)
            if response.status_code != 303:
                failures.append(response.status_code)
        except Exception as exc:   # shown by the assertion below
            failures.append(repr(exc))

    threads = [threading.Thread(target=worker, args=(c,)) for c in clients]
    db.close()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    db.connect(reuse_if_open=True)
    assert failures == []
    return clients


def _challenge(client) -> str:
    with client.session_transaction() as session:
        return session['otp']['challenge']


def test_parallel_logins_send_one_code_that_every_browser_can_use(app, citizen):
    clients = _at_once(app, lambda c: c.post('/login/citizen', data={'cpr': citizen.cpr}))
    assert Message.select().where(Message.user == citizen,
                                  Message.kind == Message.CODE).count() == 1
    assert OneTimeCode.select().where(OneTimeCode.user == citizen).count() == 1
    # Whichever request sent it, every browser holds the challenge of that code.
    real = OneTimeCode.get(OneTimeCode.user == citizen).challenge
    assert {_challenge(c) for c in clients} == {real}


def test_parallel_resends_send_one_code(app, citizen):
    first = app.test_client()
    first.post('/login/citizen', data={'cpr': citizen.cpr})
    # A minute later, the same browser's session copied into several tabs.
    for row in OneTimeCode.select():
        OneTimeCode.update(created_at=row.created_at - dt.timedelta(seconds=61)).where(
            OneTimeCode.id == row.id).execute()
    with first.session_transaction() as session:
        otp = session['otp']
        otp['sent_at'] -= 61
        session['otp'] = otp
    cookie = first.get_cookie('planpool_session').value

    def resend(client):
        client.set_cookie('planpool_session', cookie)
        return client.post('/login/code/resend')
    _at_once(app, resend)
    assert Message.select().where(Message.user == citizen,
                                  Message.kind == Message.CODE).count() == 2
