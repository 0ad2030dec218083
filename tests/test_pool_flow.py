"""The issue's "Done when" scenario end to end over HTTP, and the SMS replies:
answers to requests, codes, help texts, replies to manual messages, unknown
numbers."""
from __future__ import annotations

import datetime as dt
import logging
import re

import pytest

from messaging import outbox
from models import Message, ShiftRequest, SubstituteUnit, User, Vacancy
from pool import replies, staffing
from tests.test_pool_support import (INBOUND, TODAY, _empty_schedule, clock, inbound,  # noqa: F401
                                     last_message_id, local, make_available, pool, request_code,
                                     texts_to, vacancy)


def test_done_when_short_shift_today_goes_to_the_first_ja(app, client, pool, login):
    anna, bo, cecilia = pool['subs']
    planner_client = app.test_client()

    # A substitute registers availability on her phone: the whole of today.
    login(anna)
    response = client.post('/my/availability', data={'day': TODAY.isoformat(),
                                                     'preset': 'whole_day'})
    assert response.status_code == 303
    page = client.get(response.headers['Location']).get_data(as_text=True)
    assert '00:00–24:00' in page and 'Saved.' in page
    make_available(bo, TODAY)                 # Bo too; Cecilia registered nothing

    # A planner registers a 3-hour shift starting today.
    login(pool['planner'], planner_client)
    response = planner_client.post('/pool/vacancies/new', data={
        'unit': pool['north'].id, 'date': TODAY.isoformat(), 'start': '10:00', 'end': '13:00'})
    assert response.status_code == 303
    shift = Vacancy.get()
    page = planner_client.get(response.headers['Location']).get_data(as_text=True)
    assert 'Goes out as' in page and 'Requests' in page
    assert 'Anna Andersson' in page and 'Bo Berg' in page and 'Cecilia Carlsson' not in page

    # The requests go out.
    response = planner_client.post(f'/pool/vacancies/{shift.id}/requests', data={
        'count': 5, 'deadline': f'{TODAY.isoformat()}T09:30'})
    assert response.status_code == 303
    assert Vacancy.get_by_id(shift.id).status == Vacancy.REQUESTED
    for sub in (anna, bo):
        [text] = texts_to(sub)
        assert text.startswith('Request: shift at Hemtjänst Norr, ')
        assert re.search(r'Reply JA or NEJ by ', text), text   # one open request: no code
    assert texts_to(cecilia) == []

    # Anna answers " ja" by SMS, posted to the webhook as Vonage would.
    before = last_message_id()
    assert client.post(INBOUND, data=inbound(anna, ' ja')).status_code == 204
    shift = Vacancy.get_by_id(shift.id)
    assert (shift.status, shift.substitute_id, shift.booked_via) == (
        Vacancy.BOOKED, anna.id, Vacancy.REQUEST)
    [won] = texts_to(anna, since=before)
    assert won.startswith('You got the shift at Hemtjänst Norr, Storgatan 1, 681 30 Kristinehamn')
    [told] = texts_to(bo, since=before)
    assert 'did not get the shift' in told

    # Bo's Ja, just after Anna's: noted with its time, and no second SMS
    # (he was told he did not get the shift when Anna got it).
    before = last_message_id()
    assert client.post(INBOUND, data=inbound(bo, 'Ja')).status_code == 204
    assert texts_to(bo, since=before) == []
    assert Vacancy.get_by_id(shift.id).substitute_id == anna.id
    lost = ShiftRequest.get(ShiftRequest.user == bo)
    assert (lost.status, lost.answered_via) == (ShiftRequest.LOST, 'sms')
    assert lost.answered_at is not None

    # The shift shows on Anna's "My shifts".
    page = client.get('/my/shifts').get_data(as_text=True)
    coming = page.split('Coming')[1].split('Past')[0]
    assert 'Hemtjänst Norr' in coming and '10:00–13:00' in coming
    assert 'Storgatan 1' in coming
    page = planner_client.get(f'/pool/vacancies/{shift.id}').get_data(as_text=True)
    assert 'Anna Andersson' in page and 'answered yes' in page
    assert 'Yes: got the shift' in page and 'Answered yes, someone else got it' in page
    assert 'Not needed any more' not in page


