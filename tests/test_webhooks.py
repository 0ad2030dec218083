"""Vonage webhooks (SMS API format): inbound SMS and delivery receipts."""
from __future__ import annotations

import datetime as dt
import json
import logging
import time

import pytest
from vonage import Auth

import tasks
from messaging import outbox
from models import Message, User, utcnow
from pool import replies

INBOUND = '/webhooks/vonage/inbound'
DELIVERY = '/webhooks/vonage/delivery'
SECRET = 'sig-secret-0123456789'


def inbound_params(message_id='0B000000123456789', msisdn='4520123456', text='Ja',
                   **extra):
    params = {'msisdn': msisdn, 'to': '4570100100', 'messageId': message_id,
              'text': text, 'type': 'text', 'keyword': text.split()[0].upper() if text else '',
              'message-timestamp': utcnow().strftime('%Y-%m-%d %H:%M:%S')}
    params.update(extra)
    return params


def sign(params: dict, secret=SECRET, timestamp=None, method='md5') -> dict:
    """Sign as Vonage does: HMAC over the sorted parameters and a timestamp."""
    signed = dict(params, timestamp=str(int(time.time() if timestamp is None else timestamp)),
                  nonce='a1b2c3d4')
    signed['sig'] = Auth(api_key='key123', signature_secret=secret,
                         signature_method=method).sign_params(dict(signed))
    return signed


def inbound_rows():
    return list(Message.select().where(Message.direction == Message.IN)
                .order_by(Message.id))


@pytest.fixture(autouse=True)
def empty_schedule():
    tasks.huey.flush()
    yield
    tasks.huey.flush()


@pytest.fixture
def handler(monkeypatch):
    """Add inbound routes, in this order, ahead of the app's own for one test."""
    added = []
    app_routes = tasks.INBOUND_ROUTES

    def register(fn):
        added.append(fn)
        monkeypatch.setattr(tasks, 'INBOUND_ROUTES', (*added, *app_routes))
        return fn
    return register


# --- inbound SMS ----------------------------------------------------------------


@pytest.mark.parametrize('how', ['get', 'post-form', 'post-json'])
def test_inbound_in_each_format_is_stored_once(client, jobcentre, make_user, how):
    citizen = make_user(jobcentre, User.CITIZEN, phone='+4520123456')
    params = inbound_params(text='Ja tak')
    send = {'get': lambda: client.get(INBOUND, query_string=params),
            'post-form': lambda: client.post(INBOUND, data=params),
            'post-json': lambda: client.post(INBOUND, json=params)}[how]
    assert send().status_code == 204
    assert send().status_code == 204   # Vonage retrying: stored once

    [row] = inbound_rows()
    assert (row.channel, row.direction, row.kind, row.status) == (
        Message.SMS, Message.IN, Message.REPLY, Message.RECEIVED)
    assert row.body == 'Ja tak'
    assert row.sender == '+4520123456'           # E.164
    assert row.recipient == '4570100100'
    assert row.provider == 'vonage' and row.provider_id == 'in:0B000000123456789'
    assert row.user_id == citizen.id and row.organisation_id == jobcentre.id
    assert row.handled_at is not None


def test_same_message_id_in_different_formats_is_stored_once(client, jobcentre):
    params = inbound_params()
    assert client.get(INBOUND, query_string=params).status_code == 204
    assert client.post(INBOUND, data=params).status_code == 204
    assert client.post(INBOUND, json=params).status_code == 204
    assert len(inbound_rows()) == 1


def test_different_message_ids_are_different_messages(client, jobcentre):
    client.post(INBOUND, data=inbound_params(message_id='0B01'))
    client.post(INBOUND, data=inbound_params(message_id='0B02'))
    assert [r.provider_id for r in inbound_rows()] == ['in:0B01', 'in:0B02']


