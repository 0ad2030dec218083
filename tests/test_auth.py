"""Logging in and out over HTTP: staff, citizens (CPR + SMS code), substitutes
(password + SMS code on a new device), sessions, CSRF, rate limits and
oversized input."""
from __future__ import annotations

import datetime as dt
import html
import re
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import peewee
import pytest
from flask_babel import force_locale, gettext

from models import AuditEvent, Message, OneTimeCode, TrustedDevice, User, UserSession
from tests.conftest import PASSWORD

SESSION_COOKIE = 'planpool_session'
DEVICE_COOKIE = 'planpool_device'
UNKNOWN_CPR = '3112991234'   # a valid date, nobody in the test data

WRONG_LOGIN = 'The email or password is not correct.'
WRONG_SUBSTITUTE = 'The username or password is not correct.'
WRONG_CODE = 'The code is wrong or has expired.'
TOO_MANY_CODES = 'Too many wrong codes. Start again to get a new code.'
WAIT_A_MINUTE = 'We send at most one code a minute.'


# --- helpers ---------------------------------------------------------------

def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def flashes(response) -> list[str]:
    return [html.unescape(m) for m in
            re.findall(r'<p class="flash[^"]*"[^>]*>(.*?)</p>', response.get_data(as_text=True))]


def without_tokens(response) -> str:
    """The page with its per-session CSRF token blanked out."""
    page = re.sub(r'"X-CSRFToken": "[^"]*"', '', response.get_data(as_text=True))
    return re.sub(r'name="csrf_token" value="[^"]*"', '', page)


def logged_in_as(client) -> str | None:
    """The name the home page greets, or None on the public landing page."""
    found = re.search(r'<h1>Hello, (.*?)</h1>', client.get('/').get_data(as_text=True))
    return html.unescape(found.group(1)) if found else None


def code_messages(user):
    return list(Message.select().where(Message.user == user, Message.kind == Message.CODE)
                .order_by(Message.id))


def latest_code(user) -> str:
    return re.search(r'\b(\d{6})\b', code_messages(user)[-1].body).group(1)


def other_code(code: str) -> str:
    return f'{(int(code) + 1) % 10**6:06d}'


def copy_session(src, dst) -> None:
    """Give `dst` the exact session cookie `src` holds now (a stolen copy)."""
    dst.set_cookie(SESSION_COOKIE, src.get_cookie(SESSION_COOKIE).value)


def set_cookie_headers(response, name) -> list[str]:
    return [h for h in response.headers.getlist('Set-Cookie') if h.startswith(name + '=')]


def shift(model, field_name, delta, *where) -> None:
    """Move a timestamp column by `delta` (in Python: SQLite cannot add intervals)."""
    for row in model.select().where(*where) if where else model.select():
        model.update({field_name: getattr(row, field_name) + delta}).where(
            model.id == row.id).execute()


def backdate_code(client, user, seconds=61) -> None:
    """Pretend the last code went out `seconds` ago (database and session)."""
    shift(OneTimeCode, 'created_at', -dt.timedelta(seconds=seconds), OneTimeCode.user == user)
    with client.session_transaction() as session:
        otp = session['otp']
        otp['sent_at'] -= seconds
        session['otp'] = otp


@pytest.fixture
def citizen(jobcentre, make_user):
    return make_user(jobcentre, User.CITIZEN, name='Mette Borger')


@pytest.fixture
def substitute(municipality, make_user):
    return make_user(municipality, User.SUBSTITUTE, name='Anna Vikarie')


@pytest.fixture
def planner(jobcentre, make_user):
    return make_user(jobcentre, User.PLANNER, name='Peter Planner')


def login_substitute(client, user, password=PASSWORD):
    return client.post('/login/substitute', data={'username': user.username,
                                                  'password': password})


# --- staff -----------------------------------------------------------------

def test_staff_login_redirects_home_and_opens_a_server_side_session(client, planner):
    assert logged_in_as(client) is None
    response = client.post('/login', data={'email': planner.email, 'password': PASSWORD})
    assert response.status_code == 303
    assert response.headers['Location'] == '/'
    assert UserSession.select().where(UserSession.user == planner).count() == 1
    assert logged_in_as(client) == 'Peter Planner'
    assert User.get_by_id(planner.id).last_login_at is not None


def test_staff_login_page_renders(client):
    response = client.get('/login')
    assert response.status_code == 200
    page = text(response)
    assert 'Staff login' in page and 'name="email"' in page and 'name="password"' in page
    assert 'autocomplete="current-password"' in page
    assert '"None"' not in page   # no attribute printed as the string None


@pytest.mark.parametrize('case', ['wrong password', 'unknown email', 'inactive user',
                                  'substitute email'])
def test_staff_login_failures_all_say_the_same(client, planner, jobcentre, make_user, case):
    email, password = planner.email, PASSWORD
    if case == 'wrong password':
        password = 'not the password'
    elif case == 'unknown email':
        email = 'nobody@example.test'
    elif case == 'inactive user':
        User.update(active=False).where(User.id == planner.id).execute()
    else:  # a non-staff account with an email cannot use the staff login
        email = make_user(jobcentre, User.SUBSTITUTE, email='sub@example.test').email
    response = client.post('/login', data={'email': email, 'password': password})
    assert response.status_code == 200
    assert flashes(response) == [WRONG_LOGIN]
    assert UserSession.select().count() == 0
    assert logged_in_as(client) is None
    assert AuditEvent.select().where(AuditEvent.action == 'login_failed').count() == 1


def test_staff_login_email_is_case_insensitive(client, jobcentre, make_user):
    stored_lower = make_user(jobcentre, User.ADMIN, name='Lower Case')
    response = client.post('/login', data={'email': '  ' + stored_lower.email.upper() + ' ',
                                           'password': PASSWORD})
    assert response.status_code == 303
    assert logged_in_as(client) == 'Lower Case'
    client.post('/logout')

    # An address stored with capitals (as typed by whoever created it).
    make_user(jobcentre, User.PLANNER, name='Mixed Case', email='Ada.Planner@Example.test')
    response = client.post('/login', data={'email': 'ada.planner@example.test',
                                           'password': PASSWORD})
    assert response.status_code == 303
    assert logged_in_as(client) == 'Mixed Case'


