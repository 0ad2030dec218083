"""The SMS and email log (/messages/): what staff see, and what they do not."""
from __future__ import annotations

import re

import pytest

import tasks
from messaging.outbox import queue_email, queue_sms
from models import AuditEvent, Message, User, mask_phone

PHONE = '+4520123456'


@pytest.fixture(autouse=True)
def empty_schedule():
    tasks.huey.flush()
    yield
    tasks.huey.flush()


@pytest.fixture(autouse=True)
def english(client):
    """Tests read the English source strings (the organisations speak da/sv)."""
    client.environ_base['HTTP_ACCEPT_LANGUAGE'] = 'en'


@pytest.fixture
def outbox(jobcentre, make_user):
    """Outbox mode (nothing configured): one SMS, one email, one login code."""
    citizen = make_user(jobcentre, User.CITIZEN, phone=PHONE)
    return {
        'sms': queue_sms(jobcentre, PHONE, 'Husk dit møde tirsdag', user=citizen),
        'email': queue_email(jobcentre, 'borger@example.test',
                                    'Indkaldelse til samtale', 'Kære borger'),
        'code': queue_sms(jobcentre, PHONE, '481516 is your Planpool code',
                                 user=citizen, kind=Message.CODE),
    }


@pytest.fixture
def admin(jobcentre, make_user):
    return make_user(jobcentre, User.ADMIN)


@pytest.fixture
def planner(jobcentre, make_user):
    return make_user(jobcentre, User.PLANNER)


def text(response) -> str:
    return response.get_data(as_text=True)


def table_rows(html: str) -> list[str]:
    return re.findall(r'<tr class="status-[^"]+">.*?</tr>', html, re.S)


@pytest.mark.parametrize('role', [User.ADMIN, User.PLANNER])
def test_outbox_messages_are_listed_and_readable(client, login, outbox, jobcentre,
                                                 make_user, role):
    login(make_user(jobcentre, role))
    response = client.get('/messages/')
    assert response.status_code == 200
    html = text(response)
    assert len(table_rows(html)) == 3
    assert 'Husk dit møde tirsdag' in html
    assert 'Indkaldelse til samtale' in html
    assert html.count('Sent (outbox)') == 3

    sms = text(client.get(f"/messages/{outbox['sms'].id}"))
    assert 'Husk dit møde tirsdag' in sms and 'outbox' in sms
    mail = text(client.get(f"/messages/{outbox['email'].id}"))
    assert 'Indkaldelse til samtale' in mail and 'Kære borger' in mail
    assert 'borger@example.test' in mail


@pytest.mark.parametrize('role', [User.ADMIN, User.PLANNER])
def test_login_codes_never_show(client, login, outbox, jobcentre, make_user, role):
    login(make_user(jobcentre, role))
    listing = text(client.get('/messages/'))
    detail = text(client.get(f"/messages/{outbox['code'].id}"))
    filtered = text(client.get('/messages/?channel=sms',
                               headers={'HX-Request': 'true', 'HX-Target': 'message-table'}))
    for html in (listing, detail, filtered):
        assert '481516' not in html
        assert 'Login code (hidden)' in html


def test_code_email_hides_subject_too(client, login, admin, jobcentre):
    message = queue_email(jobcentre, 'a@example.test', 'Code 778899',
                                 'Your code is 778899', kind=Message.CODE)
    login(admin)
    for url in ('/messages/', f'/messages/{message.id}'):
        assert '778899' not in text(client.get(url))


def test_phone_numbers_masked_for_planners(client, login, outbox, planner):
    login(planner)
    for url in ('/messages/', f"/messages/{outbox['sms'].id}"):
        html = text(client.get(url))
        assert PHONE not in html
        assert mask_phone(PHONE) in html
    # Email addresses are not masked (they are what a planner acts on).
    assert 'borger@example.test' in text(client.get('/messages/'))


def test_phone_numbers_visible_to_admins(client, login, outbox, admin):
    login(admin)
    for url in ('/messages/', f"/messages/{outbox['sms'].id}"):
        assert PHONE in text(client.get(url))


def test_inbound_sender_masked_for_planners(client, login, jobcentre, make_user, planner):
    make_user(jobcentre, User.CITIZEN, phone=PHONE)
    client.post('/webhooks/vonage/inbound',
                data={'msisdn': '4520123456', 'to': '4570100100', 'messageId': 'm1',
                      'text': 'Ja'})
    login(planner)
    html = text(client.get('/messages/'))
    assert 'Ja' in html and 'received' in html
    assert PHONE not in html and mask_phone(PHONE) in html


@pytest.mark.parametrize('role', [User.CASEWORKER, User.CITIZEN, User.SUBSTITUTE])
def test_other_roles_get_403(client, login, outbox, jobcentre, make_user, role):
    login(make_user(jobcentre, role))
    assert client.get('/messages/').status_code == 403
    assert client.get(f"/messages/{outbox['sms'].id}").status_code == 403


def test_anonymous_is_sent_to_login(client, outbox):
    response = client.get('/messages/')
    assert response.status_code in (302, 303)
    assert '/login' in response.headers['Location']
    assert client.get(f"/messages/{outbox['sms'].id}").status_code in (302, 303)


