"""Outbound SMS and email: a row first, then the task (DESIGN rule 4).

SMS go through the real Vonage SDK with its HTTPS calls answered by
`responses`; email goes to a real SMTP server on 127.0.0.1 (aiosmtpd).
"""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import socket
import threading
from urllib.parse import parse_qsl

import pytest
import requests
import responses
from aiosmtpd.controller import Controller
from vonage import Auth

import tasks
from integrations.mail import stable_message_id
from messaging import outbox, queue
from models import Message, User, db, utcnow

VONAGE_URL = 'https://rest.nexmo.com/sms/json'
VONAGE = {'VONAGE_API_KEY': 'key123', 'VONAGE_API_SECRET': 'secret456'}
BACKOFF = [30, 120, 480, 1920]   # seconds after failed attempts 1..4


def vonage_ok(message_id='0A0000000123ABCD1', to='4520123456', client_ref=None):
    part = {'to': to, 'message-id': message_id, 'status': '0',
            'remaining-balance': '3.14', 'message-price': '0.03',
            'network': '23801'}
    if client_ref:
        part['client-ref'] = client_ref
    return {'message-count': '1', 'messages': [part]}


def vonage_error(status='1', text='Throttled'):
    return {'message-count': '1', 'messages': [{'status': status, 'error-text': text}]}


def form(call) -> dict:
    return dict(parse_qsl(call.request.body, keep_blank_values=True))


@pytest.fixture(autouse=True)
def empty_schedule():
    """Huey's in-memory schedule (timed retries) starts and ends empty."""
    tasks.huey.flush()
    yield
    tasks.huey.flush()


@pytest.fixture
def vonage_api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def make_due(message: Message) -> None:
    """Move a waiting retry into the past, as if its backoff had passed."""
    Message.update(next_attempt_at=utcnow() - dt.timedelta(seconds=1)).where(
        Message.id == message.id).execute()


def fire_scheduled_retries() -> int:
    """Run the timed retries Huey holds, as the consumer would at their eta."""
    due = tasks.huey.read_schedule(dt.datetime.now() + dt.timedelta(days=1))
    for task in due:
        tasks.huey.execute(task, timestamp=task.eta)
    return len(due)


def assert_backoff(message: Message, seconds: int) -> None:
    delay = (message.next_attempt_at - message.updated_at).total_seconds()
    assert delay == pytest.approx(seconds, abs=1)


# --- SMS through Vonage --------------------------------------------------------