def test_sender_matched_by_phone_in_any_notation(client, municipality, make_user):
    substitute = make_user(municipality, User.SUBSTITUTE, phone='+46701234567')
    client.post(INBOUND, data=inbound_params(msisdn='+46701234567', message_id='a1'))
    client.post(INBOUND, data=inbound_params(msisdn='46701234567', message_id='a2'))
    assert [(r.sender, r.user_id, r.organisation_id) for r in inbound_rows()] == [
        ('+46701234567', substitute.id, municipality.id)] * 2


def test_inactive_user_is_not_matched(client, jobcentre, make_user):
    make_user(jobcentre, User.CITIZEN, phone='+4520123456', active=False)
    client.post(INBOUND, data=inbound_params())
    assert inbound_rows()[0].user_id is None


def test_number_known_in_two_organisations_goes_to_the_one_that_texted_it(
        client, jobcentre, municipality, make_user):
    make_user(jobcentre, User.CITIZEN, phone='+4520123456')
    other = make_user(municipality, User.SUBSTITUTE, phone='+4520123456')
    outbox.queue_sms(municipality, '+4520123456', 'Vill du ta passet?', user=other)
    client.post(INBOUND, data=inbound_params(text='Ja'))
    [row] = inbound_rows()
    assert (row.user_id, row.organisation_id) == (other.id, municipality.id)


def test_unknown_number_is_stored_and_logged_not_answered(client, jobcentre, caplog):
    caplog.set_level(logging.INFO, logger='planpool.outbox')
    response = client.post(INBOUND, data=inbound_params(msisdn='4599999999', text='Hvem?'))
    assert response.status_code == 204
    [row] = inbound_rows()
    assert row.user_id is None and row.organisation_id is None
    assert row.body == 'Hvem?' and row.handled_at is not None
    assert 'unknown number' in caplog.text
    # Not answered: nothing went out.
    assert not Message.select().where(Message.direction == Message.OUT).exists()


def test_registered_handler_receives_the_message_and_its_sender(
        client, jobcentre, make_user, handler):
    citizen = make_user(jobcentre, User.CITIZEN, phone='+4520123456')
    seen = []

    @handler
    def take(message, user):
        seen.append((message.body, user.id if user else None))
        return True

    client.post(INBOUND, data=inbound_params(text='Nej'))
    client.post(INBOUND, data=inbound_params(text='Nej'))   # duplicate: not again
    assert seen == [('Nej', citizen.id)]


def test_handler_gets_none_for_an_unknown_sender(client, jobcentre, handler):
    seen = []
    handler(lambda m, u: seen.append((m.sender, u)) or True)
    client.post(INBOUND, data=inbound_params(msisdn='4599999999'))
    assert seen == [('+4599999999', None)]


def test_the_worker_routes_inbound_sms_to_the_pool_replies_only():
    """The route is named where the worker runs it (and a test's extra
    route is gone again)."""
    assert tasks.INBOUND_ROUTES == (replies.handle_sms,)


def test_first_handler_that_takes_the_message_wins(client, jobcentre, handler):
    calls = []
    handler(lambda m, u: calls.append('first') or False)
    handler(lambda m, u: calls.append('second') or True)
    handler(lambda m, u: calls.append('third') or True)
    client.post(INBOUND, data=inbound_params())
    assert calls == ['first', 'second']


def test_failing_handler_is_retried_by_the_sweep_then_given_up(
        client, jobcentre, handler):
    calls = []

    @handler
    def broken(message, user):
        calls.append(message.id)
        raise RuntimeError('handler bug')

    assert client.post(INBOUND, data=inbound_params()).status_code == 204
    [row] = inbound_rows()
    assert row.handled_at is None and 'handler bug' in row.last_error
    # Not due yet: the sweep does not run it again at once.
    tasks.sweep.call_local()
    assert len(calls) == 1
    for _ in range(Message.MAX_ATTEMPTS - 1):
        Message.update(next_attempt_at=utcnow() - dt.timedelta(seconds=1)).where(
            Message.id == row.id).execute()
        tasks.sweep.call_local()
    row = Message.get_by_id(row.id)
    assert len(calls) == Message.MAX_ATTEMPTS
    assert row.handled_at is not None and 'RuntimeError: handler bug' in row.last_error
    tasks.sweep.call_local()
    assert len(calls) == Message.MAX_ATTEMPTS