def test_staff_login_missing_fields_are_field_errors(client):
    response = client.post('/login', data={'email': '', 'password': ''})
    assert response.status_code == 200
    assert text(response).count('This field is required.') == 2
    assert 'aria-invalid="true"' in text(response)


def test_staff_login_returns_to_the_page_that_asked_for_it(client, planner):
    asked = client.get('/messages/?status=failed')
    assert asked.status_code == 302
    login_url = asked.headers['Location']
    assert login_url.startswith('/login?next=')
    form = client.get(login_url)
    assert '<form method="post" class="stack"' in text(form)   # posts back to itself
    response = client.post(login_url, data={'email': planner.email, 'password': PASSWORD})
    assert response.status_code == 303
    assert response.headers['Location'] == '/messages/?status=failed'


@pytest.mark.parametrize('target', ['https://evil.example', '//evil.example',
                                    '///evil.example', '/\\evil.example'])
def test_staff_login_never_redirects_off_site(client, planner, target):
    response = client.post('/login', query_string={'next': target},
                           data={'email': planner.email, 'password': PASSWORD})
    assert response.status_code == 303 and response.headers['Location'] == '/'


def test_logged_in_user_visiting_login_goes_home(client, planner, login):
    login(planner)
    response = client.get('/login')
    assert response.status_code == 303 and response.headers['Location'] == '/'


# --- each role is sent to its own login ---------------------------------------

@pytest.mark.parametrize('page, login_page', [
    ('/my/appointments', '/login/citizen'),      # citizens' pages
    ('/my/shifts', '/login/substitute'),         # substitutes' pages
    ('/calendar/', '/login'),                    # staff pages
])
def test_a_protected_page_sends_a_visitor_to_the_login_of_its_people(client, page,
                                                                     login_page):
    response = client.get(page)
    assert response.status_code in (302, 303)
    location = urlsplit(response.headers['Location'])
    assert location.path == login_page
    assert parse_qs(location.query) == {'next': [page]}


def test_a_citizen_sent_to_log_in_comes_back_to_the_page(client, citizen):
    login_page = client.get('/my/appointments').headers['Location']
    assert client.post(login_page, data={'cpr': citizen.cpr}).headers['Location'] == \
        '/login/code'
    response = client.post('/login/code', data={'code': latest_code(citizen)})
    assert response.headers['Location'] == '/my/appointments'
    assert client.get('/my/appointments').status_code == 200


def test_a_substitute_sent_to_log_in_comes_back_to_the_page(client, substitute):
    login_page = client.get('/my/shifts').headers['Location']
    data = {'username': substitute.username, 'password': PASSWORD}
    client.post(login_page, data=data)          # a new device: a code first
    response = client.post('/login/code', data={'code': latest_code(substitute)})
    assert response.headers['Location'] == '/my/shifts'
    client.post('/logout')
    # The device is remembered now: straight back to the page.
    assert client.post(login_page, data=data).headers['Location'] == '/my/shifts'


@pytest.mark.parametrize('target', ['//evil.example/', 'https://evil.example/my/shifts',
                                    '/\\evil.example'])
def test_the_citizen_login_never_returns_off_site(client, citizen, target):
    client.post('/login/citizen', query_string={'next': target}, data={'cpr': citizen.cpr})
    response = client.post('/login/code', data={'code': latest_code(citizen)})
    assert response.headers['Location'] == '/'


# --- citizens --------------------------------------------------------------

def test_citizen_login_with_code(client, citizen):
    response = client.post('/login/citizen', data={'cpr': citizen.cpr[:6] + '-' + citizen.cpr[6:]})
    assert response.status_code == 303
    assert response.headers['Location'] == '/login/code'
    [sms] = code_messages(citizen)
    assert sms.recipient == citizen.phone
    assert citizen.cpr not in sms.body
    page = client.get('/login/code')
    assert page.status_code == 200 and 'Enter the code from the SMS' in text(page)
    assert logged_in_as(client) is None

    response = client.post('/login/code', data={'code': latest_code(citizen)})
    assert response.status_code == 303 and response.headers['Location'] == '/'
    assert logged_in_as(client) == 'Mette Borger'
    assert UserSession.select().where(UserSession.user == citizen).count() == 1


@pytest.mark.parametrize('cpr', ['123', '3213901234', 'abcdefghij', '01019012345678'])
def test_citizen_invalid_cpr_is_a_field_error_and_nothing_is_stored(client, citizen, cpr):
    response = client.post('/login/citizen', data={'cpr': cpr})
    assert response.status_code == 200
    assert 'Enter a valid CPR number' in text(response)
    assert 'aria-invalid="true"' in text(response)
    assert Message.select().count() == 0
    assert OneTimeCode.select().count() == 0
    # No code is pending: the code page sends the visitor back to the start.
    assert client.get('/login/code').status_code == 303


def test_unknown_cpr_looks_exactly_like_a_known_one(app, citizen):
    known, unknown = app.test_client(), app.test_client()
    r_known = known.post('/login/citizen', data={'cpr': citizen.cpr})
    r_unknown = unknown.post('/login/citizen', data={'cpr': UNKNOWN_CPR})
    assert (r_known.status_code, r_known.headers['Location']) == \
        (r_unknown.status_code, r_unknown.headers['Location']) == (303, '/login/code')
    assert without_tokens(known.get('/login/code')) == without_tokens(unknown.get('/login/code'))
    assert len(code_messages(citizen)) == 1
    assert Message.select().count() == 1   # nothing went out for the unknown number

    # Wrong codes and resends answer the same way as well.
    w_known = known.post('/login/code', data={'code': '000000'})
    w_unknown = unknown.post('/login/code', data={'code': '000000'})
    assert flashes(w_known) == flashes(w_unknown) == [WRONG_CODE]
    backdate_code(known, citizen)
    with unknown.session_transaction() as session:
        otp = session['otp']
        otp['sent_at'] -= 61
        session['otp'] = otp
    s_known = known.post('/login/code/resend', follow_redirects=True)
    s_unknown = unknown.post('/login/code/resend', follow_redirects=True)
    assert flashes(s_known) == flashes(s_unknown) == ['If we know you, a new code is on its way.']
    assert Message.select().count() == 2   # only the known citizen got another