@pytest.fixture
def asked(pool):
    """A 3-hour shift today with open requests to Anna and Bo."""
    anna, bo, _c = pool['subs']
    for sub in (anna, bo):
        make_available(sub, TODAY)
    shift = vacancy(pool['org'], pool['north'], local(TODAY, 10), local(TODAY, 13),
                    pool['planner'])
    staffing.send_requests(shift, 5, local(TODAY, 9, 30), by=pool['planner'],
                           at=staffing.now())
    return shift


def answer_by_sms(client, user, text):
    before = last_message_id()
    assert client.post(INBOUND, data=inbound(user, text)).status_code == 204
    return texts_to(user, since=before)


@pytest.mark.parametrize('text', ['Nej', ' nej ', 'NEJ.', 'no'])
def test_nej_is_noted_and_confirmed(client, pool, asked, text):
    anna = pool['subs'][0]
    [reply] = answer_by_sms(client, anna, text)
    assert reply.startswith('Thank you. We have noted that you cannot take the shift')
    request = ShiftRequest.get(ShiftRequest.user == anna)
    assert (request.status, request.answered_via) == (ShiftRequest.DECLINED, 'sms')
    assert Vacancy.get_by_id(asked.id).status == Vacancy.REQUESTED   # Bo may still say yes


def test_everybody_saying_no_makes_the_vacancy_unfilled(client, pool, asked):
    for sub in pool['subs'][:2]:
        answer_by_sms(client, sub, 'Nej')
    assert Vacancy.get_by_id(asked.id).status == Vacancy.UNFILLED


@pytest.mark.parametrize('text', ['kanske', 'Ja Ja', 'ja nej', '👍', 'Kyllä', 'OK', 'Ja 12'])
def test_anything_else_gets_a_helpful_reply_and_books_nothing(client, pool, asked, text):
    anna = pool['subs'][0]
    code = request_code(anna)
    [reply] = answer_by_sms(client, anna, text)
    # One open request: a plain JA or NEJ, as the request SMS asked.
    assert reply == ('We could not read your answer. Reply JA or NEJ. For anything else call '
                     '+46812345678.')
    assert code not in reply
    assert Vacancy.get_by_id(asked.id).status == Vacancy.REQUESTED
    assert ShiftRequest.get(ShiftRequest.user == anna).status == ShiftRequest.OPEN


def test_with_several_open_requests_the_help_gives_the_code(client, pool, asked):
    anna = pool['subs'][0]
    make_available(anna, TODAY + dt.timedelta(days=1))
    later = vacancy(pool['org'], pool['south'], local(TODAY, 15), local(TODAY, 17),
                    pool['planner'])
    SubstituteUnit.create(user=anna, unit=pool['south'])
    staffing.send_requests(later, 5, local(TODAY, 14), by=pool['planner'], at=staffing.now())
    oldest = ShiftRequest.get(ShiftRequest.user == anna, ShiftRequest.vacancy == asked)
    [reply] = answer_by_sms(client, anna, 'kanske')
    assert reply == (f'We could not read your answer. Reply JA or NEJ with the code, for '
                     f'example JA {oldest.code}. For anything else call +46812345678.')


@pytest.mark.parametrize('text', ['JA TACK {code}', 'Ja, tack! 👍', '\u200fJa {code}\u200f',
                                  'Ja tak', 'ja takk {code}', 'Ja gärna'])
def test_a_polite_ja_books_the_shift(client, pool, asked, text):
    anna = pool['subs'][0]
    [reply] = answer_by_sms(client, anna, text.format(code=request_code(anna)))
    assert reply.startswith('You got the shift at Hemtjänst Norr')
    assert Vacancy.get_by_id(asked.id).substitute_id == anna.id


@pytest.mark.parametrize('text', ['Nej tack', 'Nej, tyvärr {code}', 'Nei takk', 'Nej tak 😔'])
def test_a_polite_nej_is_noted(client, pool, asked, text):
    anna = pool['subs'][0]
    [reply] = answer_by_sms(client, anna, text.format(code=request_code(anna)))
    assert reply.startswith('Thank you. We have noted that you cannot take the shift')
    assert ShiftRequest.get(ShiftRequest.user == anna).status == ShiftRequest.DECLINED