def test_handler_that_recovers_handles_the_message_once(client, jobcentre, handler):
    calls = []

    @handler
    def flaky(message, user):
        calls.append(message.id)
        if len(calls) == 1:
            raise ConnectionError('database hiccup')
        return True

    client.post(INBOUND, data=inbound_params())
    [row] = inbound_rows()
    Message.update(next_attempt_at=utcnow()).where(Message.id == row.id).execute()
    tasks.sweep.call_local()
    tasks.sweep.call_local()
    row = Message.get_by_id(row.id)
    assert len(calls) == 2 and row.handled_at is not None and row.last_error == ''


def test_dispatch_is_claimed_so_handlers_run_once(client, jobcentre, handler):
    calls = []
    handler(lambda m, u: calls.append(m.id) or True)
    message = outbox.receive_sms(provider_id='x1', sender='+4520123456',
                                 recipient='4570100100', text='Ja')
    copy = Message.get_by_id(message.id)
    copy.handled_at = None          # a second worker holding a stale copy
    assert outbox.dispatch(copy, tasks.INBOUND_ROUTES) is False
    assert calls == [message.id]


@pytest.mark.parametrize('params', [
    {},
    {'msisdn': '4520123456', 'text': 'Ja'},                 # no messageId
    {'messageId': '0B01', 'text': 'Ja'},                     # no msisdn
    {'messageId': '', 'msisdn': '4520123456'},
    {'messageId': 'x' * 81, 'msisdn': '4520123456'},
], ids=['empty', 'no-message-id', 'no-msisdn', 'blank-id', 'long-id'])
def test_missing_fields_are_400(client, jobcentre, params):
    assert client.get(INBOUND, query_string=params).status_code == 400
    assert client.post(INBOUND, data=params).status_code == 400
    assert client.post(INBOUND, json=params).status_code == 400
    assert inbound_rows() == []


@pytest.mark.parametrize('body, content_type', [
    ('not json', 'application/json'),
    ('["a", "list"]', 'application/json'),
    ('null', 'application/json'),
    ('{"messageId": {"nested": 1}, "msisdn": ["4520123456"]}', 'application/json'),
    ('\x00\x01\x02', 'application/octet-stream'),
    ('', 'text/plain'),
], ids=['bad-json', 'json-list', 'json-null', 'json-nested', 'binary', 'empty'])
def test_malformed_bodies_are_400_never_500(client, jobcentre, body, content_type):
    response = client.post(INBOUND, data=body, content_type=content_type)
    assert response.status_code == 400
    response = client.post(DELIVERY, data=body, content_type=content_type)
    assert response.status_code in (204, 400)
    assert inbound_rows() == []


def test_odd_values_are_stored_safely(client, jobcentre):
    params = inbound_params(message_id='0B\x0003', msisdn='45\x0020123456',
                            text='Ja\x00 <script>alert(1)</script>', to='x' * 300)
    assert client.post(INBOUND, data=params).status_code == 204
    [row] = inbound_rows()
    assert '\x00' not in row.body + row.sender + row.provider_id
    assert len(row.recipient) <= 20


def test_numbers_in_json_are_read_as_text(client, jobcentre):
    params = inbound_params()
    params['msisdn'] = 4520123456
    assert client.post(INBOUND, json=params).status_code == 204
    assert inbound_rows()[0].sender == '+4520123456'


def test_webhooks_need_no_csrf_token(app, client, jobcentre):
    app.config['WTF_CSRF_ENABLED'] = True
    assert client.post(INBOUND, data=inbound_params()).status_code == 204


# --- signed webhooks ------------------------------------------------------------


