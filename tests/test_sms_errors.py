"""Vonage errors by kind: a temporary one is tried again, a permanent one
(invalid or barred number, the account's set-up) fails at once, and a send
that got no answer (read timeout) is never repeated blindly: it may have
reached the citizen. Staff read the reason in plain words, never the
provider's answer."""
from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
import requests
import responses

import tasks
from messaging import outbox
from models import Message, User, utcnow
from planner import followup

VONAGE_URL = 'https://rest.nexmo.com/sms/json'


@pytest.fixture
def app_config():
    return {'DEV_MODE': True, 'VONAGE_API_KEY': 'key123', 'VONAGE_API_SECRET': 'secret456'}


@pytest.fixture(autouse=True)
def empty_schedule():
    tasks.huey.flush()
    yield
    tasks.huey.flush()


@pytest.fixture
def vonage_api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def refused(status: str, text: str) -> dict:
    return dict(json={'message-count': '1',
                      'messages': [{'status': status, 'error-text': text}]})


def later_sweeps() -> None:
    """Every retry falls due and the sweep runs, a few times over."""
    for _ in range(Message.MAX_ATTEMPTS + 1):
        Message.update(next_attempt_at=utcnow() - dt.timedelta(seconds=1)).where(
            Message.next_attempt_at.is_null(False)).execute()
        tasks.sweep.call_local()


def message_log(client, login, org, make_user) -> str:
    login(make_user(org, User.PLANNER))
    html = client.get('/messages/').get_data(as_text=True)
    return unescape(re.sub(r'\s+', ' ', re.sub(r'<[^>]+>', ' ', html)))


@pytest.mark.parametrize('answer, words', [
    (refused('3', 'Invalid to number'), 'The mobile number cannot receive SMS'),
    (refused('6', 'Unroutable message - rejected'), 'The mobile number cannot receive SMS'),
    (refused('7', 'Number barred.'), 'The mobile number is barred'),
    (refused('4', 'Bad Credentials'), 'The SMS account is not set up correctly'),
    (dict(json={'error-code': '401', 'error-code-label': 'Unauthorized: secret xyz'},
          status=401), 'The SMS account is not set up correctly'),
], ids=['invalid-number', 'unroutable', 'barred', 'credentials', 'http-401'])
def test_a_permanent_error_fails_at_once_in_plain_words(
        client, login, make_user, jobcentre, vonage_api, answer, words):
    vonage_api.post(VONAGE_URL, **answer)
    message = outbox.queue_sms(jobcentre, '+4520123456', 'Hej')
    later_sweeps()
    assert len(vonage_api.calls) == 1               # never tried again
    row = Message.get_by_id(message.id)
    assert (row.status, row.attempts) == (Message.FAILED, 1)
    assert followup.plain_error(row).startswith(words)
    log = message_log(client, login, jobcentre, make_user)
    assert words in log
    # The provider's own words stay out of the pages.
    for raw in ('Invalid to number', 'Unroutable', 'Number barred', 'Bad Credentials',
                'Unauthorized', 'secret xyz'):
        assert raw not in log


@pytest.mark.parametrize('answer', [
    refused('1', 'Throttled'), refused('5', 'Internal error'),
    refused('9', 'Partner quota exceeded'),
    dict(json={}, status=503), dict(json={}, status=429),
    dict(body=requests.exceptions.ConnectionError('connection refused')),
    dict(body=requests.exceptions.ConnectTimeout('connect timed out')),
], ids=['throttled', 'internal', 'quota', 'http-503', 'http-429', 'refused', 'connect-timeout'])
def test_a_temporary_error_is_tried_again_until_it_goes(jobcentre, vonage_api, answer):
    vonage_api.post(VONAGE_URL, **answer)
    vonage_api.post(VONAGE_URL, json={'message-count': '1', 'messages': [
        {'status': '0', 'message-id': '0A00000000000001'}]})
    message = outbox.queue_sms(jobcentre, '+4520123456', 'Hej')
    assert Message.get_by_id(message.id).status == Message.QUEUED
    later_sweeps()
    assert len(vonage_api.calls) == 2
    assert Message.get_by_id(message.id).status == Message.SENT


@pytest.mark.parametrize('lost', [
    requests.exceptions.ReadTimeout('read timed out'),
    requests.exceptions.ConnectionError(
        "('Connection aborted.', RemoteDisconnected('Remote end closed connection'))"),
], ids=['read-timeout', 'closed-without-answer'])
def test_no_answer_is_never_sent_twice_and_shows_as_may_have_been_sent(
        client, login, make_user, jobcentre, vonage_api, lost):
    vonage_api.post(VONAGE_URL, body=lost)
    vonage_api.post(VONAGE_URL, json={'message-count': '1', 'messages': [
        {'status': '0', 'message-id': '0A00000000000002'}]})
    message = outbox.queue_sms(jobcentre, '+4520123456', 'Hej')
    later_sweeps()
    assert len(vonage_api.calls) == 1
    row = Message.get_by_id(message.id)
    assert row.status == Message.FAILED
    assert 'may have been sent' in followup.plain_error(row)
    assert 'may have been sent' in message_log(client, login, jobcentre, make_user)
    # Vonage's delivery receipt for our client-ref settles it after all.
    assert outbox.apply_delivery_receipt(str(message.id), 'delivered')
    assert Message.get_by_id(message.id).status == Message.DELIVERED