def test_another_organisations_message_is_404(client, login, outbox, make_org, make_user):
    other_admin = make_user(make_org('pool'), User.ADMIN)
    login(other_admin)
    assert client.get(f"/messages/{outbox['sms'].id}").status_code == 404
    assert client.get('/messages/999999').status_code == 404
    html = text(client.get('/messages/'))
    assert 'Husk dit møde' not in html and 'No messages match.' in html


def test_filters_channel_and_status(client, login, outbox, jobcentre, admin):
    failed = queue_sms(jobcentre, PHONE, 'Kunne ikke sendes')
    Message.update(status=Message.FAILED, last_error='Vonage status 29: Non-Whitelisted '
                   'Destination').where(Message.id == failed.id).execute()
    login(admin)

    def rows(query):
        return table_rows(text(client.get('/messages/' + query)))

    assert len(rows('')) == 4
    assert len(rows('?channel=sms')) == 3
    assert len(rows('?channel=email')) == 1
    assert len(rows('?status=sent')) == 3
    failed_rows = rows('?status=failed')
    assert len(failed_rows) == 1 and 'Kunne ikke sendes' in failed_rows[0]
    assert 'Failed' in failed_rows[0]
    # In plain words, not the provider's.
    assert 'The SMS account is not set up correctly (code 29)' in failed_rows[0]
    assert 'Non-Whitelisted' not in failed_rows[0]
    assert len(rows('?channel=email&status=failed')) == 0
    assert len(rows('?channel=fax&status=bogus')) == 4     # unknown values ignored
    html = text(client.get('/messages/?channel=email'))
    assert '<option value="email" selected>' in html


def test_htmx_table_request_returns_only_the_fragment(client, login, outbox, admin):
    login(admin)
    response = client.get('/messages/?channel=email',
                          headers={'HX-Request': 'true', 'HX-Target': 'message-table'})
    assert response.status_code == 200
    html = text(response).strip()
    assert html.startswith('<div id="message-table"')
    assert '<html' not in html and '<form' not in html and '<h1' not in html
    assert len(table_rows(html)) == 1
    assert 'HX-Request' in response.headers.get('Vary', '')


def test_plain_htmx_request_gets_the_full_page(client, login, outbox, admin):
    login(admin)
    for headers in ({}, {'HX-Request': 'true'}, {'HX-Request': 'true', 'HX-Target': 'main'}):
        response = client.get('/messages/', headers=headers)
        assert '<html' in text(response) and '<h1' in text(response)
        assert 'HX-Request' in response.headers.get('Vary', '')
    assert 'HX-Request' in client.get(
        f"/messages/{outbox['sms'].id}").headers.get('Vary', '')


def test_failed_message_shows_failed_and_the_error(client, login, admin, jobcentre):
    message = queue_sms(jobcentre, PHONE, 'Hej')
    Message.update(status=Message.FAILED, attempts=5,
                   last_error='Vonage status 1: Throttled').where(
        Message.id == message.id).execute()
    login(admin)
    html = text(client.get(f'/messages/{message.id}'))
    assert 'Failed' in html and 'The SMS provider is busy or out of credit (code 1)' in html
    assert 'Throttled' not in html
    assert 'Last error' in html


def test_paging_keeps_only_known_filters(client, login, jobcentre, admin):
    for i in range(51):
        Message.create(organisation=jobcentre, channel=Message.SMS,
                       direction=Message.OUT, recipient=PHONE, body=f'n{i}',
                       status=Message.SENT)
    login(admin)
    response = client.get('/messages/?channel=sms&_external=1&_scheme=javascript'
                          '&_anchor=x&evil=1')
    assert response.status_code == 200
    html = text(response)
    assert len(table_rows(html)) == 50
    pager = re.search(r'<nav class="pager".*?</nav>', html, re.S).group(0)
    older = re.search(r'href="([^"]*)">Older', pager).group(1)
    assert older.startswith('/messages/?') and 'page=2' in older and 'channel=sms' in older
    assert 'javascript' not in pager and 'evil' not in older and '#' not in older
    bodies = []
    for page in (1, 2):
        html = text(client.get(f'/messages/?page={page}'))
        bodies += re.findall(r'<td>(n\d+)</td>', html)
    assert sorted(bodies) == sorted(f'n{i}' for i in range(51))   # none skipped


@pytest.mark.parametrize('page', ['0', '-5', 'abc', '1e3', str(10 ** 30)])
def test_odd_page_numbers_do_not_break(client, login, outbox, admin, page):
    login(admin)
    assert client.get(f'/messages/?page={page}').status_code == 200


def test_reading_a_message_is_audited(client, login, outbox, planner):
    login(planner)
    client.get(f"/messages/{outbox['sms'].id}")
    event = AuditEvent.get(AuditEvent.action == 'message.view')
    assert (event.actor_id, event.object_type, event.object_id) == (
        planner.id, 'Message', outbox['sms'].id)
    assert event.organisation_id == planner.organisation_id