class TestSignedWebhooks:
    @pytest.fixture
    def app_config(self):
        return {'VONAGE_API_KEY': 'key123', 'VONAGE_API_SECRET': 'secret456',
                'VONAGE_SIGNATURE_SECRET': SECRET}

    @pytest.mark.parametrize('how', ['get', 'post-form', 'post-json'])
    def test_correct_signature_is_accepted(self, client, jobcentre, how):
        params = sign(inbound_params(text='Ja & tak = fint'))
        response = {'get': lambda: client.get(INBOUND, query_string=params),
                    'post-form': lambda: client.post(INBOUND, data=params),
                    'post-json': lambda: client.post(INBOUND, json=params)}[how]()
        assert response.status_code == 204
        assert [r.body for r in inbound_rows()] == ['Ja & tak = fint']

    def test_uppercase_hex_signature_is_accepted(self, client, jobcentre):
        params = sign(inbound_params())
        params['sig'] = params['sig'].upper()
        assert client.post(INBOUND, data=params).status_code == 204

    def test_missing_signature_is_403_and_nothing_stored(self, client, jobcentre):
        params = sign(inbound_params())
        del params['sig']
        assert client.post(INBOUND, data=params).status_code == 403
        assert client.get(INBOUND, query_string=inbound_params()).status_code == 403
        assert inbound_rows() == []

    @pytest.mark.parametrize('forgery', ['other-secret', 'changed-text', 'changed-sender',
                                         'garbage-sig', 'changed-timestamp'])
    def test_forged_signature_is_403_and_nothing_stored(self, client, jobcentre, forgery):
        if forgery == 'other-secret':
            params = sign(inbound_params(), secret='not-the-secret-at-all')
        else:
            params = sign(inbound_params())
            if forgery == 'changed-text':
                params['text'] = 'Nej'
            elif forgery == 'changed-sender':
                params['msisdn'] = '4520999999'
            elif forgery == 'garbage-sig':
                params['sig'] = 'x'
            else:
                params['timestamp'] = str(int(params['timestamp']) + 1)
        assert client.post(INBOUND, data=params).status_code == 403
        assert inbound_rows() == []

    def test_signature_with_another_method_is_refused(self, client, jobcentre):
        params = sign(inbound_params(), method='sha256')
        assert client.post(INBOUND, data=params).status_code == 403

    def test_sha256_when_configured(self, app, client, jobcentre):
        app.config['VONAGE_SIGNATURE_METHOD'] = 'sha256'
        params = sign(inbound_params(), method='sha256')
        assert client.post(INBOUND, data=params).status_code == 204

    def test_missing_fields_with_a_valid_signature_are_400(self, client, jobcentre):
        params = sign({'text': 'Ja'})
        assert client.post(INBOUND, data=params).status_code == 400

    def test_old_signed_request_is_refused_as_a_replay(self, client, jobcentre):
        # Inside Vonage's 24-hour retry window: accepted (it may be a retry
        # after an outage; the messageId makes it harmless).
        params = sign(inbound_params(message_id='r1'), timestamp=time.time() - 23 * 3600)
        assert client.post(INBOUND, data=params).status_code == 204
        params = sign(inbound_params(message_id='r2'), timestamp=time.time() - 26 * 3600)
        assert client.post(INBOUND, data=params).status_code == 403
        params = sign(inbound_params(message_id='r3'), timestamp=time.time() + 3600)
        assert client.post(INBOUND, data=params).status_code == 403
        assert [r.provider_id for r in inbound_rows()] == ['in:r1']

    def test_replay_window_is_configurable(self, app, client, jobcentre):
        app.config['VONAGE_WEBHOOK_MAX_AGE'] = 600
        params = sign(inbound_params(message_id='w1'), timestamp=time.time() - 540)
        assert client.post(INBOUND, data=params).status_code == 204
        params = sign(inbound_params(message_id='w2'), timestamp=time.time() - 660)
        assert client.post(INBOUND, data=params).status_code == 403

    def test_timestamp_must_be_a_number(self, client, jobcentre):
        params = dict(inbound_params(), timestamp='yesterday', nonce='n')
        params['sig'] = Auth(api_key='key123', signature_secret=SECRET).sign_params(
            dict(params))
        assert client.post(INBOUND, data=params).status_code == 403

    def test_replayed_inbound_inside_the_window_is_stored_once(self, client, jobcentre):
        params = sign(inbound_params())
        for _ in range(3):
            assert client.post(INBOUND, data=params).status_code == 204
        assert len(inbound_rows()) == 1

    def test_delivery_receipt_needs_a_signature_too(self, client, jobcentre):
        message = outbox.queue_sms(jobcentre, '+4520123456', 'Hej')  # outbox here
        Message.update(status=Message.SENT).where(Message.id == message.id).execute()
        params = {'messageId': '0A01', 'msisdn': '4520123456', 'to': 'Jobcenter',
                  'status': 'delivered', 'err-code': '0', 'client-ref': str(message.id)}
        assert client.post(DELIVERY, data=params).status_code == 403
        assert Message.get_by_id(message.id).status == Message.SENT
        assert client.post(DELIVERY, data=sign(params)).status_code == 204
        assert Message.get_by_id(message.id).status == Message.DELIVERED