@pytest.mark.parametrize('state', ['inactive', 'no phone'])
def test_citizen_who_cannot_get_a_code_looks_unknown(client, citizen, state):
    if state == 'inactive':
        User.update(active=False).where(User.id == citizen.id).execute()
    else:
        User.update(phone=None).where(User.id == citizen.id).execute()
    response = client.post('/login/citizen', data={'cpr': citizen.cpr})
    assert response.status_code == 303 and response.headers['Location'] == '/login/code'
    assert Message.select().count() == 0


def test_code_is_single_use(app, citizen):
    browser, copy = app.test_client(), app.test_client()
    browser.post('/login/citizen', data={'cpr': citizen.cpr})
    copy_session(browser, copy)   # the same pending challenge in a second browser
    code = latest_code(citizen)
    assert browser.post('/login/code', data={'code': code}).status_code == 303
    assert logged_in_as(browser) == 'Mette Borger'

    response = copy.post('/login/code', data={'code': code})
    assert response.status_code == 200 and flashes(response) == [WRONG_CODE]
    assert logged_in_as(copy) is None
    assert UserSession.select().count() == 1


def test_expired_code_fails(client, citizen):
    client.post('/login/citizen', data={'cpr': citizen.cpr})
    shift(OneTimeCode, 'expires_at', -dt.timedelta(minutes=11))
    response = client.post('/login/code', data={'code': latest_code(citizen)})
    assert response.status_code == 200 and flashes(response) == [WRONG_CODE]
    assert logged_in_as(client) is None


def test_code_of_a_citizen_deactivated_meanwhile_opens_nothing(client, citizen):
    client.post('/login/citizen', data={'cpr': citizen.cpr})
    User.update(active=False).where(User.id == citizen.id).execute()
    response = client.post('/login/code', data={'code': latest_code(citizen)})
    assert flashes(response) == [WRONG_CODE]
    assert logged_in_as(client) is None
    assert UserSession.select().count() == 0
    assert AuditEvent.select().where(AuditEvent.action == 'login').count() == 0


def test_code_with_spaces_is_accepted(client, citizen):
    client.post('/login/citizen', data={'cpr': citizen.cpr})
    code = latest_code(citizen)
    client.post('/login/code', data={'code': f'{code[:3]} {code[3:]}'})
    assert logged_in_as(client) == 'Mette Borger'


def test_fourth_wrong_try_still_leaves_the_right_code_working(client, citizen):
    client.post('/login/citizen', data={'cpr': citizen.cpr})
    code = latest_code(citizen)
    for _ in range(4):
        assert flashes(client.post('/login/code', data={'code': other_code(code)})) == [WRONG_CODE]
    client.post('/login/code', data={'code': code})
    assert logged_in_as(client) == 'Mette Borger'


def test_after_five_wrong_tries_even_the_right_code_fails(app, citizen):
    browser, copy = app.test_client(), app.test_client()
    browser.post('/login/citizen', data={'cpr': citizen.cpr})
    copy_session(browser, copy)   # a copy of the cookie from before the misses
    code = latest_code(citizen)
    for _ in range(4):
        browser.post('/login/code', data={'code': other_code(code)})
    fifth = browser.post('/login/code', data={'code': other_code(code)}, follow_redirects=True)
    assert TOO_MANY_CODES in flashes(fifth)

    browser.post('/login/code', data={'code': code})
    assert logged_in_as(browser) is None
    # The limit lives in the database, so the old cookie gets no fresh tries.
    response = copy.post('/login/code', data={'code': code})
    assert logged_in_as(copy) is None
    assert UserSession.select().count() == 0
    assert OneTimeCode.get().attempts >= OneTimeCode.MAX_ATTEMPTS
    assert response.status_code in (200, 303)


def test_parallel_guesses_cannot_get_past_the_attempt_limit(citizen):
    """Two requests that loaded the code row before either wrote to it."""
    row, code = OneTimeCode.issue(citizen, OneTimeCode.CITIZEN_LOGIN)
    stale = OneTimeCode.get_by_id(row.id)
    for _ in range(OneTimeCode.MAX_ATTEMPTS):
        assert not row.check(other_code(code))
    assert stale.attempts == 0   # what the slower request believes
    assert not stale.check(code)


def test_resend_within_a_minute_is_refused(client, citizen):
    client.post('/login/citizen', data={'cpr': citizen.cpr})
    response = client.post('/login/code/resend')
    assert response.status_code == 303 and response.headers['Location'] == '/login/code'
    page = client.get('/login/code')
    assert any(WAIT_A_MINUTE in f for f in flashes(page))
    assert len(code_messages(citizen)) == 1
    # Asking again on the login page within the minute sends nothing either.
    client.post('/login/citizen', data={'cpr': citizen.cpr})
    assert len(code_messages(citizen)) == 1
    client.post('/login/code', data={'code': latest_code(citizen)})
    assert logged_in_as(client) == 'Mette Borger'


def test_log_out_and_in_again_within_a_minute_sends_a_new_code(client, citizen):
    client.post('/login/citizen', data={'cpr': citizen.cpr})
    first = latest_code(citizen)
    client.post('/login/code', data={'code': first})
    client.post('/logout')
    assert logged_in_as(client) is None

    # The first code logged her in: it holds back no second one.
    response = client.post('/login/citizen', data={'cpr': citizen.cpr}, follow_redirects=True)
    assert 'Enter the code from the SMS' in text(response)
    assert len(code_messages(citizen)) == 2
    assert flashes(client.post('/login/code', data={'code': first})) == [WRONG_CODE]
    client.post('/login/code', data={'code': latest_code(citizen)})
    assert logged_in_as(client) == 'Mette Borger'