def test_with_several_open_requests_a_bare_ja_lists_the_codes_and_a_code_picks_one(
        client, pool, asked):
    anna = pool['subs'][0]
    make_available(anna, TODAY + dt.timedelta(days=1))
    later = vacancy(pool['org'], pool['south'], local(TODAY, 15), local(TODAY, 17),
                    pool['planner'])
    SubstituteUnit.create(user=anna, unit=pool['south'])
    staffing.send_requests(later, 5, local(TODAY, 14), by=pool['planner'], at=staffing.now())
    first = ShiftRequest.get(ShiftRequest.user == anna, ShiftRequest.vacancy == asked)
    second = ShiftRequest.get(ShiftRequest.user == anna, ShiftRequest.vacancy == later)
    assert first.code != second.code

    [reply] = answer_by_sms(client, anna, 'Ja')
    assert reply.startswith('You have 2 requests. Answer each with its code')
    assert f'{first.code} Hemtjänst Norr' in reply and f'{second.code} Solgläntan' in reply
    assert Vacancy.select().where(Vacancy.status == Vacancy.BOOKED).count() == 0

    [reply] = answer_by_sms(client, anna, f'ja {second.code}.')
    assert reply.startswith('You got the shift at Solgläntan')
    assert Vacancy.get_by_id(later.id).substitute_id == anna.id
    assert Vacancy.get_by_id(asked.id).status == Vacancy.REQUESTED

    [reply] = answer_by_sms(client, anna, 'Ja 0000')
    assert reply.startswith(f'No request has the code 0000. Your open requests: {first.code} ')


def test_a_reply_to_a_manual_message_says_the_number_is_not_read(client, pool):
    anna = pool['subs'][0]
    staffing.send_manual(pool['org'], [anna], 'Register your summer availability!',
                         by=pool['planner'])
    [manual] = texts_to(anna)
    assert manual == ('Register your summer availability!\n'
                      '(This SMS cannot be answered. Call +46812345678.)')
    assert Message.get(Message.body == manual).kind == Message.MANUAL
    for text in ('Ok, will do', 'Ja'):
        [reply] = answer_by_sms(client, anna, text)
        assert reply == ('This number is not read, so nobody will see your message. '
                         'Call the staffing centre on +46812345678.')


def test_automatic_replies_stop_after_a_few_an_hour(client, pool):
    anna = pool['subs'][0]
    replies = [answer_by_sms(client, anna, f'hello {i}') for i in range(5)]
    assert [len(r) for r in replies] == [1, 1, 1, 0, 0]
    assert Message.select().where(Message.direction == Message.IN).count() == 5


def test_unknown_numbers_are_logged_not_answered(client, pool, asked, caplog):
    caplog.set_level(logging.INFO, logger='planpool.outbox')
    before = last_message_id()
    assert client.post(INBOUND, data=inbound('+46709999999', 'Ja')).status_code == 204
    assert 'unknown number' in caplog.text
    assert Message.select().where(Message.id > before,
                                  Message.direction == Message.OUT).count() == 0
    assert Vacancy.get_by_id(asked.id).status == Vacancy.REQUESTED


def test_ja_after_the_deadline_is_too_late(client, pool, asked, clock):
    anna = pool['subs'][0]
    clock.advance(minutes=91)       # 09:31, the deadline was 09:30
    [reply] = answer_by_sms(client, anna, 'Ja')
    assert reply.startswith('The time to answer the request for the shift at Hemtjänst Norr')
    assert ShiftRequest.get(ShiftRequest.user == anna).status == ShiftRequest.EXPIRED
    assert Vacancy.get_by_id(asked.id).status == Vacancy.UNFILLED


def test_ja_to_a_stopped_vacancy_gets_no_longer_needed(client, pool, asked):
    anna, bo, _c = pool['subs']
    before = last_message_id()
    staffing.stop(asked, by=pool['planner'], at=staffing.now())
    for sub in (anna, bo):
        [text] = texts_to(sub, since=before)
        assert 'is no longer needed' in text
    [reply] = answer_by_sms(client, anna, 'Ja')
    assert 'is no longer needed' in reply
    assert Vacancy.get_by_id(asked.id).status == Vacancy.CANCELLED