@pytest.mark.parametrize('field', ['text', 'msisdn', 'messageId', 'to'])
def test_a_lone_surrogate_in_json_is_400_and_nothing_stored(client, jobcentre, field):
    params = inbound_params(message_id='s1')
    params[field] = params[field] + '\ud800' if params[field] else '\ud800'
    response = client.post(INBOUND, data=json.dumps(params), content_type='application/json')
    assert response.status_code == 400
    assert inbound_rows() == []


def test_a_lone_surrogate_in_a_json_key_or_receipt_is_400(client, sent_sms):
    params = receipt(sent_sms, 'delivered', **{'x\ud800': '1'})
    response = client.post(DELIVERY, data=json.dumps(params), content_type='application/json')
    assert response.status_code == 400
    assert Message.get_by_id(sent_sms.id).status == Message.SENT


class TestWithoutSignatureSecret:
    """No VONAGE_SIGNATURE_SECRET and not in development mode: fail closed."""

    @pytest.fixture
    def app_config(self):
        return {'DEV_MODE': False}

    @pytest.mark.parametrize('how', ['get', 'post-form', 'post-json'])
    def test_unsigned_inbound_is_403_and_nothing_stored(self, client, jobcentre, make_user,
                                                        how):
        make_user(jobcentre, User.CITIZEN, phone='+4520123456')
        params = inbound_params()
        response = {'get': lambda: client.get(INBOUND, query_string=params),
                    'post-form': lambda: client.post(INBOUND, data=params),
                    'post-json': lambda: client.post(INBOUND, json=params)}[how]()
        assert response.status_code == 403
        assert inbound_rows() == []

    def test_signed_inbound_is_403_too_without_a_secret_to_check_it(self, client, jobcentre):
        assert client.post(INBOUND, data=sign(inbound_params())).status_code == 403
        assert inbound_rows() == []

    def test_unsigned_delivery_receipt_is_403_and_changes_nothing(self, client, sent_sms):
        response = client.post(DELIVERY, data=receipt(sent_sms, 'delivered'))
        assert response.status_code == 403
        assert Message.get_by_id(sent_sms.id).status == Message.SENT

    def test_development_mode_accepts_unsigned(self, app, client, sent_sms):
        app.config['DEV_MODE'] = True
        assert client.post(INBOUND, data=inbound_params()).status_code == 204
        assert client.post(DELIVERY, data=receipt(sent_sms, 'delivered')).status_code == 204
        assert len(inbound_rows()) == 1
        assert Message.get_by_id(sent_sms.id).status == Message.DELIVERED


class TestSignedWithDevelopmentModeOff(TestSignedWebhooks):
    """A configured secret works the same outside development mode."""

    @pytest.fixture
    def app_config(self):
        return {'VONAGE_API_KEY': 'key123', 'VONAGE_API_SECRET': 'secret456',
                'VONAGE_SIGNATURE_SECRET': SECRET, 'DEV_MODE': False}


# --- delivery receipts ----------------------------------------------------------