class TestVonageSms:
    @pytest.fixture
    def app_config(self):
        return dict(VONAGE)

    def test_one_request_with_our_fields_and_the_row_ends_sent(
            self, vonage_api, jobcentre):
        vonage_api.post(VONAGE_URL, json=vonage_ok('0A00000001234567'))
        message = outbox.queue_sms(jobcentre, '+4520123456', 'Husk dit møde i morgen kl. 10')

        assert len(vonage_api.calls) == 1
        body = form(vonage_api.calls[0])
        assert body['to'] == '4520123456'            # E.164 without '+'
        assert body['from'] == 'Jobcenter'           # the organisation's sender
        assert body['text'] == 'Husk dit møde i morgen kl. 10'
        assert body['client-ref'] == str(message.id)
        assert body['type'] == 'text'                # æøå are GSM characters
        assert 'None' not in body.values()
        # Basic auth in the header; the secret is never in the body.
        assert vonage_api.calls[0].request.headers['Authorization'].startswith('Basic ')
        assert 'secret456' not in vonage_api.calls[0].request.body

        row = Message.get_by_id(message.id)
        assert (row.status, row.provider, row.provider_id) == (
            Message.SENT, 'vonage', '0A00000001234567')
        assert row.attempts == 1 and row.last_error == '' and row.next_attempt_at is None

    def test_national_number_is_stored_and_sent_as_e164(self, vonage_api, jobcentre,
                                                       municipality):
        vonage_api.post(VONAGE_URL, json=vonage_ok())
        dk = outbox.queue_sms(jobcentre, '20 12 34 56', 'Hej')
        se = outbox.queue_sms(municipality, '070-123 45 67', 'Hej')
        assert dk.recipient == '+4520123456'
        assert se.recipient == '+46701234567'
        assert [form(c)['to'] for c in vonage_api.calls] == ['4520123456', '46701234567']
        assert form(vonage_api.calls[1])['from'] == 'Bemanning'

    def test_text_outside_gsm_goes_as_unicode(self, vonage_api, jobcentre):
        vonage_api.post(VONAGE_URL, json=vonage_ok())
        outbox.queue_sms(jobcentre, '+4520123456', 'Mødet er flyttet 🙂')
        assert form(vonage_api.calls[0])['type'] == 'unicode'

    @pytest.mark.parametrize('answer, expected_error', [
        (dict(json=vonage_error('1', 'Throttled')), 'Throttled'),
        (dict(json={'error': 'boom'}, status=500), '500'),
        (dict(body=requests.exceptions.ConnectionError('connection refused')),
         'Could not connect to Vonage'),
        (dict(body=requests.exceptions.ConnectTimeout('connect timed out')),
         'Could not connect to Vonage (timeout)'),
    ], ids=['status-throttled', 'http-500', 'connection-error', 'connect-timeout'])
    def test_failed_attempt_is_recorded_and_queued_again(
            self, vonage_api, jobcentre, answer, expected_error):
        vonage_api.post(VONAGE_URL, **answer)
        message = outbox.queue_sms(jobcentre, '+4520123456', 'Hej')

        row = Message.get_by_id(message.id)
        assert row.status == Message.QUEUED
        assert row.attempts == 1
        assert expected_error in row.last_error
        assert_backoff(row, 30)
        assert len(vonage_api.calls) == 1
        # Not due yet: a sweep now leaves it alone.
        tasks.sweep.call_local()
        assert len(vonage_api.calls) == 1

    def test_backoff_grows_and_the_fifth_failure_is_final(self, vonage_api, jobcentre):
        vonage_api.post(VONAGE_URL, json=vonage_error('1', 'Throttled'))
        message = outbox.queue_sms(jobcentre, '+4520123456', 'Hej')
        for attempt, seconds in enumerate(BACKOFF, start=1):
            row = Message.get_by_id(message.id)
            assert (row.status, row.attempts) == (Message.QUEUED, attempt)
            assert_backoff(row, seconds)
            make_due(row)
            tasks.sweep.call_local()

        row = Message.get_by_id(message.id)
        assert (row.status, row.attempts) == (Message.FAILED, Message.MAX_ATTEMPTS)
        assert row.next_attempt_at is None
        assert 'Vonage status 1: Throttled' in row.last_error
        assert len(vonage_api.calls) == 5

        # Failed is final: neither the sweep nor a timed retry sends again.
        make_due(row)
        tasks.sweep.call_local()
        fire_scheduled_retries()
        assert len(vonage_api.calls) == 5

    def test_a_later_attempt_succeeds_and_clears_the_error(self, vonage_api, jobcentre):
        vonage_api.post(VONAGE_URL, json={}, status=500)
        vonage_api.post(VONAGE_URL, json=vonage_ok('0A000000000000B2'))
        message = outbox.queue_sms(jobcentre, '+4520123456', 'Hej')
        assert Message.get_by_id(message.id).status == Message.QUEUED
        make_due(message)
        assert tasks.sweep.call_local() == 1
        row = Message.get_by_id(message.id)
        assert (row.status, row.attempts, row.last_error, row.provider_id) == (
            Message.SENT, 2, '', '0A000000000000B2')

    def test_timed_retry_is_scheduled_and_sends(self, vonage_api, jobcentre):
        vonage_api.post(VONAGE_URL, json=vonage_error('1', 'Throttled'))
        vonage_api.post(VONAGE_URL, json=vonage_ok())
        message = outbox.queue_sms(jobcentre, '+4520123456', 'Hej')
        scheduled = tasks.huey.scheduled()
        assert len(scheduled) == 1 and scheduled[0].args == (message.id,)
        row = Message.get_by_id(message.id)
        eta = scheduled[0].eta
        assert abs((eta - row.next_attempt_at).total_seconds()) < 2
        make_due(row)
        assert fire_scheduled_retries() == 1
        assert Message.get_by_id(message.id).status == Message.SENT
        assert len(vonage_api.calls) == 2

    @pytest.mark.parametrize('first', ['sweep', 'timed-retry'])
    def test_sweep_and_timed_retry_both_firing_send_once(
            self, vonage_api, jobcentre, first):
        vonage_api.post(VONAGE_URL, json=vonage_error('1', 'Throttled'))
        vonage_api.post(VONAGE_URL, json=vonage_ok())
        message = outbox.queue_sms(jobcentre, '+4520123456', 'Hej')
        make_due(message)
        if first == 'sweep':
            tasks.sweep.call_local()
            fire_scheduled_retries()
        else:
            fire_scheduled_retries()
            tasks.sweep.call_local()
        assert len(vonage_api.calls) == 2           # the failure and one send
        row = Message.get_by_id(message.id)
        assert (row.status, row.attempts) == (Message.SENT, 2)

    def test_claim_lets_only_one_of_two_copies_send(self, jobcentre):
        message = Message.create(organisation=jobcentre, channel=Message.SMS,
                                 direction=Message.OUT, recipient='+4520123456',
                                 body='Hej', status=Message.QUEUED)
        # Two workers loaded the same queued row.
        a, b = Message.get_by_id(message.id), Message.get_by_id(message.id)
        assert a.claim() is True
        assert b.claim() is False
        row = Message.get_by_id(message.id)
        assert (row.status, row.attempts) == (Message.SENDING, 1)

    def test_concurrent_workers_send_once(self, app, vonage_api, jobcentre):
        vonage_api.post(VONAGE_URL, json=vonage_ok())
        message = Message.create(organisation=jobcentre, channel=Message.SMS,
                                 direction=Message.OUT, recipient='+4520123456',
                                 sender='Jobcenter', body='Hej',
                                 status=Message.QUEUED)
        db.close()
        barrier = threading.Barrier(6)
        results, errors = [], []

        def worker():
            try:
                barrier.wait()
                results.append(tasks.send_message.call_local(message.id))
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
            finally:
                if not db.is_closed():
                    db.close()

        threads = [threading.Thread(target=worker) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        db.connect(reuse_if_open=True)
        assert not errors
        assert len(vonage_api.calls) == 1
        assert Message.get_by_id(message.id).status == Message.SENT

    def test_stalled_send_is_queued_again_by_the_sweep(self, vonage_api, jobcentre):
        vonage_api.post(VONAGE_URL, json=vonage_ok())
        now = utcnow()
        stalled = Message.create(
            organisation=jobcentre, channel=Message.SMS, direction=Message.OUT,
            recipient='+4520123456', sender='Jobcenter', body='Hej',
            status=Message.SENDING, attempts=1,
            updated_at=now - dt.timedelta(minutes=11))
        recent = Message.create(
            organisation=jobcentre, channel=Message.SMS, direction=Message.OUT,
            recipient='+4520654321', sender='Jobcenter', body='Hej',
            status=Message.SENDING, attempts=1,
            updated_at=now - dt.timedelta(minutes=5))
        assert tasks.sweep.call_local() == 1
        assert [form(c)['client-ref'] for c in vonage_api.calls] == [str(stalled.id)]
        row = Message.get_by_id(stalled.id)
        assert (row.status, row.attempts) == (Message.SENT, 2)
        assert Message.get_by_id(recent.id).status == Message.SENDING

    def test_stall_after_the_last_attempt_fails_instead_of_looping(
            self, vonage_api, jobcentre):
        stalled = Message.create(
            organisation=jobcentre, channel=Message.SMS, direction=Message.OUT,
            recipient='+4520123456', body='Hej', status=Message.SENDING,
            attempts=Message.MAX_ATTEMPTS,
            updated_at=utcnow() - dt.timedelta(minutes=30))
        tasks.sweep.call_local()
        row = Message.get_by_id(stalled.id)
        assert row.status == Message.FAILED
        assert 'Stalled' in row.last_error
        assert not vonage_api.calls

    def test_unexpected_error_is_recorded_not_left_sending(self, app, vonage_api,
                                                           jobcentre):
        # A key without any secret: the SDK refuses to build a client.
        app.config['VONAGE_API_SECRET'] = None
        message = outbox.queue_sms(jobcentre, '+4520123456', 'Hej')
        row = Message.get_by_id(message.id)
        assert (row.status, row.attempts) == (Message.QUEUED, 1)
        assert row.last_error.startswith('InvalidAuthError')
        assert not vonage_api.calls

    def test_queued_inside_a_transaction_is_sent_once_it_commits(self, vonage_api,
                                                                jobcentre):
        vonage_api.post(VONAGE_URL, json=vonage_ok())
        with db.atomic():
            with db.atomic():
                message = outbox.queue_sms(jobcentre, '+4520123456', 'Hej')
            assert not vonage_api.calls   # the worker could not see the row yet
            assert Message.get_by_id(message.id).status == Message.QUEUED
        assert [form(c)['client-ref'] for c in vonage_api.calls] == [str(message.id)]
        assert Message.get_by_id(message.id).status == Message.SENT
        assert tasks.sweep.call_local() == 0

    def test_queued_while_the_queue_is_down_is_sent_by_the_sweep(
            self, vonage_api, jobcentre, monkeypatch):
        vonage_api.post(VONAGE_URL, json=vonage_ok())
        monkeypatch.setattr(queue, 'jobs', {})    # nothing to hand the job to
        with db.atomic():
            message = outbox.queue_sms(jobcentre, '+4520123456', 'Hej')
        assert not vonage_api.calls
        assert Message.get_by_id(message.id).status == Message.QUEUED
        assert tasks.sweep.call_local() == 1
        assert Message.get_by_id(message.id).status == Message.SENT

    def test_a_rolled_back_message_is_never_sent(self, vonage_api, jobcentre):
        vonage_api.post(VONAGE_URL, json=vonage_ok())
        with pytest.raises(RuntimeError):
            with db.atomic():
                outbox.queue_sms(jobcentre, '+4520123456', 'Hej')
                raise RuntimeError('rolled back')
        assert not vonage_api.calls and Message.select().count() == 0

    def test_delivery_receipt_overtaking_the_send_keeps_delivered(self, jobcentre):
        message = Message.create(organisation=jobcentre, channel=Message.SMS,
                                 direction=Message.OUT, recipient='+4520123456',
                                 body='Hej', status=Message.QUEUED)
        assert message.claim()
        assert outbox.apply_delivery_receipt(str(message.id), 'delivered', '0')
        message.mark_sent('vonage', '0A00000000000099')
        row = Message.get_by_id(message.id)
        assert (row.status, row.provider_id) == (Message.DELIVERED, '0A00000000000099')


class TestSignedVonageSms:
    """Only a signature secret: requests are signed, and the signature covers
    exactly the fields Vonage receives."""

    @pytest.fixture
    def app_config(self):
        return {'VONAGE_API_KEY': 'key123',
                'VONAGE_SIGNATURE_SECRET': 'sig-secret-0123456789'}

    def test_signed_request_verifies(self, vonage_api, jobcentre):
        vonage_api.post(VONAGE_URL, json=vonage_ok())
        message = outbox.queue_sms(jobcentre, '+4520123456', 'Hej & farvel = ok')
        body = form(vonage_api.calls[0])
        assert body['api_key'] == 'key123' and 'timestamp' in body
        sig = body.pop('sig')
        assert sig == Auth(api_key='key123', signature_secret='sig-secret-0123456789',
                           signature_method='md5').sign_params(body)
        assert 'Authorization' not in vonage_api.calls[0].request.headers
        assert Message.get_by_id(message.id).status == Message.SENT


# --- Email through SMTP ---------------------------------------------------------


class _Inbox:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return '250 OK'

    @property
    def mails(self):
        return [email.message_from_bytes(e.content, policy=email.policy.default)
                for e in self.envelopes]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class SmtpSink:
    def __init__(self, port: int):
        self.port, self.inbox, self.controller = port, _Inbox(), None

    def start(self):
        self.controller = Controller(self.inbox, hostname='127.0.0.1', port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_sink():
    sink = SmtpSink(_free_port())
    yield sink
    sink.stop()


class TestSmtpMail:
    @pytest.fixture
    def app_config(self, smtp_sink):
        return {'SMTP_HOST': '127.0.0.1', 'SMTP_PORT': str(smtp_sink.port),
                'SMTP_STARTTLS': 'false',
                'MAIL_FROM': 'Jobcenter Testby <no-reply@jobcenter.example>'}

    def test_one_mail_with_the_stable_message_id(self, app, smtp_sink, jobcentre):
        smtp_sink.start()
        message = outbox.queue_email(jobcentre, 'borger@example.test',
                                     'Indkaldelse til møde', 'Kære borger,\nvelkommen.')
        row = Message.get_by_id(message.id)
        assert (row.status, row.provider, row.attempts) == (Message.SENT, 'smtp', 1)

        assert len(smtp_sink.inbox.envelopes) == 1
        envelope = smtp_sink.inbox.envelopes[0]
        assert envelope.mail_from == 'no-reply@jobcenter.example'
        assert envelope.rcpt_tos == ['borger@example.test']
        mail = smtp_sink.inbox.mails[0]
        assert mail['Subject'] == 'Indkaldelse til møde'
        assert mail['To'] == 'borger@example.test'
        assert mail['Date']
        assert mail.get_content().replace('\r\n', '\n').strip() == 'Kære borger,\nvelkommen.'
        expected_id = stable_message_id(row, app.config['MAIL_FROM'])
        assert mail['Message-ID'] == expected_id == row.provider_id
        assert expected_id.endswith('@jobcenter.example>')
        # Stable: computing it again for the same row gives the same id.
        assert stable_message_id(Message.get_by_id(message.id),
                                 app.config['MAIL_FROM']) == expected_id

    def test_sink_down_fails_the_attempt_and_a_retry_delivers(
            self, app, smtp_sink, jobcentre):
        message = outbox.queue_email(jobcentre, 'borger@example.test', 'Emne', 'Tekst')
        row = Message.get_by_id(message.id)
        assert (row.status, row.attempts) == (Message.QUEUED, 1)
        assert 'Refused' in row.last_error or 'refused' in row.last_error
        assert_backoff(row, 30)

        smtp_sink.start()
        make_due(row)
        tasks.sweep.call_local()
        row = Message.get_by_id(message.id)
        assert (row.status, row.attempts, row.last_error) == (Message.SENT, 2, '')
        assert len(smtp_sink.inbox.mails) == 1
        assert smtp_sink.inbox.mails[0]['Message-ID'] == row.provider_id

    def test_sink_down_five_times_is_failed(self, smtp_sink, jobcentre):
        message = outbox.queue_email(jobcentre, 'borger@example.test', 'Emne', 'Tekst')
        for seconds in BACKOFF:
            row = Message.get_by_id(message.id)
            assert_backoff(row, seconds)
            make_due(row)
            tasks.sweep.call_local()
        row = Message.get_by_id(message.id)
        assert (row.status, row.attempts) == (Message.FAILED, 5)
        assert row.last_error

    def test_starttls_required_but_not_offered_is_a_failed_attempt(
            self, app, smtp_sink, jobcentre):
        app.config['SMTP_STARTTLS'] = 'true'   # never falls back to clear text
        smtp_sink.start()
        message = outbox.queue_email(jobcentre, 'borger@example.test', 'Emne', 'Tekst')
        row = Message.get_by_id(message.id)
        assert row.status == Message.QUEUED and 'STARTTLS' in row.last_error
        assert smtp_sink.inbox.envelopes == []

    def test_header_injection_is_refused_not_sent(self, smtp_sink, jobcentre):
        smtp_sink.start()
        message = outbox.queue_email(jobcentre, 'a@example.test\nBcc: evil@example.test',
                                     'Emne', 'Tekst')
        row = Message.get_by_id(message.id)
        assert row.status == Message.QUEUED and 'invalid message' in row.last_error
        assert smtp_sink.inbox.envelopes == []


# --- Outbox (nothing configured) ------------------------------------------------


def test_outbox_sms_and_email_end_sent(jobcentre, make_user, caplog):
    citizen = make_user(jobcentre, User.CITIZEN)
    sms = outbox.queue_sms(jobcentre, citizen.phone, 'Husk dit møde', user=citizen)
    mail = outbox.queue_email(jobcentre, 'borger@example.test', 'Emne', 'Tekst')
    for message in (sms, mail):
        row = Message.get_by_id(message.id)
        assert (row.status, row.provider, row.attempts) == (Message.SENT, 'outbox', 1)
        assert row.provider_id
    assert Message.get_by_id(sms.id).user_id == citizen.id


def test_no_recipient_fails_at_once(jobcentre, make_user):
    citizen = make_user(jobcentre, User.CITIZEN, phone=None)
    sms = outbox.queue_sms(jobcentre, citizen.phone, 'Hej', user=citizen)
    mail = outbox.queue_email(jobcentre, '  ', 'Emne', 'Tekst')
    for message in (sms, mail):
        row = Message.get_by_id(message.id)
        assert (row.status, row.attempts, row.last_error) == (
            Message.FAILED, 0, 'No recipient')
    assert tasks.sweep.call_local() == 0


def test_receipt_arriving_before_a_timed_out_attempt_is_recorded_wins(jobcentre):
    """Vonage accepted the SMS but our read timed out; its receipt came first:
    the row stays delivered and is not sent again."""
    message = Message.create(organisation=jobcentre, channel=Message.SMS,
                             direction=Message.OUT, recipient='+4520123456',
                             body='Hej', status=Message.QUEUED)
    assert message.claim()
    outbox.apply_delivery_receipt(str(message.id), 'delivered', '0')
    message.mark_failed_attempt('ReadTimeout: read timed out')
    assert message.status == Message.DELIVERED
    row = Message.get_by_id(message.id)
    assert (row.status, row.next_attempt_at) == (Message.DELIVERED, None)
    assert tasks.sweep.call_local() == 0