def test_the_wait_for_a_new_code_is_told_in_seconds(app, citizen, later):
    known, unknown = app.test_client(), app.test_client()
    known.post('/login/citizen', data={'cpr': citizen.cpr})
    unknown.post('/login/citizen', data={'cpr': UNKNOWN_CPR})
    later(25)
    told = [flashes(browser.post('/login/code/resend', follow_redirects=True))
            for browser in (known, unknown)]
    assert told[0] == told[1] == [
        'We send at most one code a minute. The code sent a moment ago still works; '
        'you can ask for a new one in 35 seconds.']
    # It does: the wait kept the code alive.
    known.post('/login/code', data={'code': latest_code(citizen)})
    assert logged_in_as(known) == 'Mette Borger'


def test_the_hourly_limit_is_told_with_the_time_it_ends(app, citizen, later):
    known, unknown = app.test_client(), app.test_client()
    for cpr, browser in ((citizen.cpr, known), (UNKNOWN_CPR, unknown)):
        browser.post('/login/citizen', data={'cpr': cpr})
    for _ in range(OneTimeCode.MAX_PER_HOUR - 1):
        later(61)
        for browser in (known, unknown):
            browser.post('/login/code/resend', follow_redirects=True)
    assert len(code_messages(citizen)) == OneTimeCode.MAX_PER_HOUR
    with known.session_transaction() as session:
        first = dt.datetime.fromtimestamp(session['otp']['asked'][0], dt.timezone.utc)
    ends = (first + dt.timedelta(hours=1)).astimezone(
        ZoneInfo('Europe/Copenhagen')).strftime('%H:%M')   # a visitor's time zone
    later(61)
    told = []
    for cpr, browser in ((citizen.cpr, known), (UNKNOWN_CPR, unknown)):
        resent = browser.post('/login/code/resend', follow_redirects=True)
        again = browser.post('/login/citizen', data={'cpr': cpr})
        assert again.status_code == 200
        told.append((flashes(resent), flashes(again)))
    assert told[0] == told[1]
    expected = ['You have asked for 5 codes within an hour, the most we send. '
                f'You can ask for a new code at {ends}.']
    assert told[0] == (expected, expected)
    assert len(code_messages(citizen)) == OneTimeCode.MAX_PER_HOUR


def test_resend_after_a_minute_sends_a_new_code_and_kills_the_old(app, citizen):
    browser, copy = app.test_client(), app.test_client()
    browser.post('/login/citizen', data={'cpr': citizen.cpr})
    old = latest_code(citizen)
    backdate_code(browser, citizen)
    copy_session(browser, copy)   # still holds the old challenge
    response = browser.post('/login/code/resend', follow_redirects=True)
    assert flashes(response) == ['If we know you, a new code is on its way.']
    assert len(code_messages(citizen)) == 2
    new = latest_code(citizen)

    assert flashes(copy.post('/login/code', data={'code': old})) == [WRONG_CODE]
    if new != old:
        assert flashes(browser.post('/login/code', data={'code': old})) == [WRONG_CODE]
    browser.post('/login/code', data={'code': new})
    assert logged_in_as(browser) == 'Mette Borger'
    assert logged_in_as(copy) is None


def test_resend_sends_nothing_to_a_deactivated_citizen(client, citizen):
    client.post('/login/citizen', data={'cpr': citizen.cpr})
    backdate_code(client, citizen)
    User.update(active=False).where(User.id == citizen.id).execute()
    response = client.post('/login/code/resend', follow_redirects=True)
    assert flashes(response) == ['If we know you, a new code is on its way.']
    assert len(code_messages(citizen)) == 1


def test_code_page_without_a_pending_code_goes_to_the_start(client):
    assert client.get('/login/code').headers['Location'] == '/'
    assert client.post('/login/code', data={'code': '123456'}).headers['Location'] == '/'
    assert client.post('/login/code/resend').headers['Location'] == '/'
    assert Message.select().count() == 0


# --- substitutes -----------------------------------------------------------

def test_substitute_first_login_on_a_device_needs_a_code_then_not_again(client, substitute):
    response = login_substitute(client, substitute)
    assert response.status_code == 303 and response.headers['Location'] == '/login/code'
    assert logged_in_as(client) is None
    [sms] = code_messages(substitute)
    assert sms.recipient == substitute.phone

    response = client.post('/login/code', data={'code': latest_code(substitute)})
    assert response.status_code == 303 and response.headers['Location'] == '/'
    [device_cookie] = set_cookie_headers(response, DEVICE_COOKIE)
    assert 'HttpOnly' in device_cookie and 'SameSite=Lax' in device_cookie
    assert 'Max-Age=' in device_cookie
    assert TrustedDevice.select().where(TrustedDevice.user == substitute).count() == 1
    assert logged_in_as(client) == 'Anna Vikarie'

    client.post('/logout')
    assert logged_in_as(client) is None
    response = login_substitute(client, substitute)
    assert response.status_code == 303 and response.headers['Location'] == '/'
    assert logged_in_as(client) == 'Anna Vikarie'
    assert len(code_messages(substitute)) == 1   # no second SMS


def _trust_this_client(client, user):
    login_substitute(client, user)
    client.post('/login/code', data={'code': latest_code(user)})
    assert logged_in_as(client) == user.name
    client.post('/logout')


def test_tampered_device_cookie_does_not_count(client, substitute):
    _trust_this_client(client, substitute)
    value = client.get_cookie(DEVICE_COOKIE).value
    tampered = value[:-2] + ('AA' if value[-2:] != 'AA' else 'BB')
    client.set_cookie(DEVICE_COOKIE, tampered)
    response = login_substitute(client, substitute)
    assert response.headers['Location'] == '/login/code'
    assert logged_in_as(client) is None
    client.set_cookie(DEVICE_COOKIE, 'garbage')
    assert login_substitute(client, substitute).headers['Location'] == '/login/code'