@pytest.fixture
def sent_sms(jobcentre):
    message = outbox.queue_sms(jobcentre, '+4520123456', 'Hej')
    Message.update(status=Message.SENT, provider='vonage',
                   provider_id='0A0000000000ABCD').where(Message.id == message.id).execute()
    return Message.get_by_id(message.id)


def receipt(message, status, err_code='0', **extra):
    params = {'msisdn': '4520123456', 'to': 'Jobcenter', 'network-code': '23801',
              'messageId': message.provider_id or '0A01', 'price': '0.03',
              'status': status, 'scts': '2601011200', 'err-code': err_code,
              'client-ref': str(message.id),
              'message-timestamp': utcnow().strftime('%Y-%m-%d %H:%M:%S')}
    params.update(extra)
    return params


@pytest.mark.parametrize('how', ['get', 'post-form', 'post-json'])
def test_delivered_receipt_marks_delivered(client, sent_sms, how):
    params = receipt(sent_sms, 'delivered')
    response = {'get': lambda: client.get(DELIVERY, query_string=params),
                'post-form': lambda: client.post(DELIVERY, data=params),
                'post-json': lambda: client.post(DELIVERY, json=params)}[how]()
    assert response.status_code == 204
    row = Message.get_by_id(sent_sms.id)
    assert row.status == Message.DELIVERED and row.last_error == ''


@pytest.mark.parametrize('status', ['failed', 'expired', 'rejected'])
def test_failed_receipt_marks_failed_with_the_error_code(client, sent_sms, status):
    response = client.post(DELIVERY, data=receipt(sent_sms, status, err_code='6'))
    assert response.status_code == 204
    row = Message.get_by_id(sent_sms.id)
    assert row.status == Message.FAILED
    assert status in row.last_error and 'err-code 6' in row.last_error


@pytest.mark.parametrize('status', ['accepted', 'buffered'])
def test_interim_receipts_change_nothing(client, sent_sms, status):
    assert client.post(DELIVERY, data=receipt(sent_sms, status)).status_code == 204
    assert Message.get_by_id(sent_sms.id).status == Message.SENT


@pytest.mark.parametrize('client_ref', ['999999', 'abc', '', '-1', '1' * 40, '\u0661'])
def test_unknown_client_ref_is_204_and_changes_nothing(client, sent_sms, client_ref):
    before = Message.get_by_id(sent_sms.id)
    response = client.post(DELIVERY, data=receipt(sent_sms, 'failed', err_code='5',
                                                  **{'client-ref': client_ref}))
    assert response.status_code == 204
    after = Message.get_by_id(sent_sms.id)
    assert (after.status, after.last_error, after.updated_at) == (
        before.status, before.last_error, before.updated_at)


def test_receipt_without_client_ref_is_204(client, sent_sms):
    params = receipt(sent_sms, 'delivered')
    del params['client-ref']
    assert client.post(DELIVERY, data=params).status_code == 204
    assert Message.get_by_id(sent_sms.id).status == Message.SENT


def test_receipt_cannot_touch_an_inbound_message_or_an_email(client, jobcentre):
    inbound = outbox.receive_sms(provider_id='in1', sender='+4520123456',
                                 recipient='4570100100', text='Ja')
    mail = outbox.queue_email(jobcentre, 'a@example.test', 'Emne', 'Tekst')
    for message in (inbound, mail):
        client.post(DELIVERY, data=receipt(message, 'failed'))
    assert Message.get_by_id(inbound.id).status == Message.RECEIVED
    assert Message.get_by_id(mail.id).status == Message.SENT


def test_failed_receipt_shows_in_the_log(client, sent_sms, jobcentre, make_user, login):
    client.post(DELIVERY, data=receipt(sent_sms, 'rejected', err_code='29'))
    login(make_user(jobcentre, User.PLANNER))
    html = client.get('/messages/?status=failed').get_data(as_text=True)
    assert 'The phone network could not deliver the SMS (code 29).' in html
    assert 'delivery receipt' not in html
