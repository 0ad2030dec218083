"""Who may see what: role checks, organisation checks (no IDOR), and the
language switcher."""
from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlparse

import pytest
from flask_babel import force_locale, gettext

from messaging import outbox
from models import Message, User


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]*)">', response.get_data(as_text=True)).group(1)


@pytest.fixture
def org_a(make_org):
    return make_org('planner', 'Jobcenter A')


@pytest.fixture
def org_b(make_org):
    return make_org('planner', 'Jobcenter B')


def sms(org, body='Your appointment is on Monday at 10:00.', **fields):
    return outbox.queue_sms(org, '+4520123456', body, **fields)


# --- roles -----------------------------------------------------------------

@pytest.mark.parametrize('url', ['/messages/', '/messages/1'])
def test_anonymous_is_sent_to_the_login(client, org_a, url):
    sms(org_a)
    response = client.get(url)
    assert response.status_code == 302
    location = urlparse(response.headers['Location'])
    assert location.path == '/login'
    assert parse_qs(location.query)['next'] == [url]
    assert 'Your appointment' not in text(response)


@pytest.mark.parametrize('role', [User.CASEWORKER, User.CITIZEN, User.SUBSTITUTE])
def test_wrong_role_gets_403(client, org_a, make_user, login, role):
    message = sms(org_a)
    login(make_user(org_a, role))
    for url in ('/messages/', f'/messages/{message.id}'):
        response = client.get(url)
        assert response.status_code == 403
        assert 'Not allowed' in text(response)
        assert 'Your appointment' not in text(response)
    # ... and the navigation does not offer the log either.
    assert 'href="/messages/"' not in client.get('/').get_data(as_text=True)


@pytest.mark.parametrize('role', [User.ADMIN, User.PLANNER])
def test_admin_and_planner_read_the_log(client, org_a, make_user, login, role):
    message = sms(org_a)
    login(make_user(org_a, role))
    assert 'Your appointment' in text(client.get('/messages/'))
    assert 'Your appointment' in text(client.get(f'/messages/{message.id}'))
    assert 'href="/messages/"' in client.get('/').get_data(as_text=True)


def test_planner_cannot_read_another_organisations_message(client, org_a, org_b,
                                                           make_user, login):
    theirs = sms(org_b, 'Secret of organisation B')
    ours = sms(org_a, 'Note of organisation A')
    login(make_user(org_a, User.PLANNER))
    response = client.get(f'/messages/{theirs.id}')
    assert response.status_code == 404
    assert 'Page not found' in text(response)
    assert 'Secret of organisation B' not in text(response)
    assert client.get(f'/messages/{ours.id}').status_code == 200
    assert client.get('/messages/999999').status_code == 404
    # Nor does it show up in the list.
    listing = text(client.get('/messages/'))
    assert 'Note of organisation A' in listing
    assert 'Secret of organisation B' not in listing


def test_login_codes_are_hidden_from_staff(client, org_a, make_user, login):
    citizen = make_user(org_a, User.CITIZEN)
    client.post('/login/citizen', data={'cpr': citizen.cpr})
    code_sms = Message.get(Message.kind == Message.CODE)
    code = re.search(r'\b(\d{6})\b', code_sms.body).group(1)
    login(make_user(org_a, User.ADMIN))
    for url in ('/messages/', f'/messages/{code_sms.id}'):
        response = client.get(url)
        assert response.status_code == 200
        assert code not in text(response)
        assert 'Login code (hidden)' in text(response)


def test_cpr_is_never_in_an_address(client, org_a, make_user):
    citizen = make_user(org_a, User.CITIZEN)
    response = client.post('/login/citizen', data={'cpr': citizen.cpr},
                           follow_redirects=True)
    assert all(citizen.cpr not in r.headers.get('Location', '')
               for r in response.history)
    assert citizen.cpr not in response.request.url


# --- language --------------------------------------------------------------

def test_language_switch_sets_the_page_language(client):
    assert html_lang(client.get('/')) == 'en'
    response = client.post('/language', data={'lang': 'da', 'next': '/login/citizen'})
    assert response.status_code == 303
    assert response.headers['Location'] == '/login/citizen'
    page = client.get('/login/citizen')
    assert html_lang(page) == 'da'
    with force_locale('da'):
        danish = gettext('Log in with your CPR number')
    assert danish != 'Log in with your CPR number'   # the catalogue has it
    assert danish in text(page)
    assert 'Log in with your CPR number' not in text(page)
    assert '<option selected value="da">' in page.get_data(as_text=True)

    client.post('/language', data={'lang': 'sv', 'next': '/'})
    assert html_lang(client.get('/')) == 'sv'


def test_unknown_language_is_ignored(client):
    client.post('/language', data={'lang': 'da', 'next': '/'})
    response = client.post('/language', data={'lang': 'xx', 'next': '/'})
    assert response.status_code == 303
    assert html_lang(client.get('/')) == 'da'


def test_language_choice_follows_the_user_to_another_device(app, org_a, make_user, login):
    planner = make_user(org_a, User.PLANNER)
    first = app.test_client()
    login(planner, first)
    first.post('/language', data={'lang': 'sv', 'next': '/'})
    assert User.get_by_id(planner.id).language == 'sv'

    second = app.test_client()
    login(planner, second)
    assert html_lang(second.get('/')) == 'sv'


@pytest.mark.parametrize('target', [
    'https://evil.example',
    'https://evil.example/login',
    '//evil.example',
    '///evil.example',
    '/\\evil.example',
    '\\\\evil.example',
    '/\t/evil.example',
    'javascript:alert(1)',
    'evil.example',
    'http:/evil.example',
])
def test_language_switch_refuses_open_redirects(client, target):
    response = client.post('/language', data={'lang': 'da', 'next': target})
    assert response.status_code == 303
    assert response.headers['Location'] == '/'


@pytest.mark.parametrize('target', ['/', '/login', '/messages/?status=failed&page=2'])
def test_language_switch_returns_to_local_pages(client, target):
    response = client.post('/language', data={'lang': 'da', 'next': target})
    assert response.headers['Location'] == target


def test_language_switch_without_next_goes_home(client):
    response = client.post('/language', data={'lang': 'da'})
    assert response.headers['Location'] == '/'


def test_language_switch_is_post_only(client):
    assert client.get('/language?lang=da').status_code == 405
    assert html_lang(client.get('/')) == 'en'


def test_page_language_follows_the_browser_then_the_organisation(app, org_a, make_user, login):
    planner = make_user(org_a, User.PLANNER)   # org_a speaks Danish
    swedish, silent = app.test_client(), app.test_client()
    swedish.environ_base['HTTP_ACCEPT_LANGUAGE'] = 'sv-SE,sv;q=0.9'
    silent.environ_base.pop('HTTP_ACCEPT_LANGUAGE')
    assert html_lang(swedish.get('/')) == 'sv'
    assert html_lang(silent.get('/')) == 'en'   # anonymous, no preference
    login(planner, swedish)
    login(planner, silent)
    assert html_lang(swedish.get('/')) == 'sv'
    assert html_lang(silent.get('/')) == 'da'