def test_another_users_device_cookie_does_not_count(app, substitute, municipality, make_user):
    other = make_user(municipality, User.SUBSTITUTE, name='Bo Vikarie')
    client = app.test_client()
    _trust_this_client(client, substitute)
    response = login_substitute(client, other)
    assert response.headers['Location'] == '/login/code'
    assert logged_in_as(client) is None

    # A stolen copy of the cookie in another browser: still Anna's only.
    thief = app.test_client()
    thief.set_cookie(DEVICE_COOKIE, client.get_cookie(DEVICE_COOKIE).value)
    assert login_substitute(thief, other).headers['Location'] == '/login/code'


def test_shared_device_remembers_each_substitute(client, substitute, municipality, make_user):
    other = make_user(municipality, User.SUBSTITUTE, name='Bo Vikarie')
    _trust_this_client(client, substitute)
    _trust_this_client(client, other)
    for user in (substitute, other):
        assert login_substitute(client, user).headers['Location'] == '/'
        assert logged_in_as(client) == user.name
        client.post('/logout')


def test_substitute_wrong_password_sends_no_code(client, substitute):
    response = login_substitute(client, substitute, password='wrong')
    assert response.status_code == 200 and flashes(response) == [WRONG_SUBSTITUTE]
    response = client.post('/login/substitute', data={'username': 'nobody', 'password': PASSWORD})
    assert flashes(response) == [WRONG_SUBSTITUTE]
    assert Message.select().count() == 0


def test_substitute_username_is_case_insensitive(client, municipality, make_user):
    make_user(municipality, User.SUBSTITUTE, name='Capital Vikarie', username='AnnaV')
    response = client.post('/login/substitute', data={'username': 'annav', 'password': PASSWORD})
    assert response.headers['Location'] == '/login/code'
    response = client.post('/login/substitute', data={'username': ' ANNAV', 'password': PASSWORD})
    assert response.headers['Location'] == '/login/code'


def test_substitute_without_phone_is_told_to_call(client, municipality, make_user):
    user = make_user(municipality, User.SUBSTITUTE, phone=None)
    response = login_substitute(client, user)
    assert response.status_code == 200
    assert 'Your account has no mobile number' in flashes(response)[0]
    assert Message.select().count() == 0


def test_expired_trusted_device_asks_for_a_code_again(client, substitute):
    _trust_this_client(client, substitute)
    shift(TrustedDevice, 'expires_at', -dt.timedelta(days=91))
    assert login_substitute(client, substitute).headers['Location'] == '/login/code'


# --- logout and sessions ---------------------------------------------------

def test_logout_is_post_only(client, planner, login):
    login(planner)
    response = client.get('/logout')
    assert response.status_code == 405
    assert logged_in_as(client) == 'Peter Planner'


def test_logout_deletes_the_session_and_an_old_cookie_copy_is_dead(app, planner):
    browser, copy = app.test_client(), app.test_client()
    browser.post('/login', data={'email': planner.email, 'password': PASSWORD})
    copy_session(browser, copy)
    assert logged_in_as(copy) == 'Peter Planner'   # the copy works while logged in

    response = browser.post('/logout')
    assert response.status_code == 303 and response.headers['Location'] == '/'
    assert UserSession.select().count() == 0
    assert logged_in_as(browser) is None
    assert logged_in_as(copy) is None
    assert copy.get('/messages/').status_code == 302


def test_logout_keeps_the_language(client, planner, login):
    login(planner)
    client.post('/language', data={'lang': 'da', 'next': '/'})
    client.post('/logout')
    assert '<html lang="da">' in client.get('/').get_data(as_text=True)


def test_login_replaces_the_session_cookie(app, planner):
    browser, attacker = app.test_client(), app.test_client()
    browser.post('/language', data={'lang': 'en', 'next': '/'})   # a pre-login session
    with browser.session_transaction() as session:
        session['planted'] = 'by someone else'
    before = browser.get_cookie(SESSION_COOKIE).value
    copy_session(browser, attacker)   # a cookie the attacker knows

    browser.post('/login', data={'email': planner.email, 'password': PASSWORD})
    after = browser.get_cookie(SESSION_COOKIE).value
    assert after != before
    with browser.session_transaction() as session:
        assert 'planted' not in session
        assert session.get('lang') == 'en'
    assert logged_in_as(browser) == 'Peter Planner'
    assert logged_in_as(attacker) is None


@pytest.mark.parametrize('flow', ['staff', 'citizen', 'substitute'])
def test_session_cookie_is_httponly_and_samesite_lax(client, planner, citizen, substitute, flow):
    if flow == 'staff':
        response = client.post('/login', data={'email': planner.email, 'password': PASSWORD})
    else:
        if flow == 'citizen':
            client.post('/login/citizen', data={'cpr': citizen.cpr})
            user = citizen
        else:
            login_substitute(client, substitute)
            user = substitute
        response = client.post('/login/code', data={'code': latest_code(user)})
    [cookie] = set_cookie_headers(response, SESSION_COOKIE)
    assert 'HttpOnly' in cookie
    assert 'SameSite=Lax' in cookie


def test_deactivated_user_is_logged_out_on_the_next_request(client, planner, login):
    login(planner)
    assert logged_in_as(client) == 'Peter Planner'
    User.update(active=False).where(User.id == planner.id).execute()
    assert logged_in_as(client) is None


def test_expired_server_session_is_logged_out(client, planner, login):
    login(planner)
    shift(UserSession, 'expires_at', -dt.timedelta(hours=13))
    assert logged_in_as(client) is None


def test_authenticated_pages_are_not_cached(client, planner, login):
    login(planner)
    assert client.get('/').headers['Cache-Control'] == 'no-store'