def test_a_yes_that_no_longer_fits_is_refused(client, pool, asked):
    """Anna was booked on another shift at the same time meanwhile."""
    anna = pool['subs'][0]
    other = vacancy(pool['org'], pool['north'], local(TODAY, 12), local(TODAY, 16),
                    pool['planner'])
    staffing.record_call(other, anna, 'accepted', by=pool['planner'], at=staffing.now())
    [reply] = answer_by_sms(client, anna, 'Ja')
    assert 'clashes with your other shifts' in reply
    assert ShiftRequest.get(ShiftRequest.user == anna, ShiftRequest.vacancy == asked).status \
        == ShiftRequest.LOST
    assert Vacancy.get_by_id(asked.id).status == Vacancy.REQUESTED


def test_answering_twice_is_answered_once(client, pool, asked):
    anna = pool['subs'][0]
    answer_by_sms(client, anna, 'Nej')
    [reply] = answer_by_sms(client, anna, 'Ja')
    assert reply.startswith('You have already answered the request')
    assert ShiftRequest.get(ShiftRequest.user == anna).status == ShiftRequest.DECLINED


def test_request_sms_are_in_the_substitutes_language(client, pool, make_user):
    """Swedish by default (the organisation's language), and Swedish replies work."""
    sara = make_user(pool['org'], User.SUBSTITUTE, name='Sara Svensson', phone='+46701000009')
    SubstituteUnit.create(user=sara, unit=pool['north'])
    make_available(sara, TODAY)
    shift = vacancy(pool['org'], pool['north'], local(TODAY, 10), local(TODAY, 13),
                    pool['planner'])
    staffing.send_requests(shift, 1, local(TODAY, 9, 30), by=pool['planner'],
                           at=staffing.now())
    [text] = texts_to(sara)
    assert 'Svara JA eller NEJ senast ' in text, text
    assert 'Förfrågan: pass på Hemtjänst Norr, ons 8 maj 10:00–13:00' in text
    [reply] = answer_by_sms(client, sara, 'JA')
    assert reply.startswith('Du har fått passet på Hemtjänst Norr')


def test_handler_leaves_other_organisations_and_roles_alone(client, jobcentre, make_user):
    citizen = make_user(jobcentre, User.CITIZEN, phone='+4520123456')
    outbox.queue_sms(jobcentre, citizen.phone, 'Hello', user=citizen)
    before = last_message_id()
    assert client.post(INBOUND, data=inbound(citizen, 'Ja')).status_code == 204
    assert texts_to(citizen, since=before) == []
    assert replies.handle_sms(Message.get(Message.direction == Message.IN), citizen) is False


class TestSignedWebhook:
    @pytest.fixture
    def app_config(self):
        return {'VONAGE_API_KEY': 'key123', 'VONAGE_API_SECRET': 'secret456',
                'VONAGE_SIGNATURE_SECRET': 'sig-secret-0123456789'}

    def test_a_forged_ja_books_nothing_and_a_signed_one_does(self, client, pool, asked):
        from tests.test_webhooks import sign
        anna = pool['subs'][0]
        forged = sign(inbound(anna, 'Ja'), secret='not-the-secret')
        assert client.post(INBOUND, data=forged).status_code == 403
        assert Vacancy.get_by_id(asked.id).status == Vacancy.REQUESTED
        assert Message.select().where(Message.direction == Message.IN).count() == 0
        assert client.post(INBOUND, data=sign(inbound(anna, 'Ja'))).status_code == 204
        assert Vacancy.get_by_id(asked.id).substitute_id == anna.id


def test_a_ja_long_after_the_shift_is_not_taken_for_an_answer(client, pool, asked, clock):
    anna = pool['subs'][0]
    answer_by_sms(client, anna, 'Nej')
    clock.advance(days=2)
    [reply] = answer_by_sms(client, anna, 'Ja')
    assert reply.startswith('You have no request to answer.')


class TestWithoutSignatureSecret:
    """Production without VONAGE_SIGNATURE_SECRET: the webhook fails closed."""

    @pytest.fixture
    def app_config(self):
        return {'DEV_MODE': False}

    def test_an_unsigned_ja_is_refused_and_books_nothing(self, client, pool, asked):
        anna = pool['subs'][0]
        assert client.post(INBOUND, data=inbound(anna, 'Ja')).status_code == 403
        assert Vacancy.get_by_id(asked.id).status == Vacancy.REQUESTED
        assert Vacancy.get_by_id(asked.id).substitute_id is None
        assert Message.select().where(Message.direction == Message.IN).count() == 0
