"""A long SMS reaches the webhook in parts (Vonage's concat fields): the
parts are read together, once, whatever order they come in; a part that
never comes does not lose the reply."""
from __future__ import annotations

import datetime as dt

import pytest

import tasks
from models import Message, ShiftRequest, Vacancy, utcnow
from pool import staffing
from tests.test_pool_support import (INBOUND, TODAY, _empty_schedule, clock, inbound,  # noqa: F401
                                     last_message_id, local, make_available, pool, request_code,
                                     texts_to, vacancy)


@pytest.fixture
def asked(pool):
    """A 3-hour shift today with an open request to Anna."""
    anna = pool['subs'][0]
    make_available(anna, TODAY)
    shift = vacancy(pool['org'], pool['north'], local(TODAY, 10), local(TODAY, 13),
                    pool['planner'])
    staffing.send_requests(shift, 1, local(TODAY, 9, 30), by=pool['planner'],
                           at=staffing.now())
    return shift


def part(user, text: str, number: int, total: int, ref: str = 'A7', message_id=None) -> dict:
    return dict(inbound(user, text, message_id), concat='true', **{
        'concat-ref': ref, 'concat-part': str(number), 'concat-total': str(total)})


def handled_inbound() -> list[str]:
    """Bodies of the inbound SMS that were read as replies."""
    return [m.body for m in Message.select().where(
        Message.direction == Message.IN, Message.status == Message.RECEIVED,
        Message.handled_at.is_null(False)).order_by(Message.id)]


def test_parts_coming_in_any_order_are_read_as_one_reply(client, pool, asked):
    anna = pool['subs'][0]
    code = request_code(anna)
    before = last_message_id()
    # The phone split "Ja tack så mycket! 😊 <code>" mid-word; part 2 comes first.
    second = part(anna, f'ck så mycket! 😊 {code}', 2, 2)
    assert client.post(INBOUND, data=second).status_code == 204
    assert texts_to(anna, since=before) == []       # half a reply: nothing read yet
    assert Vacancy.get_by_id(asked.id).status == Vacancy.REQUESTED
    assert client.post(INBOUND, data=part(anna, 'Ja ta', 1, 2)).status_code == 204
    assert handled_inbound() == [f'Ja tack så mycket! 😊 {code}']
    [won] = texts_to(anna, since=before)
    assert won.startswith('You got the shift at Hemtjänst Norr')
    assert Vacancy.get_by_id(asked.id).substitute_id == anna.id
    # Vonage repeating a part changes nothing; nor does the sweep.
    assert client.post(INBOUND, data=second).status_code == 204
    tasks.sweep.call_local()
    assert len(handled_inbound()) == 1 and len(texts_to(anna, since=before)) == 1


def test_a_part_that_never_comes_does_not_lose_the_reply(client, pool, asked, clock):
    anna = pool['subs'][0]
    before = last_message_id()
    assert client.post(INBOUND, data=part(anna, 'Nej tyvärr, jag ', 1, 3)).status_code == 204
    assert client.post(INBOUND, data=part(anna, 'kan inte i dag', 3, 3)).status_code == 204
    tasks.sweep.call_local()
    assert texts_to(anna, since=before) == []       # still waiting for part 2
    Message.update(created_at=utcnow() - dt.timedelta(minutes=11)).where(
        Message.direction == Message.IN).execute()
    tasks.sweep.call_local()
    tasks.sweep.call_local()
    # Read with what came: not a clear answer, so one help SMS; nothing booked.
    assert handled_inbound() == ['Nej tyvärr, jag kan inte i dag']
    [help_text] = texts_to(anna, since=before)
    assert help_text.startswith('We could not read your answer.')
    assert ShiftRequest.get(ShiftRequest.user == anna).status == ShiftRequest.OPEN


def test_parts_of_two_long_sms_are_kept_apart(client, pool, asked, make_user):
    anna, bo = pool['subs'][:2]
    assert client.post(INBOUND, data=part(anna, 'Ja ', 1, 2, ref='11')).status_code == 204
    assert client.post(INBOUND, data=part(bo, 'Hej ', 1, 2, ref='11')).status_code == 204
    assert client.post(INBOUND, data=part(anna, 'tack', 2, 2, ref='11')).status_code == 204
    assert handled_inbound() == ['Ja tack']


@pytest.mark.parametrize('fields', [
    {'concat-ref': '', 'concat-part': '1', 'concat-total': '2'},
    {'concat-ref': 'A7', 'concat-part': 'x', 'concat-total': '2'},
    {'concat-ref': 'A7', 'concat-part': '3', 'concat-total': '2'},
    {'concat-ref': 'A7', 'concat-part': '0', 'concat-total': '2'},
    {'concat-ref': 'A7', 'concat-part': '1', 'concat-total': '999'},
])
def test_a_malformed_part_is_refused(client, pool, fields):
    data = dict(inbound(pool['subs'][0], 'Ja'), concat='true', **fields)
    assert client.post(INBOUND, data=data).status_code == 400
    assert not Message.select().where(Message.direction == Message.IN).exists()