# --- CSRF ------------------------------------------------------------------

def csrf_from_form(response) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                     response.get_data(as_text=True)).group(1)


def csrf_from_body_headers(response) -> str:
    found = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'',
                      response.get_data(as_text=True))
    return found.group(1)


class TestCsrf:
    @pytest.fixture
    def app_config(self):
        return {'WTF_CSRF_ENABLED': True}

    def test_post_without_token_is_refused_with_a_friendly_page(self, client, planner):
        response = client.post('/login', data={'email': planner.email, 'password': PASSWORD})
        assert response.status_code == 400
        assert 'The form expired' in text(response)
        assert 'reload the page and try again' in text(response)
        assert UserSession.select().count() == 0

    def test_the_expired_form_page_is_translated(self, client):
        with client.session_transaction() as session:
            session['lang'] = 'da'
        response = client.post('/login/citizen', data={'cpr': UNKNOWN_CPR})
        assert response.status_code == 400
        page = text(response)
        assert '<html lang="da">' in page
        with force_locale('da'):
            danish = gettext('The form expired')
        assert danish != 'The form expired'   # the catalogue has it
        assert danish in page and 'The form expired' not in page

    def test_post_with_the_form_token_logs_in(self, client, planner):
        token = csrf_from_form(client.get('/login'))
        response = client.post('/login', data={'email': planner.email, 'password': PASSWORD,
                                               'csrf_token': token})
        assert response.status_code == 303
        assert logged_in_as(client) == 'Peter Planner'

    def test_token_in_the_htmx_header_is_accepted(self, client, planner):
        token = csrf_from_form(client.get('/login'))
        client.post('/login', data={'email': planner.email, 'password': PASSWORD,
                                    'csrf_token': token})
        home = client.get('/')
        # Without a token a forged logout changes nothing.
        assert client.post('/logout').status_code == 400
        assert logged_in_as(client) == 'Peter Planner'
        assert UserSession.select().count() == 1
        response = client.post('/logout', headers={'X-CSRFToken': csrf_from_body_headers(home),
                                                   'HX-Request': 'true'})
        assert response.status_code == 303
        assert UserSession.select().count() == 0

    def test_a_token_from_another_session_is_refused(self, app, planner):
        other = app.test_client()
        token = csrf_from_form(other.get('/login'))
        client = app.test_client()
        client.get('/login')
        response = client.post('/login', data={'email': planner.email, 'password': PASSWORD,
                                               'csrf_token': token})
        assert response.status_code == 400
        assert UserSession.select().count() == 0

    def test_citizen_code_flow_works_with_tokens(self, client, citizen):
        token = csrf_from_form(client.get('/login/citizen'))
        client.post('/login/citizen', data={'cpr': citizen.cpr, 'csrf_token': token})
        page = client.get('/login/code')
        client.post('/login/code', data={'code': latest_code(citizen),
                                         'csrf_token': csrf_from_form(page)})
        assert logged_in_as(client) == 'Mette Borger'

    def test_language_form_needs_the_token(self, client):
        assert client.post('/language', data={'lang': 'da', 'next': '/'}).status_code == 400
        token = csrf_from_body_headers(client.get('/'))
        response = client.post('/language', data={'lang': 'da', 'next': '/'},
                               headers={'X-CSRFToken': token})
        assert response.status_code == 303
        assert '<html lang="da">' in client.get('/').get_data(as_text=True)


# --- rate limits -----------------------------------------------------------

class TestRateLimits:
    @pytest.fixture
    def app_config(self):
        return {'RATELIMIT_ENABLED': True}

    def test_eleventh_staff_login_in_a_minute_is_refused(self, client, planner):
        for _ in range(10):
            response = client.post('/login', data={'email': planner.email, 'password': 'wrong'})
            assert response.status_code == 200
        response = client.post('/login', data={'email': planner.email, 'password': PASSWORD})
        assert response.status_code == 429
        assert 'Too many attempts' in text(response)
        assert 'Please wait a little and try again.' in text(response)
        assert UserSession.select().count() == 0
        # Reading the page is not limited.
        assert client.get('/login').status_code == 200

    @pytest.mark.parametrize('url', ['/login/citizen', '/login/substitute'])
    def test_other_logins_are_limited_too(self, client, url):
        data = {'cpr': UNKNOWN_CPR} if url.endswith('citizen') else \
            {'username': 'nobody', 'password': 'wrong'}
        for _ in range(10):
            assert client.post(url, data=data).status_code in (200, 303)
        response = client.post(url, data=data)
        assert response.status_code == 429 and 'Too many attempts' in text(response)

    def test_code_guessing_is_limited(self, client, citizen):
        client.post('/login/citizen', data={'cpr': citizen.cpr})
        statuses = []
        for _ in range(21):
            # Start over whenever the code dies, as an attacker would.
            if client.get('/login/code').status_code == 303:
                shift(OneTimeCode, 'created_at', -dt.timedelta(hours=2))
                client.post('/login/citizen', data={'cpr': citizen.cpr})
            statuses.append(client.post('/login/code', data={'code': '000000'}).status_code)
        assert statuses[-1] == 429
        assert 429 not in statuses[:20]


# --- oversized input -------------------------------------------------------

BIG = 'x' * 300_000


@pytest.mark.parametrize('url, data', [
    ('/login', {'email': 'a@example.test', 'password': BIG}),
    ('/login', {'email': BIG, 'password': PASSWORD}),
    ('/login/substitute', {'username': BIG, 'password': PASSWORD}),
    ('/login/citizen', {'cpr': BIG}),
])
@pytest.mark.parametrize('encoding', ['urlencoded', 'multipart'])
def test_oversized_fields_are_refused_without_a_crash(client, planner, url, data, encoding):
    content_type = 'multipart/form-data' if encoding == 'multipart' else None
    response = client.post(url, data=data, content_type=content_type)
    assert response.status_code in (200, 413)
    if response.status_code == 413:
        assert 'Too much data' in text(response)
    else:
        assert 'aria-invalid="true"' in text(response)
        assert 'cannot be longer than' in text(response) or 'Enter a valid CPR' in text(response)
    assert UserSession.select().count() == 0
    assert Message.select().count() == 0
    assert OneTimeCode.select().count() == 0


