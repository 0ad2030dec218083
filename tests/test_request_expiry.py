"""Request deadlines expire on time, by the periodic task, not when somebody
next opens a page: the substitutes are told as the organisation chose and
the vacancy moves on (the next wave, or unfilled)."""
from __future__ import annotations

import pytest

import tasks
from models import AuditEvent, PoolSettings, ShiftRequest, Vacancy
from pool import staffing
from tests.test_pool_support import (TODAY, _empty_schedule, clock, last_message_id,  # noqa: F401
                                     local, make_available, pool, texts_to, vacancy)


@pytest.fixture
def asked(pool):
    """A 3-hour shift today; everybody is available, the first wave asks Anna
    and Bo, to answer by 09:30."""
    for sub in pool['subs']:
        make_available(sub, TODAY)
    shift = vacancy(pool['org'], pool['north'], local(TODAY, 10), local(TODAY, 13),
                    pool['planner'])
    staffing.send_requests(shift, 2, local(TODAY, 9, 30), by=pool['planner'],
                           at=staffing.now())
    return shift


def settings(pool, **fields) -> None:
    PoolSettings.create(organisation=pool['org'], **fields)


def past_the_deadline(clock) -> None:
    clock.advance(minutes=91)       # 09:31, nobody has opened a page
    tasks.expire_requests.call_local()


def test_nothing_expires_before_the_deadline(pool, asked, clock):
    clock.advance(minutes=89)
    before = last_message_id()
    assert tasks.expire_requests.call_local() == 0
    assert {r.status for r in ShiftRequest.select()} == {ShiftRequest.OPEN}
    assert last_message_id() == before


def test_on_time_the_requests_expire_and_the_substitutes_are_told(pool, asked, clock):
    anna, bo, cecilia = pool['subs']
    before = last_message_id()
    past_the_deadline(clock)
    assert {r.status for r in ShiftRequest.select()} == {ShiftRequest.EXPIRED}
    assert Vacancy.get_by_id(asked.id).status == Vacancy.UNFILLED
    for sub in (anna, bo):
        [told] = texts_to(sub, since=before)
        assert told.startswith('The time to answer the request for the shift at Hemtjänst Norr')
    assert texts_to(cecilia) == []
    # Running again (or a page view expiring too) tells nobody twice.
    tasks.expire_requests.call_local()
    staffing.expire(pool['org'], staffing.now())
    assert all(len(texts_to(sub, since=before)) == 1 for sub in (anna, bo))


@pytest.mark.parametrize('choice, start', [
    ('not_needed', 'The shift at Hemtjänst Norr'), ('none', None)])
def test_the_organisation_chooses_what_they_are_told(pool, asked, clock, choice, start):
    settings(pool, expiry_sms=choice)
    before = last_message_id()
    past_the_deadline(clock)
    for sub in pool['subs'][:2]:
        told = texts_to(sub, since=before)
        if start is None:
            assert told == []
        else:
            assert len(told) == 1 and told[0].startswith(start)
            assert 'no longer needed' in told[0]


def test_the_next_wave_goes_out_by_itself_when_chosen(pool, asked, clock):
    anna, bo, cecilia = pool['subs']
    settings(pool, next_wave_on_expiry=True, requests_per_wave=5, answer_minutes=20)
    past_the_deadline(clock)
    shift = Vacancy.get_by_id(asked.id)
    assert (shift.status, shift.waves) == (Vacancy.REQUESTED, 2)
    [request] = ShiftRequest.select().where(ShiftRequest.wave == 2)
    assert request.user_id == cecilia.id and request.status == ShiftRequest.OPEN
    assert texts_to(cecilia)[-1].startswith('Request: shift at Hemtjänst Norr')
    assert AuditEvent.get(AuditEvent.action == 'requests_sent',
                          AuditEvent.detail == 'wave 2: 1').organisation_id == pool['org'].id
    # Cecilia does not answer either; nobody is left to ask: unfilled.
    clock.advance(minutes=21)
    tasks.expire_requests.call_local()
    assert Vacancy.get_by_id(asked.id).status == Vacancy.UNFILLED
    assert ShiftRequest.get_by_id(request.id).status == ShiftRequest.EXPIRED


def test_a_no_and_an_expiry_move_the_vacancy_on_together(pool, asked, clock):
    anna, bo, cecilia = pool['subs']
    settings(pool, next_wave_on_expiry=True)
    staffing.answer(ShiftRequest.get(ShiftRequest.user == anna), False, via='web',
                    at=staffing.now())
    past_the_deadline(clock)
    assert ShiftRequest.get(ShiftRequest.user == bo).status == ShiftRequest.EXPIRED
    assert ShiftRequest.get(ShiftRequest.user == cecilia).status == ShiftRequest.OPEN


def test_the_settings_page_keeps_the_choice(client, login, pool):
    login(pool['planner'])
    response = client.post('/pool/settings', data={
        'requests_per_wave': 3, 'answer_minutes': 45, 'expiry_sms': 'none',
        'next_wave_on_expiry': 'y'})
    assert response.status_code == 303
    saved = PoolSettings.of(pool['org'])
    assert (saved.expiry_sms, saved.next_wave_on_expiry) == ('none', True)
    page = client.get('/pool/settings').get_data(as_text=True)
    assert 'When the time to answer runs out' in page and 'Send the next wave by itself' in page
    bad = client.post('/pool/settings', data={
        'requests_per_wave': 3, 'answer_minutes': 45, 'expiry_sms': 'shout'})
    assert bad.status_code == 200 and PoolSettings.of(pool['org']).expiry_sms == 'none'


def test_when_everybody_says_no_the_next_wave_goes_out_too(pool, asked):
    anna, bo, cecilia = pool['subs']
    settings(pool, next_wave_on_expiry=True)
    for sub in (anna, bo):
        staffing.answer(ShiftRequest.get(ShiftRequest.user == sub), False, via='sms',
                        at=staffing.now())
    assert Vacancy.get_by_id(asked.id).waves == 2
    assert ShiftRequest.get(ShiftRequest.user == cecilia).status == ShiftRequest.OPEN