def test_oversized_code_is_refused_without_a_crash(client, citizen):
    client.post('/login/citizen', data={'cpr': citizen.cpr})
    response = client.post('/login/code', data={'code': BIG})
    assert response.status_code in (200, 413)
    assert logged_in_as(client) is None
    assert OneTimeCode.get().attempts == 0   # refused before it was checked


# --- line breaks in `next` ------------------------------------------------------

INJECTED_NEXT = '/\r\nSet-Cookie: x=1'


@pytest.mark.parametrize('target', [INJECTED_NEXT, '/calendar/\nx', '/\tx', '/a\u2028b'])
def test_a_next_with_a_line_break_is_dropped_after_login(client, planner, target):
    response = client.post('/login', query_string={'next': target},
                           data={'email': planner.email, 'password': PASSWORD})
    assert response.status_code == 303
    assert response.headers['Location'] == '/'
    assert 'x=1' not in str(response.headers)


def test_a_next_with_a_line_break_is_dropped_by_the_language_switch(client):
    response = client.post('/language', data={'lang': 'da', 'next': INJECTED_NEXT})
    assert response.status_code == 303
    assert response.headers['Location'] == '/'
    assert 'x=1' not in str(response.headers)
    good = client.post('/language', data={'lang': 'da', 'next': '/login?next=%2F'})
    assert good.headers['Location'] == '/login?next=%2F'


# --- nothing tells a known person from an unknown one -----------------------------


def session_of(app, client) -> dict:
    """The session as anyone holding the cookie can read it (signed, not secret)."""
    cookie = client.get_cookie(SESSION_COOKIE)
    if cookie is None:
        return {}
    return dict(app.session_interface.get_signing_serializer(app).loads(cookie.value))


def shape(value):
    """What a session value looks like, not what it is."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in sorted(value.items())}
    if isinstance(value, str):
        return ('str', len(value), bool(re.fullmatch(r'[A-Za-z0-9_-]*', value)))
    return type(value).__name__


@pytest.fixture
def later(monkeypatch):
    """Move the clock of the login views and the code rows forward."""
    import blueprints.auth
    import models
    offset = dt.timedelta()
    real = models.utcnow

    def advance(seconds):
        nonlocal offset
        offset += dt.timedelta(seconds=seconds)
    monkeypatch.setattr(blueprints.auth, 'utcnow', lambda: real() + offset)
    monkeypatch.setattr(models, 'utcnow', lambda: real() + offset)
    return advance


def test_citizen_session_is_the_same_for_a_known_and_an_unknown_cpr(app, citizen, later):
    known, unknown = app.test_client(), app.test_client()
    r_known = known.post('/login/citizen', data={'cpr': citizen.cpr})
    r_unknown = unknown.post('/login/citizen', data={'cpr': UNKNOWN_CPR})
    assert (r_known.status_code, r_known.headers['Location'], r_known.get_data()) == \
        (r_unknown.status_code, r_unknown.headers['Location'], r_unknown.get_data())
    first_known, first_unknown = session_of(app, known), session_of(app, unknown)
    assert shape(first_known) == shape(first_unknown)
    assert set(first_known) == {'otp'}

    # A minute later a resend: the challenge stays for both, a new code goes
    # out only to the citizen we know.
    later(61)
    for browser in (known, unknown):
        response = browser.post('/login/code/resend')
        assert (response.status_code, response.headers['Location']) == (303, '/login/code')
    again_known, again_unknown = session_of(app, known), session_of(app, unknown)
    assert shape(again_known) == shape(again_unknown)
    assert again_known['otp']['challenge'] == first_known['otp']['challenge']
    assert again_unknown['otp']['challenge'] == first_unknown['otp']['challenge']
    assert len(code_messages(citizen)) == 2
    assert known.get('/login/code').status_code == unknown.get('/login/code').status_code == 200

    # The new code works with the challenge the browser held all along.
    known.post('/login/code', data={'code': latest_code(citizen)})
    assert logged_in_as(known) == 'Mette Borger'


def test_a_resend_past_the_hourly_limit_changes_nothing_either(app, citizen, later):
    known, unknown = app.test_client(), app.test_client()
    known.post('/login/citizen', data={'cpr': citizen.cpr})
    unknown.post('/login/citizen', data={'cpr': UNKNOWN_CPR})
    before = session_of(app, known)['otp']['challenge'], session_of(app, unknown)['otp'][
        'challenge']
    for _ in range(OneTimeCode.MAX_PER_HOUR + 1):
        later(61)
        known.post('/login/code/resend')
        unknown.post('/login/code/resend')
    assert len(code_messages(citizen)) == OneTimeCode.MAX_PER_HOUR
    after = session_of(app, known)['otp']['challenge'], session_of(app, unknown)['otp'][
        'challenge']
    assert after == before


@pytest.mark.parametrize('who', ['staff', 'substitute'])
def test_a_wrong_password_and_an_unknown_name_look_the_same(app, planner, substitute, who):
    known, unknown = app.test_client(), app.test_client()
    if who == 'staff':
        url, field, name = '/login', 'email', planner.email
        other = 'nobody@example.test'
    else:
        url, field, name = '/login/substitute', 'username', substitute.username
        other = 'nobody'
    r_known = known.post(url, data={field: name, 'password': 'not the password'})
    r_unknown = unknown.post(url, data={field: other, 'password': 'not the password'})
    assert r_known.status_code == r_unknown.status_code == 200
    assert without_tokens(r_known).replace(name, other) == without_tokens(r_unknown)
    assert shape(session_of(app, known)) == shape(session_of(app, unknown))


# --- ... nor the work done for them (the time it takes) -----------------------------
# Timing belongs to the benchmarks; here the work is counted: the statements
# sent to the database and the hashes computed, known against unknown.

_VERB = re.compile(r'\s*(\w+)(?:\s+(?:INTO|FROM))?\s*"?(\w*)')


@pytest.fixture
def work(monkeypatch):
    """Statements (verb and table) and password / code hashes since the last
    `work.clear()`. The row of record (the SMS sent to a known person, the
    audit row written for anyone else) counts as one kind of table."""
    import models
    done = []
    real_execute = type(models.db.obj).execute_sql
    real_check, real_hash = models.check_password_hash, OneTimeCode._hash

    def execute_sql(self, sql, *args, **kwargs):
        verb, table = _VERB.match(sql).groups()
        if verb.upper() in ('SAVEPOINT', 'RELEASE', 'ROLLBACK'):
            table = ''
        done.append((verb.upper(), 'record' if table in ('message', 'audit_event') else table))
        return real_execute(self, sql, *args, **kwargs)

    def check_password_hash(*args):
        done.append(('HASH', 'password'))
        return real_check(*args)

    def code_hash(*args):
        done.append(('HASH', 'code'))
        return real_hash(*args)
    monkeypatch.setattr(type(models.db.obj), 'execute_sql', execute_sql)
    monkeypatch.setattr(models, 'check_password_hash', check_password_hash)
    monkeypatch.setattr(OneTimeCode, '_hash', staticmethod(code_hash))
    return done


def work_of(work, request) -> list:
    work.clear()
    request()
    return list(work)


def test_a_known_and_an_unknown_cpr_cost_the_same_work(app, citizen, work, later):
    known, unknown = app.test_client(), app.test_client()

    def both(url, data=None):
        return (work_of(work, lambda: known.post(url, data=data)),
                work_of(work, lambda: unknown.post(url, data=data)))
    first_known = work_of(work, lambda: known.post('/login/citizen', data={'cpr': citizen.cpr}))
    first_unknown = work_of(work, lambda: unknown.post('/login/citizen',
                                                       data={'cpr': UNKNOWN_CPR}))
    assert first_known == first_unknown
    assert ('INSERT', 'one_time_code') in first_known and ('HASH', 'code') in first_known
    assert len(code_messages(citizen)) == 1

    # Asked again within the minute: no new SMS for the known number, and
    # still the same work as for the unknown one.
    again_known = work_of(work, lambda: known.post('/login/citizen', data={'cpr': citizen.cpr}))
    again_unknown = work_of(work, lambda: unknown.post('/login/citizen',
                                                       data={'cpr': UNKNOWN_CPR}))
    assert again_known == again_unknown == first_known
    assert len(code_messages(citizen)) == 1

    wrong_known, wrong_unknown = both('/login/code', {'code': '000000'})
    assert wrong_known == wrong_unknown
    assert ('UPDATE', 'one_time_code') in wrong_known   # the try is counted for both

    later(61)
    resend_known, resend_unknown = both('/login/code/resend')
    assert resend_known == resend_unknown
    assert len(code_messages(citizen)) == 2


@pytest.mark.parametrize('who', ['staff', 'substitute'])
def test_an_unknown_name_costs_the_same_work_as_a_wrong_password(app, planner, substitute,
                                                                 jobcentre, make_user,
                                                                 work, who):
    if who == 'staff':
        url, field, names = '/login', 'email', [planner.email, 'nobody@example.test']
        # An invited account whose password is not set yet is no quicker.
        invited = make_user(jobcentre, User.PLANNER, password_hash=None)
        User.update(password_hash=None).where(User.id == invited.id).execute()
        names.append(invited.email)
    else:
        url, field, names = '/login/substitute', 'username', [substitute.username, 'nobody']
    done = [work_of(work, lambda: app.test_client().post(
        url, data={field: name, 'password': 'not the password'})) for name in names]
    assert all(each == done[0] for each in done)
    assert done[0].count(('HASH', 'password')) == 1


# --- what no longer logs anyone in is deleted -------------------------------------

def test_the_worker_deletes_expired_sessions_codes_and_devices(app, citizen, substitute):
    import tasks
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    old, fresh = now - dt.timedelta(hours=13), now - dt.timedelta(minutes=5)
    live_session, dead_session = UserSession.open(citizen), UserSession.open(citizen)
    UserSession.update(expires_at=old).where(
        UserSession.id == UserSession.select(peewee.fn.MAX(UserSession.id))).execute()
    OneTimeCode.issue(citizen, OneTimeCode.CITIZEN_LOGIN)   # spent an hour ago
    OneTimeCode.issue(None, OneTimeCode.CITIZEN_LOGIN)      # a stand-in as old
    OneTimeCode.update(created_at=old, expires_at=old + OneTimeCode.VALIDITY).execute()
    recent, _ = OneTimeCode.issue(citizen, OneTimeCode.CITIZEN_LOGIN)   # counts for the hour
    OneTimeCode.update(created_at=fresh, expires_at=fresh).where(
        OneTimeCode.id == recent.id).execute()
    kept_device = TrustedDevice.remember(substitute)
    TrustedDevice.remember(substitute)
    TrustedDevice.update(expires_at=old).where(
        TrustedDevice.id == TrustedDevice.select(peewee.fn.MAX(TrustedDevice.id))).execute()

    # Once an hour, by the worker's clock.
    due = [[t.name for t in tasks.huey.read_periodic(dt.datetime(2026, 12, 2, 3, minute))]
           for minute in range(60)]
    assert sum(name.endswith('purge_logins') for names in due for name in names) == 1
    assert tasks.purge_logins.call_local() == {'sessions': 1, 'codes': 2, 'devices': 1}
    assert UserSession.load_user(live_session).id == citizen.id
    assert UserSession.load_user(dead_session) is None
    assert [c.id for c in OneTimeCode.select()] == [recent.id]
    assert TrustedDevice.is_trusted(substitute, kept_device)
    assert TrustedDevice.select().count() == 1
